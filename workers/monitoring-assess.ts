import { z } from 'zod';
import { assessReport } from '../server/performance/monitoring';
import { complete, defineWorker } from './types';

/**
 * 偏差分析 (performance-monitoring-report, topic monitoring.assess): the ledger's budget, frozen and
 * paid as of the quarter's end, the time progress of that day and the deviation rule
 * (BUDGET_EXECUTION_DEVIATION_POINTS); a warning notifies 绩效处 and the department.
 * Input: reportId. Output: warning, deviationLevel.
 */
export const monitoringAssess = defineWorker({
  topic: 'monitoring.assess',
  description: '季度绩效监控：从指标账取预算执行率，与时间进度比较，偏差超过阈值或目标有风险时预警',
  input: z.object({ reportId: z.coerce.number().int().positive() }),
  retryBackoffMs: 500,
  retries: 8,
  async handle({ reportId }, { trx, config }) {
    return complete(await assessReport(trx, reportId, config.executionDeviation));
  },
});
