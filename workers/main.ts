import { loadConfig } from '../server/config';
import { migrateLatest, openDatabase } from '../server/db';
import { createEngineClient } from '../server/engine/client';
import { EngineSupervisor } from '../server/engine/supervisor';
import { createLogger } from '../server/log';
import { allWorkers } from './index';
import { startUserTaskWorker } from '../server/inbox/user-task-worker';
import { startWorkers, type RunningWorkers } from './runtime';

/**
 * `npm run workers`: the job workers as a process of their own, for deployments that scale them
 * apart from the API (then start the API with BUDGET_WORKERS_IN_PROCESS=false).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'workers');
  const db = await openDatabase(config.database);
  await migrateLatest(db);
  const client = createEngineClient(config.engine);
  let workers: RunningWorkers | undefined;
  let userTasks: ReturnType<typeof startUserTaskWorker> | undefined;
  const supervisor = new EngineSupervisor(client, log, async () => {
    if (!workers) {
      workers = startWorkers(allWorkers, { client, db, log, config });
      userTasks = startUserTaskWorker({ client, db, log, namespace: config.engine.namespace });
    }
  });
  supervisor.start();
  const shutdown = async (): Promise<void> => {
    supervisor.stop();
    await workers?.close();
    await userTasks?.close(10_000).catch(() => null);
    await client.close(5000).catch(() => null);
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
