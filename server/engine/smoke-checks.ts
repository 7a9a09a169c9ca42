import type { Knex } from 'knex';
import { readInstant } from '../db';

/**
 * 平台自检 rows: one per run of processes/platform-smoke-check.bpmn, written by its worker and
 * read by POST /api/engine/smoke-checks. A second delivery of the step writes nothing new.
 */
export async function recordSmokeCheck(db: Knex, row: { processInstanceId: string; requestedBy: string; databaseClient: string; recordedAt: Date }): Promise<void> {
  await db('smoke_checks')
    .insert({ process_instance_key: row.processInstanceId, requested_by: row.requestedBy, database_client: row.databaseClient, recorded_at: row.recordedAt })
    .onConflict('process_instance_key')
    .ignore();
}

export async function findSmokeCheck(db: Knex, processInstanceId: string): Promise<{ recordedAt: Date; databaseClient: string } | undefined> {
  const row = (await db('smoke_checks').where({ process_instance_key: processInstanceId }).first('recorded_at', 'database_client')) as { recorded_at: unknown; database_client: string } | undefined;
  return row && { recordedAt: readInstant(row.recorded_at), databaseClient: row.database_client };
}
