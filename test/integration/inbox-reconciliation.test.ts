import { seedDemoUsers } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { STALE_COMPLETING_MS } from '../../server/inbox/sync';
import { updateTask } from '../../server/inbox/tasks';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, submittedTo, type ApiCall, type OpenTask } from '../support/intake';
import { insertProjectRow } from '../support/projects';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';
import { expectTodoInStep } from '../support/todo';

/**
 * The inbox is our own projection of the engine's user tasks. These tests make the engine do
 * things by itself — a timer creates a task, an instance is cancelled behind the app's back — and
 * interrupt a completion between the engine and our database, then check that the reconciliation
 * sweep brings the inbox back in step with the engine, on the real engine and database — and
 * 待办 with its plain definition (the candidates' offered flag, test/support/todo.ts).
 */
jest.setTimeout(120_000);

const TIMER_KEY_SUFFIX = 'reconcile-timer';

describe('inbox reconciliation with the engine', () => {
  let t: TestSystem;
  let base: string;
  const cookies: Record<string, string> = {};
  let timerKey: string;

  beforeAll(async () => {
    const namespace = `t${Math.random().toString(16).slice(2, 10)}`;
    timerKey = namespaced(namespace, TIMER_KEY_SUFFIX);
    // The automatic sweep is slowed down: the tests run its passes themselves.
    t = await startTestSystem(
      { engine: { ...testConfig().engine, namespace } },
      { reconcileEveryMs: 3_600_000, reconcileKeys: [timerKey] },
    );
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

  const sweep = () => t.system.reconciler()!.runOnce();
  const inStep = () => expectTodoInStep(t.system.db);

  const submittedToDepartment = (): Promise<OpenTask> =>
    submittedTo(call, t.system.db, 'DepartmentReview', `第一中学对账测试项目${Math.random().toString(36).slice(2, 6)}`);

  test('a task the engine creates by itself (a timer fires) appears in the inbox on the next sweep, for its assignee', async () => {
    const clerk = (await t.system.db('users').where({ username: 'nm_clerk_yz' }).first('org_id')) as { org_id: number };
    const projectId = await insertProjectRow(t.system.db, { unitOrgId: Number(clerk.org_id), name: '定时器测试项目' });
    const dept = (await t.system.db('users').where({ username: 'nm_dept_jy' }).first('id')) as { id: number };
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="test">
  <bpmn:process id="${timerKey}" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="FollowUp" name="到期复核" camunda:assignee="\${reviewer}" camunda:dueDate="P1D"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="FollowUp" />
    <bpmn:sequenceFlow id="f3" sourceRef="FollowUp" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;
    await t.system.engine.deploy(timerKey, [{ name: `${timerKey}.bpmn`, bytes: Buffer.from(xml) }]);
    const started = await t.system.engine.startProcess(timerKey, { variables: { projectId, reviewer: String(dept.id) } });
    // Right after the start there is nothing: the timer holds the instance.
    expect(await t.system.engine.tasks({ processInstanceId: started.id })).toHaveLength(0);
    let engineTask;
    const deadline = Date.now() + 30_000;
    while (!(engineTask = (await t.system.engine.tasks({ processInstanceId: started.id }))[0]) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(engineTask).toBeDefined();
    expect(await t.system.db('inbox_tasks').where({ engine_task_id: engineTask!.id })).toHaveLength(0);

    const result = await sweep();
    expect(result.created).toBeGreaterThanOrEqual(1);
    const row = await t.system.db('inbox_tasks').where({ engine_task_id: engineTask!.id }).first();
    expect(row).toMatchObject({ name: '到期复核', status: 'open', business_id: projectId, assignee_user_id: dept.id });
    const todo = (await call('nm_dept_jy', 'GET', '/tasks?box=todo&pageSize=100')).body.items as Array<{ id: number }>;
    expect(todo.map((x) => x.id)).toContain(Number(row.id));
    await inStep(); // assigned by the model: its one candidate row is not offered
    // A second pass finds it recorded and records nothing twice.
    await sweep();
    expect(await t.system.db('inbox_tasks').where({ engine_task_id: engineTask!.id })).toHaveLength(1);
  });

  test('an instance the engine cancels behind the app’s back: its open task leaves the inbox (作废), nobody can complete it', async () => {
    const s = await submittedToDepartment();
    expect(await t.system.engine.cancelProcessInstance(s.processInstanceId, '运维人员在引擎中终止')).toBe(true);
    await inStep();
    const result = await sweep();
    expect(result.closed).toBeGreaterThanOrEqual(1);
    await inStep();
    const row = await t.system.db('inbox_tasks').where({ id: s.taskId }).first();
    expect(row.status).toBe('canceled');
    const events = await t.system.db('task_events').where({ task_id: s.taskId, kind: 'canceled' });
    expect(events).toHaveLength(1);
    const todo = (await call('nm_dept_jy', 'GET', '/tasks?box=todo&pageSize=100')).body.items as Array<{ id: number }>;
    expect(todo.map((x) => x.id)).not.toContain(s.taskId);
    const attempt = await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve' } });
    expect([attempt.status, attempt.body.error.code]).toEqual([409, 'TASK_GONE']);
  });

  test('a crash after the engine completed the task but before our database recorded it: the sweep finishes the completion (no task stays "completing")', async () => {
    const s = await submittedToDepartment();
    const dept = (await t.system.db('users').where({ username: 'nm_dept_jy' }).first('id')) as { id: number };
    const values = { decision: 'approve', comment: '同意（中断后补记）' };
    // Phase one of a completion, as actions.finish writes it, long enough ago to be stale …
    await updateTask(t.system.db, s.taskId, {
      status: 'completing',
      completing_by: dept.id,
      completing_at: new Date(Date.now() - STALE_COMPLETING_MS - 1000),
      completing_form: JSON.stringify(values),
      assignee_user_id: dept.id,
    });
    await inStep();
    // … the engine took the completion, and then the process died before the database write.
    await t.system.engine.setAssignee(s.engineTaskId, String(dept.id));
    await t.system.engine.completeTask(s.engineTaskId, { decision: 'approve', comment: values.comment, lastDecisionBy: dept.id });

    const result = await sweep();
    expect(result.healed).toBe(1);
    await inStep();
    const row = await t.system.db('inbox_tasks').where({ id: s.taskId }).first();
    expect(row).toMatchObject({ status: 'completed', decision: 'approve', completed_by: dept.id });
    const completed = await t.system.db('task_events').where({ task_id: s.taskId, kind: 'completed' });
    expect(completed).toHaveLength(1);
    expect(JSON.parse(completed[0].data).recovered).toContain('补记');
    const timeline = (await call('nm_clerk_yz', 'GET', `/projects/${s.projectId}/events`)).body.items as Array<{
      kind: string;
      note: string;
    }>;
    expect(timeline.find((e) => e.kind === 'task_completed')?.note).toContain('主管部门审核：通过');
    // The process went on: the next step's task reaches the inbox.
    const deadline = Date.now() + 30_000;
    let next;
    while (
      !(next = await t.system.db('inbox_tasks').where({ business_id: s.projectId, element_id: 'SectorReview' }).first()) &&
      Date.now() < deadline
    ) {
      await sweep();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(next).toBeDefined();
    await inStep();
  });

  test('a completion that never reached the engine (the engine was away, the node died): the sweep reopens the task, which can then be completed', async () => {
    const s = await submittedToDepartment();
    const dept = (await t.system.db('users').where({ username: 'nm_dept_jy' }).first('id')) as { id: number };
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/claim`)).status).toBe(200);
    // Phase one of a completion written, then nothing: the engine never heard of it.
    await updateTask(t.system.db, s.taskId, {
      status: 'completing',
      completing_by: dept.id,
      completing_at: new Date(Date.now() - STALE_COMPLETING_MS - 1000),
      completing_form: '{"decision":"approve"}',
    });
    await inStep();
    expect((await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve' } })).status).toBe(409); // still "completing"
    const result = await sweep();
    expect(result.reopened).toBe(1);
    expect((await t.system.db('inbox_tasks').where({ id: s.taskId }).first()).status).toBe('open');
    await inStep();
    const done = await call('nm_dept_jy', 'POST', `/tasks/${s.taskId}/complete`, { data: { decision: 'approve', comment: '重新办理' } });
    expect(done.status).toBe(200);
    expect((await t.system.db('inbox_tasks').where({ id: s.taskId }).first()).status).toBe('completed');
    await inStep();
    const [hist] = await t.system.engine.historicTasks({ taskId: s.engineTaskId });
    expect(hist).toMatchObject({ deleteReason: 'completed', assignee: String(dept.id) });
  });

  test('a completion in flight (fresh "completing") is left alone by the sweep', async () => {
    const s = await submittedToDepartment();
    await updateTask(t.system.db, s.taskId, { status: 'completing', completing_at: new Date(), completing_form: '{}' });
    const result = await sweep();
    expect(result.reopened).toBe(0);
    await inStep(); // not offered while it is being completed
    expect((await t.system.db('inbox_tasks').where({ id: s.taskId }).first()).status).toBe('completing');
  });
});
