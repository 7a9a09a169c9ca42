import crypto from 'node:crypto';
import { seedDemoUsers } from '../server/auth/demo-users';
import { loadConfig } from '../server/config';
import { ensureEngineRunning, stopEngine } from '../server/engine/launcher';
import { createLogger } from '../server/log';
import { seedReferenceData } from '../server/reference';
import { startSystem } from '../server/system';
import { asShipped } from './shipped';
import { platformWorkers } from '../workers';
import { describeEngine, dropDeployments } from './engine-admin';
import { freshDatabase } from './fresh-database';
import { drive, fileProject, login, percentiles } from './http';
import { capturingLogger } from './log';

/**
 * Inbox bench, part 2: user tasks completed per second through the API on the real engine.
 *
 * The whole system as test/support/system.ts starts it (ENGINE_URL's engine, or the local one
 * through the launcher — reused when one runs, stopped afterwards only if this started it —, a
 * fresh database, a random namespace, workers in process), the demo data, then BENCH_PROJECTS
 * (240) projects filed and submitted by 王芳 (nm_clerk_yz). Once all their 主管部门审核 tasks are
 * in 李娜's (nm_dept_jy) 待办, a third is completed one by one (1 client), a third by 8 concurrent
 * clients, a third through 批量审批 (batch-complete, 50 a request). Each task is offered, not yet
 * claimed: a completion claims it in the inbox and the engine (the engine's assignee is then the
 * person, so no separate assignee call), completes it in the engine, records it and brings the
 * instance's next task into the inbox; the process moves on to 财政业务处室审核 meanwhile.
 * Afterwards the namespace's deployment is deleted with its instances (cascade): the engine's
 * database is shared and persistent, and 240 instances left at 财政业务处室审核 per run would pile up.
 * Figures only, no assertions.
 */

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 240);
const INBOX_TIMEOUT_MS = Math.max(120_000, PROJECTS * 1000);

export async function benchCompletions(): Promise<void> {
  const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
  // The system's log on stderr (BENCH_LOG_LEVEL, default silent), its warnings summarised after the figures.
  const { log, seen } = capturingLogger(process.env.BENCH_LOG_LEVEL ?? 'silent');
  let startedEngine = false;
  if (base.engine.mode === 'local')
    startedEngine = !(await ensureEngineRunning(base.engine.local, createLogger('info', 'bench-engine'))).reused;
  const fresh = freshDatabase('budget_bench_inbox_api');
  const namespace = `b${crypto.randomBytes(4).toString('hex')}`;
  const config = { ...base, database: fresh.database, port: 0, demoData: false, engine: { ...base.engine, namespace } };
  const system = await startSystem(asShipped(config), { log, workers: platformWorkers() });
  try {
    await system.databaseReady;
    await seedReferenceData(system.db, { year: 2026 });
    await seedDemoUsers(system.db);
    await Promise.race([
      system.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error('engine not ready after 120 s')), 120_000).unref()),
    ]);
    const clerk = await login(system.url, 'nm_clerk_yz');
    const reviewer = await login(system.url, 'nm_dept_jy');

    const t0 = performance.now();
    const filed = await drive(
      Array.from({ length: PROJECTS }, (_, i) => i + 1),
      // One clerk filing one at a time: concurrent creation in one unit deadlocks on MariaDB in
      // the duplicate check's project_duplicates insert (a 500), which is not what is measured here.
      1,
      async (n) => {
        const created = await fileProject(clerk, `第一中学压测项目${n}号`);
        const submitted = await clerk.call('POST', `/projects/${created.id}/submit`, { version: created.version });
        if (submitted.status !== 200) throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.body)}`);
      },
    );
    const deadline = Date.now() + INBOX_TIMEOUT_MS;
    let total = 0;
    while ((total = Number((await reviewer.call('GET', '/tasks?box=todo&pageSize=1')).body.total)) < PROJECTS) {
      if (Date.now() > deadline)
        throw new Error(`only ${total} of ${PROJECTS} 主管部门审核 tasks reached the inbox in ${INBOX_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const inInbox = (performance.now() - t0) / 1000;
    const ids: number[] = [];
    for (let page = 1; ids.length < PROJECTS; page++) {
      const r = await reviewer.call('GET', `/tasks?box=todo&pageSize=100&page=${page}`);
      const items = r.body.items as Array<{ id: number; elementId: string }>;
      if (!items.length) break;
      ids.push(...items.filter((t) => t.elementId === 'DepartmentReview').map((t) => t.id));
    }

    const third = Math.floor(ids.length / 3);
    const complete = async (id: number) => {
      const r = await reviewer.call('POST', `/tasks/${id}/complete`, { data: { decision: 'approve', comment: '同意' } });
      if (r.status !== 200) throw new Error(`complete #${id}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    const rows = [];
    for (const [label, slice, c] of [
      ['complete, 1 client', ids.slice(0, third), 1],
      ['complete, 8 clients', ids.slice(third, 2 * third), 8],
    ] as const) {
      const run = await drive([...slice], c, complete);
      rows.push({
        run: label,
        completed: slice.length,
        seconds: Math.round(run.seconds * 10) / 10,
        perSecond: Math.round((slice.length / run.seconds) * 10) / 10,
        ...percentiles(run.times),
      });
    }
    const rest = ids.slice(2 * third);
    const batches = Array.from({ length: Math.ceil(rest.length / 50) }, (_, i) => rest.slice(i * 50, i * 50 + 50));
    let done = 0;
    const batch = await drive(batches, 1, async (taskIds) => {
      const r = await reviewer.call('POST', '/tasks/batch-complete', { taskIds, data: { decision: 'approve', comment: '同意' } });
      if (r.status !== 200 || r.body.failed) throw new Error(`batch-complete: ${r.status} ${JSON.stringify(r.body)}`);
      done += Number(r.body.completed);
    });
    rows.push({
      run: 'batch-complete, 50 a request',
      completed: done,
      seconds: Math.round(batch.seconds * 10) / 10,
      perSecond: Math.round((done / batch.seconds) * 10) / 10,
      ...percentiles(batch.times),
    });

    console.log(
      `inbox API bench — app database ${config.database.client}, engine ${await describeEngine(system.engine)} (${base.engine.mode}): ${PROJECTS} projects filed and submitted in ${filed.seconds.toFixed(1)} s (1 client); ` +
        `all 主管部门审核 tasks in the inbox ${inInbox.toFixed(1)} s after the first filing; latency in ms (per request)`,
    );
    console.table(rows);
    if (seen.total) {
      console.log(`system log: ${seen.total} warnings/errors`);
      console.table(seen.rows());
    }
  } finally {
    await system.stop();
    await fresh.drop();
    await dropDeployments(system.engine, namespace).catch((err: unknown) =>
      console.error(`could not remove the bench's deployment ${namespace}: ${(err as Error).message}`),
    );
    if (startedEngine) await stopEngine(base.engine.local, createLogger('info', 'bench-engine'));
  }
}
