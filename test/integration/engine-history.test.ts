import { verifyEvidencePackage } from '../../domain/evidence';
import { packageText, processEvidence } from '../../server/audit/evidence';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { readInstant } from '../../server/db';
import { EngineClient, parseEngineDate, type ActivityInstance, type Query } from '../../server/engine/client';
import { namespaced } from '../../server/engine/namespace';
import { engineProgress, engineProgressOf, type InstanceProgress, type Step } from '../../server/inbox/history';
import { seedReferenceData } from '../../server/reference';
import { platformKey } from '../../server/seals/platform-key';
import { allWorkers, platformWorkers } from '../../workers';
import { projectSmartCheck } from '../../workers/project-smart-check';
import { loginCookie } from '../support/accounts';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * The history of a process instance as the task page, the project's 审核进度 and the evidence
 * package show it: the engine's activity instances in order, merged with our inbox and audit
 * records — on the real engine and database. 王芳 files, 李娜 approves (unsealed), 陈静 approves
 * with her seal; the instance waits at 预算处审定. A second system without the SMART-check worker
 * shows a failed element (an incident the engine raised for a failed external task).
 */
jest.setTimeout(180_000);

const SHANGHAI_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/;

/** Counts the engine calls it makes (a real client, not a stand-in). */
class CountingClient extends EngineClient {
  readonly calls: string[] = [];
  override request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; form?: FormData; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    this.calls.push(`${method} ${path}`);
    return super.request<T>(method, path, options);
  }
}

describe('process history from the engine', () => {
  let t: TestSystem;
  let base: string;
  const cookies: Record<string, string> = {};
  const PASSWORD = 'Budget@2026';
  const PIN = '602918';

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    base = `${t.system.url}/api`;
    for (const u of ['nm_clerk_yz', 'nm_dept_jy', 'nm_jkw', 'nm_ysk', 'nm_compliance'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function call(user: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: any; raw: string }> {
    const res = await fetch(base + p, {
      method,
      headers: { 'content-type': 'application/json', cookie: cookies[user]! },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const raw = await res.text();
    return {
      status: res.status,
      body: raw && (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(raw) as unknown) : null,
      raw,
    };
  }

  let seq = 0;
  async function fileAndSubmit(): Promise<number> {
    seq += 1;
    const created = await call('nm_clerk_yz', 'POST', '/projects', {
      fiscalYear: 2026,
      name: `第一中学流程历史测试项目${seq}号`,
      category: '33',
      functionalCode: '2050204',
      description: '详见可行性研究报告',
      amounts: [{ economicCode: '30213', amountFen: 300_000_00 }],
      targets: [
        { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1000', unit: '平方米' },
        { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
      ],
    });
    expect(created.status).toBe(201);
    expect((await call('nm_clerk_yz', 'POST', `/projects/${created.body.id}/submit`, { version: created.body.version })).status).toBe(200);
    return created.body.id as number;
  }

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

  const elementsOf = (steps: Step[]) => steps.map((s) => s.elementId);
  const userId = async (username: string) => Number(((await t.system.db('users').where({ username }).first('id')) as { id: number }).id);

  test("the task page and 审核进度 list the engine's steps in order, with actors, times, decisions and seals; the evidence package carries the engine history and verifies", async () => {
    expect((await call('nm_jkw', 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
    const id = await fileAndSubmit();
    const dept = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    const key = dept.processInstanceKey;
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve', comment: '材料齐全，同意报送' } }))
        .status,
    ).toBe(200);
    const sector = await taskFor('nm_jkw', id, 'SectorReview');
    const sealed = await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, {
      data: { decision: 'approve', countersign: false, comment: '符合支出方向' },
      signingPin: PIN,
    });
    expect(sealed.status).toBe(200);
    const budget = await taskFor('nm_ysk', id, 'BudgetDecision');

    // GET /tasks/:id — the budget division's task, waiting for 刘洋.
    const detail = await call('nm_ysk', 'GET', `/tasks/${budget.id}`);
    expect(detail.status).toBe(200);
    const progress = detail.body.progress as InstanceProgress;
    expect(progress).toMatchObject({ source: 'engine', notice: null, failed: [] });
    expect(progress.active).toEqual(['BudgetDecision']);
    expect(progress.completed).toEqual(
      expect.arrayContaining([
        'Submitted',
        'SmartCheck',
        'GwSmart',
        'ToDepartment',
        'DepartmentReview',
        'GwDept',
        'ToFinance',
        'SectorReview',
        'GwSector',
      ]),
    );
    expect(progress.completed).not.toContain('BudgetDecision');
    expect(elementsOf(progress.steps)).toEqual([
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
    ]);
    const step = (el: string) => progress.steps.find((s) => s.elementId === el)!;
    expect(step('Submitted')).toMatchObject({
      type: 'startEvent',
      name: '项目已送审',
      status: 'completed',
      actor: '王芳',
      actorUserId: await userId('nm_clerk_yz'),
    });
    expect(step('SmartCheck')).toMatchObject({ type: 'serviceTask', name: '绩效目标 SMART 检查', actor: '系统自动', status: 'completed' });
    expect(step('DepartmentReview')).toMatchObject({
      type: 'userTask',
      name: '主管部门审核',
      status: 'completed',
      actor: '李娜',
      actorUserId: await userId('nm_dept_jy'),
      taskId: dept.id,
      decision: 'approve',
      decisionLabel: '通过',
      comment: '材料齐全，同意报送',
      sealed: false,
      verificationCode: null,
    });
    expect(step('DepartmentReview').auditRecordId).toEqual(expect.any(Number));
    expect(step('SectorReview')).toMatchObject({
      actor: '陈静',
      taskId: sector.id,
      decisionLabel: '通过',
      comment: '符合支出方向',
      sealed: true,
      auditRecordId: sealed.body.seal.auditRecordId,
      verificationCode: sealed.body.seal.verificationCode,
    });
    expect(step('BudgetDecision')).toMatchObject({
      type: 'userTask',
      name: '预算处审定',
      status: 'active',
      endedAt: null,
      actor: null,
      taskId: budget.id,
      decision: null,
      decisionLabel: '',
      incident: null,
    });
    expect(step('GwDept')).toMatchObject({ type: 'exclusiveGateway', actor: null });

    // Times: Shanghai ISO, in the engine's order, and the engine's own instants.
    const engineActivities = await t.system.engine.activityInstances(key);
    for (const s of progress.steps) {
      expect(s.startedAt).toMatch(SHANGHAI_ISO);
      if (s.status === 'completed') expect(s.endedAt).toMatch(SHANGHAI_ISO);
      const ai = engineActivities.find((a) => a.id === s.id)!;
      expect(new Date(s.startedAt).getTime()).toBe(parseEngineDate(ai.startTime)!.getTime());
      if (ai.endTime) expect(new Date(s.endedAt!).getTime()).toBe(parseEngineDate(ai.endTime)!.getTime());
    }
    const starts = progress.steps.map((s) => new Date(s.startedAt).getTime());
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    // The engine's completion of 主管部门审核 and ours agree within moments.
    const deptRow = (await t.system.db('inbox_tasks').where({ id: dept.id }).first('completed_at')) as { completed_at: unknown };
    expect(Math.abs(new Date(step('DepartmentReview').endedAt!).getTime() - readInstant(deptRow.completed_at).getTime())).toBeLessThan(
      5_000,
    );

    // GET /projects/:id/processes — the same steps for the applicant's 审核进度.
    const processes = await call('nm_clerk_yz', 'GET', `/projects/${id}/processes`);
    expect(processes.status).toBe(200);
    const item = processes.body.items[0];
    expect(item).toMatchObject({
      processInstanceKey: key,
      status: 'active',
      openTasks: [{ id: budget.id, name: '预算处审定', assignee: null }],
    });
    expect(item.progress).toEqual(progress);

    // The evidence package: the engine section as the engine answered, signed, and verifying.
    const evidence = await call('nm_compliance', 'GET', `/processes/instances/${key}/evidence`);
    expect(evidence.status).toBe(200);
    const report = verifyEvidencePackage(evidence.raw);
    expect(report).toMatchObject({
      ok: true,
      firstFailure: null,
      engine: { ok: true, engine: 'Operaton 1.0.3', unavailable: null, activities: engineActivities.length },
    });
    expect(report.records.filter((r) => r.sealed)).toHaveLength(1);
    const pkg = JSON.parse(evidence.raw);
    expect(pkg.format).toBe('budget-evidence/2');
    expect(pkg.engine.statement).toMatchObject({
      v: 1,
      subject: { type: 'process', id: key },
      checkpointSeq: pkg.checkpoint.checkpoint.seq,
      checkpointHash: pkg.checkpoint.checkpoint.hash,
      platformKeyId: pkg.platformKey.keyId,
    });
    const history = pkg.engine.history;
    expect(history.processInstance).toMatchObject({
      id: key,
      state: 'ACTIVE',
      businessKey: `project:${id}`,
      processDefinitionKey: namespaced(t.config.engine.namespace, 'project-intake'),
    });
    expect(history.activityInstances.map((a: ActivityInstance) => a.id)).toEqual(engineActivities.map((a) => a.id));
    const tasks = history.tasks as Array<{
      id: string;
      taskDefinitionKey: string;
      assignee: string | null;
      startTime: string;
      endTime: string | null;
      deleteReason: string | null;
    }>;
    expect(tasks.map((x) => [x.taskDefinitionKey, x.assignee, x.deleteReason])).toEqual([
      ['DepartmentReview', String(await userId('nm_dept_jy')), 'completed'],
      ['SectorReview', String(await userId('nm_jkw')), 'completed'],
      ['BudgetDecision', null, null],
    ]);
    for (const x of tasks) expect(x.startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/);
    expect(history.decisions).toEqual([]); // the intake model evaluates no DMN
    expect(history.incidents).toEqual([]);
    // Each engine task names our inbox task, and the completion its audit record in this package.
    const recordSeqs = new Set(pkg.records.map((r: { seq: number }) => r.seq));
    expect(history.links).toEqual([
      { engineTaskId: expect.any(String), taskId: dept.id, recordSeq: expect.any(Number) },
      { engineTaskId: expect.any(String), taskId: sector.id, recordSeq: expect.any(Number) },
      { engineTaskId: expect.any(String), taskId: budget.id, recordSeq: null },
    ]);
    for (const l of history.links.filter((x: { recordSeq: number | null }) => x.recordSeq !== null))
      expect(recordSeqs.has(l.recordSeq)).toBe(true);

    // Tampering with what the engine recorded is detected and named; so is a statement moved elsewhere.
    const changed = verifyEvidencePackage(evidence.raw.replace(`"assignee":"${await userId('nm_dept_jy')}"`, '"assignee":"999"'));
    expect(changed.ok).toBe(false);
    expect(changed.firstFailure).toContain('引擎历史');
    expect(changed.engine).toMatchObject({ ok: false, reason: expect.stringContaining('SM3') });
    const stripped = verifyEvidencePackage(evidence.raw.replace(/"engine":\{"history".*\},"format"/, '"engine":null,"format"'));
    expect(stripped.ok).toBe(false);
    // The upload endpoint reports the same.
    const uploaded = await fetch(`${base}/audit/verify-package`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', cookie: cookies.nm_compliance! },
      body: evidence.raw,
    });
    expect((await uploaded.json()) as { ok: boolean; engine: { ok: boolean } }).toMatchObject({ ok: true, engine: { ok: true } });

    // 刘洋 decides; the instance ends at 已入库 and nothing is active any more.
    expect((await call('nm_ysk', 'POST', `/tasks/${budget.id}/complete`, { data: { decision: 'admit' } })).status).toBe(200);
    const deadline = Date.now() + 30_000;
    let ended: InstanceProgress | undefined;
    while (Date.now() < deadline) {
      ended = (await call('nm_clerk_yz', 'GET', `/projects/${id}/processes`)).body.items[0].progress as InstanceProgress;
      if (ended.completed.includes('Reserved')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ended).toMatchObject({ source: 'engine', active: [], failed: [] });
    expect(elementsOf(ended!.steps).slice(-4)).toEqual(['BudgetDecision', 'GwBudget', 'Reserve', 'Reserved']);
    expect(ended!.steps.find((s) => s.elementId === 'BudgetDecision')).toMatchObject({
      status: 'completed',
      actor: '刘洋',
      decisionLabel: '同意入库',
    });
    expect(ended!.steps.find((s) => s.elementId === 'Reserved')).toMatchObject({ type: 'noneEndEvent', name: '已入库' });
  });

  test('撤回 and resubmission: each instance is asked once (plus incidents while it runs); a withdrawn step is canceled; with the engine down our records stand in', async () => {
    const id = await fileAndSubmit();
    const first = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    expect((await call('nm_clerk_yz', 'POST', `/projects/${id}/withdraw`, { reason: '补充材料后再报' })).status).toBe(200);
    const project = (await call('nm_clerk_yz', 'GET', `/projects/${id}`)).body;
    expect((await call('nm_clerk_yz', 'POST', `/projects/${id}/submit`, { version: project.version })).status).toBe(200);
    const second = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    expect((await call('nm_dept_jy', 'POST', `/tasks/${second.id}/claim`)).status).toBe(200);

    const items = (await call('nm_clerk_yz', 'GET', `/projects/${id}/processes`)).body.items as Array<{
      processInstanceKey: string;
      status: string;
      progress: InstanceProgress;
    }>;
    expect(items.map((i) => [i.processInstanceKey, i.status])).toEqual([
      [second.processInstanceKey, 'active'],
      [first.processInstanceKey, 'canceled'],
    ]);
    const withdrawn = items[1]!.progress;
    expect(withdrawn).toMatchObject({ source: 'engine', active: [], failed: [] });
    expect(withdrawn.steps.find((s) => s.elementId === 'DepartmentReview')).toMatchObject({ status: 'canceled', taskId: first.id });
    expect(withdrawn.completed).not.toContain('DepartmentReview');
    // Claimed: the engine's assignee is 李娜 while the task is open.
    expect(items[0]!.progress.steps.find((s) => s.elementId === 'DepartmentReview')).toMatchObject({ status: 'active', actor: '李娜' });

    const counting = new CountingClient(t.system.engine.restUrl);
    const both = await engineProgressOf(counting, t.system.db, [second.processInstanceKey, first.processInstanceKey]);
    expect(counting.calls.sort()).toEqual(['GET /history/activity-instance', 'GET /history/activity-instance', 'GET /incident']);
    expect(both.get(first.processInstanceKey)).toEqual(withdrawn);

    // The engine unreachable: the inbox and the workers' outcomes, and the page is told so.
    const down = await engineProgress(
      new EngineClient('http://127.0.0.1:1/engine-rest', { timeoutMs: 2000 }),
      t.system.db,
      second.processInstanceKey,
    );
    expect(down.source).toBe('platform');
    expect(down.notice).toContain('流程引擎暂不可用');
    expect(down.active).toEqual(['DepartmentReview']);
    expect(down.completed).toEqual(expect.arrayContaining(['SmartCheck', 'ToDepartment']));
    expect(down.steps.find((s) => s.elementId === 'DepartmentReview')).toMatchObject({
      status: 'active',
      actor: '李娜',
      taskId: second.id,
    });
    expect(down.steps.find((s) => s.elementId === 'SmartCheck')).toMatchObject({ actor: '系统自动', status: 'completed' });
    // An evidence package made while the engine is down says so, signed, and still verifies.
    const offline = await processEvidence(
      t.system.db,
      new EngineClient('http://127.0.0.1:1/engine-rest', { timeoutMs: 2000 }),
      await platformKey(t.system.db, t.config.sealSecret),
      { processInstanceKey: second.processInstanceKey, projectId: id },
    );
    expect(offline.engine).toMatchObject({
      history: null,
      statement: { historySm3: null, engine: null, unavailable: expect.stringContaining('流程引擎不可用') },
    });
    const offlineReport = verifyEvidencePackage(packageText(offline));
    expect(offlineReport).toMatchObject({
      ok: true,
      engine: { ok: true, unavailable: expect.stringContaining('流程引擎不可用'), activities: 0 },
    });
    // An instance the engine has no history of.
    const unknown = await engineProgress(t.system.engine, t.system.db, '00000000-0000-0000-0000-000000000000');
    expect(unknown).toMatchObject({ source: 'platform', notice: expect.stringContaining('没有该流程实例的历史'), steps: [] });
  });

  test("an external task that failed for good is an incident: the element is marked failed with the engine's message", async () => {
    // A system of its own whose SMART check has no worker: the test plays a failing one.
    const s = await startTestSystem({}, { workers: platformWorkers(allWorkers.filter((w) => w !== projectSmartCheck)) });
    try {
      await s.system.ready;
      await seedReferenceData(s.system.db, { year: 2026 });
      await seedDemoUsers(s.system.db);
      const cookie = await loginCookie(s.system.url, 'nm_clerk_yz', PASSWORD);
      const api = async (method: string, p: string, body?: unknown) => {
        const res = await fetch(`${s.system.url}/api${p}`, {
          method,
          headers: { 'content-type': 'application/json', cookie },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const created = await api('POST', '/projects', {
        fiscalYear: 2026,
        name: '第一中学引擎事件测试项目',
        category: '33',
        functionalCode: '2050204',
        description: '详见可行性研究报告',
        amounts: [{ economicCode: '30213', amountFen: 100_000_00 }],
        targets: [
          { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1000', unit: '平方米' },
          { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
        ],
      });
      expect((await api('POST', `/projects/${created.body.id}/submit`, { version: created.body.version })).status).toBe(200);
      const engine = s.system.engine;
      const topic = namespaced(s.config.engine.namespace, 'project.smart-check');
      let locked: Array<{ id: string; processInstanceId: string }> = [];
      for (let i = 0; i < 50 && locked.length === 0; i++) {
        locked = await engine.fetchAndLock({ workerId: 'history-test', maxTasks: 1, topics: [{ topicName: topic, lockDuration: 60_000 }] });
        if (!locked.length) await new Promise((r) => setTimeout(r, 200));
      }
      expect(locked).toHaveLength(1);
      await engine.externalTaskFailure(locked[0]!.id, 'history-test', {
        errorMessage: 'SMART 检查服务不可用',
        retries: 0,
        retryTimeout: 0,
      });

      const items = (await api('GET', `/projects/${created.body.id}/processes`)).body.items as Array<{ progress: InstanceProgress }>;
      const progress = items[0]!.progress;
      expect(progress).toMatchObject({ source: 'engine', failed: ['SmartCheck'], active: ['SmartCheck'] });
      expect(progress.steps.find((x) => x.elementId === 'SmartCheck')).toMatchObject({
        status: 'failed',
        actor: '系统自动',
        incident: 'SMART 检查服务不可用',
        endedAt: null,
      });
      expect(progress.completed).toEqual(['Submitted']);

      // The evidence package records the incident too.
      const compliance = await loginCookie(s.system.url, 'nm_compliance', PASSWORD);
      const res = await fetch(`${s.system.url}/api/processes/instances/${locked[0]!.processInstanceId}/evidence`, {
        headers: { cookie: compliance },
      });
      const text = await res.text();
      const report = verifyEvidencePackage(text);
      expect(report).toMatchObject({ ok: true, engine: { ok: true, incidents: 1 } });
      expect(JSON.parse(text).engine.history.incidents[0]).toMatchObject({
        activityId: 'SmartCheck',
        incidentType: 'failedExternalTask',
        incidentMessage: 'SMART 检查服务不可用',
        open: true,
      });
    } finally {
      await s.close();
    }
  });
});
