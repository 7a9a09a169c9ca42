import ExcelJS from 'exceljs';
import { executionLevel, executionRate, quarterOf, timeProgress, DEVIATION_LEVELS } from '../../domain/execution';
import { shanghaiDate } from '../../domain/time';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { consume, freeze, issueQuota } from '../../server/ledger/service';
import { claimReport, QUARTER_PROCESS } from '../../server/performance/monitoring';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 季度绩效监控 on the real engine and database, through the HTTP API: 周强 (nm_jxc, 绩效处) starts the
 * current quarter; 王芳 (nm_clerk_yz, 第一中学) reports on two funded projects — one behind with a
 * target at risk (a deviation warning to 绩效处 and 教育局), one fully paid — 绩效处 asks for 整改
 * with a due date, the unit answers. Starting the quarter again (and a second round over the same
 * projects) makes no second report; the figures equal the ledger's sums to the fen.
 */
jest.setTimeout(240_000);

const PASSWORD = 'Budget@2026';
const YUAN = 100;

describe('performance monitoring on the engine', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  const { fiscalYear, quarter } = quarterOf(new Date());
  let behind: number; // project ids
  let onTrack: number;
  let unfunded: number;
  let schoolOrg: number;

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const reportOf = async (projectId: number) =>
    (await t.system.db('monitoring_reports').where({ project_id: projectId, fiscal_year: fiscalYear, quarter }).first()) as
      Record<string, unknown> | undefined;
  const engineTasks = (instance: string) => t.system.engine.tasks({ processInstanceId: instance });
  const ledgerSums = async (projectId: number) => {
    const r = (await t.system
      .db('quotas')
      .where({ project_id: projectId, fiscal_year: fiscalYear })
      .sum({ budget: 'amount_fen', paid: 'used_fen', frozen: 'frozen_fen' })
      .first()) as Record<string, unknown>;
    return { budgetFen: Number(r.budget), paidFen: Number(r.paid), frozenFen: Number(r.frozen) };
  };

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of ['nm_jxc', 'nm_clerk_yz', 'nm_clerk_ny', 'nm_dept_jy', 'nm_ysk', 'js_dept_jy'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    schoolOrg = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const ids: number[] = [];
    for (const name of ['监控测试项目（滞后）', '监控测试项目（正常）', '监控测试项目（未下达）']) {
      const r = await call('nm_clerk_yz', 'POST', '/projects', demoApplication(name, name));
      expect(r.status).toBe(201);
      ids.push(Number(r.body.id));
    }
    [behind, onTrack, unfunded] = ids as [number, number, number];
    // Setup only: the projects stand as allocation leaves them, with quotas of this fiscal year.
    await db('projects').whereIn('id', [behind, onTrack]).update({ status: 'funded' });
    const meta = { actor: 'test', reason: '测试' };
    const quota = async (projectId: number, amountFen: number, economicCode: string) =>
      (
        await issueQuota(db, {
          fiscalYear,
          projectId,
          unitOrgId: schoolOrg,
          functionalCode: '2050204',
          economicCode,
          fundSource: '一般公共预算',
          documentNo: '测试〔2026〕1号',
          amountFen,
          ...meta,
        })
      ).quota.id;
    const a1 = await quota(behind, 70_000 * YUAN + 33, '30213');
    const a2 = await quota(behind, 30_000 * YUAN, '30211');
    await freeze(db, { quotaId: a1, amountFen: 25_000 * YUAN + 7, ...meta });
    await consume(db, { quotaId: a1, amountFen: 20_000 * YUAN + 7, ...meta });
    await freeze(db, { quotaId: a2, amountFen: 10_000 * YUAN, ...meta });
    await consume(db, { quotaId: a2, amountFen: 10_000 * YUAN, ...meta });
    const b1 = await quota(onTrack, 50_000 * YUAN, '30213');
    await freeze(db, { quotaId: b1, amountFen: 50_000 * YUAN, ...meta });
    await consume(db, { quotaId: b1, amountFen: 50_000 * YUAN, ...meta });
  });

  afterAll(async () => {
    await t?.close();
  });

  let roundId: number;

  test('绩效处 starts the quarter: one report per funded project, one instance each; a second start starts nothing', async () => {
    const bad = await call('nm_jxc', 'POST', '/monitoring/rounds', { fiscalYear: fiscalYear + 1, quarter: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('QUARTER_NOT_STARTED');
    expect((await call('nm_clerk_yz', 'POST', '/monitoring/rounds', { fiscalYear, quarter })).status).toBe(403);
    expect((await call('nm_dept_jy', 'POST', '/monitoring/rounds', { fiscalYear, quarter })).body.error.code).toBe(
      'NOT_PERFORMANCE_DIVISION',
    );

    // 开展本季度监控 is offered to 绩效处 alone (the list's can, domain/monitoring.ts).
    expect((await call('nm_jxc', 'GET', `/monitoring/reports?fiscalYear=${fiscalYear}`)).body.can).toEqual({ startQuarter: true });
    expect((await call('nm_dept_jy', 'GET', `/monitoring/reports?fiscalYear=${fiscalYear}`)).body.can).toEqual({ startQuarter: false });
    expect((await call('nm_clerk_yz', 'GET', `/monitoring/reports?fiscalYear=${fiscalYear}`)).body.can).toEqual({ startQuarter: false });

    const first = await call('nm_jxc', 'POST', '/monitoring/rounds', { fiscalYear, quarter });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ fiscalYear, quarter, scopeKey: '15', created: true });
    roundId = first.body.id;
    const again = await call('nm_jxc', 'POST', '/monitoring/rounds', { fiscalYear, quarter });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: roundId, created: false });

    for (const p of [behind, onTrack]) {
      const r = await until(`report of ${p} with its instance`, async () => {
        const row = await reportOf(p);
        return row?.process_instance_key ? row : undefined;
      });
      await until(`UnitReport task of ${p}`, async () =>
        (await engineTasks(String(r.process_instance_key))).find((x) => x.taskDefinitionKey === 'UnitReport'),
      );
    }
    expect(await reportOf(unfunded)).toBeUndefined();
    const round = (await t.system.db('monitoring_rounds').where('id', roundId).first()) as Record<string, unknown>;
    expect(Number(round.report_count)).toBe(2);
    // The unit's clerk was told, once per report.
    const clerk = (await t.system.db('users').where({ username: 'nm_clerk_yz' }).first('id')) as { id: number };
    await until(
      'report-due notifications',
      async () =>
        Number(
          (
            (await t.system.db('notifications').where({ user_id: clerk.id, kind: 'monitoring-report-due' }).count({ n: '*' }))[0] as {
              n: number;
            }
          ).n,
        ) === 2,
    );
  });

  test("another round over the same quarter (the timer's, every region) adds no report; a duplicate instance ends itself", async () => {
    const db = t.system.db;
    const [rid] = await db('monitoring_rounds').insert({
      fiscal_year: fiscalYear,
      quarter,
      scope_key: 'all',
      report_count: 0,
      started_at: new Date(),
    });
    const started = await t.system.engine.startProcess(namespaced(t.config.engine.namespace, QUARTER_PROCESS), {
      variables: { roundId: Number(rid) },
    });
    await until('second round finished', async () => {
      const hist = await t.system.engine.request<Array<{ state: string }>>('GET', '/history/process-instance', {
        query: { processInstanceId: started.id },
      });
      return hist[0]?.state === 'COMPLETED';
    });
    expect(
      Number(((await db('monitoring_rounds').where('id', Number(rid)).first('report_count')) as { report_count: number }).report_count),
    ).toBe(0);
    expect(
      Number(((await db('monitoring_reports').where({ fiscal_year: fiscalYear, quarter }).count({ n: '*' }))[0] as { n: number }).n),
    ).toBe(2);
    // An instance the batch started but did not record (its transaction rolled back) finds the report taken.
    const row = (await reportOf(behind))!;
    expect(await db.transaction((trx) => claimReport(trx, Number(row.id), 'some-other-instance'))).toEqual({ duplicate: true });
    expect(await db.transaction((trx) => claimReport(trx, Number(row.id), String(row.process_instance_key)))).toEqual({ duplicate: false });
  });

  test('the unit reports; the execution comes from the ledger; a target at risk raises a warning to 绩效处 and the department', async () => {
    const row = (await reportOf(behind))!;
    const id = Number(row.id);
    expect((await call('nm_clerk_ny', 'GET', `/monitoring/reports/${id}`)).status).toBe(404);
    const detail = await call('nm_clerk_yz', 'GET', `/monitoring/reports/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ status: 'pending', can: { report: true, review: false, answer: false } });
    expect((await call('nm_jxc', 'GET', `/monitoring/reports/${id}`)).body.can).toEqual({ report: false, review: false, answer: false });
    expect(detail.body.targets).toHaveLength(2);
    const [t1, t2] = detail.body.targets as Array<{ targetId: number; name: string }>;

    const before = await t.system.db('monitoring_report_targets').count({ n: '*' });
    const missing = await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/report`, {
      progressNote: '进展',
      targets: [{ targetId: t1!.targetId, actualValue: '300', atRisk: false }],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('MONITORING_TARGETS_MISMATCH');
    const noNote = await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/report`, {
      progressNote: '',
      targets: [
        { targetId: t1!.targetId, actualValue: '300', atRisk: false },
        { targetId: t2!.targetId, actualValue: '200', atRisk: false },
      ],
    });
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.details[0].field).toBe('progressNote');
    expect(await t.system.db('monitoring_report_targets').count({ n: '*' })).toEqual(before);
    expect((await reportOf(behind))!.status).toBe('pending');

    const filed = await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/report`, {
      progressNote: '维修工程已完成三成，受天气影响进度滞后',
      targets: [
        { targetId: t1!.targetId, actualValue: '300', note: '雨季停工', atRisk: true },
        { targetId: t2!.targetId, actualValue: '800', atRisk: false },
      ],
    });
    expect(filed.status).toBe(200);
    expect(
      (
        await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/report`, {
          progressNote: 'x',
          targets: [
            { targetId: t1!.targetId, actualValue: '1', atRisk: false },
            { targetId: t2!.targetId, actualValue: '1', atRisk: false },
          ],
        })
      ).body.error.code,
    ).toBe('REPORT_NOT_PENDING');

    const warned = await until('assessment', async () => {
      const r = await call('nm_jxc', 'GET', `/monitoring/reports/${id}`);
      return r.body.status === 'warned' ? r.body : undefined;
    });
    const sums = await ledgerSums(behind);
    expect(sums).toEqual({ budgetFen: 100_000 * YUAN + 33, paidFen: 30_000 * YUAN + 7, frozenFen: 5_000 * YUAN });
    expect(warned.figures).toMatchObject({
      budgetFen: sums.budgetFen,
      paidFen: sums.paidFen,
      frozenFen: sums.frozenFen,
      availableFen: sums.budgetFen - sums.paidFen - sums.frozenFen,
    });
    const today = shanghaiDate(new Date());
    expect(warned.asOf).toBe(today);
    const ledgerLevel = executionLevel(timeProgress(fiscalYear, today), executionRate(sums.paidFen, sums.budgetFen));
    expect(warned.figures.level).toBe(ledgerLevel);
    // A target at risk is a warning at least; a worse execution level stands.
    expect(warned.deviationLevel).toBe(
      DEVIATION_LEVELS.indexOf(ledgerLevel) >= DEVIATION_LEVELS.indexOf('warning') ? ledgerLevel : 'warning',
    );
    expect(warned.deviationReasons.join('；')).toContain(`绩效目标实现有风险：${t1!.name}`);
    expect(warned.can).toEqual({ report: false, review: true, answer: false });
    expect((await call('nm_clerk_yz', 'GET', `/monitoring/reports/${id}`)).body.can).toEqual({
      report: false,
      review: false,
      answer: false,
    });

    const people = (await t.system.db('users').whereIn('username', ['nm_jxc', 'nm_dept_jy']).select('id')) as Array<{ id: number }>;
    const notified = (await t.system.db('notifications').where({ kind: 'monitoring-deviation' }).select('user_id')) as Array<{
      user_id: number;
    }>;
    expect(notified.map((n) => Number(n.user_id)).sort()).toEqual(people.map((p) => Number(p.id)).sort());
    const instance = String(row.process_instance_key);
    await until('ReviewDeviation task', async () => (await engineTasks(instance)).find((x) => x.taskDefinitionKey === 'ReviewDeviation'));
  });

  test('the on-track project reports without a warning and its instance ends', async () => {
    const row = (await reportOf(onTrack))!;
    const detail = await call('nm_clerk_yz', 'GET', `/monitoring/reports/${Number(row.id)}`);
    const targets = (detail.body.targets as Array<{ targetId: number }>).map((x) => ({
      targetId: x.targetId,
      actualValue: '1000',
      atRisk: false,
    }));
    expect(
      (await call('nm_clerk_yz', 'POST', `/monitoring/reports/${Number(row.id)}/report`, { progressNote: '按计划推进', targets })).status,
    ).toBe(200);
    const done = await until('assessment', async () => {
      const r = await reportOf(onTrack);
      return r?.status === 'submitted' ? r : undefined;
    });
    expect(done.deviation_level).toBe('none');
    expect({ budget: Number(done.budget_fen), paid: Number(done.paid_fen), frozen: Number(done.frozen_fen) }).toEqual({
      budget: 50_000 * YUAN,
      paid: 50_000 * YUAN,
      frozen: 0,
    });
    await until(
      'instance ended',
      async () =>
        (
          await t.system.engine.request<Array<{ state: string }>>('GET', '/history/process-instance', {
            query: { processInstanceId: String(done.process_instance_key) },
          })
        )[0]?.state === 'COMPLETED',
    );
  });

  test('绩效处 sees the deviation and asks for 整改 with a due date; the unit answers', async () => {
    const list = await call('nm_jxc', 'GET', `/monitoring/reports?fiscalYear=${fiscalYear}&quarter=${quarter}&deviation=true`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { projectId: number }) => r.projectId)).toEqual([behind]);
    expect((await call('nm_dept_jy', 'GET', `/monitoring/reports?deviation=true`)).body.total).toBe(1);
    const id = list.body.items[0].id as number;

    const past = await call('nm_jxc', 'POST', `/monitoring/reports/${id}/review`, {
      decision: 'rectify',
      dueDate: '2000-01-01',
      comment: '请加快执行',
    });
    expect(past.body.error.code).toBe('DUE_DATE_PAST');
    const noDate = await call('nm_jxc', 'POST', `/monitoring/reports/${id}/review`, { decision: 'rectify', comment: '请加快执行' });
    expect(noDate.status).toBe(400);
    expect(noDate.body.error.details[0].field).toBe('dueDate');
    expect((await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/review`, { decision: 'accept', comment: 'x' })).status).toBe(403);

    const due = shanghaiDate(new Date(Date.now() + 10 * 86_400_000));
    const asked = await call('nm_jxc', 'POST', `/monitoring/reports/${id}/review`, {
      decision: 'rectify',
      dueDate: due,
      comment: '请于期限内加快支付进度，并说明维修面积目标的补救措施',
    });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ status: 'rectifying', rectificationDue: due });
    const row = (await reportOf(behind))!;
    const task = await until('UnitRectify task', async () =>
      (await engineTasks(String(row.process_instance_key))).find((x) => x.taskDefinitionKey === 'UnitRectify'),
    );
    expect(String((task as { due?: string }).due).slice(0, 10)).toBe(due);
    expect(
      (await t.system.db('notifications').where({ kind: 'monitoring-rectification' }).first('title')) as { title: string },
    ).toMatchObject({ title: expect.stringContaining(due) });
    expect(
      (await call('nm_jxc', 'POST', `/monitoring/reports/${id}/review`, { decision: 'accept', comment: '再次' })).body.error.code,
    ).toBe('REPORT_NOT_WARNED');

    const unitView = await call('nm_clerk_yz', 'GET', `/monitoring/reports/${id}`);
    expect(unitView.body.can).toEqual({ report: false, review: false, answer: true });
    const answered = await call('nm_clerk_yz', 'POST', `/monitoring/reports/${id}/rectification`, {
      answer: '已调整施工计划，12 月底前完成剩余支付',
    });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'rectified', rectificationAnswer: '已调整施工计划，12 月底前完成剩余支付' });
    await until(
      'instance ended',
      async () =>
        (
          await t.system.engine.request<Array<{ state: string; endActivityId?: string }>>('GET', '/history/process-instance', {
            query: { processInstanceId: String(row.process_instance_key) },
          })
        )[0]?.state === 'COMPLETED',
    );
    const ended = await t.system.engine.request<Array<{ activityId: string }>>('GET', '/history/activity-instance', {
      query: { processInstanceId: String(row.process_instance_key), activityType: 'noneEndEvent' },
    });
    expect(ended.map((a) => a.activityId)).toEqual(['Rectified']);
  });

  test("the reports and the deviation list export to Excel: the list's scope, Chinese headers, 元 from fen, Shanghai times", async () => {
    const sheetOf = async (user: string, query: string) => {
      const res = await fetch(`${t.system.url}/api/monitoring/reports/export?${query}`, { headers: { cookie: cookies[user]! } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('spreadsheetml');
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
      const ws = wb.worksheets[0]!;
      const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
      const rows: Array<Record<string, unknown>> = [];
      ws.eachRow((row, n) => {
        if (n === 1) return;
        const v = (row.values as unknown[]).slice(1);
        rows.push(Object.fromEntries(header.map((h, i) => [h, v[i] ?? null])));
      });
      return { name: ws.name, header, rows };
    };
    const q = `fiscalYear=${fiscalYear}&quarter=${quarter}`;

    const deviations = await sheetOf('nm_jxc', `${q}&deviation=true`);
    expect(deviations.name).toBe('偏差清单');
    expect(deviations.header).toEqual([
      '年度',
      '季度',
      '项目编号',
      '项目名称',
      '预算单位',
      '报告状态',
      '执行情况截止日期',
      '预算（元）',
      '冻结（元）',
      '已支付（元）',
      '可用（元）',
      '预算执行率（%）',
      '时间进度（%）',
      '偏差（百分点）',
      '偏差级别',
      '偏差原因',
      '整改期限',
      '填报时间',
    ]);
    const list = await call('nm_jxc', 'GET', `/monitoring/reports?${q}&deviation=true`);
    expect(deviations.rows.map((r) => r['项目名称'])).toEqual(list.body.items.map((i: { projectName: string }) => i.projectName));
    expect(deviations.rows.map((r) => r['项目名称'])).toEqual(['监控测试项目（滞后）']);
    const item = list.body.items[0];
    const row = deviations.rows[0]!;
    // Money: 元 with two decimals from the report's integer fen, which the ledger gave at filing.
    expect(row['预算（元）']).toBe(item.figures.budgetFen / 100);
    expect(Math.round(Number(row['已支付（元）']) * 100)).toBe(item.figures.paidFen);
    expect(Math.round(Number(row['冻结（元）']) * 100)).toBe(item.figures.frozenFen);
    expect(Math.round(Number(row['可用（元）']) * 100)).toBe(item.figures.availableFen);
    expect(Math.round(Number(row['预算（元）']) * 100)).toBe((await ledgerSums(behind)).budgetFen);
    expect(row['预算执行率（%）']).toBe(item.figures.executionPercent);
    expect(row['偏差级别']).toBe(item.deviationLabel);
    expect(row['整改期限']).toBe(item.rectificationDue);
    expect(String(row['偏差原因'])).toBe(item.deviationReasons.join('；'));
    expect(row['填报时间']).toBe(
      new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' }).format(
        new Date(item.submittedAt),
      ),
    );

    // The quarterly list: every report of the scope, and nothing outside it.
    const all = await sheetOf('nm_jxc', q);
    expect(all.name).toBe('监控报告');
    expect(all.rows.map((r) => r['项目名称']).sort()).toEqual(['监控测试项目（正常）', '监控测试项目（滞后）']);
    expect((await sheetOf('nm_clerk_yz', q)).rows).toHaveLength(2);
    expect((await sheetOf('nm_clerk_ny', q)).rows).toEqual([]);
    expect((await sheetOf('nm_dept_jy', `${q}&deviation=true`)).rows).toHaveLength(1);
    const otherProvince = await sheetOf('js_dept_jy', q);
    expect(otherProvince.header).toContain('项目名称');
    expect(otherProvince.rows).toEqual([]);
    expect((await fetch(`${t.system.url}/api/monitoring/reports/export?${q}`, { headers: { cookie: cookies.nm_ysk! } })).status).toBe(403);
    expect(
      (await fetch(`${t.system.url}/api/monitoring/reports/export?${q}&page=2`, { headers: { cookie: cookies.nm_jxc! } })).status,
    ).toBe(400);
  });

  test("执行监控: per project, unit and region, equal to the ledger's sums to the fen", async () => {
    const projects = await call('nm_ysk', 'GET', `/execution/projects?fiscalYear=${fiscalYear}`);
    expect(projects.status).toBe(200);
    const byId = new Map<number, Record<string, unknown>>(projects.body.items.map((r: { projectId: number }) => [r.projectId, r]));
    expect([...byId.keys()].sort()).toEqual([behind, onTrack].sort());
    for (const p of [behind, onTrack]) {
      const s = await ledgerSums(p);
      expect(byId.get(p)).toMatchObject({
        budgetFen: s.budgetFen,
        paidFen: s.paidFen,
        frozenFen: s.frozenFen,
        availableFen: s.budgetFen - s.paidFen - s.frozenFen,
      });
    }
    // worst execution first
    expect(projects.body.items[0].projectId).toBe(behind);
    const a = await ledgerSums(behind);
    const b = await ledgerSums(onTrack);
    const units = await call('nm_clerk_yz', 'GET', `/execution/units?fiscalYear=${fiscalYear}`);
    expect(units.body.items).toEqual([
      expect.objectContaining({
        unitOrgId: schoolOrg,
        projectCount: 2,
        budgetFen: a.budgetFen + b.budgetFen,
        paidFen: a.paidFen + b.paidFen,
        frozenFen: a.frozenFen + b.frozenFen,
      }),
    ]);
    const regions = await call('nm_jxc', 'GET', `/execution/regions?fiscalYear=${fiscalYear}`);
    expect(regions.body.items).toEqual([
      expect.objectContaining({
        regionCode: '150100',
        unitCount: 1,
        projectCount: 2,
        budgetFen: a.budgetFen + b.budgetFen,
        paidFen: a.paidFen + b.paidFen,
      }),
    ]);
    // The level filter in SQL agrees with the rule in domain/.
    const time = timeProgress(fiscalYear, shanghaiDate(new Date()));
    for (const minLevel of ['notice', 'warning', 'severe'] as const) {
      const got = await call('nm_ysk', 'GET', `/execution/projects?fiscalYear=${fiscalYear}&minLevel=${minLevel}`);
      const expected = [
        [behind, a],
        [onTrack, b],
      ]
        .filter(
          ([, s]) =>
            DEVIATION_LEVELS.indexOf(executionLevel(time, executionRate((s as typeof a).paidFen, (s as typeof a).budgetFen))) >=
            DEVIATION_LEVELS.indexOf(minLevel),
        )
        .map(([p]) => p);
      expect(got.body.items.map((r: { projectId: number }) => r.projectId)).toEqual(expected);
    }
    // Another unit's clerk sees none of it.
    expect((await call('nm_clerk_ny', 'GET', `/execution/projects?fiscalYear=${fiscalYear}`)).body.total).toBe(0);
  });
});
