import { seedDemoUsers } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { INTAKE_PROCESS_ID, STALE_SUBMIT_MS } from '../../server/inbox/intake';
import { changeStatus } from '../../server/projects/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, submittedTo, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * What the fault drill (bench/drill.ts, test/integration/fault-drill.test.ts) found, each case
 * made to happen on purpose on the real engine and database:
 * - a 送审 whose start the engine performed but whose answer was lost: the retry must take that
 *   instance over, not start a second review of the same project;
 * - a 送审 cut off with the project "submitted" and no instance recorded: the sweep records the
 *   engine's instance, or puts the project back to draft when the engine has none;
 * - a completion the engine performed but whose answer was lost (the row was put back to open):
 *   the retry must record the completion, not call the task canceled.
 */
jest.setTimeout(180_000);

describe('healing what a crash cuts off', () => {
  let t: TestSystem;
  let base: string;
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    // The automatic sweep is slowed down: the tests run its passes themselves.
    t = await startTestSystem({}, { reconcileEveryMs: 3_600_000 });
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    base = `${t.system.url}/api`;
    for (const u of ['nm_clerk_yz', 'nm_dept_jy']) cookies[u] = await loginCookie(t.system.url, u, 'Budget@2026');
  });
  afterAll(async () => {
    await t?.close();
  });

  const call: ApiCall = (user, method, path, body) => apiAs(base, cookies)(user, method, path, body);
  const key = () => namespaced(t.config.engine.namespace, INTAKE_PROCESS_ID);
  const draft = async (name: string) => {
    const created = await call('nm_clerk_yz', 'POST', '/projects', demoApplication(name));
    expect(created.status).toBe(201);
    return created.body as { id: number; version: number; projectNo: string; name: string; unitOrgId: number };
  };
  /** What submitProject asks of the engine, done behind the app's back (its answer "lost"). */
  const startBehindTheBack = async (p: { id: number; projectNo: string; name: string; unitOrgId: number }) => {
    const clerk = (await t.system.db('users').where({ username: 'nm_clerk_yz' }).first('id')) as { id: number };
    return t.system.engine.startProcess(key(), {
      businessKey: `project:${p.id}`,
      variables: { projectId: p.id, projectNo: p.projectNo, projectName: p.name, unitOrgId: p.unitOrgId, applicantUserId: clerk.id },
    });
  };
  const waitForTask = async (projectId: number, elementId: string) => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const row = await t.system.db('inbox_tasks').where({ business_id: projectId, element_id: elementId, status: 'open' }).first();
      if (row) return row as { id: number; engine_task_id: string; process_instance_key: string };
      await t.system.reconciler()!.runOnce();
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`no ${elementId} task for project ${projectId}`);
  };

  test('送审 again after the engine started the first one but its answer was lost: the running instance is taken over, no second review', async () => {
    const p = await draft('第一中学中断送审测试项目甲');
    // The failed 送审 as submitProject leaves it: submitted, the engine started (its answer lost),
    // back to draft with the attempt on the timeline.
    const clerk = { userId: null, username: 'nm_clerk_yz', displayName: '王芳' };
    await changeStatus(t.system.db, clerk, p.id, 'submitted', { version: p.version, kind: 'submitted', note: '提交申报审核' });
    const orphan = await startBehindTheBack(p);
    const back = await changeStatus(t.system.db, clerk, p.id, 'draft', {
      kind: 'submit_failed',
      note: '流程引擎不可用，送审未成功，已恢复为草稿',
    });
    const again = await call('nm_clerk_yz', 'POST', `/projects/${p.id}/submit`, { version: back.version });
    expect(again.status).toBe(200);
    const running = await t.system.engine.processInstances({ processDefinitionKey: key(), businessKey: `project:${p.id}` });
    expect(running.map((r) => r.id)).toEqual([orphan.id]);
    const recorded = await t.system.db('process_instances').where({ business_id: p.id });
    expect(recorded.map((r: { process_instance_key: string; status: string }) => [r.process_instance_key, r.status])).toEqual([
      [orphan.id, 'active'],
    ]);
    const task = await waitForTask(p.id, 'DepartmentReview');
    expect(task.process_instance_key).toBe(orphan.id);
  });

  test('a project left "submitted" with the engine running its instance unrecorded: the sweep records the instance', async () => {
    const p = await draft('第一中学中断送审测试项目乙');
    const orphan = await startBehindTheBack(p);
    await t.system
      .db('projects')
      .where({ id: p.id })
      .update({ status: 'submitted', updated_at: new Date(Date.now() - STALE_SUBMIT_MS - 1000) });
    const result = await t.system.reconciler()!.runOnce();
    expect(result.adopted).toBe(1);
    const recorded = await t.system.db('process_instances').where({ business_id: p.id });
    expect(recorded.map((r: { process_instance_key: string; status: string }) => [r.process_instance_key, r.status])).toEqual([
      [orphan.id, 'active'],
    ]);
    expect((await t.system.reconciler()!.runOnce()).adopted).toBe(0);
  });

  test('a project left "submitted" with no instance in the engine (the node died before it asked): the sweep puts it back to draft, and it can be submitted again', async () => {
    const p = await draft('第一中学中断送审测试项目丙');
    await t.system
      .db('projects')
      .where({ id: p.id })
      .update({ status: 'submitted', version: p.version + 1, updated_at: new Date(Date.now() - STALE_SUBMIT_MS - 1000) });
    // A fresh one (a 送审 in flight) is left alone.
    const fresh = await draft('第一中学中断送审测试项目丁');
    await t.system.db('projects').where({ id: fresh.id }).update({ status: 'submitted', updated_at: new Date() });
    const result = await t.system.reconciler()!.runOnce();
    expect(result.reverted).toBe(1);
    const row = (await t.system.db('projects').where({ id: p.id }).first('status', 'version')) as { status: string; version: number };
    expect(row.status).toBe('draft');
    expect((await t.system.db('projects').where({ id: fresh.id }).first('status')).status).toBe('submitted');
    const timeline = (await call('nm_clerk_yz', 'GET', `/projects/${p.id}/events`)).body.items as Array<{ kind: string }>;
    expect(timeline.map((e) => e.kind)).toContain('submit_failed');
    expect((await call('nm_clerk_yz', 'POST', `/projects/${p.id}/submit`, { version: row.version })).status).toBe(200);
    await waitForTask(p.id, 'DepartmentReview');
  });

  test('a completion the engine took but whose answer was lost, submitted again: recorded as completed (not canceled), once', async () => {
    const s = await submittedTo(call, t.system.db, 'DepartmentReview', '第一中学中断办理测试项目');
    const dept = (await t.system.db('users').where({ username: 'nm_dept_jy' }).first('id')) as { id: number };
    // The first submission claimed the task and reached the engine; then the node put the row back
    // to open, having had no answer.
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/claim`)).status).toBe(200);
    await t.system.engine.completeTask(s.engineTaskId, { decision: 'approve', comment: '同意', lastDecisionBy: dept.id });
    const retry = await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve', comment: '同意' } });
    expect([retry.status, retry.body.error.code]).toEqual([409, 'TASK_ALREADY_COMPLETED']);
    const row = await t.system.db('inbox_tasks').where({ id: s.taskId }).first();
    expect(row).toMatchObject({ status: 'completed', decision: 'approve', completed_by: dept.id });
    expect(await t.system.db('task_events').where({ task_id: s.taskId, kind: 'completed' })).toHaveLength(1);
    expect(await t.system.db('task_events').where({ task_id: s.taskId, kind: 'canceled' })).toHaveLength(0);
    const events = (await t.system.db('project_events').where({ project_id: s.projectId, kind: 'task_completed' })) as Array<{
      note: string;
    }>;
    expect(events).toHaveLength(1);
    expect(events[0]!.note).toContain('补记');
    // A third click changes nothing.
    const third = await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve' } });
    expect(third.status).toBe(409);
    expect(await t.system.db('project_events').where({ project_id: s.projectId, kind: 'task_completed' })).toHaveLength(1);
    await waitForTask(s.projectId, 'SectorReview');
  });
});
