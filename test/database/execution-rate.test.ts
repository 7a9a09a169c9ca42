import { seedDemoUsers } from '../../server/auth/demo-users';
import { loadPrincipal } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { adjustIn, adjustOut, carryOver, issueQuota, transfer } from '../../server/ledger/service';
import { executionByProject, executionByRegion, executionByUnit } from '../../server/performance/execution';
import { projectExecution } from '../../server/performance/execution-read';
import { assessReport } from '../../server/performance/monitoring';
import { DEFAULT_DEVIATION_RULE } from '../../domain/execution';
import { seedReferenceData } from '../../server/reference';
import { dateJournal, payment } from '../support/performance';
import { insertProjectRow } from '../support/projects';
import { openFreshDatabase } from '../support/system';

/**
 * 预算执行率 is defined once (server/performance/execution-read.ts) and 执行监控 (grouped per
 * project, unit and region), the quarterly 绩效监控 assessment and the 绩效评价 read the same
 * figure. A 2025 project of 第一中学 with two quotas goes through what moves a budget — 追加, 调减,
 * 调剂 to another project — payments and an open freeze, and after the year the final accounts
 * carry one quota's balance over (结转) and recover the other's (结余收回). Before this rule the
 * three disagreed on it: 执行监控 divided by the quotas' amounts after the disposals (99.11 %),
 * the evaluation took the recovery off but not the carry-over (58.17 %); now all say 55.55 %.
 */
jest.setTimeout(120_000);

const meta = { actor: 'test', reason: '测试' };

describe('one execution rate for 执行监控, 绩效监控 and 绩效评价', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let school: number;
  let a: number; // project ids
  let b: number;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    db = fresh.db;
    drop = fresh.drop;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    school = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    a = await insertProjectRow(db, { unitOrgId: school, fiscalYear: 2025, name: '执行率测试项目甲' });
    b = await insertProjectRow(db, { unitOrgId: school, fiscalYear: 2025, name: '执行率测试项目乙' });
    await db('projects').whereIn('id', [a, b]).update({ status: 'funded' });
    const issue = async (projectId: number, amountFen: number, key: string, on: string) => {
      const q = await issueQuota(db, {
        fiscalYear: 2025,
        projectId,
        unitOrgId: school,
        functionalCode: '2050204',
        economicCode: '30213',
        fundSource: '一般公共预算',
        documentNo: `测指〔2025〕${key}号`,
        amountFen,
        ...meta,
        idempotencyKey: key,
      });
      await dateJournal(db, [key], on);
      return q.quota.id;
    };
    const a1 = await issue(a, 80_000_33, 'er-a1', '2025-01-10');
    const a2 = await issue(a, 20_000_00, 'er-a2', '2025-02-01');
    const b1 = await issue(b, 10_000_00, 'er-b1', '2025-01-10');
    await adjustIn(db, { quotaId: a1, amountFen: 5_000_00, ...meta, idempotencyKey: 'er-a1-add' }); // 追加
    await dateJournal(db, ['er-a1-add'], '2025-04-01');
    await adjustOut(db, { quotaId: a2, amountFen: 3_000_00, ...meta, idempotencyKey: 'er-a2-cut' }); // 调减
    await dateJournal(db, ['er-a2-cut'], '2025-08-01');
    await transfer(db, { fromQuotaId: a2, toQuotaId: b1, amountFen: 2_000_00, ...meta, idempotencyKey: 'er-a2-b1' }); // 调剂
    await dateJournal(db, ['er-a2-b1', 'er-a2-b1/in'], '2025-09-01');
    await payment(db, a1, 45_555_66, { frozenOn: '2025-06-01', paidOn: '2025-06-10' });
    await payment(db, a2, 10_000_00, { frozenOn: '2025-10-01', paidOn: '2025-10-10' });
    await payment(db, a2, 500_00, { frozenOn: '2025-12-01', paidOn: null }); // still frozen
    await payment(db, b1, 12_000_00, { frozenOn: '2025-11-01', paidOn: '2025-11-05' });
    // After the year, as 决算 close posts it: a1's balance carried over, a2's recovered.
    const closing = { actor: '流程引擎（决算）', reason: '2025 年度决算', reference: { type: 'final-account', id: '1' } };
    await carryOver(db, { ...closing, quotaId: a1, amountFen: 39_444_67, into: { fiscalYear: 2026 }, idempotencyKey: 'fa-1-a1-co' });
    await adjustOut(db, { ...closing, quotaId: a2, amountFen: 4_500_00, idempotencyKey: 'fa-1-a2-rc' });
    await dateJournal(db, ['fa-1-a1-co', 'fa-1-a1-co/in', 'fa-1-a2-rc'], '2026-01-15');
  });

  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  // a: issued 80,000.33 + 5,000.00 + 20,000.00 − 3,000.00 − 2,000.00 = 100,000.33; paid 55,555.66 (55.555476…%); frozen 500.00
  const A = { issuedFen: 100_000_33, paidFen: 55_555_66, frozenFen: 500_00, rateBasisPoints: 5555 };
  // b: issued 10,000.00 + 2,000.00 (调剂 in) = 12,000.00, all paid
  const B = { issuedFen: 12_000_00, paidFen: 12_000_00, frozenFen: 0, rateBasisPoints: 10000 };

  test('the ledger read (the evaluation’s): a year-end 结转 or 结余收回 does not leave the year’s budget; 追加/调减/调剂 do', async () => {
    expect(await projectExecution(db, a, 2025)).toEqual(A);
    expect(await projectExecution(db, b, 2025)).toEqual(B);
    // The quotas hold less now — 56,055.66 — which the old 执行监控 divided by.
    const held = (await db('quotas').where({ project_id: a, fiscal_year: 2025 }).sum({ n: 'amount_fen' }).first()) as {
      n: number | string;
    };
    expect(Number(held.n)).toBe(56_055_66);
    // The carried balance is 2026's budget.
    expect(await projectExecution(db, a, 2026)).toEqual({ issuedFen: 39_444_67, paidFen: 0, frozenFen: 0, rateBasisPoints: 0 });
  });

  test('执行监控 per project, unit and region says the same, to the fen; 可用 is what the quotas still hold', async () => {
    const p = (await loadPrincipal(db, Number(((await db('users').where({ username: 'nm_ysk' }).first('id')) as { id: number }).id)))!;
    const query = { fiscalYear: 2025, page: 1, pageSize: 20 };
    const projects = await executionByProject(db, p, query);
    const byId = new Map(projects.items.map((r) => [r.projectId, r]));
    expect(byId.get(a)).toMatchObject({
      budgetFen: A.issuedFen,
      paidFen: A.paidFen,
      frozenFen: A.frozenFen,
      availableFen: 0,
      executionPercent: 55.55,
      timePercent: 100,
      gapPoints: 44.44,
      level: 'severe',
    });
    expect(byId.get(b)).toMatchObject({
      budgetFen: B.issuedFen,
      paidFen: B.paidFen,
      frozenFen: 0,
      availableFen: 0,
      executionPercent: 100,
      level: 'none',
    });
    // worst first; the level filter in SQL uses the same budget (a is more than 40 points behind).
    expect(projects.items.map((r) => r.projectId)).toEqual([a, b]);
    expect((await executionByProject(db, p, { ...query, minLevel: 'severe' })).items.map((r) => r.projectId)).toEqual([a]);
    const units = await executionByUnit(db, p, query);
    expect(units.items).toEqual([
      expect.objectContaining({
        unitOrgId: school,
        projectCount: 2,
        budgetFen: A.issuedFen + B.issuedFen,
        paidFen: A.paidFen + B.paidFen,
        frozenFen: A.frozenFen,
        availableFen: 0,
      }),
    ]);
    const regions = await executionByRegion(db, p, query);
    expect(regions.items).toEqual([
      expect.objectContaining({ regionCode: '150100', budgetFen: A.issuedFen + B.issuedFen, paidFen: A.paidFen + B.paidFen }),
    ]);
  });

  test('the quarterly assessment reads it as of the quarter’s end: Q4 sees the year’s budget before the closing, the same rate', async () => {
    const now = new Date();
    const [roundId] = await db('monitoring_rounds').insert({
      fiscal_year: 2025,
      quarter: 4,
      scope_key: '15',
      report_count: 1,
      started_at: now,
    });
    const [reportId] = await db('monitoring_reports').insert({
      round_id: Number(roundId),
      project_id: a,
      unit_org_id: school,
      fiscal_year: 2025,
      quarter: 4,
      status: 'assessing',
      submitted_at: now,
      created_at: now,
      updated_at: now,
    });
    await db.transaction((trx) => assessReport(trx, Number(reportId), DEFAULT_DEVIATION_RULE));
    const r = (await db('monitoring_reports').where('id', Number(reportId)).first()) as Record<string, unknown>;
    expect({
      asOf: r.as_of,
      budget: Number(r.budget_fen),
      paid: Number(r.paid_fen),
      frozen: Number(r.frozen_fen),
      level: r.deviation_level,
    }).toEqual({ asOf: '2025-12-31', budget: A.issuedFen, paid: A.paidFen, frozen: A.frozenFen, level: 'severe' });
    expect(JSON.parse(String(r.deviation_reasons))).toEqual(['预算执行率 55.55% 落后时间进度 100% 共 44.44 个百分点（超过 40 个百分点）']);
    // As of the end of Q3 the last payments and the freeze had not happened.
    expect(await projectExecution(db, a, 2025, { until: new Date('2025-09-30T23:59:59.999+08:00') })).toEqual({
      issuedFen: A.issuedFen,
      paidFen: 45_555_66,
      frozenFen: 0,
      rateBasisPoints: 4555,
    });
  });
});
