import { z } from 'zod';
import { complete, defineWorker } from './types';

/**
 * 平台自检: proves the loop engine → worker → database → engine works. Writes one row per
 * process instance (a second delivery of the job writes nothing new).
 */
const input = z.object({
  requestedBy: z.string().min(1).max(100),
});

export const platformSmokeCheck = defineWorker({
  topic: 'platform.record-smoke-check',
  description: '记录一次平台自检（引擎 → 作业处理器 → 数据库）',
  input,
  async handle({ requestedBy }, { trx, task, config }) {
    const recordedAt = new Date();
    await trx('smoke_checks')
      .insert({
        process_instance_key: task.processInstanceId,
        requested_by: requestedBy,
        database_client: config.database.client,
        recorded_at: recordedAt,
      })
      .onConflict('process_instance_key')
      .ignore();
    return complete({ smokeCheck: { recordedAt: recordedAt.toISOString(), databaseClient: config.database.client } });
  },
});
