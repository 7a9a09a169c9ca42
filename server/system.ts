import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { allWorkers } from '../workers';
import { startWorkers, type RunningWorkers } from '../workers/runtime';
import type { JobWorkerDefinition } from '../workers/types';
import { createApp } from './api/app';
import type { AppConfig } from './config';
import { PROJECT_ROOT } from './config';
import { migrateLatest, openDatabase, type Db } from './db';
import { seedDemoUsers } from './auth/demo-users';
import { seedDemoProjects } from './projects/demo';
import { startUserTaskWorker } from './inbox/user-task-worker';
import { checkpointIfDue } from './audit/service';
import { platformKey } from './seals/platform-key';
import { seedReferenceData } from './reference/seed';
import { fiscalYearOf } from '../domain/time';
import { createEngineClient, type EngineClient } from './engine/client';
import { deployProcesses } from './engine/deploy';
import { EngineSupervisor } from './engine/supervisor';
import { createLogger, type Logger } from './log';

export interface System {
  config: AppConfig;
  log: Logger;
  db: Db;
  engine: EngineClient;
  supervisor: EngineSupervisor;
  app: Express;
  server: http.Server;
  url: string;
  /** Resolves when migrations ran and, once the engine answered, models were deployed and workers started. */
  ready: Promise<void>;
  /** Resolves when the migrations ran (the engine may still be away). */
  databaseReady: Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Worker definitions to run (default: every worker in workers/). */
  workers?: JobWorkerDefinition[];
  log?: Logger;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require(`${PROJECT_ROOT}/package.json`) as { version: string }).version;

/**
 * Starts API, database and (once the engine answers) deployment and workers. Neither a missing
 * database nor a missing engine stops the API from answering: /api/health says what is down.
 */
export async function startSystem(config: AppConfig, options: StartOptions = {}): Promise<System> {
  const log = options.log ?? createLogger(config.logLevel);
  const db = await openDatabase(config.database, log.child({ component: 'db' }));
  const engine = createEngineClient(config.engine);
  let workers: RunningWorkers | undefined;
  let userTasks: ReturnType<typeof startUserTaskWorker> | undefined;

  const databaseReady = retry(log, '数据库迁移', async () => {
    const applied = await migrateLatest(db);
    if (applied.length > 0) log.info({ applied }, '数据库迁移已执行');
    if (config.demoData) await seedDemoIfEmpty(db, log);
  });

  const supervisor = new EngineSupervisor(engine, log.child({ component: 'engine' }), async () => {
    await databaseReady.promise;
    if (config.deployOnStart) {
      const deployed = await deployProcesses(engine, db, config.engine.namespace);
      log.info({ resources: deployed.map((d) => `${d.id}@v${d.version}`) }, '流程模型已部署');
    }
    if (config.workersInProcess && !workers) {
      workers = startWorkers(options.workers ?? allWorkers, { client: engine, db, log: log.child({ component: 'workers' }), config });
      userTasks = startUserTaskWorker({ client: engine, db, log: log.child({ component: 'inbox' }), namespace: config.engine.namespace });
    }
  });
  supervisor.start();

  // Signed checkpoints of the audit chain, without anyone asking (server/audit/service.ts).
  const checkpoints = setInterval(() => {
    void databaseReady.promise
      .then(async () => checkpointIfDue(db, await platformKey(db, config.sealSecret)))
      .then((cp) => cp && log.info({ seq: cp.checkpoint.seq }, '审计链检查点已签署'))
      .catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, '审计链检查点签署失败，下一分钟重试'));
  }, 60_000);
  checkpoints.unref();

  const app = createApp({ config, db, engine, supervisor, version: VERSION, log });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      supervisor.stop();
      clearInterval(checkpoints);
      await databaseReady.cancel();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (workers) await workers.close();
      if (userTasks) await userTasks.close(10_000).catch(() => null);
      await engine.close(5000).catch(() => null);
      await db.destroy();
    })());

  return { config, log, db, engine, supervisor, app, server, url, ready: supervisor.ready(), databaseReady: databaseReady.promise, stop };
}

/**
 * An empty database (no accounts yet) gets the reference data and the demo organisations and
 * accounts (README lists them), so a newcomer can log in at once. Never in production.
 */
async function seedDemoIfEmpty(db: Db, log: Logger): Promise<void> {
  const [row] = (await db('users').count({ n: '*' })) as Array<{ n: number | string }>;
  if (Number(row?.n) > 0) return;
  const year = fiscalYearOf(new Date());
  const reference = await seedReferenceData(db, { year });
  const users = await seedDemoUsers(db);
  const projects = await seedDemoProjects(db, year);
  log.info({ year, reference, users, projects }, '空数据库：已载入演示数据（组织机构、科目、演示账号、演示项目）');
}

/** Runs `fn` until it succeeds, backing off up to 30 s, logging each failure. */
function retry(log: Logger, what: string, fn: () => Promise<void>): { promise: Promise<void>; cancel(): Promise<void> } {
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const promise = new Promise<void>((resolve) => {
    let attempt = 0;
    const tryOnce = async (): Promise<void> => {
      if (cancelled) return;
      attempt += 1;
      try {
        inFlight = fn();
        await inFlight;
        resolve();
      } catch (err) {
        if (cancelled) return;
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5));
        log.error({ attempt, retryInMs: delay, error: err instanceof Error ? err.message : String(err) }, `${what}失败，稍后重试`);
        timer = setTimeout(() => void tryOnce(), delay);
      }
    };
    void tryOnce();
  });
  return {
    promise,
    /** Stops retrying and waits for an attempt under way, so nothing runs on a closed pool. */
    cancel: async () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
      await inFlight.catch(() => undefined);
    },
  };
}
