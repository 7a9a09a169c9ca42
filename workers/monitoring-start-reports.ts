import { z } from 'zod';
import { startReportBatch } from '../server/performance/monitoring';
import { complete, defineWorker } from './types';

/**
 * 启动项目监控 (performance-monitoring, topic monitoring.start-reports): one
 * performance-monitoring-report instance for each of the next START_BATCH reports of the round
 * that have none; the model loops while moreReports. A quarter of 1,000 projects is 1,000 small
 * instances, not one instance with 1,000 branches.
 * Input: roundId. Output: started, moreReports.
 */
export const monitoringStartReports = defineWorker({
  topic: 'monitoring.start-reports',
  description: '季度绩效监控：为每个项目启动一个监控流程实例（分批）',
  input: z.object({ roundId: z.coerce.number().int().positive() }),
  lockMs: 300_000,
  async handle({ roundId }, { trx, engine, config }) {
    return complete(await startReportBatch(trx, engine, config.engine.namespace, roundId));
  },
});
