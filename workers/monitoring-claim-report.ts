import { z } from 'zod';
import { claimReport } from '../server/performance/monitoring';
import { complete, defineWorker } from './types';

/**
 * 通知单位填报 (performance-monitoring-report, topic monitoring.claim-report): the instance takes
 * its report and the unit's clerks are notified; an instance whose report another instance holds
 * is a duplicate (a batch redelivered after the engine had started it) and ends.
 * Input: reportId. Output: duplicate.
 */
export const monitoringClaimReport = defineWorker({
  topic: 'monitoring.claim-report',
  description: '季度绩效监控：本实例认领项目的监控报告并通知单位填报（重复实例直接结束）',
  input: z.object({ reportId: z.coerce.number().int().positive() }),
  retryBackoffMs: 500,
  retries: 8,
  async handle({ reportId }, { trx, task }) {
    return complete(await claimReport(trx, reportId, task.processInstanceId));
  },
});
