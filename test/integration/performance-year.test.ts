import { shanghaiDate } from '../../domain/time';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { carryOver } from '../../server/ledger/service';
import { projectExecution } from '../../server/performance/execution-read';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { dateJournal, fundedProject, payment } from '../support/performance';
import { startTestSystem, type TestSystem } from '../support/system';
import { until } from '../support/treasury';

/**
 * One project's whole year, on the real engine and database, through the HTTP API: 第一中学's
 * 2025 project is funded (a quota of ¥200,000.50 issued through the ledger on 10 January) and paid
 * through the year; 周强 (nm_jxc, 绩效处) runs the quarterly monitoring of Q1 (on time) and Q2
 * (25.00 % executed against 49.59 % of the year: more than 20 points behind, a warning to 绩效处
 * and 教育局, 整改 asked and answered); after the year the balance is carried over by the final
 * accounts and the project is evaluated — 王芳 (nm_clerk_yz) files the self-evaluation, 绩效处
 * corrects an actual — and graded 中 by the engine's decision table; the 2026 allocation proposes
 * the configured 15 % cut for 第一中学. Every execution figure is the ledger's, to the fen, and the
 * same in 绩效监控, 执行监控 and 绩效评价.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '135792';

const ISSUED = 200_000_50; // ¥200,000.50
const Q1_PAID = 40_000_13;
const Q2_PAID = 10_000_00;
const Q3_PAID = 30_000_00; // frozen in June, paid in July
const Q4_PAID = 55_060_34;
const PAID = Q1_PAID + Q2_PAID + Q3_PAID + Q4_PAID; // ¥135,060.47
const BALANCE = ISSUED - PAID; // ¥64,940.03, carried over by the final accounts

describe('a project’s whole year: funded → monitored → evaluated → next year’s allocation', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  let school: number;
  let education: number;
  let project: number;
  let quota: number;

  const reportOf = async (quarter: number) =>
    (await t.system.db('monitoring_reports').where({ project_id: project, fiscal_year: 2025, quarter }).first()) as
      Record<string, unknown> | undefined;
  const instanceEnded = (instance: string) =>
    until(
      'instance ended',
      async () =>
        (
          await t.system.engine.request<Array<{ state: string }>>('GET', '/history/process-instance', {
            query: { processInstanceId: instance },
          })
        )[0]?.state === 'COMPLETED',
    );
  const openTask = (elementId: string) =>
    until(
      `${elementId} of project ${project}`,
      async () =>
        (await t.system.db('inbox_tasks').where({ business_id: project, element_id: elementId, status: 'open' }).first('id')) as
          { id: number } | undefined,
    );
  const evaluation = async (id: number, user = 'nm_jxc') => (await call(user, 'GET', `/performance/evaluations/${id}`)).body;

  /** 绩效处 starts the quarter; the unit files its report once the instance waits for it; the worker assesses it. */
  const monitorQuarter = async (
    quarter: 1 | 2,
    targets: (ids: number[]) => Array<{ targetId: number; actualValue: string; atRisk: boolean; note?: string }>,
    progressNote: string,
  ) => {
    const started = await call('nm_jxc', 'POST', '/monitoring/rounds', { fiscalYear: 2025, quarter });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ fiscalYear: 2025, quarter, created: true });
    const row = await until(`Q${quarter} report with its instance`, async () => {
      const r = await reportOf(quarter);
      return r?.process_instance_key ? r : undefined;
    });
    await until(`Q${quarter} UnitReport`, async () =>
      (await t.system.engine.tasks({ processInstanceId: String(row.process_instance_key) })).find(
        (x) => x.taskDefinitionKey === 'UnitReport',
      ),
    );
    const id = Number(row.id);
    const detail = await call('nm_clerk_yz', 'GET', `/monitoring/reports/${id}`);
    expect(detail.body.can.report).toBe(true);
    const filed = await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/report`, {
      progressNote,
      targets: targets(detail.body.targets.map((x: { targetId: number }) => x.targetId)),
    });
    expect(filed.status).toBe(200);
    const assessed = await until(`Q${quarter} assessment`, async () => {
      const r = await call('nm_jxc', 'GET', `/monitoring/reports/${id}`);
      return r.body.status !== 'assessing' && r.body.status !== 'pending' ? r.body : undefined;
    });
    return { id, instance: String(row.process_instance_key), report: assessed };
  };

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of ['nm_jxc', 'nm_clerk_yz', 'nm_ysk', 'nm_dept_jy']) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    school = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    education = Number(((await db('organisations').where({ code: '150100-JY' }).first('id')) as { id: number }).id);
    expect((await call('nm_jxc', 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);

    // Funded: the 2025 quota issued through the ledger; payments through the year, frozen when
    // requested and consumed when paid (dated on the days they were made).
    ({ projectId: project, quotaId: quota } = await fundedProject(call, db, {
      name: '第一中学校舍维修（全年）',
      unitOrgId: school,
      fiscalYear: 2025,
      issuedFen: ISSUED,
      issuedOn: '2025-01-10',
    }));
    await payment(db, quota, Q1_PAID, { frozenOn: '2025-03-05', paidOn: '2025-03-20' });
    await payment(db, quota, Q2_PAID, { frozenOn: '2025-05-08', paidOn: '2025-05-15' });
    await payment(db, quota, Q3_PAID, { frozenOn: '2025-06-20', paidOn: '2025-07-10' });
    await payment(db, quota, Q4_PAID, { frozenOn: '2025-11-12', paidOn: '2025-11-20' });
  });

  afterAll(async () => {
    await t?.close();
  });

  test('Q1: on time — 20.00 % executed at 24.66 % of the year, no warning, the instance ends', async () => {
    const { report, instance } = await monitorQuarter(
      1,
      (ids) => ids.map((targetId) => ({ targetId, actualValue: '300', atRisk: false })),
      '一季度完成设计与招标',
    );
    expect(report).toMatchObject({ status: 'submitted', asOf: '2025-03-31', deviationLevel: 'none', deviationReasons: [] });
    expect(report.figures).toEqual({
      budgetFen: ISSUED,
      frozenFen: 0,
      paidFen: Q1_PAID,
      availableFen: ISSUED - Q1_PAID,
      executionPercent: 20,
      timePercent: 24.66,
      gapPoints: 4.66,
      level: 'none',
      levelLabel: '正常',
    });
    expect(await projectExecution(t.system.db, project, 2025, { until: new Date('2025-03-31T23:59:59.999+08:00') })).toEqual({
      issuedFen: ISSUED,
      paidFen: Q1_PAID,
      frozenFen: 0,
      rateBasisPoints: 2000,
    });
    await instanceEnded(instance);
  });

  test('Q2: 25.00 % executed at 49.59 % of the year — more than 20 points behind: a warning to 绩效处 and 教育局; 整改 asked and answered', async () => {
    const { id, report, instance } = await monitorQuarter(
      2,
      (ids) => ids.map((targetId) => ({ targetId, actualValue: '500', atRisk: false })),
      '二季度施工进行中',
    );
    // As of 30 June: the July payment is still frozen; the ledger's figures, not anyone's typing.
    expect(report).toMatchObject({ status: 'warned', asOf: '2025-06-30', deviationLevel: 'warning', deviationLabel: '预警' });
    expect(report.figures).toEqual({
      budgetFen: ISSUED,
      frozenFen: Q3_PAID,
      paidFen: Q1_PAID + Q2_PAID,
      availableFen: ISSUED - Q1_PAID - Q2_PAID - Q3_PAID,
      executionPercent: 25,
      timePercent: 49.59,
      gapPoints: 24.59,
      level: 'warning',
      levelLabel: '预警',
    });
    expect(report.deviationReasons).toEqual(['预算执行率 25% 落后时间进度 49.59% 共 24.59 个百分点（超过 20 个百分点）']);
    const people = ((await t.system.db('users').whereIn('username', ['nm_jxc', 'nm_dept_jy']).select('id')) as Array<{ id: number }>)
      .map((u) => Number(u.id))
      .sort();
    const told = (
      (await t.system.db('notifications').where({ kind: 'monitoring-deviation' }).select('user_id')) as Array<{ user_id: number }>
    )
      .map((n) => Number(n.user_id))
      .sort();
    expect(told).toEqual(people);
    const list = await call('nm_dept_jy', 'GET', '/monitoring/reports?fiscalYear=2025&deviation=true');
    expect(list.body.items.map((r: { id: number; quarter: number }) => [r.id, r.quarter])).toEqual([[id, 2]]);

    await until('ReviewDeviation', async () =>
      (await t.system.engine.tasks({ processInstanceId: instance })).find((x) => x.taskDefinitionKey === 'ReviewDeviation'),
    );
    const due = shanghaiDate(new Date(Date.now() + 14 * 86_400_000));
    const asked = await call('nm_jxc', 'POST', `/monitoring/reports/${id}/review`, {
      decision: 'rectify',
      dueDate: due,
      comment: '请加快支付进度',
    });
    expect(asked.status).toBe(200);
    await until('UnitRectify', async () =>
      (await t.system.engine.tasks({ processInstanceId: instance })).find((x) => x.taskDefinitionKey === 'UnitRectify'),
    );
    const answered = await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/rectification`, {
      answer: '三季度支付工程进度款 ¥30,000.00',
    });
    expect(answered.body).toMatchObject({ status: 'rectified' });
    await instanceEnded(instance);
  });

  test('after the year: the balance carried over by the final accounts; the rate stays the year’s in 执行监控 and the ledger read', async () => {
    const db = t.system.db;
    // As 决算 close posts it (server/final-accounts/service.ts), on 15 January of the next year.
    const co = await carryOver(db, {
      actor: '流程引擎（决算）',
      reason: '2025 年度决算结转下年',
      reference: { type: 'final-account', id: 'year-test' },
      quotaId: quota,
      amountFen: BALANCE,
      into: { fiscalYear: 2026 },
      idempotencyKey: `fa-year-q${quota}-co`,
    });
    await dateJournal(db, [`fa-year-q${quota}-co`], '2026-01-15');
    expect(co.to.amountFen).toBe(BALANCE);
    const held = (await db('quotas').where('id', quota).first('amount_fen', 'used_fen', 'frozen_fen')) as Record<string, unknown>;
    expect([Number(held.amount_fen), Number(held.used_fen), Number(held.frozen_fen)]).toEqual([PAID, PAID, 0]);
    // ¥135,060.47 ÷ ¥200,000.50 = 67.530066…%: 67.53 % — not 100 % because the rest left the quota.
    expect(await projectExecution(db, project, 2025)).toEqual({ issuedFen: ISSUED, paidFen: PAID, frozenFen: 0, rateBasisPoints: 6753 });
    const monitor = await call('nm_ysk', 'GET', '/execution/projects?fiscalYear=2025');
    expect(monitor.body.items).toEqual([
      expect.objectContaining({
        projectId: project,
        budgetFen: ISSUED,
        paidFen: PAID,
        frozenFen: 0,
        availableFen: 0,
        executionPercent: 67.53,
        timePercent: 100,
      }),
    ]);
    const units = await call('nm_ysk', 'GET', '/execution/units?fiscalYear=2025');
    expect(units.body.items).toEqual([
      expect.objectContaining({ unitOrgId: school, budgetFen: ISSUED, paidFen: PAID, availableFen: 0, executionPercent: 67.53 }),
    ]);
    // The carried balance is 2026's money.
    expect(await projectExecution(db, project, 2026)).toEqual({ issuedFen: BALANCE, paidFen: 0, frozenFen: 0, rateBasisPoints: 0 });
  });

  let evaluationId: number;

  test('self-evaluation by the unit, then 绩效处’s review: 74.26, 中 from the engine’s decision table', async () => {
    const started = await call('nm_jxc', 'POST', '/performance/evaluations', { fiscalYear: 2025, projectIds: [project] });
    expect(started.status).toBe(201);
    evaluationId = started.body.started[0].id;
    await openTask('SelfEvaluation');
    const e = await evaluation(evaluationId, 'nm_clerk_yz');
    expect(e.execution).toMatchObject({ issuedFen: ISSUED, paidFen: PAID, rateBasisPoints: 6753, fromLedger: true });
    const [area, pupils] = e.indicators as Array<{ actualId: number }>;
    const saved = await call('nm_clerk_yz', 'PUT', `/performance/evaluations/${evaluationId}/self-evaluation`, {
      version: e.version,
      explanation: '二季度施工滞后，年末结转 ¥64,940.03',
      actuals: [
        { actualId: area!.actualId, value: '900', gapExplanation: '雨季停工两周' },
        { actualId: pupils!.actualId, value: '800' },
      ],
    });
    expect(saved.status).toBe(200);
    expect((await call('nm_clerk_yz', 'POST', `/performance/evaluations/${evaluationId}/self-evaluation/submit`, {})).status).toBe(200);
    await openTask('Review');
    const self = await until('the self score', async () => {
      const x = await evaluation(evaluationId);
      return x.status === 'review' ? x : undefined;
    });
    // 产出 56.25 × 900/1000 = 50.625 → 50.63; 效益 33.75 × 800/800 = 33.75; execution 10 × 67.53 % = 6.75
    expect(self.scores).toMatchObject({
      selfCenti: 5063 + 3375 + 675,
      execution: { weightCenti: 1000, scoreCenti: 675, rateBasisPoints: 6753 },
    });

    const reviewed = await call('nm_jxc', 'POST', `/performance/evaluations/${evaluationId}/review`, {
      decision: 'approve',
      comment: '受益学生按名册核减',
      adjustments: [{ actualId: pupils!.actualId, value: '400', reason: '核实名册，实际受益 400 人' }],
      signingPin: PIN,
    });
    expect(reviewed.status).toBe(200);
    const done = await until(
      'graded',
      async () => {
        const x = await evaluation(evaluationId);
        return x.status === 'graded' ? x : undefined;
      },
      90_000,
    );
    // 50.63 + 33.75 × 400/800 = 16.875 → 16.88 + 6.75 = 74.26
    expect(done.scores).toMatchObject({ selfCenti: 9113, reviewedCenti: 7426, externalCenti: null, finalCenti: 7426 });
    expect(done).toMatchObject({
      grade: 'fair',
      gradeLabel: '中',
      external: false,
      execution: { issuedFen: ISSUED, paidFen: PAID, rateBasisPoints: 6753, snapshot: true },
    });
    expect(await t.system.db('performance_grades').where({ fiscal_year: 2025, unit_org_id: school }).first('grade', 'score_centi')).toEqual(
      { grade: 'fair', score_centi: 7426 },
    );
  });

  test('the 2026 allocation proposes the configured 15 % cut for 第一中学', async () => {
    const db = t.system.db;
    const r = await call('nm_clerk_yz', 'POST', '/projects', {
      ...demoApplication('第一中学校舍维修（续建）'),
      amounts: [{ economicCode: '30213', amountFen: 100_000_07 }],
    });
    expect(r.status).toBe(201);
    await db('projects').where('id', r.body.id).update({ status: 'reserved' }); // setup: as intake leaves it
    const built = await call('nm_ysk', 'POST', '/allocations', {
      fiscalYear: 2026,
      name: '2026 年预算分配（全年测试）',
      controlTotals: [{ departmentOrgId: education, sector: '205', amountFen: 1_000_000_00 }],
    });
    expect(built.status).toBe(201);
    const line = built.body.lines.find((l: { projectId: number }) => l.projectId === Number(r.body.id));
    // ¥100,000.07 less 15 % (¥15,000.02 rounded up to the fen) = ¥85,000.05
    expect(line).toMatchObject({ grade: 'fair', requestedFen: 100_000_07, suggestedFen: 85_000_05, excluded: false });
    expect(line.reason).toContain('上年绩效评价为「中」，按 15% 压减');
    expect(line.reason).not.toContain('连续两年');
  });
});
