import { seedDemoUsers } from '../../server/auth/demo-users';
import { createUser } from '../../server/auth/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, submittedTo, type ApiCall, type OpenTask } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';
import { expectTodoInStep } from '../support/todo';

/**
 * The actions Chinese approvers expect, as the engine sees them: 签收 (claim), 转办 (assignee),
 * 前加签 (delegate, then resolve back to the holder), 后加签 — each with the real person's id in the
 * engine, so the engine's own history names who acted. Real engine, real database, through the API.
 * After each step the inbox is held to 待办's plain definition (the candidates' offered flag and
 * every person's 待办, test/support/todo.ts).
 */
jest.setTimeout(120_000);

describe('task actions go through the engine with the real person', () => {
  let t: TestSystem;
  let base: string;
  const cookies: Record<string, string> = {};
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const dept = (await db('organisations').where({ code: '150100-JY' }).first('id')) as { id: number };
    await createUser(db, {
      username: 'nm_dept_jy2',
      displayName: '张伟',
      orgId: dept.id,
      password: 'Budget@2026',
      roles: ['department_reviewer'],
    });
    await createUser(db, {
      username: 'nm_dept_jy3',
      displayName: '赵敏',
      orgId: dept.id,
      password: 'Budget@2026',
      roles: ['department_reviewer'],
    });
    base = `${t.system.url}/api`;
    for (const u of ['nm_clerk_yz', 'nm_dept_jy', 'nm_dept_jy2', 'nm_dept_jy3']) {
      cookies[u] = await loginCookie(t.system.url, u, 'Budget@2026');
      ids[u] = Number(((await db('users').where({ username: u }).first('id')) as { id: number }).id);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const call: ApiCall = (user, method, path, body) => apiAs(base, cookies)(user, method, path, body);
  const departmentTask = (): Promise<OpenTask> =>
    submittedTo(call, t.system.db, 'DepartmentReview', `第一中学办理动作测试${Math.random().toString(36).slice(2, 6)}`);

  const engineTask = (id: string) => t.system.engine.task(id);
  const inStep = () => expectTodoInStep(t.system.db);

  test('签收 makes the person the engine task’s assignee; 转办 moves it to the colleague; the completion is recorded under the colleague in the engine’s history', async () => {
    const s = await departmentTask();
    expect((await engineTask(s.engineTaskId))!.assignee).toBeNull();
    await inStep();
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/claim`)).status).toBe(200);
    expect((await engineTask(s.engineTaskId))!.assignee).toBe(String(ids.nm_dept_jy));
    await inStep();
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/reassign`, { userId: ids.nm_dept_jy2, comment: '请张伟办理' })).status,
    ).toBe(200);
    expect((await engineTask(s.engineTaskId))!.assignee).toBe(String(ids.nm_dept_jy2));
    await inStep();
    expect(
      (await call('nm_dept_jy2', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve', comment: '同意' } })).status,
    ).toBe(200);
    await inStep();
    const [hist] = await t.system.engine.historicTasks({ taskId: s.engineTaskId });
    expect(hist).toMatchObject({ assignee: String(ids.nm_dept_jy2), deleteReason: 'completed' });
    const links = await t.system.engine.request<Array<{ userId: string | null; type: string; operationType: string }>>(
      'GET',
      '/history/identity-link-log',
      { query: { taskId: s.engineTaskId, sortBy: 'time', sortOrder: 'asc' } },
    );
    expect(links.filter((l) => l.type === 'assignee' && l.operationType === 'add').map((l) => l.userId)).toEqual([
      String(ids.nm_dept_jy),
      String(ids.nm_dept_jy2),
    ]);
  });

  test('退回签收 clears the engine’s assignee too', async () => {
    const s = await departmentTask();
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/claim`)).status).toBe(200);
    await inStep();
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/unclaim`)).status).toBe(200);
    expect((await engineTask(s.engineTaskId))!.assignee).toBeNull();
    expect((await t.system.db('inbox_tasks').where({ id: s.taskId }).first()).assignee_user_id).toBeNull();
    await inStep(); // offered to its candidates again
  });

  test('前加签 is the engine’s delegation: the signer holds it (PENDING), signs, it resolves back to the holder (RESOLVED), who completes', async () => {
    const s = await departmentTask();
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/claim`)).status).toBe(200);
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/signers`, { userId: ids.nm_dept_jy2, position: 'before', comment: '请先把关' }))
        .status,
    ).toBe(200);
    await inStep();
    expect(await engineTask(s.engineTaskId)).toMatchObject({
      owner: String(ids.nm_dept_jy),
      assignee: String(ids.nm_dept_jy2),
      delegationState: 'PENDING',
    });
    // The holder cannot complete while the signer holds it.
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve' } })).status).toBe(409);
    const signed = await call('nm_dept_jy2', 'POST', `/tasks/${s.taskId}/complete`, {
      data: { decision: 'approve', comment: '经复核无误' },
    });
    expect([signed.status, signed.body.outcome]).toEqual([200, 'signed']);
    await inStep(); // resolved back to the holder
    expect(await engineTask(s.engineTaskId)).toMatchObject({
      owner: String(ids.nm_dept_jy),
      assignee: String(ids.nm_dept_jy),
      delegationState: 'RESOLVED',
    });
    const done = await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve', comment: '同意' } });
    expect([done.status, done.body.outcome]).toEqual([200, 'completed']);
    await inStep();
    expect((await t.system.engine.historicTasks({ taskId: s.engineTaskId }))[0]).toMatchObject({
      assignee: String(ids.nm_dept_jy),
      owner: String(ids.nm_dept_jy),
      deleteReason: 'completed',
    });
  });

  test('后加签: the holder decides, the added approver disagrees — their 退回 is what the engine gets, under their name', async () => {
    const s = await departmentTask();
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/claim`)).status).toBe(200);
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/signers`, { userId: ids.nm_dept_jy3, position: 'after' })).status).toBe(
      200,
    );
    const held = await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve', comment: '同意' } });
    expect([held.status, held.body.outcome]).toEqual([200, 'forwarded']);
    await inStep();
    expect(await engineTask(s.engineTaskId)).not.toBeNull(); // the engine still waits
    const last = await call('nm_dept_jy3', 'POST', `/tasks/${s.taskId}/complete`, {
      data: { decision: 'return', comment: '预算依据不足' },
    });
    expect([last.status, last.body.outcome]).toEqual([200, 'completed']);
    await inStep();
    expect((await t.system.engine.historicTasks({ taskId: s.engineTaskId }))[0]).toMatchObject({
      assignee: String(ids.nm_dept_jy3),
      deleteReason: 'completed',
    });
    const decision = await t.system.engine.request<Array<{ value: unknown }>>('GET', '/history/variable-instance', {
      query: { processInstanceId: s.processInstanceId, variableName: 'decision' },
    });
    expect(decision.map((v) => v.value)).toContain('return');
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline && status !== 'returned') {
      status = (await t.system.db('projects').where({ id: s.projectId }).first('status')).status as string;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('returned');
  });

  test('an invalid submission by a candidate of an unclaimed task leaves it unclaimed, in the inbox and in the engine', async () => {
    const s = await departmentTask();
    const bad = await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'return' } }); // 退回 needs its reason
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await t.system.db('inbox_tasks').where({ id: s.taskId }).first()).assignee_user_id).toBeNull();
    expect((await engineTask(s.engineTaskId))!.assignee).toBeNull();
    await inStep();
  });
});
