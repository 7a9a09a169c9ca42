/**
 * Engine bench: `npx tsx bench/engine.ts` (npm run bench:engine). The intake review
 * (processes/project-intake.bpmn) driven to its end BENCH_INSTANCES (200) times, twice in one run:
 *
 * a. bare engine: the model deployed under a random namespace, instances started over REST
 *    (BENCH_STARTERS concurrent starters), its external tasks answered by no-op fetchAndLock
 *    long-poll loops (BENCH_LOOPS, 10 tasks a fetch, as the platform's runtime does; smartOk true,
 *    nothing else needed), its user tasks completed over REST by three "people", one per step,
 *    each polling GET /task for its step and completing with BENCH_COMPLETERS concurrent clients
 *    (主管部门审核 and 财政业务处室审核 approve without 会签, 预算处审定 admits).
 * b. through our API: the whole system (startSystem with the platform's workers and the same
 *    number of loops, a fresh database on DATABASE_URL's server — SQLite when unset —, the demo
 *    data), N projects filed by 王芳 (nm_clerk_yz, one at a time, not timed) and submitted with
 *    BENCH_STARTERS concurrent requests; 李娜 (nm_dept_jy), 陈静 (nm_jkw) and 刘洋 (nm_ysk) each
 *    enrol a seal, poll their 待办 (GET /api/tasks?box=todo) and complete with their signing PIN
 *    with BENCH_COMPLETERS concurrent clients: form validation, seals, the audit chain and the
 *    inbox projection are all on the path.
 *
 * For each: instances/s (N ÷ the time from the first instance's start to the last one's end, as
 * the engine's history records them), p50/p95 of one instance's start → end, user-task
 * completions/s over the same time, and the latency of one completion request; then b/a.
 * The system's log (BENCH_LOG_LEVEL, default warn) goes to stderr and is summarised; after (b)
 * the inbox is checked against the engine (tasks left open, never projected, projection lag).
 * Deployments (cascade) and the database are removed afterwards. BENCH_PART=bare|api runs one.
 * Figures only, no assertions.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { seedDemoUsers } from '../server/auth/demo-users';
import { loadConfig, type EngineConfig } from '../server/config';
import { checkDatabase, readInstant } from '../server/db';
import { createEngineClient, EngineClient, EngineError, parseEngineDate, type EngineTask } from '../server/engine/client';
import { deployableBytes, PROCESSES_DIR } from '../server/engine/deploy';
import { namespaced } from '../server/engine/namespace';
import { seedReferenceData } from '../server/reference';
import { startSystem } from '../server/system';
import { asShipped } from './shipped';
import { allWorkers, platformWorkers } from '../workers';
import { describeEngine, dropDeployments } from './engine-admin';
import { freshDatabase } from './fresh-database';
import { drive, fileProject, login, percentiles, sleep, type Client } from './http';
import { capturingLogger, messageOf, Tally } from './log';

const N = Number(process.env.BENCH_INSTANCES ?? 200);
const STARTERS = Number(process.env.BENCH_STARTERS ?? 4);
const LOOPS = Number(process.env.BENCH_LOOPS ?? 2);
const COMPLETERS = Number(process.env.BENCH_COMPLETERS ?? 2);
/** Instances driven through first and not measured: H2 warms each statement per pooled connection, Node its JIT. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const PART = process.env.BENCH_PART ?? 'all';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const POLL_MS = 100;
const TIMEOUT_MS = Math.max(300_000, N * 3000);
const PIN = '602918';
/** BENCH_SEALS=off: the bots do not enrol and complete without a PIN (to see what the seals cost). */
const SEALS = process.env.BENCH_SEALS !== 'off';
/** BENCH_SQL_STATS=1: (b) also counts the system's SQL statements of the measured round, by statement. */
const SQL_STATS = process.env.BENCH_SQL_STATS === '1';
const PROCESS_ID = 'project-intake';
const TOPICS = ['project.smart-check', 'project.set-status', 'approval.countersign-prepare', 'approval.countersign-tally'] as const;

/** What each step's person decides: the bare engine gets what the gateways read, the API the form. */
const STEPS = [
  {
    elementId: 'DepartmentReview',
    username: 'nm_dept_jy',
    engine: { decision: 'approve' },
    form: { decision: 'approve', comment: '同意' },
  },
  {
    elementId: 'SectorReview',
    username: 'nm_jkw',
    engine: { decision: 'approve', countersign: false },
    form: { decision: 'approve', countersign: false, comment: '符合方向' },
  },
  { elementId: 'BudgetDecision', username: 'nm_ysk', engine: { decision: 'admit' }, form: { decision: 'admit' } },
] as const;

// ---------------------------------------------------------------------------------------------

interface Person {
  label: string;
  /** Ids of the open tasks this person works on now, oldest first. */
  poll(): Promise<string[]>;
  /** ok: done; retry: not done, offer it again later; skip: not done, never again. */
  complete(id: string): Promise<'ok' | 'retry' | 'skip'>;
}

interface Driving {
  /** Engine REST calls made while the measured round ran, by endpoint (the bench's monitoring calls aside). */
  calls: Tally;
  stopped: boolean;
  abort: AbortController;
  completions: number[];
  completed: number;
  errors: Tally;
}

/** One person: a poller filling a queue from their task list, `concurrency` clients completing from it. */
async function work(p: Person, concurrency: number, d: Driving): Promise<void> {
  const queue: string[] = [];
  const seen = new Set<string>();
  const poller = (async () => {
    while (!d.stopped) {
      if (queue.length < concurrency) {
        try {
          for (const id of await p.poll()) {
            if (seen.has(id)) continue;
            seen.add(id);
            queue.push(id);
          }
        } catch (err) {
          if (!d.stopped) d.errors.add(`${p.label} poll: ${messageOf(err)}`);
        }
      }
      await sleep(POLL_MS);
    }
  })();
  const clients = Array.from({ length: concurrency }, async () => {
    while (!d.stopped) {
      const id = queue.shift();
      if (id === undefined) {
        await sleep(10);
        continue;
      }
      const t = performance.now();
      const outcome = await p.complete(id).catch((err: unknown) => {
        d.errors.add(`${p.label} complete: ${messageOf(err)}`);
        return 'retry' as const;
      });
      if (outcome === 'ok') {
        d.completions.push(performance.now() - t);
        d.completed += 1;
      } else if (outcome === 'retry') setTimeout(() => seen.delete(id), 1000).unref();
    }
  });
  await Promise.all([poller, ...clients]);
}

interface InstanceFigures {
  instances: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
  max: number;
}

/** Start → end of every finished instance of `key` started since `since`, from the engine's history. */
async function instanceFigures(engine: EngineClient, key: string, since: Date): Promise<InstanceFigures> {
  const rows: Array<{ startTime: string; endTime: string | null }> = [];
  for (let first = 0; ; first += 500) {
    const page = await engine.request<Array<{ startTime: string; endTime: string | null }>>('GET', '/history/process-instance', {
      query: { processDefinitionKey: key, finished: true, firstResult: first, maxResults: 500 },
    });
    rows.push(...page);
    if (page.length < 500) break;
  }
  const spans = rows
    .map((r) => ({ start: parseEngineDate(r.startTime)!.getTime(), end: parseEngineDate(r.endTime)!.getTime() }))
    .filter((s) => s.start >= since.getTime());
  const seconds = spans.length ? (Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start))) / 1000 : NaN;
  return {
    instances: spans.length,
    seconds: round(seconds),
    perSecond: round(spans.length / seconds),
    ...percentiles(spans.map((s) => s.end - s.start)),
  };
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function finishedCount(engine: EngineClient, key: string): Promise<number> {
  return (
    await engine.request<{ count: number }>('GET', '/history/process-instance/count', {
      query: { processDefinitionKey: key, finished: true },
    })
  ).count;
}

/** Waits until `count` instances of `key` ended; false on timeout. */
async function allFinished(engine: EngineClient, key: string, d: Driving, count: number): Promise<boolean> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      if ((await finishedCount(engine, key)) >= count) return true;
    } catch (err) {
      d.errors.add(`count finished: ${messageOf(err)}`);
    }
    await sleep(200);
  }
  return false;
}

/**
 * Every engine REST call of the measured round is counted by endpoint, except the bench's own
 * monitoring (finished counts, history, clean-up): `monitor` is the client that makes those.
 */
let counting: Tally | undefined;
let monitor: EngineClient | undefined;
const request = EngineClient.prototype.request;
EngineClient.prototype.request = function <T>(
  this: EngineClient,
  method: string,
  path: string,
  options?: Parameters<EngineClient['request']>[2],
): Promise<T> {
  if (counting && this !== monitor)
    counting.add(
      `${method} ${path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{id}').replace(/\/key\/[^/]+/, '/key/{key}')}`,
    );
  return request.call(this, method, path, options) as Promise<T>;
};

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/**
 * The warm-up round (WARMUP instances, not measured), then the measured N; `start` starts the
 * n-th instance. `since`: when the measured round began (its instances started after it).
 */
async function rounds(
  engine: EngineClient,
  key: string,
  d: Driving,
  start: (n: number) => Promise<void>,
): Promise<{ finished: boolean; since: Date }> {
  if (WARMUP > 0) {
    await drive(range(1, WARMUP), STARTERS, start);
    if (!(await allFinished(engine, key, d, WARMUP))) return { finished: false, since: new Date(0) };
  }
  d.completions.length = 0;
  d.completed = 0;
  const since = new Date();
  counting = d.calls;
  try {
    await drive(range(WARMUP + 1, WARMUP + N), STARTERS, start);
    return { finished: await allFinished(engine, key, d, WARMUP + N), since };
  } finally {
    counting = undefined;
  }
}

/** Where the instances that did not end stand: open user tasks per step, external tasks per topic, incidents. */
async function whereStuck(engine: EngineClient, namespace: string): Promise<void> {
  const key = namespaced(namespace, PROCESS_ID);
  const running = await engine.request<{ count: number }>('GET', '/process-instance/count', { query: { processDefinitionKey: key } });
  const tasks = await engine.tasks({ processDefinitionKey: key, maxResults: 5000 });
  const byStep = new Map<string, number>();
  for (const t of tasks) byStep.set(t.taskDefinitionKey, (byStep.get(t.taskDefinitionKey) ?? 0) + 1);
  const external = [];
  for (const topic of TOPICS) {
    const list = await engine.request<Array<{ lockExpirationTime: string | null; retries: number | null; errorMessage: string | null }>>(
      'GET',
      '/external-task',
      { query: { topicName: namespaced(namespace, topic) } },
    );
    if (list.length)
      external.push({
        topic,
        open: list.length,
        locked: list.filter((e) => e.lockExpirationTime && parseEngineDate(e.lockExpirationTime)! > new Date()).length,
        noRetries: list.filter((e) => e.retries === 0).length,
        error: list.find((e) => e.errorMessage)?.errorMessage ?? '',
      });
  }
  const incidents = await engine.request<Array<{ incidentMessage: string | null; activityId: string }>>('GET', '/incident', {
    query: { processDefinitionKeyIn: key },
  });
  console.log(
    `  not finished: ${running.count} instances still running; open user tasks ${JSON.stringify(Object.fromEntries(byStep))}; incidents ${incidents.length}${incidents[0] ? ` (${incidents[0].activityId}: ${incidents[0].incidentMessage})` : ''}`,
  );
  if (external.length) console.table(external);
}

// ---------------------------------------------------------------------------------------------
// a. The bare engine

interface RunFigures extends InstanceFigures {
  run: string;
  userTasks: number;
  completionsPerSecond: number;
  completeP50: number;
  completeP95: number;
  engineCalls: number;
  errors: number;
}

function figuresOf(run: string, inst: InstanceFigures, d: Driving): RunFigures {
  const c = percentiles(d.completions);
  return {
    run,
    ...inst,
    userTasks: d.completed,
    completionsPerSecond: round(d.completed / inst.seconds),
    completeP50: c.p50,
    completeP95: c.p95,
    engineCalls: round(d.calls.total / inst.instances),
    errors: d.errors.total,
  };
}

async function benchBare(engine: EngineClient, engineConfig: EngineConfig): Promise<{ figures: RunFigures; errors: Tally; calls: Tally }> {
  const driver = createEngineClient(engineConfig, { timeoutMs: 60_000 });
  const namespace = `be${crypto.randomBytes(4).toString('hex')}`;
  const key = namespaced(namespace, PROCESS_ID);
  const file = path.join(PROCESSES_DIR, `${PROCESS_ID}.bpmn`);
  await driver.deploy(`bench-engine:${namespace}`, [
    { name: `${namespace}/${PROCESS_ID}.bpmn`, bytes: deployableBytes(file, { namespace, historyTtlDays: 1 }) },
  ]);
  const d: Driving = {
    calls: new Tally(),
    stopped: false,
    abort: new AbortController(),
    completions: [],
    completed: 0,
    errors: new Tally(),
  };
  try {
    // What each topic answers: enough for the gateways. The 会签 topics are not reached (countersign false).
    const answers: Record<string, Record<string, unknown>> = {
      [namespaced(namespace, 'project.smart-check')]: { smartOk: true },
      [namespaced(namespace, 'project.set-status')]: {},
      [namespaced(namespace, 'approval.countersign-prepare')]: {
        countersignerCount: 1,
        countersignerIds: '1',
        csApprovals: 0,
        csRejections: 0,
      },
      [namespaced(namespace, 'approval.countersign-tally')]: { countersignPassed: true },
    };
    const topics = Object.keys(answers).map((topicName) => ({ topicName, lockDuration: 60_000 }));
    const loops = Array.from({ length: LOOPS }, async (_, i) => {
      const workerId = `bench-${namespace}-${i + 1}`;
      while (!d.stopped) {
        let tasks;
        try {
          tasks = await driver.fetchAndLock({ workerId, maxTasks: 10, asyncResponseTimeout: 10_000, topics }, d.abort.signal);
        } catch (err) {
          if (d.stopped) break;
          // engine.md: fetchAndLock answers 500 now and then under concurrent loops — try again.
          d.errors.add(`fetchAndLock: ${err instanceof EngineError ? `${err.status} ${err.type}` : messageOf(err)}`);
          await sleep(100 + Math.random() * 400);
          continue;
        }
        await Promise.all(
          tasks.map((t) =>
            driver
              .retrying(() => driver.completeExternalTask(t.id, workerId, answers[t.topicName] ?? {}))
              .catch((err: unknown) => d.errors.add(`external task complete: ${messageOf(err)}`)),
          ),
        );
      }
    });
    const people: Person[] = STEPS.map((s) => ({
      label: s.elementId,
      poll: async () =>
        (
          await driver.tasks({
            processDefinitionKey: key,
            taskDefinitionKey: s.elementId,
            sortBy: 'created',
            sortOrder: 'asc',
            maxResults: 100,
          })
        ).map((t: EngineTask) => t.id),
      complete: async (id) => {
        try {
          await driver.retrying(() => driver.completeTask(id, s.engine));
          return 'ok';
        } catch (err) {
          d.errors.add(`${s.elementId} complete: ${err instanceof EngineError ? `${err.status} ${err.type}` : messageOf(err)}`);
          return err instanceof EngineError && err.notFound ? 'skip' : 'retry';
        }
      },
    }));
    const working = people.map((p) => work(p, COMPLETERS, d));

    const { finished, since } = await rounds(engine, key, d, async (n) => {
      await driver.retrying(() => driver.startProcess(key, { businessKey: `bench:${n}`, variables: { projectId: n } }));
    });
    d.stopped = true;
    d.abort.abort();
    await Promise.all([...loops, ...working]);
    if (!finished) await whereStuck(engine, namespace);
    return { figures: figuresOf('a. bare engine (REST)', await instanceFigures(engine, key, since), d), errors: d.errors, calls: d.calls };
  } finally {
    d.stopped = true;
    d.abort.abort();
    await dropDeployments(engine, namespace).catch((err: unknown) =>
      console.error(`could not remove the bench deployment ${namespace}: ${messageOf(err)}`),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// b. Through our API

async function benchApi(
  engine: EngineClient,
): Promise<{ figures: RunFigures; errors: Tally; log: Tally; appDatabase: string; calls: Tally }> {
  const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const { log, seen } = capturingLogger(LOG_LEVEL);
  const fresh = freshDatabase('budget_bench_engine');
  const namespace = `bb${crypto.randomBytes(4).toString('hex')}`;
  const config = {
    ...base,
    database: fresh.database,
    port: 0,
    demoData: false,
    logLevel: LOG_LEVEL as typeof base.logLevel,
    engine: { ...base.engine, restUrl: engine.restUrl, namespace },
  };
  const system = await startSystem(asShipped(config), { log, workers: platformWorkers(allWorkers, { loops: LOOPS }) });
  const key = namespaced(namespace, PROCESS_ID);
  const d: Driving = {
    calls: new Tally(),
    stopped: false,
    abort: new AbortController(),
    completions: [],
    completed: 0,
    errors: new Tally(),
  };
  try {
    await system.databaseReady;
    const status = await checkDatabase(system.db, config.database.client);
    const appDatabase = `${status.serverVersion ?? config.database.client} (${config.database.client})`;
    await seedReferenceData(system.db, { year: 2026 });
    await seedDemoUsers(system.db);
    await Promise.race([
      system.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error('engine not ready after 120 s')), 120_000).unref()),
    ]);
    const sql = new Tally();
    let sqlBytes = 0;
    if (SQL_STATS) {
      system.db.on('query', (q: { sql: string; bindings?: unknown[] }) => {
        if (!counting) return;
        sql.add(q.sql.replace(/\s+/g, ' ').slice(0, 150));
        sqlBytes += q.sql.length + JSON.stringify(q.bindings ?? []).length;
      });
    }
    const clerk = await login(system.url, 'nm_clerk_yz');
    const bots: Array<{ step: (typeof STEPS)[number]; client: Client }> = [];
    for (const step of STEPS) {
      const client = await login(system.url, step.username);
      if (SEALS) {
        const enrolled = await client.call('POST', '/seals/enrol', { pin: PIN });
        if (enrolled.status !== 201) throw new Error(`enrol ${step.username}: ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
      }
      bots.push({ step, client });
    }

    // Drafts first, one at a time (not what is measured); the instances start at 送审.
    const t0 = performance.now();
    const drafts: Array<{ id: number; version: number }> = [];
    for (let n = 1; n <= WARMUP + N; n++) drafts.push(await fileProject(clerk, `第一中学引擎压测项目${n}号`));
    const filedSeconds = (performance.now() - t0) / 1000;

    const people: Person[] = bots.map(({ step, client }) => ({
      label: `${step.elementId} (${step.username})`,
      poll: async () => {
        const r = await client.call('GET', '/tasks?box=todo&pageSize=100');
        if (r.status !== 200) throw new Error(`GET /tasks: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        return (r.body.items as Array<{ id: number; elementId: string }>)
          .filter((t) => t.elementId === step.elementId)
          .map((t) => String(t.id));
      },
      complete: async (id) => {
        const r = await client.call('POST', `/tasks/${id}/complete`, SEALS ? { data: step.form, signingPin: PIN } : { data: step.form });
        if (r.status === 200) return 'ok';
        d.errors.add(`${step.elementId} complete: ${r.status} ${r.body?.error?.code ?? JSON.stringify(r.body).slice(0, 120)}`);
        return r.status >= 500 ? 'retry' : 'skip';
      },
    }));
    const working = people.map((p) => work(p, COMPLETERS, d));

    const { finished, since } = await rounds(engine, key, d, async (n) => {
      const p = drafts[n - 1]!;
      for (let attempt = 1; ; attempt++) {
        const r = await clerk.call('POST', `/projects/${p.id}/submit`, { version: p.version });
        if (r.status === 200) return;
        d.errors.add(`submit: ${r.status} ${r.body?.error?.code ?? JSON.stringify(r.body).slice(0, 120)}`);
        if (r.status < 500 || attempt >= 5) return;
        await sleep(200 * attempt);
      }
    });
    d.stopped = true;
    await Promise.all(working);
    if (!finished) await whereStuck(engine, namespace);
    const figures = figuresOf(SEALS ? 'b. through our API' : 'b. through our API, no seals', await instanceFigures(engine, key, since), d);
    console.log(`(b) ${WARMUP + N} drafts filed in ${filedSeconds.toFixed(1)} s (1 client, not timed)`);
    await checkInbox(system.db, engine, key);
    if (SQL_STATS) {
      console.log(
        `(b) SQL statements per instance (measured round): ${round(sql.total / N)}, ${round(sqlBytes / N / 1024)} KiB sent; the most frequent:`,
      );
      console.table(
        sql
          .rows()
          .slice(0, 20)
          .map((r) => ({ perInstance: round(r.count / N, 2), sql: r.what })),
      );
    }
    return { figures, errors: d.errors, log: seen, appDatabase, calls: d.calls };
  } finally {
    d.stopped = true;
    await system.stop();
    await fresh.drop();
    await dropDeployments(engine, namespace).catch((err: unknown) =>
      console.error(`could not remove the system's deployment ${namespace}: ${messageOf(err)}`),
    );
  }
}

/** The inbox against the engine after (b): what is left open, what never got in, how late tasks arrived. */
async function checkInbox(db: import('../server/db').Db, engine: EngineClient, key: string): Promise<void> {
  const engineOpen = await engine.tasks({ processDefinitionKey: key, maxResults: 5000 });
  const statuses = (await db('inbox_tasks').select('status').count({ n: '*' }).groupBy('status')) as Array<{
    status: string;
    n: number | string;
  }>;
  const inbox = (await db('inbox_tasks')
    .whereIn('status', ['open', 'completing'])
    .select('engine_task_id', 'status', 'element_id')) as Array<{ engine_task_id: string; status: string; element_id: string }>;
  const projected = new Set(
    ((await db('inbox_tasks').select('engine_task_id')) as Array<{ engine_task_id: string }>).map((r) => r.engine_task_id),
  );
  const neverProjected = engineOpen.filter((t) => !projected.has(t.id));
  const projects = (await db('projects').select('status').count({ n: '*' }).groupBy('status')) as Array<{
    status: string;
    n: number | string;
  }>;
  const instances = (await db('process_instances').select('status').count({ n: '*' }).groupBy('status')) as Array<{
    status: string;
    n: number | string;
  }>;
  // Projection lag: the engine created the task (inbox_tasks.created_at) → the inbox recorded it (its 'created' event).
  const arrivals = (await db('inbox_tasks as t')
    .join('task_events as e', 'e.task_id', 't.id')
    .where('e.kind', 'created')
    .select('t.created_at as engine_at', 'e.created_at as inbox_at')) as Array<{ engine_at: unknown; inbox_at: unknown }>;
  const lags = arrivals.map((a) => readInstant(a.inbox_at).getTime() - readInstant(a.engine_at).getTime());
  const lag = percentiles(lags);
  const outcomes = (await db('job_outcomes').select('topic').count({ n: '*' }).groupBy('topic')) as Array<{
    topic: string;
    n: number | string;
  }>;
  const fmt = (rows: Array<{ n: number | string } & Record<string, unknown>>, k: string) =>
    rows.map((r) => `${String(r[k])} ${Number(r.n)}`).join(', ');
  console.log(
    `(b) inbox vs engine: engine open user tasks ${engineOpen.length}, inbox open/completing ${inbox.length}${
      inbox.length
        ? ` (${inbox
            .map((r) => `${r.element_id}:${r.status}`)
            .slice(0, 5)
            .join(' ')})`
        : ''
    }, ` +
      `engine tasks never in the inbox ${neverProjected.length}; inbox rows by status: ${fmt(statuses, 'status')}; projects: ${fmt(projects, 'status')}; process_instances: ${fmt(instances, 'status')}; ` +
      `external-task outcomes: ${fmt(outcomes, 'topic')}`,
  );
  console.log(
    `(b) projection lag (engine created → in the inbox), ms: p50 ${lag.p50}, p95 ${lag.p95}, max ${lag.max}; ${lags.filter((l) => l > 1000).length} of ${lags.length} over 1 s`,
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { engine: engineConfig } = loadConfig({ ...process.env, NODE_ENV: 'test' });
  if (engineConfig.mode !== 'external')
    throw new Error('bench:engine needs ENGINE_URL (an engine already running, e.g. http://127.0.0.1:8481/engine-rest)');
  const engine = createEngineClient(engineConfig, { timeoutMs: 60_000 });
  monitor = engine;
  const calls: Array<{ run: string; calls: Tally }> = [];
  const engineDb = await describeEngine(engine);
  const rows: RunFigures[] = [];
  let a: RunFigures | undefined;
  let b: RunFigures | undefined;
  let appDatabase = '(not run)';
  if (PART === 'all' || PART === 'bare') {
    const r = await benchBare(engine, engineConfig);
    rows.push((a = r.figures));
    calls.push({ run: 'a', calls: r.calls });
    if (r.errors.total) {
      console.log('(a) errors while driving (retried):');
      console.table(r.errors.rows());
    }
  }
  if (PART === 'all' || PART === 'api') {
    const r = await benchApi(engine);
    rows.push((b = r.figures));
    calls.push({ run: 'b', calls: r.calls });
    appDatabase = r.appDatabase;
    if (r.errors.total) {
      console.log('(b) errors while driving:');
      console.table(r.errors.rows());
    }
    console.log(`(b) system log (level ${LOG_LEVEL}): ${r.log.total} warnings/errors`);
    if (r.log.total) console.table(r.log.rows());
  }
  console.log(
    `engine bench — engine ${engineDb} at ${engine.restUrl}; app database ${appDatabase}, app NODE_ENV ${process.env.BENCH_APP_ENV ?? 'production'}; ${N} instances each (after ${WARMUP} not measured); ${STARTERS} concurrent starters, ` +
      `${LOOPS} external-task loops (10 a fetch), ${COMPLETERS} concurrent completers per step; seconds = first start → last end (engine history); durations and latencies in ms`,
  );
  console.table(rows);
  // Engine calls per measured instance, by endpoint, side by side.
  const endpoints = [...new Set(calls.flatMap((c) => c.calls.rows().map((r) => r.what)))];
  console.log('engine REST calls per instance (measured round), by endpoint:');
  console.table(
    endpoints.map((what) => ({
      endpoint: what,
      ...Object.fromEntries(calls.map((c) => [c.run, round((c.calls.rows().find((r) => r.what === what)?.count ?? 0) / N, 2)])),
    })),
  );
  if (a && b) {
    console.log(
      `b/a: instances/s ${round(b.perSecond / a.perSecond, 2)} (aim ≥ 0.5); completions/s ${round(b.completionsPerSecond / a.completionsPerSecond, 2)}; p50 duration ×${round(b.p50 / a.p50, 2)}, p95 ×${round(b.p95 / a.p95, 2)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
