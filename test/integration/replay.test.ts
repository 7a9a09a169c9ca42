import { verifyEvidencePackage } from '../../domain/evidence';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import type { Replay } from '../../server/audit/replay';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 流程回放 on the real engine and database: a finished intake (李娜 approves unsealed, 陈静 with
 * her seal, 刘洋 admits) replays every element in the engine's order with actors, decisions,
 * comments and variable changes; the sealed step is verified, the unsealed one absent; after the
 * sealed record is tampered with in the database its step shows as broken. The evidence package
 * of the same instance (the existing endpoint) verifies as `npm run verify` does.
 */
jest.setTimeout(180_000);

describe('流程回放', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  const PIN = '602918';

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    for (const u of ['nm_clerk_yz', 'nm_dept_jy', 'nm_jkw', 'nm_ysk', 'nm_compliance'])
      cookies[u] = await loginCookie(t.system.url, u, 'Budget@2026');
    call = apiAs(`${t.system.url}/api`, cookies);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function taskFor(user: string, projectId: number, step: string): Promise<{ id: number; processInstanceKey: string }> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await call(user, 'GET', '/tasks?box=todo&pageSize=100');
      const task = (r.body.items as Array<{ id: number; projectId: number; elementId: string; processInstanceKey: string }>).find(
        (x) => x.projectId === projectId && x.elementId === step,
      );
      if (task) return task;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`no ${step} task for ${user} on project ${projectId}`);
  }

  test('a finished intake replays every step with actors, decisions, variables and seal status; a tampered record shows its step as broken', async () => {
    expect((await call('nm_jkw', 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
    const created = await call('nm_clerk_yz', 'POST', '/projects', demoApplication('第一中学流程回放测试项目'));
    expect(created.status).toBe(201);
    const projectId = Number(created.body.id);
    expect((await call('nm_clerk_yz', 'POST', `/projects/${projectId}/submit`, { version: created.body.version })).status).toBe(200);
    const dept = await taskFor('nm_dept_jy', projectId, 'DepartmentReview');
    const key = dept.processInstanceKey;
    expect((await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/comments`, { text: '请补充维修面积测算' })).status).toBeLessThan(300);
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve', comment: '材料齐全，同意报送' } }))
        .status,
    ).toBe(200);
    const sector = await taskFor('nm_jkw', projectId, 'SectorReview');
    expect(
      (
        await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, {
          data: { decision: 'approve', countersign: false, comment: '符合支出方向' },
          signingPin: PIN,
        })
      ).status,
    ).toBe(200);
    const budget = await taskFor('nm_ysk', projectId, 'BudgetDecision');
    expect((await call('nm_ysk', 'POST', `/tasks/${budget.id}/complete`, { data: { decision: 'admit' } })).status).toBe(200);

    let replay: Replay | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await call('nm_compliance', 'GET', `/processes/instances/${key}/replay`);
      expect(r.status).toBe(200);
      replay = r.body as Replay;
      if (replay.instance.state === 'COMPLETED') break;
      await new Promise((res) => setTimeout(res, 300));
    }
    expect(replay!.instance).toMatchObject({
      processInstanceKey: key,
      state: 'COMPLETED',
      version: expect.any(Number),
      project: { id: projectId, projectNo: created.body.projectNo },
    });
    expect(replay!.source).toBe('engine');
    expect(replay!.xml).toContain('DepartmentReview');

    // Every element, in the engine's order, the same as the engine's activity instances.
    const engineActivities = (await t.system.engine.activityInstances(key)).filter((a) => a.activityType !== 'multiInstanceBody');
    expect(replay!.steps.map((s) => s.id)).toEqual(engineActivities.map((a) => a.id));
    expect(replay!.steps.map((s) => s.elementId)).toEqual([
      'Submitted',
      'SmartCheck',
      'GwSmart',
      'ToDepartment',
      'DepartmentReview',
      'GwDept',
      'ToFinance',
      'SectorReview',
      'GwSector',
      'BudgetDecision',
      'GwBudget',
      'Reserve',
      'Reserved',
    ]);
    expect(replay!.steps.map((s) => s.index)).toEqual(replay!.steps.map((_s, i) => i));
    const step = (el: string) => replay!.steps.find((s) => s.elementId === el)!;

    expect(step('DepartmentReview')).toMatchObject({
      actor: '李娜',
      decisionLabel: '通过',
      comment: '材料齐全，同意报送',
      seal: { status: 'absent', auditRecordId: expect.any(Number), reason: null },
    });
    expect(step('DepartmentReview').comments).toEqual([expect.objectContaining({ actor: '李娜', text: '请补充维修面积测算' })]);
    expect(step('SectorReview')).toMatchObject({
      actor: '陈静',
      seal: { status: 'verified', verificationCode: expect.any(String), reason: null },
    });
    expect(step('BudgetDecision')).toMatchObject({ actor: '刘洋', decisionLabel: '同意入库' });
    expect(step('SmartCheck').seal).toEqual({
      status: 'absent',
      auditRecordId: null,
      recordSeq: null,
      verificationCode: null,
      reason: null,
    });
    // The variables a step set are listed at that step: the decision of each review.
    expect(step('DepartmentReview').variables.map((v) => v.name)).toContain('decision');
    expect(step('DepartmentReview').variables.find((v) => v.name === 'decision')).toMatchObject({ value: 'approve' });
    expect(step('BudgetDecision').variables.find((v) => v.name === 'decision')).toMatchObject({ value: 'admit' });
    expect(replay!.steps.every((s) => s.decisions.length === 0)).toBe(true); // the intake evaluates no DMN
    expect(replay!.summary).toMatchObject({ steps: 13, verified: 1, broken: 0 });

    // The evidence package of the instance (reused endpoint) verifies offline.
    const evidence = await fetch(`${t.system.url}/api/processes/instances/${key}/evidence`, {
      headers: { cookie: cookies.nm_compliance! },
    });
    expect(verifyEvidencePackage(await evidence.text())).toMatchObject({ ok: true, engine: { ok: true } });

    // Tamper with the sealed record of 财政业务处室审核: its step is broken, the others stand.
    const recordId = step('SectorReview').seal.auditRecordId!;
    const row = (await t.system.db('audit_records').where('id', recordId).first('body')) as { body: string };
    await t.system
      .db('audit_records')
      .where('id', recordId)
      .update({ body: row.body.replace('符合支出方向', '不符合支出方向') });
    const after = (await call('nm_compliance', 'GET', `/processes/instances/${key}/replay`)).body as Replay;
    const broken = after.steps.find((s) => s.elementId === 'SectorReview')!;
    expect(broken.seal).toMatchObject({ status: 'broken', verificationCode: null, reason: expect.stringContaining('被修改') });
    expect(after.steps.find((s) => s.elementId === 'DepartmentReview')!.seal.status).toBe('absent');
    expect(after.summary).toMatchObject({ verified: 0, broken: 1 });

    // A deleted record is broken too.
    await t.system
      .db('task_events')
      .where('data', 'like', `%"auditRecordId":${step('BudgetDecision').seal.auditRecordId}%`)
      .update({ data: JSON.stringify({ auditRecordId: 99_999_999 }) });
    const deleted = (await call('nm_compliance', 'GET', `/processes/instances/${key}/replay`)).body as Replay;
    expect(deleted.steps.find((s) => s.elementId === 'BudgetDecision')!.seal).toMatchObject({
      status: 'broken',
      reason: expect.stringContaining('不存在'),
    });
  });

  test('only audit:read may replay, and an unknown or malformed instance is a 404 with a stable code', async () => {
    expect((await call('nm_clerk_yz', 'GET', '/processes/instances/00000000-0000-0000-0000-000000000000/replay')).status).toBe(403);
    const unknown = await call('nm_compliance', 'GET', '/processes/instances/00000000-0000-0000-0000-000000000000/replay');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toEqual(expect.any(String));
    expect((await call('nm_compliance', 'GET', '/processes/instances/not%20a%20key/replay')).status).toBe(404);
  });
});
