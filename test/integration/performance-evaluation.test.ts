import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formDigest, type AuditRecordBody } from '../../domain/audit-chain';
import { gradeRules } from '../../server/allocation/service';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { createUser } from '../../server/auth/service';
import { namespaced } from '../../server/engine/namespace';
import { projectExecution } from '../../server/performance/execution-read';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { fundedProject, payment } from '../support/performance';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 绩效评价 on the real engine and database, through the HTTP API. A 2025 project of 第一中学
 * (funded: a ¥100,000.00 quota of which ¥60,000.00 was paid) is evaluated after the year: 王芳
 * (nm_clerk_yz) files the actuals with evidence; 周强 (nm_jxc, 绩效处) corrects one actual with a
 * reason, sealed; the score (execution from the ledger) gives 中 by the engine's decision table;
 * the report PDF shows it; 第一中学 was 中 in 2024 already, so the 2026 allocation proposes the
 * two-years-in-a-row cut. A second project above the configured amount (¥150,000 here) goes to
 * three experts drawn from the pool by the expert review's draw.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '135792';
const YUAN = 100;
const EXPERTS = ['perf_expert1', 'perf_expert2', 'perf_expert3'];

describe('performance evaluation on the engine', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  let school: number;
  let education: number;
  let project: number;
  let evaluationId: number;

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const evaluation = async (id: number, user = 'nm_jxc') => (await call(user, 'GET', `/performance/evaluations/${id}`)).body;

  /** A funded 2025 project of 第一中学 with a quota of `issuedFen`, `paidFen` of it paid (setup: as allocation and payments leave it). */
  const funded2025 = async (name: string, issuedFen: number, paidFen: number): Promise<number> => {
    const f = await fundedProject(call, t.system.db, { name, unitOrgId: school, fiscalYear: 2025, issuedFen });
    if (paidFen) await payment(t.system.db, f.quotaId, paidFen);
    return f.projectId;
  };
  const openTask = (projectId: number, elementId: string) =>
    until(
      `${elementId} of project ${projectId}`,
      async () =>
        (await t.system
          .db('inbox_tasks')
          .where({ business_id: projectId, element_id: elementId, status: 'open' })
          .select('id', 'assignee_user_id')) as Array<{ id: number; assignee_user_id: number | null }>,
    ).then((rows) => rows);
  const firstOpen = async (projectId: number, elementId: string) =>
    (
      await until(`${elementId} of ${projectId}`, async () =>
        (await openTask(projectId, elementId)).length ? openTask(projectId, elementId) : undefined,
      )
    )[0]!;
  const graded = (id: number) =>
    until(
      `evaluation ${id} graded`,
      async () => {
        const e = await evaluation(id);
        return e.status === 'graded' ? e : undefined;
      },
      90_000,
    );

  beforeAll(async () => {
    t = await startTestSystem({
      performance: {
        weights: { execution: 10, output: 50, benefit: 30, satisfaction: 10 },
        externalThresholdFen: 150_000 * YUAN,
        panelSize: 3,
      },
    });
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const pool = (await db('organisations').where({ code: '150000-ZJK' }).first('id')) as { id: number };
    for (const u of EXPERTS)
      await createUser(db, { username: u, displayName: `评价专家${u.slice(-1)}`, orgId: pool.id, password: PASSWORD, roles: ['expert'] });
    for (const u of ['nm_jxc', 'nm_clerk_yz', 'nm_ysk', ...EXPERTS]) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    school = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    education = Number(((await db('organisations').where({ code: '150100-JY' }).first('id')) as { id: number }).id);
    for (const [i, u] of EXPERTS.entries()) {
      const r = await call('nm_jxc', 'POST', '/experts', {
        code: `PJ${i + 1}`,
        name: `评价专家${i + 1}`,
        organisationName: '内蒙古大学',
        title: '教授',
        phone: `1390000000${i}`,
        email: `${u}@example.cn`,
        available: true,
        specialties: ['205'],
        username: u,
      });
      expect(r.status).toBe(201);
    }
    // 2024: 第一中学 was graded 中 (before this platform evaluated; as the demo grades stand).
    await db('performance_grades').insert({
      fiscal_year: 2024,
      unit_org_id: school,
      grade: 'fair',
      score_centi: 7000,
      source: 'test',
      recorded_at: new Date(),
    });
    project = await funded2025('校舍维修绩效评价测试项目', 100_000 * YUAN, 60_000 * YUAN);
    expect((await call('nm_jxc', 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
  });

  test('the grade decision table on the engine: 59.99 差, 60 中, 79.99 中, 80 良, 89.99 良, 90 优; the allocation rule cuts 中 15 %, two years below target 30 %', async () => {
    const grade = async (score: number) =>
      (
        await t.system.engine.request<Array<Record<string, { value: unknown }>>>(
          'POST',
          `/decision-definition/key/${encodeURIComponent(namespaced(t.config.engine.namespace, 'performance-grade'))}/evaluate`,
          { body: { variables: { score: { value: score, type: 'Double' } } } },
        )
      )[0]?.grade?.value;
    expect([
      await grade(59.99),
      await grade(60),
      await grade(79.99),
      await grade(80),
      await grade(89.99),
      await grade(90),
      await grade(100),
      await grade(0),
    ]).toEqual(['poor', 'fair', 'fair', 'good', 'good', 'excellent', 'excellent', 'poor']);
    const rules = await gradeRules(t.system.engine, t.config.engine.namespace);
    expect(rules('fair', false)).toEqual({ priority: 2, cutPercent: 15, excluded: false });
    expect(rules('fair', true)).toEqual({ priority: 3, cutPercent: 30, excluded: false });
    expect(rules('poor', true).excluded).toBe(true);
    expect(rules('good', true).cutPercent).toBe(0);
  });

  test('the execution rate is the ledger’s: paid ÷ issued of the project’s quotas of the year', async () => {
    expect(await projectExecution(t.system.db, project, 2025)).toEqual({
      issuedFen: 100_000 * YUAN,
      paidFen: 60_000 * YUAN,
      frozenFen: 0,
      rateBasisPoints: 6000,
    });
    expect(await projectExecution(t.system.db, project, 2026)).toEqual({ issuedFen: 0, paidFen: 0, frozenFen: 0, rateBasisPoints: null });
  });

  test('绩效处 starts the 2025 evaluation; refusals name each problem and start nothing', async () => {
    const unfunded = await call('nm_clerk_yz', 'POST', '/projects', demoApplication('未下达项目'));
    const refused = await call('nm_jxc', 'POST', '/performance/evaluations', {
      fiscalYear: 2025,
      projectIds: [project, Number(unfunded.body.id)],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('EVALUATION_PROJECTS_INVALID');
    expect(JSON.stringify(refused.body.error.details)).toContain('预算年度为 2026');
    expect((await t.system.db('performance_evaluations').count({ n: '*' }))[0]).toMatchObject({ n: 0 });
    expect((await call('nm_jxc', 'POST', '/performance/evaluations', { fiscalYear: 2026, projectIds: [project] })).body.error.code).toBe(
      'YEAR_NOT_ENDED',
    );
    expect((await call('nm_clerk_yz', 'POST', '/performance/evaluations', { fiscalYear: 2025, projectIds: [project] })).status).toBe(403);
    const candidates = await call('nm_jxc', 'GET', '/performance/candidates?fiscalYear=2025');
    expect(candidates.body.items.map((c: { projectId: number }) => c.projectId)).toEqual([project]);
    const started = await call('nm_jxc', 'POST', '/performance/evaluations', { fiscalYear: 2025, projectIds: [project] });
    expect(started.status).toBe(201);
    evaluationId = started.body.started[0].id;
    await firstOpen(project, 'SelfEvaluation');
    const e = await evaluation(evaluationId, 'nm_clerk_yz');
    expect(e).toMatchObject({
      status: 'self_evaluation',
      can: { selfEvaluate: true, review: false, report: false },
      execution: { issuedFen: 100_000 * YUAN, paidFen: 60_000 * YUAN, rateBasisPoints: 6000 },
    });
    // 绩效处 sees the same evaluation but holds no task of it now; 开展绩效评价 is offered to it alone.
    expect((await evaluation(evaluationId, 'nm_jxc')).can).toEqual({ selfEvaluate: false, review: false, report: false });
    expect((await call('nm_jxc', 'GET', '/performance/evaluations')).body.can).toEqual({ start: true });
    expect((await call('nm_clerk_yz', 'GET', '/performance/evaluations')).body.can).toEqual({ start: false });
    expect(e.indicators.map((i: { name: string; targetValue: string }) => [i.name, i.targetValue])).toEqual([
      ['维修面积', '1000'],
      ['受益学生', '800'],
    ]);
    expect((await call('nm_jxc', 'POST', '/performance/evaluations', { fiscalYear: 2025, projectIds: [project] })).body.error.code).toBe(
      'EVALUATION_PROJECTS_INVALID',
    );
  });

  test('the unit files its self-evaluation: actuals, evidence, an explanation of the gap', async () => {
    const e = await evaluation(evaluationId, 'nm_clerk_yz');
    const [area, pupils] = e.indicators as Array<{ actualId: number }>;
    const early = await call('nm_clerk_yz', 'POST', `/performance/evaluations/${evaluationId}/self-evaluation/submit`, {});
    expect(early.status).toBe(400);
    expect(early.body.error.code).toBe('EVALUATION_INCOMPLETE');
    const bad = await call('nm_clerk_yz', 'PUT', `/performance/evaluations/${evaluationId}/self-evaluation`, {
      version: e.version,
      actuals: [{ actualId: area!.actualId, band: 'achieved' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].message).toContain('定量指标');
    const saved = await call('nm_clerk_yz', 'PUT', `/performance/evaluations/${evaluationId}/self-evaluation`, {
      version: e.version,
      explanation: '维修面积因雨季推迟少完成 100 平方米',
      actuals: [
        { actualId: area!.actualId, value: '900', gapExplanation: '雨季停工两周' },
        { actualId: pupils!.actualId, value: '800' },
      ],
    });
    expect(saved.status).toBe(200);
    expect(
      (await call('nm_clerk_yz', 'PUT', `/performance/evaluations/${evaluationId}/self-evaluation`, { version: e.version, actuals: [] }))
        .body.error.code,
    ).toBe('EVALUATION_CHANGED');
    const up = await fetch(`${t.system.url}/api/performance/evaluations/${evaluationId}/evidence?actualId=${area!.actualId}`, {
      method: 'POST',
      headers: { cookie: cookies.nm_clerk_yz!, 'content-type': 'text/plain', 'x-file-name': encodeURIComponent('验收单.txt') },
      body: '维修验收单：900 平方米',
    });
    expect(up.status).toBe(201);
    const evidence = (await up.json()) as { id: number; sm3: string };
    const down = await fetch(`${t.system.url}/api/performance/evaluations/${evaluationId}/evidence/${evidence.id}`, {
      headers: { cookie: cookies.nm_jxc! },
    });
    expect(await down.text()).toBe('维修验收单：900 平方米');
    expect(down.headers.get('x-content-sm3')).toBe(evidence.sm3);
    const submitted = await call('nm_clerk_yz', 'POST', `/performance/evaluations/${evaluationId}/self-evaluation/submit`, {
      comment: '请审核',
    });
    expect(submitted.status).toBe(200);
    await firstOpen(project, 'Review');
    const after = await until('the self score', async () => {
      const x = await evaluation(evaluationId);
      return x.status === 'review' ? x : undefined;
    });
    // no 满意度 indicator: 90 points over 产出 and 效益 as 50 : 30 → 56.25 and 33.75
    // 56.25 × 900/1000 = 50.625 → 50.63; 33.75 × 800/800 = 33.75; execution 10 × 60 % = 6
    expect(after.scores.selfCenti).toBe(5063 + 3375 + 600);
    expect(after.indicators.map((i: { weightCenti: number; scoreCenti: number }) => [i.weightCenti, i.scoreCenti])).toEqual([
      [5625, 5063],
      [3375, 3375],
    ]);
    expect(after.evidence).toHaveLength(1);
    expect(after.can).toEqual({ selfEvaluate: false, review: true, report: false });
    expect((await evaluation(evaluationId, 'nm_clerk_yz')).can).toEqual({ selfEvaluate: false, review: false, report: false });
    // The unit cannot change it any more.
    expect(
      (
        await call('nm_clerk_yz', 'PUT', `/performance/evaluations/${evaluationId}/self-evaluation`, {
          version: after.version,
          actuals: [],
        })
      ).body.error.code,
    ).toBe('EVALUATION_NOT_IN_SELF_EVALUATION');
  });

  test('绩效处 changes an actual with a reason, sealed; the engine grades it 中', async () => {
    const e = await evaluation(evaluationId);
    const pupils = e.indicators[1] as { actualId: number };
    expect(
      (
        await call('nm_jxc', 'POST', `/performance/evaluations/${evaluationId}/review`, {
          decision: 'approve',
          adjustments: [{ actualId: pupils.actualId, value: '400', reason: '' }],
          signingPin: PIN,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call('nm_jxc', 'POST', `/performance/evaluations/${evaluationId}/review`, {
          decision: 'approve',
          adjustments: [{ actualId: pupils.actualId, value: '400', reason: '核实' }],
        })
      ).body.error.code,
    ).toBe('SIGNING_PIN_REQUIRED');
    const reviewed = await call('nm_jxc', 'POST', `/performance/evaluations/${evaluationId}/review`, {
      decision: 'approve',
      comment: '受益学生按名册核减',
      adjustments: [{ actualId: pupils.actualId, value: '400', reason: '核实受益学生名册，实际受益 400 人' }],
      signingPin: PIN,
    });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.seal.verificationCode).toMatch(/^[0-9a-f]{16}$/);
    const done = await graded(evaluationId);
    // 6 + 50.63 + 33.75 × 400/800 = 16.875 → 16.88: 73.51
    expect(done.scores).toMatchObject({ selfCenti: 9038, reviewedCenti: 7351, externalCenti: null, finalCenti: 7351 });
    expect(done).toMatchObject({ grade: 'fair', gradeLabel: '中', external: false });
    expect(done.indicators[1]).toMatchObject({
      selfValue: '800',
      reviewedValue: '400',
      reviewReason: '核实受益学生名册，实际受益 400 人',
      scoreCenti: 1688,
    });
    // The seal covers the adjustment: the sealed form is the one the scoring applied.
    const db = t.system.db;
    const record = (await db('audit_records').where('id', reviewed.body.seal.auditRecordId).first('body')) as { body: string };
    const body = JSON.parse(record.body) as AuditRecordBody;
    const task = (await db('inbox_tasks').where({ business_id: project, element_id: 'Review' }).first('form_data')) as {
      form_data: string;
    };
    const form = JSON.parse(task.form_data) as Record<string, unknown>;
    expect(body.seal!.payload.formSm3).toBe(formDigest(form as never));
    expect(JSON.parse(String(form.adjustments))).toEqual([
      {
        actualId: pupils.actualId,
        indicator: '受益学生',
        from: '800',
        to: '400',
        band: null,
        percent: null,
        reason: '核实受益学生名册，实际受益 400 人',
      },
    ]);
    expect(await db('performance_grades').where({ fiscal_year: 2025, unit_org_id: school }).first('grade', 'score_centi')).toEqual({
      grade: 'fair',
      score_centi: 7351,
    });
    // The history shows both years; the decision was the engine's.
    expect(done.history.unit.map((h: { fiscalYear: number; grade: string }) => [h.fiscalYear, h.grade])).toEqual([
      [2025, 'fair'],
      [2024, 'fair'],
    ]);
    const decisions = await t.system.engine.request<Array<{ decisionDefinitionKey: string }>>(
      'GET',
      `/history/decision-instance?processInstanceId=${(await db('performance_evaluations').where('id', evaluationId).first('process_instance_key')).process_instance_key}`,
    );
    expect(decisions.map((d) => d.decisionDefinitionKey)).toEqual([namespaced(t.config.engine.namespace, 'performance-grade')]);
  });

  test('the report PDF renders with the grade, the scores and the seal’s verification code', async () => {
    const res = await fetch(`${t.system.url}/api/performance/evaluations/${evaluationId}/report.pdf`, {
      headers: { cookie: cookies.nm_clerk_yz! },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'perf-report-')), 'report.pdf');
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('项目绩效评价报告');
    expect(text).toMatch(/评价等级\s+中/);
    expect(text).toContain('73.51');
    expect(text).toContain('60.00%');
    expect(text).toContain('核实受益学生名册');
    expect(text).toContain('核验码');
  });

  test('next year’s allocation proposes the configured cut: 中 two years in a row (2024, 2025) → 30 %', async () => {
    const db = t.system.db;
    const r = await call('nm_clerk_yz', 'POST', '/projects', demoApplication('2026 年校舍维修续建'));
    await db('projects').where('id', r.body.id).update({ status: 'reserved' });
    const built = await call('nm_ysk', 'POST', '/allocations', {
      fiscalYear: 2026,
      name: '2026 年预算分配（绩效应用）',
      controlTotals: [{ departmentOrgId: education, sector: '205', amountFen: 1_000_000 * YUAN }],
    });
    expect(built.status).toBe(201);
    const line = built.body.lines.find((l: { projectId: number }) => l.projectId === Number(r.body.id));
    expect(line).toMatchObject({ grade: 'fair', requestedFen: 100_000 * YUAN, suggestedFen: 70_000 * YUAN, excluded: false });
    expect(line.reason).toContain('连续两年绩效评价低于目标');
    expect(line.reason).toContain('30%');
  });

  test('above the configured amount, experts drawn from the pool evaluate too; their mean is the final score', async () => {
    const db = t.system.db;
    const big = await funded2025('大额项目外部评价测试', 200_000 * YUAN, 200_000 * YUAN);
    const started = await call('nm_jxc', 'POST', '/performance/evaluations', { fiscalYear: 2025, projectIds: [big] });
    const id = started.body.started[0].id as number;
    await firstOpen(big, 'SelfEvaluation');
    const e = await evaluation(id, 'nm_clerk_yz');
    await call('nm_clerk_yz', 'PUT', `/performance/evaluations/${id}/self-evaluation`, {
      version: e.version,
      actuals: e.indicators.map((i: { actualId: number; targetValue: string }) => ({ actualId: i.actualId, value: i.targetValue })),
    });
    expect((await call('nm_clerk_yz', 'POST', `/performance/evaluations/${id}/self-evaluation/submit`, {})).status).toBe(200);
    await firstOpen(big, 'Review');
    await until('review stage', async () => (await evaluation(id)).can.review);
    expect((await call('nm_jxc', 'POST', `/performance/evaluations/${id}/review`, { decision: 'approve', signingPin: PIN })).status).toBe(
      200,
    );
    const tasks = await until('three expert tasks', async () => {
      const rows = await openTask(big, 'ExternalScore');
      return rows.length === 3 ? rows : undefined;
    });
    const expertIds = (await db('users').whereIn('username', EXPERTS).select('id', 'username')) as Array<{ id: number; username: string }>;
    expect(tasks.map((x) => Number(x.assignee_user_id)).sort()).toEqual(expertIds.map((u) => Number(u.id)).sort());
    const draws = (await db('audit_records').where({ kind: 'performance.draw', project_id: big }).select('body', 'subject_id')) as Array<{
      body: string;
      subject_id: string;
    }>;
    expect(draws.map((d) => String(d.subject_id))).toEqual([String(id)]);
    expect(draws[0]!.body).toContain('expert-draw:v1');
    const scores: Record<string, number> = { perf_expert1: 82, perf_expert2: 78.5, perf_expert3: 90 };
    for (const x of tasks) {
      const who = expertIds.find((u) => Number(u.id) === Number(x.assignee_user_id))!.username;
      const done = await call(who, 'POST', `/tasks/${x.id}/complete`, { data: { expertScore: scores[who], comment: '目标完成较好' } });
      expect(done.status).toBe(200);
    }
    const result = await graded(id);
    // mean of 82, 78.5 and 90 = 83.50 → 良 (the reviewed score was 100)
    expect(result.scores).toMatchObject({ reviewedCenti: 10000, externalCenti: 8350, finalCenti: 8350 });
    expect(result).toMatchObject({ grade: 'good', external: true, panelSize: 3 });
    // The unit's 2025 grade stays its worst project's: 中.
    expect(await db('performance_grades').where({ fiscal_year: 2025, unit_org_id: school }).first('grade')).toEqual({ grade: 'fair' });
  });
});
