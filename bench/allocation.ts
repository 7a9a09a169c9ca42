/**
 * 预算编制 at scale: an allocation table of 5,000 candidate projects (BENCH_PROJECTS) of the demo
 * city bureau (呼和浩特), on a fresh database (SQLite, or the server DATABASE_URL names). Prints:
 * - build: POST /allocations' use case — candidates read, ranked, suggested within the control
 *   totals and 5,000 lines written (the grade rule is given as the decision table's defaults: the
 *   five DMN evaluations a real build makes against the engine are not in this figure);
 * - load: the allocation as the page reads it (every line, control totals, sums), and its JSON size;
 * - recalculation in the page: the live sums and the control-total check over all lines, as each
 *   keystroke of a what-if edit runs them (domain/allocation.ts, the SPA's code);
 * - what-if save: 100 changed amounts saved, the whole allocation checked server-side.
 * Run: npm run bench:allocation (BENCH_RUNS, default 20).
 */
import { checkAllocation, controlKey, sumLines, type Grade, type GradeRule } from '../domain/allocation';
import { createAllocation, editLines, getAllocation } from '../server/allocation/service';
import { seedDemoUsers } from '../server/auth/demo-users';
import { loadPrincipal, scopeOrgIds } from '../server/auth/service';
import { checkDatabase, migrateLatest, openDatabase } from '../server/db';
import { EngineClient } from '../server/engine/client';
import { seedReferenceData } from '../server/reference';
import { DatabaseKeyStore } from '../server/seals/key-store';
import { freshDatabase } from './fresh-database';

const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 5_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DEFAULT_RULES: Record<string, GradeRule> = {
  excellent: { priority: 0, cutPercent: 0, excluded: false },
  good: { priority: 1, cutPercent: 0, excluded: false },
  fair: { priority: 2, cutPercent: 15, excluded: false },
  poor: { priority: 9, cutPercent: 100, excluded: true },
  null: { priority: 1, cutPercent: 0, excluded: false },
};
const FUNCTIONAL = ['2050201', '2050202', '2050203', '2050204', '2130505', '2100408'];
const GRADES: Array<Grade | null> = ['excellent', 'good', 'fair', 'poor', null];

function percentiles(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
}

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

async function main(): Promise<void> {
  const fresh = freshDatabase('budget_bench_alloc');
  const db = await openDatabase(fresh.database);
  try {
    await migrateLatest(db);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const status = await checkDatabase(db, fresh.database.client);
    const ysk = (await db('users').where('username', 'nm_ysk').first('id')) as { id: number };
    const p = (await loadPrincipal(db, Number(ysk.id)))!;
    const units = (await db('organisations')
      .where('kind', 'budget_unit')
      .where('region_code', 'like', '1501%')
      .select('id', 'parent_id')) as Array<{ id: number; parent_id: number }>;
    await db('performance_grades').insert(
      units
        .map((u, i) => ({
          fiscal_year: 2025,
          unit_org_id: u.id,
          grade: GRADES[i % GRADES.length] ?? 'good',
          source: 'bench',
          recorded_at: new Date(),
        }))
        .filter((_, i) => GRADES[i % GRADES.length] !== null),
    );
    const now = new Date();
    const bands = ['support', 'adjust', 'reject', null];
    for (let start = 0; start < PROJECTS; start += 500) {
      const rows = [];
      for (let i = start; i < Math.min(PROJECTS, start + 500); i++) {
        const unit = units[i % units.length]!;
        rows.push({
          project_no: `XM2026-${String(i + 1).padStart(6, '0')}`,
          fiscal_year: 2026,
          name: `压测项目${i + 1}`,
          unit_org_id: unit.id,
          category: '33',
          functional_code: FUNCTIONAL[i % FUNCTIONAL.length],
          description: '压测数据',
          total_amount_fen: 10_000_00 + ((i * 7919) % 2_000_000_00),
          status: i % 2 ? 'scored' : 'reserved',
          expert_band: i % 2 ? bands[i % 4] : null,
          expert_score_centi: i % 2 ? 5000 + ((i * 37) % 5000) : null,
          version: 1,
          created_at: now,
          updated_at: now,
        });
      }
      await db('projects').insert(rows);
    }
    const projects = (await db('projects').select('id', 'total_amount_fen')) as Array<{ id: number; total_amount_fen: number }>;
    await db.batchInsert(
      'project_amounts',
      projects.map((x) => ({ project_id: x.id, economic_code: '30213', amount_fen: x.total_amount_fen })),
      500,
    );
    const departments = [...new Set(units.map((u) => Number(u.parent_id)))];
    const sectors = [...new Set(FUNCTIONAL.map((f) => f.slice(0, 3)))];
    const totalRequested = projects.reduce((s, x) => s + Number(x.total_amount_fen), 0);
    const controlTotals = departments.flatMap((d) =>
      sectors.map((sector) => ({
        departmentOrgId: d,
        sector,
        amountFen: Math.floor((totalRequested * 0.7) / (departments.length * sectors.length)),
      })),
    );
    const deps = {
      db,
      engine: new EngineClient('http://127.0.0.1:9/engine-rest'),
      namespace: '',
      keyStore: new DatabaseKeyStore(db, 'bench-secret-not-used-for-any-seal-here'),
    };
    const rules = (g: Grade | null) => DEFAULT_RULES[String(g)]!;

    console.log(
      `预算编制基准：${PROJECTS} 个候选项目，${controlTotals.length} 个控制数，数据库 ${status.client} ${status.serverVersion ?? ''}`,
    );
    const built = await time(() =>
      createAllocation(
        deps,
        p,
        scopeOrgIds(db, p),
        { fiscalYear: 2026, name: '压测分配方案', majorDecision: false, controlTotals },
        { rules },
      ),
    );
    const id = built.value;
    console.log(`build (rank + suggest + write ${PROJECTS} lines): ${built.ms.toFixed(0)} ms`);

    const loads: number[] = [];
    let json = '';
    for (let r = 0; r < RUNS; r++) {
      const l = await time(() => getAllocation(deps, p, id));
      loads.push(l.ms);
      json = JSON.stringify(l.value);
    }
    console.log(`load (the whole table as the page reads it): ${percentiles(loads)}; ${(json.length / 1024).toFixed(0)} KB JSON`);

    const a = JSON.parse(json) as {
      lines: Array<{
        projectId: number;
        departmentOrgId: number;
        sector: string;
        requestedFen: number;
        proposedFen: number;
        excluded: boolean;
      }>;
      version: number;
    };
    const totals = new Map(controlTotals.map((t) => [controlKey(t.departmentOrgId, t.sector), t.amountFen]));
    const recalcs: number[] = [];
    for (let r = 0; r < RUNS * 10; r++) {
      const lines = a.lines.map((l, i) => (i === r % a.lines.length ? { ...l, proposedFen: Math.max(0, l.proposedFen - 1) } : l));
      const t0 = performance.now();
      sumLines(lines);
      checkAllocation(lines, totals);
      recalcs.push(performance.now() - t0);
    }
    console.log(`recalculation in the page (live sums + control-total check over ${a.lines.length} lines): ${percentiles(recalcs)}`);

    const saves: number[] = [];
    let version = a.version;
    for (let r = 0; r < RUNS; r++) {
      const changed = a.lines
        .filter((l) => l.proposedFen > 0)
        .slice(r * 100, r * 100 + 100)
        .map((l) => ({ projectId: l.projectId, proposedFen: l.proposedFen - 1 }));
      if (!changed.length) break;
      const s = await time(() => editLines(db, p, id, { version, lines: changed }));
      version = s.value.version;
      saves.push(s.ms);
    }
    console.log(`what-if save (100 amounts, whole allocation checked): ${percentiles(saves)}`);
  } finally {
    await db.destroy();
    await fresh.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
