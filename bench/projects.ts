/**
 * Project list latency: `npx tsx bench/projects.ts` (npm run bench:projects).
 *
 * In a fresh database on the server DATABASE_URL names (SQLite when unset), dropped afterwards:
 * the demo organisations and accounts, then BENCH_PROJECTS (100,000) projects inserted directly,
 * spread over every demo budget unit and department, several years, categories and statuses, 1 %
 * flagged as likely duplicates. Then each query below runs BENCH_RUNS (50) times through the
 * same service call and data scope the API uses (listProjects with projectViewer), and the figures
 * are printed: p50 / p95 / max in ms, with the total the query counted. No assertions.
 */
import { PROJECT_CATEGORIES, PROJECT_STATUSES } from '../domain/projects';
import { loadPrincipal, type Principal } from '../server/auth/service';
import { seedDemoUsers } from '../server/auth/demo-users';
import { checkDatabase, migrateLatest, openDatabase, type Db } from '../server/db';
import { listProjects } from '../server/projects/service';
import { projectViewer } from '../server/projects/visibility';
import type { ProjectListQuery } from '../server/projects/schemas';
import { seedReferenceData } from '../server/reference';
import { freshDatabase } from './fresh-database';

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const BATCH = 500;

const NAMES = [
  '校舍维修改造',
  '信息化建设',
  '设备购置',
  '人才培养',
  '基础设施建设',
  '示范基地建设',
  '防疫物资储备',
  '图书资料购置',
  '安全隐患整治',
  '乡村振兴产业扶持',
];
const FUNCTIONAL = ['2050201', '2050202', '2050203', '2050204', '2130505', '2100408', '2010101'];

async function seedProjects(db: Db): Promise<void> {
  const units = (await db('organisations').whereIn('kind', ['budget_unit', 'department']).select('id', 'name')) as Array<{
    id: number;
    name: string;
  }>;
  const now = Date.now();
  let id = 0;
  for (let start = 0; start < PROJECTS; start += BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(PROJECTS, start + BATCH); i++) {
      id += 1;
      const h = Math.imul(i + 1, 2654435761) >>> 0; // deterministic spread, uncorrelated with i's residues
      const unit = units[h % units.length]!;
      const year = 2024 + (i % 3);
      const at = new Date(now - (PROJECTS - i) * 60_000);
      rows.push({
        project_no: `XM${year}-${String(id).padStart(6, '0')}`,
        fiscal_year: year,
        name: `${unit.name}${year}年${NAMES[i % NAMES.length]!}项目（${i}）`,
        unit_org_id: unit.id,
        category: PROJECT_CATEGORIES[(h >>> 8) % PROJECT_CATEGORIES.length],
        sub_type: null,
        functional_code: FUNCTIONAL[(h >>> 12) % FUNCTIONAL.length],
        description: '压测数据',
        basis: null,
        start_date: null,
        end_date: null,
        total_amount_fen: 10_000_00 + ((i * 7919) % 5_000_000_00),
        status: PROJECT_STATUSES[(h >>> 16) % PROJECT_STATUSES.length],
        created_by: null,
        version: 1,
        created_at: at,
        updated_at: at,
      });
    }
    await db('projects').insert(rows);
  }
  // 1 %: pairs of neighbours flagged as likely duplicates.
  const pairs = [];
  for (let i = 1; i + 1 <= PROJECTS; i += 200)
    pairs.push({
      project_id: i,
      similar_project_id: i + 1,
      basis: 'name',
      name_similarity_permille: 900,
      content_similarity_permille: 0,
      detected_at: new Date(),
    });
  for (let i = 0; i < pairs.length; i += BATCH) await db('project_duplicates').insert(pairs.slice(i, i + BATCH));
}

interface Case {
  name: string;
  user: string;
  query: Partial<ProjectListQuery>;
}

const CASES: Case[] = [
  { name: 'region scope (city budget section), newest first', user: 'nm_ysk', query: {} },
  { name: 'region scope, sort by amount desc', user: 'nm_ysk', query: { sort: 'totalAmountFen' } },
  { name: 'region scope, year + status', user: 'nm_ysk', query: { fiscalYear: 2026, status: 'draft' } },
  { name: 'region scope, keyword', user: 'nm_ysk', query: { keyword: '信息化' } },
  { name: 'region scope, functional prefix 205', user: 'nm_ysk', query: { functionalCode: '205' } },
  { name: 'region scope, duplicates only', user: 'nm_ysk', query: { duplicates: 'true' } },
  { name: 'region scope, page 200', user: 'nm_ysk', query: { page: 200 } },
  { name: 'province compliance (whole province)', user: 'nm_compliance', query: {} },
  { name: 'department subtree (教育局)', user: 'nm_dept_jy', query: {} },
  { name: 'own unit (clerk)', user: 'nm_clerk_yz', query: {} },
];

async function measure(
  db: Db,
  principal: Principal,
  query: Partial<ProjectListQuery>,
): Promise<{ p50: number; p95: number; max: number; total: number }> {
  const full = { page: 1, pageSize: 20, sort: 'id' as const, order: 'desc' as const, ...query };
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const page = await listProjects(db, full, projectViewer(db, principal));
    times.push(performance.now() - t);
    total = page.total;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: at(1), total };
}

async function main(): Promise<void> {
  const fresh = freshDatabase();
  const db = await openDatabase(fresh.database);
  try {
    await migrateLatest(db);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const t0 = performance.now();
    await seedProjects(db);
    const seeded = (performance.now() - t0) / 1000;
    if (fresh.database.client === 'mysql') await db.raw('ANALYZE TABLE projects, project_duplicates, organisations');
    const status = await checkDatabase(db, fresh.database.client);
    const rows = [];
    for (const c of CASES) {
      const user = (await db('users').where({ username: c.user }).first('id')) as { id: number };
      const principal = (await loadPrincipal(db, user.id))!;
      rows.push({ query: c.name, ...(await measure(db, principal, c.query)) });
    }
    console.log(
      `project list bench — ${status.serverVersion ?? fresh.database.client}: ${PROJECTS.toLocaleString('en')} projects (inserted in ${seeded.toFixed(1)} s), ${RUNS} runs per query, page size 20, ms`,
    );
    console.table(rows);
  } finally {
    await db.destroy();
    await fresh.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
