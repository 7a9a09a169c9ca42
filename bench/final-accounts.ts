/**
 * 决算 at province scale: `npx tsx bench/final-accounts.ts` (npm run bench:final-accounts).
 *
 * In a fresh database on the server DATABASE_URL names (SQLite when unset), dropped afterwards:
 * one province with BENCH_DEPARTMENTS departments (40) of BENCH_UNITS_PER_DEPARTMENT units (12),
 * BENCH_PROJECTS projects (10,000), one or two quotas each, and BENCH_ENTRIES journal entries
 * (100,000: issues, freeze → consume, freeze → unfreeze, adjust-in, adjust-out, with the balance
 * after each), written straight into the tables in bulk (no service, no audit chain: this times the
 * 决算, not the ledger). Then times, with the real code paths:
 *   - generate: every unit's final accounts and their figures (createDrafts: one INSERT for the
 *     accounts, one INSERT … SELECT over the journal for the lines, items and totals set-based);
 *   - regenerate one unit (p50/p95 over 20 units), the way 重新生成 does it;
 *   - the province roll-up (listFinalAccounts, page 1 and totals) and the by-code roll-up;
 *   - the Excel export of the whole province (finalAccountsWorkbook: 汇总, 项目明细, by code).
 * And checks that the generated totals equal the quotas' balances to the fen. Figures only.
 */
import { checkDatabase, migrateLatest, openDatabase } from '../server/db';
import { createDrafts, listFinalAccounts } from '../server/final-accounts/service';
import { figuresQuery, generateFigures } from '../server/final-accounts/figures';
import { finalAccountsWorkbook } from '../server/final-accounts/report';
import { freshDatabase } from './fresh-database';

const YEAR = 2026;
const DEPARTMENTS = Number(process.env.BENCH_DEPARTMENTS ?? 40);
const UNITS_PER_DEPARTMENT = Number(process.env.BENCH_UNITS_PER_DEPARTMENT ?? 12);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 10_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const CHUNK = 500;

/** A deterministic generator (mulberry32), so two runs write the same province. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const at = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0;

async function main(): Promise<void> {
  const fresh = freshDatabase();
  const db = await openDatabase(fresh.database);
  const rnd = random(20261203);
  // BENCH_TRACE=1: every statement slower than 200 ms, with its time (to see where a phase goes).
  if (process.env.BENCH_TRACE === '1') {
    const started = new Map<string, number>();
    db.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
    db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
      const took = performance.now() - (started.get(q.__knexQueryUid) ?? performance.now());
      started.delete(q.__knexQueryUid);
      if (took > 200) console.error(`${Math.round(took)} ms  ${q.sql.slice(0, 160)}`);
    });
  }
  try {
    await migrateLatest(db);
    const status = await checkDatabase(db, fresh.database.client);
    const now = new Date();
    const t0 = performance.now();
    const insert = async (table: string, rows: Array<Record<string, unknown>>) => {
      for (let i = 0; i < rows.length; i += CHUNK) await db(table).insert(rows.slice(i, i + CHUNK));
    };

    // The province: a bureau, departments, units (paths written with the ids known).
    await db('regions').insert({ code: '150000', name: '内蒙古自治区', level: 'province', parent_code: null });
    const [bureauId] = await db('organisations').insert({
      code: 'B-CZ',
      name: '自治区财政厅',
      kind: 'finance_bureau',
      region_code: '150000',
      parent_id: null,
      path: 'x',
      created_at: now,
    });
    await db('organisations')
      .where('id', Number(bureauId))
      .update({ path: `/${Number(bureauId)}/` });
    const departments: Array<{ id: number; path: string }> = [];
    for (let d = 0; d < DEPARTMENTS; d++) {
      const [id] = await db('organisations').insert({
        code: `B-D${d}`,
        name: `部门${d + 1}`,
        kind: 'department',
        region_code: '150000',
        parent_id: Number(bureauId),
        path: 'x',
        created_at: now,
      });
      const path = `/${Number(bureauId)}/${Number(id)}/`;
      await db('organisations').where('id', Number(id)).update({ path });
      departments.push({ id: Number(id), path });
    }
    await insert(
      'organisations',
      departments.flatMap((d, di) =>
        Array.from({ length: UNITS_PER_DEPARTMENT }, (_, u) => ({
          code: `B-D${di}-U${u}`,
          name: `部门${di + 1}所属单位${u + 1}`,
          kind: 'budget_unit',
          region_code: '150000',
          parent_id: d.id,
          path: `${d.path}pending-${u}/`,
          created_at: now,
        })),
      ),
    );
    await db.raw(
      `update organisations set path = ${status.client === 'sqlite' ? "replace(path, substr(path, instr(path, 'pending-')), id || '/')" : "concat(substring_index(path, 'pending-', 1), id, '/')"} where path like '%pending-%'`,
    );
    const units = ((await db('organisations').where('kind', 'budget_unit').orderBy('id').select('id')) as Array<{ id: number }>).map((u) =>
      Number(u.id),
    );

    // Projects, quotas (one or two economic codes), entries.
    const projectRows = Array.from({ length: PROJECTS }, (_, i) => ({
      project_no: `XM${YEAR}-${String(i + 1).padStart(6, '0')}`,
      fiscal_year: YEAR,
      name: `项目${i + 1}`,
      unit_org_id: units[i % units.length],
      category: '33',
      functional_code: ['2050204', '2130504', '2100101'][i % 3],
      description: '基准测试',
      total_amount_fen: 0,
      status: 'funded',
      version: 1,
      created_at: now,
      updated_at: now,
    }));
    await insert('projects', projectRows);
    const projects = (await db('projects').orderBy('id').select('id', 'unit_org_id', 'functional_code')) as Array<{
      id: number;
      unit_org_id: number;
      functional_code: string;
    }>;
    // Entries are made up per quota first, so each quota is inserted with the balance its journal gives.
    const quotaRows = projects.flatMap((p, i) =>
      (i % 2 === 0 ? ['30213', '30211'] : ['30201']).map((economic) => ({
        quota_no: `ZB${YEAR}-P${p.id}-${economic}`,
        fiscal_year: YEAR,
        project_id: p.id,
        unit_org_id: p.unit_org_id,
        functional_code: p.functional_code,
        economic_code: economic,
        fund_source: '一般公共预算',
        document_no: '财预〔2026〕1号',
        amount_fen: 0,
        used_fen: 0,
        frozen_fen: 0,
        created_at: now,
        updated_at: now,
      })),
    );
    const journal: Array<Record<string, unknown>> = [];
    const entry = (qi: number, kind: string, x: number, d: { amount?: number; used?: number; frozen?: number }) => {
      const b = quotaRows[qi]!;
      b.amount_fen += d.amount ?? 0;
      b.used_fen += d.used ?? 0;
      b.frozen_fen += d.frozen ?? 0;
      journal.push({
        quota_id: qi,
        kind,
        amount_fen: x,
        delta_amount_fen: d.amount ?? 0,
        delta_used_fen: d.used ?? 0,
        delta_frozen_fen: d.frozen ?? 0,
        balance_after_amount_fen: b.amount_fen,
        balance_after_used_fen: b.used_fen,
        balance_after_frozen_fen: b.frozen_fen,
        actor: 'bench',
        reason: '基准测试',
        created_at: now,
      });
    };
    quotaRows.forEach((_, qi) => entry(qi, 'issue', 1_000_000_00, { amount: 1_000_000_00 }));
    while (journal.length < ENTRIES) {
      const qi = Math.floor(rnd() * quotaRows.length);
      const b = quotaRows[qi]!;
      const avail = b.amount_fen - b.used_fen - b.frozen_fen;
      if (avail < 2) continue;
      const x = 1 + Math.floor(rnd() * Math.min(avail - 1, 5_000_00));
      const r = ENTRIES - journal.length === 1 ? 0.8 : rnd(); // the last one a single entry, so exactly ENTRIES
      if (r < 0.55) {
        entry(qi, 'freeze', x, { frozen: x });
        entry(qi, 'consume', x, { used: x, frozen: -x });
      } else if (r < 0.75) {
        entry(qi, 'freeze', x, { frozen: x });
        entry(qi, 'unfreeze', x, { frozen: -x });
      } else if (r < 0.9) entry(qi, 'adjust-in', x, { amount: x });
      else entry(qi, 'adjust-out', x, { amount: -x });
    }
    await insert('quotas', quotaRows);
    const quotas = ((await db('quotas').orderBy('id').select('id')) as Array<{ id: number }>).map((q) => Number(q.id));
    for (const j of journal) j.quota_id = quotas[j.quota_id as number];
    await insert('quota_journal', journal);
    // As after any bulk load: fresh statistics (InnoDB's would still say "1 row", and the planner
    // then walks every quota of the year for each unit: 40 s instead of 2 on MariaDB).
    if (status.client === 'mysql') await db.raw('analyze table quotas, quota_journal, projects, organisations');
    const seedMs = ms(t0);

    // 1. Generate every unit's final accounts and figures, in one transaction.
    let t = performance.now();
    const ids = await db.transaction((trx) => createDrafts(trx, YEAR, units, null));
    const generateMs = ms(t);
    if (process.env.BENCH_TRACE === '1') {
      const sql = figuresQuery(db, ids).toSQL();
      console.error(JSON.stringify(await db.raw(`explain ${sql.sql}`, sql.bindings as never), null, 1));
    }
    const [lines] = (await db('final_account_lines').count({ n: '*' })) as Array<{ n: number }>;
    const [items] = (await db('final_account_items').count({ n: '*' })) as Array<{ n: number }>;

    // The totals equal the ledger's balances to the fen.
    const [ledgerSum] = (await db('quotas')
      .where('fiscal_year', YEAR)
      .select(db.raw('sum(amount_fen) as amount'), db.raw('sum(used_fen) as used'), db.raw('sum(frozen_fen) as frozen'))) as Array<
      Record<string, number | string>
    >;
    const [faSum] = (await db('final_accounts').select(
      db.raw('sum(budget_fen) as budget'),
      db.raw('sum(paid_fen) as paid'),
      db.raw('sum(frozen_fen) as frozen'),
      db.raw('sum(balance_fen) as balance'),
    )) as Array<Record<string, number | string>>;
    const equal =
      Number(ledgerSum!.amount) === Number(faSum!.budget) &&
      Number(ledgerSum!.used) === Number(faSum!.paid) &&
      Number(ledgerSum!.frozen) === Number(faSum!.frozen) &&
      Number(faSum!.balance) === Number(ledgerSum!.amount) - Number(ledgerSum!.used) - Number(ledgerSum!.frozen);

    // 2. Regenerate one unit (重新生成), 20 units.
    const regen: number[] = [];
    for (const id of ids.slice(0, 20)) {
      t = performance.now();
      await db.transaction((trx) => generateFigures(trx, [id]));
      regen.push(ms(t));
    }

    // 3. The province's roll-up: page 1 with totals, and by functional / economic code.
    const scope = db('organisations').select('id').where('region_code', 'like', '15%');
    /** A reviewer of the province (finals:review): reads the roll-up, prepares nothing. */
    const PROVINCE_READER = { orgId: 0, permissions: new Set(['finals:review']) };
    const rollup: number[] = [];
    for (let i = 0; i < 10; i++) {
      t = performance.now();
      await listFinalAccounts(db, PROVINCE_READER, scope.clone(), { fiscalYear: YEAR, page: 1, pageSize: 50 });
      rollup.push(ms(t));
    }
    t = performance.now();
    await db('final_account_lines').groupBy('functional_code').select('functional_code', db.raw('sum(balance_fen) as b'));
    await db('final_account_lines').groupBy('economic_code').select('economic_code', db.raw('sum(balance_fen) as b'));
    const byCodeMs = ms(t);

    // 4. The province's Excel export; first the detail rows' SQL alone, to show what exceljs costs.
    t = performance.now();
    await db('final_account_lines as l')
      .join('final_accounts as fa', 'fa.id', 'l.final_account_id')
      .join('organisations as u', 'u.id', 'fa.unit_org_id')
      .leftJoin('projects as p', 'p.id', 'l.project_id')
      .leftJoin('final_account_items as i', function () {
        this.on('i.final_account_id', 'l.final_account_id').andOn('i.project_id', 'l.project_id');
      })
      .whereIn('l.final_account_id', ids)
      .select('l.*', 'u.name', 'p.project_no', 'p.name as pn', 'i.choice', 'i.explanation');
    const detailSqlMs = ms(t);
    t = performance.now();
    const xlsx = await finalAccountsWorkbook(db, ids);
    const exportMs = ms(t);

    const figures = {
      database: `${status.client} ${status.status === 'up' ? status.serverVersion : ''}`,
      units: units.length,
      projects: PROJECTS,
      quotas: quotas.length,
      journalEntries: journal.length,
      seedMs,
      finalAccounts: ids.length,
      lines: Number(lines!.n),
      items: Number(items!.n),
      generateProvinceMs: generateMs,
      regenerateUnitP50Ms: at(regen, 0.5),
      regenerateUnitP95Ms: at(regen, 0.95),
      provinceRollupP50Ms: at(rollup, 0.5),
      provinceRollupMaxMs: Math.max(...rollup),
      byCodeRollupMs: byCodeMs,
      exportExcelMs: exportMs,
      exportDetailSqlMs: detailSqlMs,
      exportBytes: xlsx.length,
      totalsEqualLedger: equal,
      balanceFen: Number(faSum!.balance),
    };
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    await db.destroy();
    await fresh.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
