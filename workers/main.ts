import { loadConfig } from '../server/config';
import { migrateLatest, openDatabase } from '../server/db';
import { createEngineClient } from '../server/engine/client';
import { EngineSupervisor } from '../server/engine/supervisor';
import { syncInstance } from '../server/inbox/sync';
import { createLogger } from '../server/log';
import { allWorkers } from './index';
import { startWorkers, type RunningWorkers } from './runtime';

/**
 * `npm run workers`: the external-task workers as a process of their own, for deployments that
 * scale them apart from the API (then start the API with BUDGET_WORKERS_IN_PROCESS=false). After
 * each outcome the instance's new user tasks go straight into the inbox; the API's sweep catches
 * anything else.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'workers');
  const db = await openDatabase(config.database);
  await migrateLatest(db);
  const client = createEngineClient(config.engine);
  const inbox = { db, engine: client, namespace: config.engine.namespace, log };
  let workers: RunningWorkers | undefined;
  const supervisor = new EngineSupervisor(client, log, async () => {
    workers ??= startWorkers(allWorkers, { client, db, log, config, onAdvanced: async (id) => void (await syncInstance(inbox, id)) });
  });
  supervisor.start();
  const shutdown = async (): Promise<void> => {
    supervisor.stop();
    await workers?.close();
    await db.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
