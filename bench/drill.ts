/**
 * Fault drill: `npm run drill` (issue 15 item 7). A flow of DRILL_APPLICATIONS (N, default 20)
 * intake applications is driven through the API by bots — 王芳 submits (送审), 李娜, 陈静 and 刘洋
 * poll their 待办 and complete with a sealed signature — while the drill kills (SIGKILL) the app
 * process, the workers process (`workers/main.ts`, the API runs with BUDGET_WORKERS_IN_PROCESS=false)
 * and the engine at random points, DRILL_KILLS (K, default 3) times each (DRILL_APP_KILLS,
 * DRILL_WORKER_KILLS, DRILL_ENGINE_KILLS for one kind), restarting each at once.
 * The random points come from DRILL_SEED (default 1): the order of the kills and the pause before
 * each (DRILL_MIN_GAP_MS … DRILL_MAX_GAP_MS after the last restart, default 500 … 5000).
 *
 * After each restart (once the inbox had DRILL_SETTLE_MS to catch up) and at the end the drill
 * prints the counts that must be zero:
 *   lost            engine user tasks open that the inbox does not show open
 *   ghost           inbox tasks open that the engine no longer has open
 *   duplicated      engine tasks recorded twice in the inbox; a project with two intake instances;
 *                   two open tasks of one step in one instance
 *   status mismatch inbox tasks canceled that the engine completed (or the reverse)
 *   double records  task completions with more than one timeline/audit record, external tasks with
 *                   more than one stored outcome, journal entries sharing an idempotency key
 *   completing      inbox rows in "completing" (after each restart: those older than the heal time)
 *   unrecorded      engine instances of a project with no process_instances row
 *   stuck           (end) instances not ended, projects not 入库, incidents
 *   chain           the audit chain verifies (server/audit/verify.ts verifyChain)
 *
 * The app database is a fresh one on DATABASE_URL's server (SQLite when unset), the engine a
 * drill engine of its own (ENGINE_HOME/drill, a free port; H2, or `<app db>_engine` on MySQL),
 * all removed afterwards. Children's logs go to DRILL_LOG_DIR (default a temporary folder, kept
 * and named when a count is not zero). Figures only here; test/integration/fault-drill.test.ts
 * runs a small drill and asserts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { seedDemoUsers, DEMO_PASSWORD } from '../server/auth/demo-users';
import { loadConfig, PROJECT_ROOT, type DatabaseConfig } from '../server/config';
import { migrateLatest, openDatabase, type Db } from '../server/db';
import { EngineClient } from '../server/engine/client';
import {
  ensureEngineRunning,
  resetEngineData,
  runningEngine,
  serverDatabaseParts,
  stopEngine,
  withDatabaseName,
  type LocalEngineConfig,
} from '../server/engine/launcher';
import { namespaced } from '../server/engine/namespace';
import { createLogger } from '../server/log';
import { seedReferenceData } from '../server/reference';
import { platformKey } from '../server/seals/platform-key';
import { verifyChain } from '../server/audit/verify';
import { issueQuota } from '../server/ledger/service';
import { startBankSimulator, type BankSimulator } from '../scripts/bank-simulator';
import { loginCookie } from '../test/support/accounts';
import { demoApplication } from '../test/support/intake';

export interface DrillOptions {
  applications: number;
  /** 用款申请 of 王芳 against two quotas of her unit, approved by 孙丽 (国库处) and paid through the bank simulator. */
  payments: number;
  /** SIGKILLs of each kind, in a random order. */
  kills: Record<Kind, number>;
  seed: number;
  minGapMs: number;
  maxGapMs: number;
  /** How long the inbox may take to catch up after a restart before the counts are taken. */
  settleMs: number;
  /** The flow (from the first 送审, after the start-up) must end within this. */
  timeoutMs: number;
  logDir?: string;
  print?: (line: string) => void;
}

export interface DrillCounts {
  lost: number;
  ghost: number;
  duplicated: number;
  statusMismatch: number;
  doubleRecords: number;
  completing: number;
  unrecorded: number;
  chainOk: boolean;
  chainRecords: number;
  /** Journal entries of the drill's quotas written twice: one (reference, kind) with two rows. */
  ledgerTwice: number;
  /**
   * Quotas whose figures do not add up to the fen: frozen + used + available ≠ amount, a column ≠ the
   * sum of its journal's deltas or the last entry's balance, or frozen + used ≠ the requests that hold money.
   */
  balanceOff: number;
  /** Requests with two payment orders, payees the bank took two orders for. */
  paidTwice: number;
  /** Orders created/sending and requests in approval with no instance, for longer than the heal time (at the end: any order not 已到账). */
  paymentsStuck: number;
  /** Figures (not to be zero): requests filed, orders 已到账. */
  paymentsFiled: number;
  paymentsPaid: number;
}

export interface DrillFinal extends DrillCounts {
  instancesNotEnded: number;
  projectsNotReserved: number;
  incidents: number;
  engineTasksOpen: number;
  /** Requests not 已到账 at the end (every payee account pays). */
  paymentsNotPaid: number;
}

export interface DrillReport {
  options: DrillOptions;
  kills: Array<{ kind: Kind; atMs: number; restartMs: number; counts: DrillCounts }>;
  final: DrillFinal;
  seconds: number;
  completions: number;
  submits: number;
  /** 用款申请 filed and approved (accepted answers). */
  paymentsFiled: number;
  paymentsApproved: number;
  botErrors: Record<string, number>;
  healed: { reopened: number; healed: number; resubmitted: number };
  logDir: string;
}

export type Kind = 'app' | 'workers' | 'engine';
const PIN = '602918';
const PROCESS_ID = 'project-intake';
const PAYMENT_PROCESSES = ['payment-approval', 'treasury-payment'];
const UNIT_CODE = '150100-JY-001'; // 呼和浩特市第一中学, 王芳's unit
/** The n-th request's amount (fen): odd amounts, so a fen lost or doubled shows. */
const paymentAmount = (i: number): number => 1_234_56 + i * 1_07 + (i % 3);
/** One payee account per request (the bank simulator pays any tail but 9001…9009). */
const payeeAccount = (i: number): string => `6222 0212 3456 7${String(i).padStart(3, '0')}`;

/** What the payment counts look at: the drill's quotas and the bank. */
interface PayContext {
  quotaIds: number[];
  sim: BankSimulator;
  paymentsExpected: number;
}
const STEPS = [
  { elementId: 'DepartmentReview', username: 'nm_dept_jy', form: { decision: 'approve', comment: '同意' } },
  { elementId: 'SectorReview', username: 'nm_jkw', form: { decision: 'approve', countersign: false, comment: '符合方向' } },
  { elementId: 'BudgetDecision', username: 'nm_ysk', form: { decision: 'admit' } },
] as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so a drill's random points can be run again. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

class Tally {
  readonly counts: Record<string, number> = {};
  add(what: string): void {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }
}

/** A child process of the drill (the API, the workers), started again after each kill. */
class Child {
  private proc: ChildProcess | undefined;
  private out: number | undefined;
  constructor(
    private readonly name: string,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  start(): void {
    this.out = fs.openSync(this.logFile, 'a');
    fs.writeSync(this.out, `\n----- ${new Date().toISOString()} start ${this.name}\n`);
    // Node with tsx's loader, not tsx's CLI: the CLI runs the script in a child process of its own,
    // which a SIGKILL of the CLI would leave running (the kill would not be one).
    const tsx = path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist');
    this.proc = spawn(
      process.execPath,
      [
        '--require',
        path.join(tsx, 'preflight.cjs'),
        '--import',
        pathToFileURL(path.join(tsx, 'loader.mjs')).href,
        path.join(PROJECT_ROOT, this.script),
      ],
      {
        env: this.env,
        cwd: PROJECT_ROOT,
        stdio: ['ignore', this.out, this.out],
      },
    );
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
    if (this.out !== undefined) fs.closeSync(this.out);
    this.out = undefined;
  }

  /** SIGTERM (a clean stop at the end). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([gone, sleep(20_000)]);
    await this.kill();
  }
}

interface Bot {
  username: string;
  cookie: string;
}

export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const print = options.print ?? ((l: string) => console.log(l));
  const random = rng(options.seed);
  const t0 = Date.now();
  const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const suffix = crypto.randomBytes(4).toString('hex');
  const logDir = options.logDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'drill-'));
  fs.mkdirSync(logDir, { recursive: true });

  // The app database, fresh.
  let database: DatabaseConfig;
  let databaseUrl: string;
  let dropApp: () => Promise<void>;
  if (base.database.client === 'sqlite') {
    const file = path.join(logDir, 'drill.sqlite');
    database = { client: 'sqlite', filename: file };
    databaseUrl = `sqlite://${file}`;
    dropApp = async () => fs.rmSync(file, { force: true });
  } else {
    const name = `budget_drill_${suffix}`;
    const url = new URL(base.database.url);
    url.pathname = `/${name}`;
    database = { client: 'mysql', url: url.toString(), database: name };
    databaseUrl = url.toString();
    dropApp = async () => {
      url.pathname = '/';
      const admin = knexFactory({
        client: 'mysql2',
        connection: { uri: url.toString() } as Knex.MySql2ConnectionConfig & { uri: string },
        pool: { min: 0, max: 1 },
      });
      await admin.raw('DROP DATABASE IF EXISTS ??', [name]).finally(() => admin.destroy());
    };
  }

  // The drill's own engine.
  const home = path.join(base.engine.local.home, `drill-${suffix}`);
  const server = serverDatabaseParts(base.engine.local.database);
  const engineLocal: LocalEngineConfig = {
    ...base.engine.local,
    home,
    dataDir: path.join(home, 'data'),
    logFile: path.join(logDir, 'engine.log'),
    port: await freePort(),
    javaOpts: '-Xms128m -Xmx512m',
    database:
      database.client === 'mysql' && server
        ? withDatabaseName(base.engine.local.database, `budget_drill_${suffix}_engine`)
        : { kind: 'h2', jdbcUrl: `jdbc:h2:file:${path.join(home, 'data', 'engine')}`, user: 'sa', password: '' },
  };
  const launcherLog = createLogger('warn');
  const restUrl = `http://127.0.0.1:${engineLocal.port}/engine-rest`;
  const engine = new EngineClient(restUrl, { timeoutMs: 30_000 });
  const namespace = `dr${suffix}`;
  const key = namespaced(namespace, PROCESS_ID);
  const appPort = await freePort();
  const appUrl = `http://127.0.0.1:${appPort}`;
  // The bank is outside the drill's kills (a bank's front end is not ours to kill): it pays every
  // order after a short delay and retries its notices until the app answers 2xx.
  const sim = await startBankSimulator({ secret: base.bank.secret, noticeDelayMs: 200, retryMs: 200, maxRetryMs: 2000 });
  const paymentKeys = PAYMENT_PROCESSES.map((p) => namespaced(namespace, p));

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env))
    if (
      k.startsWith('ENGINE_') ||
      k.startsWith('BUDGET_') ||
      k === 'DATABASE_URL' ||
      k === 'SQLITE_FILE' ||
      k.startsWith('JEST') ||
      k === 'NODE_OPTIONS'
    )
      delete env[k];
  Object.assign(env, {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.DRILL_LOG_LEVEL ?? 'warn',
    DATABASE_URL: databaseUrl,
    ENGINE_URL: restUrl,
    BUDGET_ENGINE_NAMESPACE: namespace,
    BUDGET_DEMO_DATA: 'false',
    BUDGET_WORKERS_IN_PROCESS: 'false',
    BUDGET_HISTORY_TTL_DAYS: '1',
    BUDGET_BANK_URL: sim.url,
    BUDGET_BANK_SECRET: base.bank.secret,
    // An order whose notice a kill swallowed is asked for (查询) after a minute, not after 30.
    BUDGET_BANK_NOTICE_TIMEOUT: 'PT1M',
  });
  const app = new Child(
    'app',
    'scripts/start.ts',
    { ...env, PORT: String(appPort), BUDGET_NODE_NAME: 'drill-app' },
    path.join(logDir, 'app.log'),
  );
  const workers = new Child('workers', 'workers/main.ts', { ...env, BUDGET_NODE_NAME: 'drill-workers' }, path.join(logDir, 'workers.log'));

  let db: Db | undefined;
  const report: DrillReport = {
    options,
    kills: [],
    final: undefined as unknown as DrillFinal,
    seconds: 0,
    completions: 0,
    submits: 0,
    paymentsFiled: 0,
    paymentsApproved: 0,
    botErrors: {},
    healed: { reopened: 0, healed: 0, resubmitted: 0 },
    logDir,
  };
  const stopBots = { stopped: false };
  // The last review step waits until every planned kill has been made: a short flow would otherwise
  // end before its kills (it did in CI: 3 applications through in 6 s, 4 of 5 kills left out), and
  // the drill would prove nothing about them. The kills still land while tasks are in flight.
  const gate = { holdLast: true };
  let bots: Promise<void>[] = [];
  try {
    db = await openDatabase(database);
    await migrateLatest(db);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);

    await resetEngineData(engineLocal);
    await ensureEngineRunning(engineLocal, launcherLog);
    app.start();
    workers.start();
    await waitHealthy(appUrl, 180_000);

    // The people: sessions are server-side, so their cookies outlive the app's restarts.
    const people = new Map<string, Bot>();
    const sealed = [...STEPS.map((s) => s.username), 'nm_gkk'];
    for (const u of ['nm_clerk_yz', ...sealed]) people.set(u, { username: u, cookie: await loginCookie(appUrl, u, DEMO_PASSWORD) });
    for (const u of sealed) {
      const r = await call(appUrl, people.get(u)!, 'POST', '/seals/enrol', { pin: PIN });
      if (r.status !== 201) throw new Error(`enrol ${u}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // Two quotas of the unit (issued in the ledger, not what is tested), the requests alternating between them.
    const unit = (await db('organisations').where({ code: UNIT_CODE }).first('id')) as { id: number } | undefined;
    if (!unit) throw new Error(`no organisation ${UNIT_CODE}`);
    const pay: PayContext = { quotaIds: [], sim, paymentsExpected: options.payments };
    for (let q = 0; q < 2; q++) {
      let sum = 0;
      for (let i = q; i < options.payments; i += 2) sum += paymentAmount(i);
      const issued = await issueQuota(db, {
        fiscalYear: 2026,
        unitOrgId: Number(unit.id),
        functionalCode: '2050204',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: `故障演练〔2026〕${q + 1}号`,
        amountFen: sum + 5_000_00 + q,
        actor: 'drill',
        reason: '故障演练指标',
        idempotencyKey: `drill-quota-${suffix}-${q}`,
      });
      pay.quotaIds.push(issued.quota.id);
    }
    // The drafts are filed before the drill (not what is tested); 送审 and the reviews are.
    const clerk = people.get('nm_clerk_yz')!;
    const projects: number[] = [];
    for (let i = 0; i < options.applications; i++) {
      const r = await call(appUrl, clerk, 'POST', '/projects', demoApplication(`第一中学故障演练项目${i + 1}号`, `故障演练第 ${i + 1} 号`));
      if (r.status !== 201) throw new Error(`POST /projects: ${r.status} ${JSON.stringify(r.body)}`);
      projects.push(Number(r.body.id));
    }

    const errors = new Tally();
    // 王芳 submits each draft; a request cut off by a kill is looked at again (the project's status says whether it went through).
    bots.push(
      (async () => {
        for (const id of projects) {
          for (let attempt = 0; !stopBots.stopped; attempt++) {
            const p = await call(appUrl, clerk, 'GET', `/projects/${id}`).catch(() => null);
            if (!p || p.status !== 200) {
              errors.add(`submit: read ${p?.status ?? 'network'}`);
              await sleep(500);
              continue;
            }
            if (p.body.status !== 'draft') break;
            if (attempt > 0) report.healed.resubmitted += 1;
            const r = await call(appUrl, clerk, 'POST', `/projects/${id}/submit`, { version: p.body.version }).catch((e: unknown) => ({
              status: 0,
              body: { error: { code: String((e as Error).message) } },
            }));
            if (r.status === 200) {
              report.submits += 1;
              break;
            }
            errors.add(`submit: ${r.status || 'network'} ${r.body?.error?.code ?? ''}`.trim());
            await sleep(300 + random() * 700);
          }
        }
      })(),
    );
    for (const step of STEPS) {
      const bot = people.get(step.username)!;
      bots.push(
        (async () => {
          while (!stopBots.stopped) {
            if (step === STEPS[STEPS.length - 1] && gate.holdLast) {
              await sleep(300);
              continue;
            }
            const todo = await call(appUrl, bot, 'GET', '/tasks?box=todo&pageSize=100').catch(() => null);
            if (!todo || todo.status !== 200) {
              errors.add(`${step.elementId} poll: ${todo?.status ?? 'network'}`);
              await sleep(500);
              continue;
            }
            const mine = (todo.body.items as Array<{ id: number; elementId: string; projectId: number }>).filter(
              (t) => t.elementId === step.elementId && projects.includes(t.projectId),
            );
            let failed = false;
            for (const t of mine) {
              if (stopBots.stopped || failed) break;
              const r = await call(appUrl, bot, 'POST', `/tasks/${t.id}/complete`, { data: step.form, signingPin: PIN }).catch(
                (e: unknown) => ({ status: 0, body: { error: { code: String((e as Error).message) } } }),
              );
              if (r.status === 200) report.completions += 1;
              else {
                errors.add(`${step.elementId} complete: ${r.status || 'network'} ${r.body?.error?.code ?? ''}`.trim());
                failed = r.status === 0 || r.status >= 500; // the app or the engine is away: poll again in a while
              }
            }
            await sleep(failed ? 1000 : mine.length ? 50 : 300);
          }
        })(),
      );
    }

    // 王芳 files the 用款申请 one after another; a filing cut off by a kill is looked for in her list
    // (by its payee account, one per request) before it is filed again, as a person would check.
    const purposes = new Map<string, number>();
    for (let i = 0; i < options.payments; i++) purposes.set(`故障演练用款第${i + 1}笔`, i);
    bots.push(
      (async () => {
        for (let i = 0; i < options.payments; i++) {
          for (let attempt = 0; !stopBots.stopped; attempt++) {
            if (attempt > 0) {
              const found = await call(
                appUrl,
                clerk,
                'GET',
                `/payments?pageSize=20&payeeAccount=${encodeURIComponent(payeeAccount(i).replace(/\s/g, ''))}`,
              ).catch(() => null);
              if (!found || found.status !== 200) {
                errors.add(`payment: list ${found?.status ?? 'network'}`);
                await sleep(500);
                continue;
              }
              if ((found.body.items as unknown[]).length > 0) {
                report.paymentsFiled += 1;
                break;
              }
            }
            const r = await call(appUrl, clerk, 'POST', '/payments', {
              quotaId: pay.quotaIds[i % 2],
              amountFen: paymentAmount(i),
              payeeName: `故障演练收款单位${i + 1}`,
              payeeKind: 'organisation',
              payeeAccount: payeeAccount(i),
              payeeBank: '中国工商银行呼和浩特新华支行',
              purpose: `故障演练用款第${i + 1}笔`,
              economicCode: '30201',
              paymentType: 'direct',
            }).catch((e: unknown) => ({ status: 0, body: { error: { code: String((e as Error).message) } } }));
            if (r.status === 201) {
              report.paymentsFiled += 1;
              break;
            }
            errors.add(`payment: ${r.status || 'network'} ${r.body?.error?.code ?? ''}`.trim());
            await sleep(300 + random() * 700);
          }
          await sleep(200 + random() * 800);
        }
      })(),
    );
    // 孙丽 (国库处) approves with her seal what waits for her; the second half of the requests only
    // once the kills are made (as the last review step), so the payments too are in flight during them.
    const treasurer = people.get('nm_gkk')!;
    bots.push(
      (async () => {
        while (!stopBots.stopped) {
          const list = await call(appUrl, treasurer, 'GET', '/payments?pageSize=200&status=approving').catch(() => null);
          if (!list || list.status !== 200) {
            errors.add(`payment decision poll: ${list?.status ?? 'network'}`);
            await sleep(500);
            continue;
          }
          let failed = false;
          for (const item of list.body.items as Array<{ id: number; purpose: string }>) {
            const index = purposes.get(item.purpose);
            if (index === undefined || (gate.holdLast && index >= options.payments / 2)) continue;
            if (stopBots.stopped || failed) break;
            const page = await call(appUrl, treasurer, 'GET', `/payments/${item.id}`).catch(() => null);
            if (!page || page.status !== 200 || !page.body.can?.decide) continue; // the risk check or the step is not there yet
            const r = await call(appUrl, treasurer, 'POST', `/payments/${item.id}/decision`, {
              decision: 'approve',
              signingPin: PIN,
            }).catch((e: unknown) => ({ status: 0, body: { error: { code: String((e as Error).message) } } }));
            if (r.status === 200) report.paymentsApproved += 1;
            else {
              errors.add(`payment decision: ${r.status || 'network'} ${r.body?.error?.code ?? ''}`.trim());
              failed = r.status === 0 || r.status >= 500;
            }
          }
          await sleep(failed ? 1000 : 300);
        }
      })(),
    );

    const done = async (): Promise<boolean> => {
      const [row] = (await db!('projects').whereIn('id', projects).where('status', 'reserved').count({ n: '*' })) as Array<{
        n: number | string;
      }>;
      if (Number(row?.n) !== projects.length) return false;
      const paid = (await db!('payment_orders')
        .whereIn('quota_id', pay.quotaIds)
        .where('status', 'paid')
        .countDistinct({ n: 'source_id' })) as Array<{ n: number | string }>;
      return Number(paid[0]?.n) >= options.payments;
    };

    const flowStart = Date.now();
    // The kills: K of each kind, in a random order, each after a random pause.
    const plan: Kind[] = [];
    for (const kind of ['app', 'workers', 'engine'] as const) for (let i = 0; i < options.kills[kind]; i++) plan.push(kind);
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    for (const kind of plan) {
      await sleep(options.minGapMs + random() * (options.maxGapMs - options.minGapMs));
      if (await done()) {
        print(`drill: the flow ended before the ${kind} kill; ${plan.length - report.kills.length} kills left out`);
        break;
      }
      const atMs = Date.now() - t0;
      const r0 = Date.now();
      if (kind === 'app') {
        await app.kill();
        await sleep(random() * 1000);
        app.start();
        await waitHealthy(appUrl, 180_000);
      } else if (kind === 'workers') {
        await workers.kill();
        await sleep(random() * 1000);
        workers.start();
      } else {
        killEngine(engineLocal);
        await sleep(random() * 1000);
        await ensureEngineRunning(engineLocal, launcherLog);
      }
      const restartMs = Date.now() - r0;
      const counts = await settledCounts(db, engine, key, projects, pay, options.settleMs, false);
      report.kills.push({ kind, atMs, restartMs, counts });
      print(
        `drill: kill ${report.kills.length}/${plan.length} ${kind.padEnd(7)} at ${(atMs / 1000).toFixed(1)} s, back in ${(restartMs / 1000).toFixed(1)} s — ${describe(counts)}`,
      );
    }

    gate.holdLast = false;
    // The end: every instance through (a completion cut off at the end is healed once stale).
    const deadline = flowStart + options.timeoutMs;
    while (Date.now() < deadline && !(await done())) await sleep(1000);
    const endDeadline = Math.min(deadline, Date.now() + 90_000);
    let final = await finalCounts(db, engine, key, paymentKeys, projects, pay);
    while (
      Date.now() < endDeadline &&
      (final.completing || final.engineTasksOpen || final.instancesNotEnded || final.lost || final.ghost || final.paymentsNotPaid)
    ) {
      await sleep(2000);
      final = await finalCounts(db, engine, key, paymentKeys, projects, pay);
    }
    stopBots.stopped = true;
    await Promise.all(bots);
    bots = [];
    report.final = final;
    report.botErrors = errors.counts;
    const events = (await db('task_events').whereIn('kind', ['reopened', 'completed']).select('kind', 'data')) as Array<{
      kind: string;
      data: string | null;
    }>;
    report.healed.reopened = events.filter((e) => e.kind === 'reopened').length;
    report.healed.healed = events.filter((e) => e.kind === 'completed' && e.data && JSON.parse(e.data).recovered).length;
    report.seconds = Math.round((Date.now() - t0) / 100) / 10;
    print(
      `drill: end after ${report.seconds} s — ${describe(final)}; instances not ended ${final.instancesNotEnded}, projects not 入库 ${final.projectsNotReserved}, incidents ${final.incidents}, engine tasks open ${final.engineTasksOpen}`,
    );
    print(
      `drill: ${report.submits} 送审 and ${report.completions} completions accepted; ${report.healed.resubmitted} 送审 repeated, ${report.healed.reopened} completions reopened and ${report.healed.healed} finished by the sweep`,
    );
    print(
      `drill: ${report.paymentsFiled} 用款申请 filed and ${report.paymentsApproved} approvals accepted; ${final.paymentsPaid} orders 已到账; the bank took ${sim.orders().length} orders`,
    );
    print(`drill: bot errors (retried): ${JSON.stringify(report.botErrors)}`);
    return report;
  } finally {
    stopBots.stopped = true;
    await Promise.all(bots).catch(() => undefined);
    await app.stop().catch(() => undefined);
    await workers.stop().catch(() => undefined);
    await stopEngine(engineLocal, launcherLog, 10_000).catch(() => false);
    await sim.stop().catch(() => undefined);
    await db?.destroy().catch(() => undefined);
    const bad = !report.final || countsBad(report.final);
    if (!bad || process.env.DRILL_KEEP !== '1') {
      await dropApp().catch(() => undefined);
      const parts = serverDatabaseParts(engineLocal.database);
      if (parts) {
        const url = new URL(databaseUrl);
        url.pathname = '/';
        const admin = knexFactory({
          client: 'mysql2',
          connection: { uri: url.toString() } as Knex.MySql2ConnectionConfig & { uri: string },
          pool: { min: 0, max: 1 },
        });
        await admin
          .raw('DROP DATABASE IF EXISTS ??', [parts.database])
          .finally(() => admin.destroy())
          .catch(() => undefined);
      }
      fs.rmSync(home, { recursive: true, force: true });
    }
    if (bad) print(`drill: logs of the children in ${logDir}`);
    else if (!options.logDir) fs.rmSync(logDir, { recursive: true, force: true });
  }
}

export function countsBad(c: DrillCounts & Partial<DrillFinal>): boolean {
  return Boolean(
    c.lost ||
    c.ghost ||
    c.duplicated ||
    c.statusMismatch ||
    c.doubleRecords ||
    c.completing ||
    c.unrecorded ||
    !c.chainOk ||
    c.ledgerTwice ||
    c.balanceOff ||
    c.paidTwice ||
    c.paymentsStuck ||
    c.paymentsNotPaid ||
    c.instancesNotEnded ||
    c.projectsNotReserved ||
    c.incidents,
  );
}

function describe(c: DrillCounts): string {
  return `lost ${c.lost}, ghost ${c.ghost}, duplicated ${c.duplicated}, status mismatch ${c.statusMismatch}, written twice ${c.doubleRecords}, completing ${c.completing}, unrecorded instances ${c.unrecorded}, chain ${c.chainOk ? 'verifies' : 'BROKEN'} (${c.chainRecords} records); payments: ${c.paymentsFiled} filed, ${c.paymentsPaid} 已到账, ledger entries twice ${c.ledgerTwice}, balances off ${c.balanceOff}, paid twice ${c.paidTwice}, stuck ${c.paymentsStuck}`;
}

/** SIGKILL to the engine's process group (started detached by the launcher). */
function killEngine(local: LocalEngineConfig): void {
  const info = runningEngine(local);
  if (!info) return;
  try {
    process.kill(-info.pid, 'SIGKILL');
  } catch {
    process.kill(info.pid, 'SIGKILL');
  }
  const until = Date.now() + 10_000;
  while (runningEngine(local) && Date.now() < until) {
    /* the launcher's next start removes the stale pid file */
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field as they come
async function call(base: string, bot: Bot, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api${p}`, {
    method,
    headers: { 'content-type': 'application/json', cookie: bot.cookie },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    parsed = { raw: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

/** Until the API answers /api/health with the engine up (200). */
async function waitHealthy(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      /* not yet */
    }
    await sleep(300);
  }
  throw new Error(`the app at ${base} was not healthy within ${timeoutMs / 1000} s`);
}

/** The counts after a restart, once they came to rest (lost and ghost tasks need the sweep) or settleMs passed. */
async function settledCounts(
  db: Db,
  engine: EngineClient,
  key: string,
  projects: number[],
  pay: PayContext,
  settleMs: number,
  end: boolean,
): Promise<DrillCounts> {
  const deadline = Date.now() + settleMs;
  let c = await counts(db, engine, key, projects, pay, end);
  while (Date.now() < deadline && (c.lost || c.ghost || c.statusMismatch || c.unrecorded)) {
    await sleep(1000);
    c = await counts(db, engine, key, projects, pay, end);
  }
  return c;
}

const num = (rows: unknown): number => Number((rows as Array<{ n: number | string }>)[0]?.n ?? 0);

async function counts(db: Db, engine: EngineClient, key: string, projects: number[], pay: PayContext, end: boolean): Promise<DrillCounts> {
  // Engine first, then the inbox: a task the engine creates in between is not counted lost.
  const engineOpen = await engine.tasks({ processDefinitionKey: key, maxResults: 10_000 });
  const openRows = (await db('inbox_tasks')
    .whereIn('business_id', projects)
    .whereIn('status', ['open', 'completing'])
    .select('engine_task_id', 'status', 'completing_at')) as Array<{ engine_task_id: string; status: string; completing_at: unknown }>;
  const engineOpenNow = new Set((await engine.tasks({ processDefinitionKey: key, maxResults: 10_000 })).map((t) => t.id));
  const inboxOpen = new Set(openRows.map((r) => r.engine_task_id));
  const lost = engineOpen.filter((t) => engineOpenNow.has(t.id) && !inboxOpen.has(t.id)).length;
  const ghost = openRows.filter(
    (r) => r.status === 'open' && !engineOpenNow.has(r.engine_task_id) && !engineOpen.some((t) => t.id === r.engine_task_id),
  ).length;

  const dupInbox = num(
    await db
      .from(
        db('inbox_tasks')
          .whereIn('business_id', projects)
          .groupBy('engine_task_id')
          .havingRaw('count(*) > 1')
          .select('engine_task_id')
          .as('d'),
      )
      .count({ n: '*' }),
  );
  const instances = await engine.request<Array<{ id: string; businessKey: string | null; state: string }>>(
    'GET',
    '/history/process-instance',
    { query: { processDefinitionKey: key, maxResults: 10_000 } },
  );
  const perProject = new Map<string, number>();
  for (const i of instances)
    if (i.state !== 'EXTERNALLY_TERMINATED') perProject.set(i.businessKey ?? '', (perProject.get(i.businessKey ?? '') ?? 0) + 1);
  const twoInstances = [...perProject.values()].filter((n) => n > 1).length;
  const perStep = new Map<string, number>();
  for (const t of engineOpen)
    perStep.set(`${t.processInstanceId}/${t.taskDefinitionKey}`, (perStep.get(`${t.processInstanceId}/${t.taskDefinitionKey}`) ?? 0) + 1);
  const twoTasks = [...perStep.values()].filter((n) => n > 1).length;

  // Inbox rows that ended differently from the engine's task.
  const closed = (await db('inbox_tasks')
    .whereIn('business_id', projects)
    .whereIn('status', ['completed', 'canceled'])
    .select('engine_task_id', 'status')) as Array<{ engine_task_id: string; status: string }>;
  let statusMismatch = 0;
  if (closed.length) {
    const history = new Map<string, string | null>();
    for (const i of instances) {
      for (const t of await engine.historicTasks({ processInstanceId: i.id })) history.set(t.id, t.deleteReason ?? null);
    }
    for (const r of closed) {
      const reason = history.get(r.engine_task_id);
      if (reason === undefined) continue;
      if ((r.status === 'completed') !== (reason === 'completed')) statusMismatch += 1;
    }
  }

  // Written twice: timeline (and so audit) records of one completion, stored outcomes, journal keys.
  const completedEvents = (await db('project_events')
    .whereIn('project_id', projects)
    .where('kind', 'task_completed')
    .select('data')) as Array<{ data: string | null }>;
  const perTask = new Map<number, number>();
  for (const e of completedEvents) {
    const taskId = Number((e.data ? (JSON.parse(e.data) as { taskId?: number }) : {}).taskId);
    perTask.set(taskId, (perTask.get(taskId) ?? 0) + 1);
  }
  const doubleEvents = [...perTask.values()].filter((n) => n > 1).length;
  const taskCompletedEvents = num(
    await db
      .from(db('task_events').where('kind', 'completed').groupBy('task_id').havingRaw('count(*) > 1').select('task_id').as('d'))
      .count({ n: '*' }),
  );
  const doubleOutcomes = num(
    await db
      .from(db('job_outcomes').groupBy('external_task_id').havingRaw('count(*) > 1').select('external_task_id').as('d'))
      .count({ n: '*' }),
  );
  const doubleJournal = num(
    await db
      .from(
        db('quota_journal')
          .whereNotNull('idempotency_key')
          .groupBy('idempotency_key')
          .havingRaw('count(*) > 1')
          .select('idempotency_key')
          .as('d'),
      )
      .count({ n: '*' }),
  );
  // Audit records of task completions, one per inbox task.
  const auditCompletions = (await db('audit_records').where('kind', 'project.task_completed').select('body')) as Array<{ body: string }>;
  const perAudit = new Map<number, number>();
  for (const a of auditCompletions) {
    const t = Number((JSON.parse(a.body) as { data?: { data?: { taskId?: number } } }).data?.data?.taskId);
    perAudit.set(t, (perAudit.get(t) ?? 0) + 1);
  }
  const doubleAudit = [...perAudit.values()].filter((n) => n > 1).length;

  // Rows in "completing": at the end all of them; after a restart those past the time the sweep heals them in.
  const completing = openRows.filter(
    (r) =>
      r.status === 'completing' &&
      (end || !r.completing_at || Date.now() - new Date(r.completing_at as string | number | Date).getTime() > 120_000),
  ).length;
  const recorded = new Set(
    (
      (await db('process_instances').where('process_id', PROCESS_ID).select('process_instance_key')) as Array<{
        process_instance_key: string;
      }>
    ).map((r) => r.process_instance_key),
  );
  const unrecorded = instances.filter((i) => i.state !== 'EXTERNALLY_TERMINATED' && !recorded.has(i.id)).length;

  // The chain is read while the system appends to it (verifyChain is not one snapshot): a failure
  // counts only when it is there on three reads in a row.
  const platform = await platformKey(db, loadConfig({ ...process.env, NODE_ENV: 'test' }).sealSecret);
  let chain = await verifyChain(db, platform);
  for (let i = 0; i < 2 && !chain.ok; i++) {
    await sleep(1000);
    chain = await verifyChain(db, platform);
  }
  return {
    lost,
    ghost,
    duplicated: dupInbox + twoInstances + twoTasks,
    statusMismatch,
    doubleRecords: doubleEvents + taskCompletedEvents + doubleOutcomes + doubleJournal + doubleAudit,
    completing,
    unrecorded,
    chainOk: chain.ok,
    chainRecords: chain.records,
    ...(await paymentCounts(db, pay, end)),
  };
}

type PaymentCounts = Pick<DrillCounts, 'ledgerTwice' | 'balanceOff' | 'paidTwice' | 'paymentsStuck' | 'paymentsFiled' | 'paymentsPaid'>;

/**
 * The payments' side: requests, orders and the quotas' journal read in one transaction (one
 * snapshot on MySQL; SQLite's reader sees one state of the file), so a decision committed between
 * two reads does not count as money out of place.
 */
async function paymentCounts(db: Db, pay: PayContext, end: boolean): Promise<PaymentCounts> {
  const { requests, orders, journal, quotas } = await db.transaction(async (trx) => ({
    requests: (await trx('payment_requests')
      .whereIn('quota_id', pay.quotaIds)
      .select('id', 'quota_id', 'amount_fen', 'status', 'process_instance_key', 'updated_at')) as Array<{
      id: number;
      quota_id: number;
      amount_fen: number | string;
      status: string;
      process_instance_key: string | null;
      updated_at: unknown;
    }>,
    orders: (await trx('payment_orders')
      .whereIn('quota_id', pay.quotaIds)
      .where('source_kind', 'payment-request')
      .select('id', 'source_id', 'status', 'updated_at')) as Array<{ id: number; source_id: number; status: string; updated_at: unknown }>,
    journal: (await trx('quota_journal')
      .whereIn('quota_id', pay.quotaIds)
      .orderBy('id')
      .select(
        'quota_id',
        'kind',
        'reference_type',
        'reference_id',
        'delta_amount_fen',
        'delta_used_fen',
        'delta_frozen_fen',
        'balance_after_amount_fen',
        'balance_after_used_fen',
        'balance_after_frozen_fen',
      )) as Array<Record<string, string | number | null>>,
    quotas: (await trx('quotas').whereIn('id', pay.quotaIds).select('id', 'amount_fen', 'used_fen', 'frozen_fen')) as Array<{
      id: number;
      amount_fen: number | string;
      used_fen: number | string;
      frozen_fen: number | string;
    }>,
  }));
  const n = Number;
  const perEntry = new Map<string, number>();
  for (const e of journal) {
    if (e.kind === 'issue') continue;
    const k = `${e.quota_id}/${e.reference_type}/${e.reference_id}/${e.kind}`;
    perEntry.set(k, (perEntry.get(k) ?? 0) + 1);
  }
  const ledgerTwice = [...perEntry.values()].filter((c) => c > 1).length;

  const ordersOf = new Map<number, typeof orders>();
  for (const o of orders) ordersOf.set(n(o.source_id), [...(ordersOf.get(n(o.source_id)) ?? []), o]);
  let balanceOff = 0;
  for (const q of quotas) {
    const amount = n(q.amount_fen);
    const used = n(q.used_fen);
    const frozen = n(q.frozen_fen);
    const entries = journal.filter((e) => n(e.quota_id) === n(q.id));
    const sum = (f: string) => entries.reduce((s, e) => s + n(e[f]), 0);
    const last = entries[entries.length - 1];
    // Money held by requests: approving or approved, unless its order failed or was refunded.
    const held = requests
      .filter((r) => n(r.quota_id) === n(q.id) && (r.status === 'approving' || r.status === 'approved'))
      .filter((r) => !(ordersOf.get(n(r.id)) ?? []).some((o) => o.status === 'failed' || o.status === 'refunded'))
      .reduce((s, r) => s + n(r.amount_fen), 0);
    const available = amount - used - frozen;
    if (
      available < 0 ||
      frozen < 0 ||
      used < 0 ||
      frozen + used + available !== amount ||
      sum('delta_amount_fen') !== amount ||
      sum('delta_used_fen') !== used ||
      sum('delta_frozen_fen') !== frozen ||
      !last ||
      n(last.balance_after_amount_fen) !== amount ||
      n(last.balance_after_used_fen) !== used ||
      n(last.balance_after_frozen_fen) !== frozen ||
      frozen + used !== held ||
      (end && (frozen !== 0 || used !== requests.filter((r) => n(r.quota_id) === n(q.id)).reduce((s, r) => s + n(r.amount_fen), 0)))
    )
      balanceOff += 1;
  }

  const perPayee = new Map<string, number>();
  for (const o of pay.sim.orders()) {
    const k = o.payeeAccount.replace(/\D/g, '');
    perPayee.set(k, (perPayee.get(k) ?? 0) + 1);
  }
  const paidTwice = [...ordersOf.values()].filter((os) => os.length > 1).length + [...perPayee.values()].filter((c) => c > 1).length;

  const old = (at: unknown) => Date.now() - new Date(at as string | number | Date).getTime() > 120_000;
  const paymentsStuck = end
    ? orders.filter((o) => o.status !== 'paid').length + requests.filter((r) => r.status !== 'approved').length
    : orders.filter((o) => (o.status === 'created' || o.status === 'sending') && old(o.updated_at)).length +
      requests.filter((r) => r.status === 'approving' && !r.process_instance_key && old(r.updated_at)).length;
  return {
    ledgerTwice,
    balanceOff,
    paidTwice,
    paymentsStuck,
    paymentsFiled: requests.length,
    paymentsPaid: orders.filter((o) => o.status === 'paid').length,
  };
}

async function finalCounts(
  db: Db,
  engine: EngineClient,
  key: string,
  paymentKeys: string[],
  projects: number[],
  pay: PayContext,
): Promise<DrillFinal> {
  const c = await counts(db, engine, key, projects, pay, true);
  const running = await engine.request<{ count: number }>('GET', '/process-instance/count', {
    query: { processDefinitionKeyIn: [key, ...paymentKeys].join(',') },
  });
  const incidents = await engine.request<unknown[]>('GET', '/incident', {
    query: { processDefinitionKeyIn: [key, ...paymentKeys].join(',') },
  });
  const notReserved = num(await db('projects').whereIn('id', projects).whereNot('status', 'reserved').count({ n: '*' }));
  const activeRows = num(await db('process_instances').where({ process_id: PROCESS_ID, status: 'active' }).count({ n: '*' }));
  const open = [
    ...(await engine.tasks({ processDefinitionKey: key, maxResults: 10_000 })),
    ...(await Promise.all(paymentKeys.map((k) => engine.tasks({ processDefinitionKey: k, maxResults: 10_000 })))).flat(),
  ];
  const notPaid = num(
    await db('payment_requests as r')
      .whereIn('r.quota_id', pay.quotaIds)
      .whereNotExists((q) =>
        q.from('payment_orders as o').whereRaw('o.source_id = r.id').where({ 'o.source_kind': 'payment-request', 'o.status': 'paid' }),
      )
      .count({ n: '*' }),
  );
  return {
    ...c,
    paymentsNotPaid: notPaid + Math.max(0, pay.paymentsExpected - c.paymentsFiled),
    instancesNotEnded: running.count + activeRows,
    projectsNotReserved: notReserved,
    incidents: incidents.length,
    engineTasksOpen: open.length,
  };
}

async function main(): Promise<void> {
  const n = (name: string, d: number) => Number(process.env[name] ?? d);
  const report = await runDrill({
    applications: n('DRILL_APPLICATIONS', 20),
    payments: n('DRILL_PAYMENTS', n('DRILL_APPLICATIONS', 20)),
    kills: {
      app: n('DRILL_APP_KILLS', n('DRILL_KILLS', 3)),
      workers: n('DRILL_WORKER_KILLS', n('DRILL_KILLS', 3)),
      engine: n('DRILL_ENGINE_KILLS', n('DRILL_KILLS', 3)),
    },
    seed: n('DRILL_SEED', 1),
    minGapMs: n('DRILL_MIN_GAP_MS', 500),
    maxGapMs: n('DRILL_MAX_GAP_MS', 5000),
    settleMs: n('DRILL_SETTLE_MS', 15_000),
    timeoutMs: n('DRILL_TIMEOUT_MS', 900_000),
    logDir: process.env.DRILL_LOG_DIR,
  });
  console.table(
    report.kills.map((k) => ({
      kind: k.kind,
      atS: Math.round(k.atMs / 100) / 10,
      restartS: Math.round(k.restartMs / 100) / 10,
      ...k.counts,
    })),
  );
  console.table([report.final]);
  if (countsBad(report.final)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
