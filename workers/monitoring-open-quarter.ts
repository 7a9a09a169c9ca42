import { z } from 'zod';
import { openQuarter } from '../server/performance/monitoring';
import { complete, defineWorker } from './types';

/**
 * 确定监控范围 (performance-monitoring, topic monitoring.open-quarter): the quarter's round (for a
 * timer start: the quarter before today, every region) and one report per funded project of its
 * scope that has none for the quarter. Idempotent by the unique report key.
 * Input: roundId (absent at a timer start). Output: roundId, fiscalYear, quarter, reportCount.
 */
export const monitoringOpenQuarter = defineWorker({
  topic: 'monitoring.open-quarter',
  description: '季度绩效监控：确定本季度须填报的已下达指标项目（每个项目每季度一份报告）',
  input: z.object({ roundId: z.coerce.number().int().positive().optional() }),
  async handle({ roundId }, { trx, task }) {
    return complete(await openQuarter(trx, { roundId }, task.processInstanceId));
  },
});
