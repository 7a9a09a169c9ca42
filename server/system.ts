import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from './api/app';
import type { AppConfig } from './config';
import { PROJECT_ROOT } from './config';
import { migrateLatest, openDatabase, type Db } from './db';
import { seedDemoUsers } from './auth/demo-users';
import { seedDemoProjects } from './projects/demo';
import { seedDemoExperts } from './expert-review/demo';
import { sealPlaintextPhones } from './expert-review/contact';
import { fieldKeyring } from './crypto/keyring';
import type { FieldKeyring } from '../domain/field-cipher';
import { seedDemoPerformanceGrades } from './allocation/demo';
import { startReconciliation, syncInstance, type Reconciler } from './inbox/sync';
import { checkpointIfDue } from './audit/service';
import { pruneRateLimitCounters } from './auth/rate-limit';
import { pruneLoginChallenges } from './auth/second-factor';
import { platformKey } from './seals/platform-key';
import { seedReferenceData } from './reference/seed';
import { fiscalYearOf } from '../domain/time';
import { createEngineClient, type EngineClient } from './engine/client';
import { deployProcesses } from './engine/deploy';
import { startTrialSweeper } from './designer/trial';
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
  /** The inbox's reconciliation sweep, once the engine answered (tests run a pass at will). */
  reconciler(): Reconciler | undefined;
  stop(): Promise<void>;
}

/**
 * What runs the external-task workers. The entry points (scripts/start.ts, workers/main.ts, the
 * tests) pass it in: server/ does not import workers/.
 */
export type WorkerStarter = (deps: {
  engine: EngineClient;
  db: Db;
  log: Logger;
  config: AppConfig;
  onAdvanced: (processInstanceId: string) => Promise<void>;
}) => { close(): Promise<void> };

export interface StartOptions {
  /** Starts the workers once the engine answered (when BUDGET_WORKERS_IN_PROCESS is on). */
  workers?: WorkerStarter;
  log?: Logger;
  /** How often the inbox is reconciled with the engine (default 3 s). */
  reconcileEveryMs?: number;
  /** Process keys the sweep watches beyond those of processes/ (models deployed by hand, in tests). */
  reconcileKeys?: string[];
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
  let workers: { close(): Promise<void> } | undefined;
  let reconciliation: ReturnType<typeof startReconciliation> | undefined;
  let trials: { stop(): void } | undefined;
  const inbox = { db, engine, namespace: config.engine.namespace, log: log.child({ component: 'inbox' }) };
  const onAdvanced = async (processInstanceId: string): Promise<void> => {
    await syncInstance(inbox, processInstanceId);
  };

  const databaseReady = retry(log, '数据库迁移', async () => {
    const applied = await migrateLatest(db);
    if (applied.length > 0) log.info({ applied }, '数据库迁移已执行');
    const sealedPhones = await sealPlaintextPhones(db, fieldKeyring(config));
    if (sealedPhones) log.info({ sealedPhones }, '专家联系电话已改为加密存储（SM4）');
    if (config.demoData) await seedDemoIfEmpty(db, log, fieldKeyring(config));
  });

  const supervisor = new EngineSupervisor(engine, log.child({ component: 'engine' }), async () => {
    await databaseReady.promise;
    if (config.deployOnStart) {
      const deployed = await deployProcesses(
        engine,
        db,
        {
          namespace: config.engine.namespace,
          historyTtlDays: config.engine.historyTtlDays,
        },
        { log },
      );
      log.info({ resources: deployed.map((d) => `${d.id}@v${d.version}`) }, '流程模型已部署');
    }
    if (config.workersInProcess && options.workers && !workers) {
      workers = options.workers({ engine, db, log: log.child({ component: 'workers' }), config, onAdvanced });
    }
    reconciliation ??= startReconciliation(inbox, options.reconcileEveryMs ?? 3000, options.reconcileKeys);
    // 试运行: the trial worker answers sandbox external tasks; old trials are deleted (server/designer/trial.ts).
    trials ??= startTrialSweeper({ engine, namespace: config.engine.namespace }, log.child({ component: 'trials' }));
  });
  supervisor.start();

  // Signed checkpoints of the audit chain, without anyone asking (server/audit/service.ts).
  const checkpoints = setInterval(() => {
    void databaseReady.promise
      .then(async () => checkpointIfDue(db, await platformKey(db, config.sealSecret)))
      .then((cp) => cp && log.info({ seq: cp.checkpoint.seq }, '审计链检查点已签署'))
      .catch((err: unknown) => log.warn({ error: err instanceof Error ? err.message : String(err) }, '审计链检查点签署失败，下一分钟重试'));
    // Rate-limit windows nobody reads any more (server/auth/rate-limit.ts).
    void databaseReady.promise.then(() => pruneRateLimitCounters(db)).catch(() => undefined);
    // Second-factor challenges past their 5 minutes (server/auth/second-factor.ts).
    void databaseReady.promise.then(() => pruneLoginChallenges(db)).catch(() => undefined);
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
      trials?.stop();
      await databaseReady.cancel();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (workers) await workers.close();
      if (reconciliation) await reconciliation.stop();
      await db.destroy();
    })());

  return {
    config,
    log,
    db,
    engine,
    supervisor,
    app,
    server,
    url,
    ready: supervisor.ready(),
    databaseReady: databaseReady.promise,
    reconciler: () => reconciliation?.reconciler,
    stop,
  };
}

/**
 * An empty database (no accounts yet) gets the reference data and the demo organisations and
 * accounts (README lists them), so a newcomer can log in at once. Never in production.
 */
async function seedDemoIfEmpty(db: Db, log: Logger, ring: FieldKeyring): Promise<void> {
  const [row] = (await db('users').count({ n: '*' })) as Array<{ n: number | string }>;
  if (Number(row?.n) > 0) return;
  const year = fiscalYearOf(new Date());
  const reference = await seedReferenceData(db, { year });
  const users = await seedDemoUsers(db);
  const projects = await seedDemoProjects(db, year);
  const experts = await seedDemoExperts(db, ring);
  const grades = await seedDemoPerformanceGrades(db, year);
  log.info(
    { year, reference, users, projects, experts, grades },
    '空数据库：已载入演示数据（组织机构、科目、演示账号、演示项目、专家库、上年绩效评价等级）',
  );
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
