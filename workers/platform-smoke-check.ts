import { z } from 'zod';
import { recordSmokeCheck } from '../server/engine/smoke-checks';
import { complete, defineWorker } from './types';

/**
 * 平台自检 (processes/platform-smoke-check.bpmn, topic platform.record-smoke-check): proves the
 * loop engine → worker → database → engine works. Input: requestedBy. Output: smokeCheck.
 */
export const platformSmokeCheck = defineWorker({
  topic: 'platform.record-smoke-check',
  description: '记录一次平台自检（流程引擎 → 外部任务处理器 → 数据库）',
  input: z.object({ requestedBy: z.string().min(1).max(100) }),
  async handle({ requestedBy }, { trx, task, config }) {
    const recordedAt = new Date();
    await recordSmokeCheck(trx, {
      processInstanceId: task.processInstanceId,
      requestedBy,
      databaseClient: config.database.client,
      recordedAt,
    });
    return complete({ smokeCheck: { recordedAt: recordedAt.toISOString(), databaseClient: config.database.client } });
  },
});
