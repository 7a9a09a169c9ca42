/**
 * Inbox bench: `npx tsx bench/inbox.ts` (npm run bench:inbox). Two parts, each on a throwaway
 * database on the server DATABASE_URL names (SQLite when unset), dropped afterwards:
 *
 * 1. Query latency: the demo organisations and accounts, then BENCH_TASKS (1,000,000) inbox tasks
 *    seeded directly (bench/inbox-seed.ts). Each box query runs BENCH_RUNS (50) times through
 *    listTasks, as GET /api/tasks calls it, for a user with a large scope (刘洋, the city budget
 *    section: a candidate of tens of thousands of open tasks) and a small one (王芳, a unit's
 *    clerk); p50 / p95 / max in ms are printed with the total counted. On MySQL/MariaDB the plan
 *    of the slowest query's page is printed too (EXPLAIN).
 * 2. Completions through the API on the real engine (bench/inbox-api.ts).
 *
 * BENCH_PART=queries|api runs one part only. Figures only, no assertions.
 */
import { checkDatabase, migrateLatest, openDatabase, type Db } from '../server/db';
import { seedDemoUsers } from '../server/auth/demo-users';
import { listTasks, type TaskQuery } from '../server/inbox/tasks';
import { seedReferenceData } from '../server/reference';
import { freshDatabase } from './fresh-database';
import { benchCompletions } from './inbox-api';
import { seedInbox } from './inbox-seed';

const TASKS = Number(process.env.BENCH_TASKS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const PART = process.env.BENCH_PART ?? 'all';

const CASES: Array<{ name: string; query: Partial<TaskQuery> }> = [
  { name: '待办 page 1', query: { box: 'todo' } },
  { name: '待办 page 50', query: { box: 'todo', page: 50 } },
  { name: '待办 keyword', query: { box: 'todo', keyword: '信息化' } },
  { name: '待办 overdue only', query: { box: 'todo', overdue: true } },
  { name: '已办 page 1', query: { box: 'done' } },
  { name: '抄送 page 1', query: { box: 'cc' } },
];
const USERS = [
  { username: 'nm_ysk', label: '刘洋 预算科 (region)' },
  { username: 'nm_clerk_yz', label: '王芳 unit clerk' },
];

interface Figures {
  p50: number;
  p95: number;
  max: number;
  total: number;
}

async function measure(db: Db, userId: number, query: Partial<TaskQuery>): Promise<Figures> {
  const full: TaskQuery = { box: 'todo', page: 1, pageSize: 20, ...query };
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    total = (await listTasks(db, userId, full)).total;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: at(1), total };
}

/** The SQL listTasks sends for a query (count, then page), caught from knex's query event. */
async function statementsOf(db: Db, userId: number, query: Partial<TaskQuery>): Promise<Array<{ sql: string; bindings: unknown[] }>> {
  const seen: Array<{ sql: string; bindings: unknown[] }> = [];
  const listener = (q: { sql: string; bindings?: unknown[] }) => seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
  db.on('query', listener);
  try {
    await listTasks(db, userId, { box: 'todo', page: 1, pageSize: 20, ...query });
  } finally {
    db.removeListener('query', listener);
  }
  return seen;
}

async function benchQueries(): Promise<void> {
  const fresh = freshDatabase('budget_bench_inbox');
  const db = await openDatabase(fresh.database);
  try {
    await migrateLatest(db);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const t0 = performance.now();
    const seeded = await seedInbox(db, TASKS);
    const seconds = (performance.now() - t0) / 1000;
    if (fresh.database.client === 'mysql') await db.raw('ANALYZE TABLE inbox_tasks, inbox_task_candidates, task_events, inbox_copies');
    else await db.raw('ANALYZE');
    const status = await checkDatabase(db, fresh.database.client);
    const rows = [];
    let slowest: { p95: number; userId: number; query: Partial<TaskQuery>; label: string } | undefined;
    for (const u of USERS) {
      const user = (await db('users').where({ username: u.username }).first('id')) as { id: number };
      for (const c of CASES) {
        const f = await measure(db, user.id, c.query);
        rows.push({ user: u.label, query: c.name, ...f });
        if (!slowest || f.p95 > slowest.p95) slowest = { p95: f.p95, userId: user.id, query: c.query, label: `${u.label}, ${c.name}` };
      }
    }
    console.log(
      `inbox query bench — ${status.serverVersion ?? fresh.database.client}: ${seeded.tasks.toLocaleString('en')} tasks, ${seeded.candidates.toLocaleString('en')} candidate rows, ` +
        `${seeded.events.toLocaleString('en')} task events, ${seeded.copies.toLocaleString('en')} copies (inserted in ${seconds.toFixed(1)} s); ${RUNS} runs per query, page size 20, ms`,
    );
    console.table(rows);
    if (slowest && fresh.database.client === 'mysql') {
      console.log(`EXPLAIN of the slowest (${slowest.label}):`);
      for (const s of await statementsOf(db, slowest.userId, slowest.query)) {
        const [plan] = (await db.raw(`EXPLAIN ${s.sql}`, s.bindings as never)) as [Array<Record<string, unknown>>];
        console.log(s.sql);
        console.table(
          plan.map((p) => ({
            id: p.id,
            select_type: p.select_type,
            table: p.table,
            type: p.type,
            key: p.key,
            rows: p.rows,
            Extra: p.Extra,
          })),
        );
      }
    }
  } finally {
    await db.destroy();
    await fresh.drop();
  }
}

async function main(): Promise<void> {
  if (PART === 'all' || PART === 'queries') await benchQueries();
  if (PART === 'all' || PART === 'api') await benchCompletions();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
