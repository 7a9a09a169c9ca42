import { seedDemoUsers } from '../../server/auth/demo-users';
import { createUser } from '../../server/auth/service';
import { seedReferenceData } from '../../server/reference';
import { startTestSystem, type TestSystem } from '../support/system';
import { loginCookie } from '../support/accounts';
import { expectTodoInStep } from '../support/todo';

/**
 * The intake review (processes/project-intake.bpmn) end to end on the real engine and database,
 * through the HTTP API as the demo people use it: 王芳 (nm_clerk_yz) files for 第一中学, 李娜
 * (nm_dept_jy) reviews for 教育局, 陈静 (nm_jkw) for the city's 教科文科, 刘洋 (nm_ysk) decides
 * for the 预算科.
 */
jest.setTimeout(120_000);

describe('intake review on the engine', () => {
  let t: TestSystem;
  let base: string;
  const cookies: Record<string, string> = {};
  const PASSWORD = 'Budget@2026';

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    // A second reviewer at 教育局, for 转办.
    const dept = (await db('organisations').where({ code: '150100-JY' }).first('id')) as { id: number };
    await createUser(db, {
      username: 'nm_dept_jy2',
      displayName: '张伟',
      orgId: dept.id,
      password: PASSWORD,
      roles: ['department_reviewer'],
    });
    base = `${t.system.url}/api`;
    for (const u of ['nm_clerk_yz', 'nm_dept_jy', 'nm_dept_jy2', 'nm_jkw', 'nm_ysk', 'nm_director', 'nm_jxc', 'nm_clerk_ny'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function call(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', cookie: cookies[user]! },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
  }

  let seq = 0;
  async function fileAndSubmit(extra: object = {}): Promise<{ id: number }> {
    seq += 1;
    const created = await call('nm_clerk_yz', 'POST', '/projects', {
      fiscalYear: 2026,
      name: `第一中学申报审核测试项目${seq}号`,
      category: '33',
      functionalCode: '2050204',
      description: '详见可行性研究报告',
      amounts: [{ economicCode: '30213', amountFen: 500_000_00 }],
      targets: [
        { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1000', unit: '平方米' },
        { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
      ],
      ...extra,
    });
    expect(created.status).toBe(201);
    const submitted = await call('nm_clerk_yz', 'POST', `/projects/${created.body.id}/submit`, { version: created.body.version });
    expect(submitted.status).toBe(200);
    return { id: created.body.id };
  }

  /** The open task of a project at a step, as the user's 待办 shows it (waits for the engine). */
  async function taskFor(user: string, projectId: number, step: string): Promise<{ id: number; name: string }> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await call(user, 'GET', '/tasks?box=todo&pageSize=100');
      if (r.status !== 200) throw new Error(`GET /tasks as ${user}: ${r.status} ${JSON.stringify(r.body)}`);
      const task = (r.body.items as Array<{ id: number; projectId: number; elementId: string; name: string }>).find(
        (x) => x.projectId === projectId && x.elementId === step,
      );
      if (task) return task;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`no ${step} task for ${user} on project ${projectId}`);
  }

  async function projectStatus(id: number, wanted: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      status = (await call('nm_clerk_yz', 'GET', `/projects/${id}`)).body.status as string;
      if (status === wanted) return status;
      await new Promise((res) => setTimeout(res, 200));
    }
    return status;
  }

  test('happy path: department, sector and budget division approve; the project is reserved and the applicant notified', async () => {
    const { id } = await fileAndSubmit();
    expect(await projectStatus(id, 'department_review')).toBe('department_review');
    const dept = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    expect(dept.name).toBe('主管部门审核');
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve', comment: '同意' } })).status,
    ).toBe(200);
    expect(await projectStatus(id, 'finance_review')).toBe('finance_review');
    const sector = await taskFor('nm_jkw', id, 'SectorReview');
    expect(
      (
        await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, {
          data: { decision: 'approve', countersign: false, comment: '符合方向' },
        })
      ).status,
    ).toBe(200);
    const budget = await taskFor('nm_ysk', id, 'BudgetDecision');
    expect((await call('nm_ysk', 'POST', `/tasks/${budget.id}/complete`, { data: { decision: 'admit' } })).status).toBe(200);
    expect(await projectStatus(id, 'reserved')).toBe('reserved');

    const events = (await call('nm_clerk_yz', 'GET', `/projects/${id}/events`)).body.items as Array<{
      kind: string;
      toStatus: string | null;
      note: string | null;
    }>;
    expect(events.filter((e) => e.kind === 'task_completed').map((e) => e.note)).toEqual([
      '主管部门审核：通过。意见：同意',
      '财政业务处室审核：通过。意见：符合方向',
      '预算处审定：同意入库',
    ]);
    expect(events.filter((e) => e.toStatus).map((e) => e.toStatus)).toEqual([
      'draft',
      'submitted',
      'department_review',
      'finance_review',
      'reserved',
    ]);
    // The worker writes 已入库 before it reports the Reserve step done to the engine: the engine's
    // history catches up a moment later.
    let processes = (await call('nm_clerk_yz', 'GET', `/projects/${id}/processes`)).body;
    for (const until = Date.now() + 30_000; !processes.items[0].progress.completed.includes('Reserve') && Date.now() < until;) {
      await new Promise((res) => setTimeout(res, 300));
      processes = (await call('nm_clerk_yz', 'GET', `/projects/${id}/processes`)).body;
    }
    expect(processes.items[0]).toMatchObject({ processId: 'project-intake', status: 'completed', outcome: 'reserved' });
    expect(processes.items[0].progress.completed).toEqual(
      expect.arrayContaining(['SmartCheck', 'DepartmentReview', 'SectorReview', 'BudgetDecision', 'Reserve']),
    );
    const notes = (await call('nm_clerk_yz', 'GET', '/notifications')).body.items as Array<{ kind: string; title: string }>;
    expect(notes.some((n) => n.kind === 'project-reserved' && n.title.includes(`第一中学申报审核测试项目`))).toBe(true);
    // 已办 of each reviewer holds their task.
    expect(
      ((await call('nm_dept_jy', 'GET', '/tasks?box=done&pageSize=100')).body.items as Array<{ id: number }>).some((x) => x.id === dept.id),
    ).toBe(true);
  });

  test('退回 to the applicant, who edits and resubmits: the review starts again at the department', async () => {
    const { id } = await fileAndSubmit();
    const dept = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    const bad = await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'return' } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']); // a return needs its reason
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'return', comment: '请补充施工方案' } })).status,
    ).toBe(200);
    expect(await projectStatus(id, 'returned')).toBe('returned');
    const notes = (await call('nm_clerk_yz', 'GET', '/notifications?unread=true')).body.items as Array<{ kind: string; body: string }>;
    expect(notes.find((n) => n.kind === 'project-returned')?.body).toContain('请补充施工方案');

    const revise = await taskFor('nm_clerk_yz', id, 'Revise');
    const project = (await call('nm_clerk_yz', 'GET', `/projects/${id}`)).body;
    const { id: _i, projectNo: _n, fiscalYear: _y, version, ...rest } = project;
    const edited = await call('nm_clerk_yz', 'PUT', `/projects/${id}`, {
      name: rest.name,
      category: rest.category,
      subType: rest.subType,
      functionalCode: rest.functionalCode,
      description: '已补充施工方案：分两期实施',
      basis: rest.basis,
      startDate: rest.startDate,
      endDate: rest.endDate,
      amounts: rest.amounts.map((a: { economicCode: string; amountFen: number }) => ({
        economicCode: a.economicCode,
        amountFen: a.amountFen,
      })),
      targets: rest.targets,
      version,
    });
    expect(edited.status).toBe(200);
    expect((await call('nm_clerk_yz', 'POST', `/tasks/${revise.id}/complete`, { data: { confirm: true, comment: '已补充' } })).status).toBe(
      200,
    );
    const again = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    expect(again.id).not.toBe(dept.id);
    expect(await projectStatus(id, 'department_review')).toBe('department_review');
  });

  test('转办 hands the task to a colleague; invalid data leaves it open; a second completion is refused; a non-candidate gets 403', async () => {
    const { id } = await fileAndSubmit();
    const dept = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    // Someone who may read the project but is not a candidate of this step.
    const outsider = await call('nm_ysk', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve' } });
    expect([outsider.status, outsider.body.error.code]).toEqual([403, 'NOT_A_CANDIDATE']);
    // Someone who cannot see the project at all: as if it did not exist.
    expect((await call('nm_clerk_ny', 'GET', `/tasks/${dept.id}`)).status).toBe(404);

    const users = (await call('nm_dept_jy', 'GET', `/tasks/${dept.id}/eligible-users`)).body.items as Array<{
      id: number;
      name: string;
      canTakeOver: boolean;
    }>;
    const zhang = users.find((u) => u.name === '张伟')!;
    // The picker marks whom the server accepts: 刘洋 (预算科) may be copied, not handed the department's review.
    const liu = users.find((u) => u.name === '刘洋')!;
    expect([zhang.canTakeOver, liu.canTakeOver]).toEqual([true, false]);
    const refused = await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/reassign`, { userId: liu.id });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'USER_NOT_ELIGIBLE']);
    expect((await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/reassign`, { userId: zhang.id, comment: '请张伟办理' })).status).toBe(200);
    expect(
      ((await call('nm_dept_jy', 'GET', '/tasks?box=todo&pageSize=100')).body.items as Array<{ id: number }>).some((x) => x.id === dept.id),
    ).toBe(false);
    const mine = await taskFor('nm_dept_jy2', id, 'DepartmentReview');
    expect(mine.id).toBe(dept.id);
    // Filters apply within the 待办 box (assigned and offered alike).
    const named = (await call('nm_dept_jy2', 'GET', `/tasks?box=todo&keyword=${encodeURIComponent(`测试项目${seq}号`)}`)).body;
    expect(named.items.map((x: { id: number }) => x.id)).toEqual([dept.id]);
    expect(named.total).toBe(1);
    expect((await call('nm_dept_jy2', 'GET', '/tasks?box=todo&keyword=%E6%97%A0%E6%AD%A4%E9%A1%B9%E7%9B%AE')).body.total).toBe(0);
    expect((await call('nm_dept_jy', 'GET', `/tasks?box=todo&keyword=${encodeURIComponent(`测试项目${seq}号`)}`)).body.total).toBe(0);

    const invalid = await call('nm_dept_jy2', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'maybe', surprise: 1 } });
    expect(invalid.status).toBe(400);
    expect((await call('nm_dept_jy2', 'GET', `/tasks/${dept.id}`)).body.task.status).toBe('open');

    const [first, second] = await Promise.all([
      call('nm_dept_jy2', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve' } }),
      call('nm_dept_jy2', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve' } }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const detail = (await call('nm_dept_jy2', 'GET', `/tasks/${dept.id}`)).body;
    expect(detail.history.filter((e: { kind: string; taskId: number }) => e.kind === 'completed' && e.taskId === dept.id)).toHaveLength(1);
    expect(detail.history.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['created', 'reassigned', 'completed']));
    await taskFor('nm_jkw', id, 'SectorReview'); // the process moved on exactly once
    // Every action on the task is on the project's timeline too (and so in the audit chain).
    const timeline = (await call('nm_clerk_yz', 'GET', `/projects/${id}/events`)).body.items as Array<{
      kind: string;
      note: string | null;
    }>;
    expect(timeline.filter((e) => e.kind === 'task_action').map((e) => e.note)).toEqual([
      '主管部门审核：签收',
      '主管部门审核：转办给 张伟。意见：请张伟办理',
    ]);
    const after = await call('nm_dept_jy2', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve' } });
    expect([after.status, after.body.error.code]).toEqual([409, 'TASK_ALREADY_COMPLETED']);
  });

  test('撤回 before anyone acted returns the project to draft; after a claim it is refused', async () => {
    const { id } = await fileAndSubmit();
    const dept = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    const withdrawn = await call('nm_clerk_yz', 'POST', `/projects/${id}/withdraw`, { reason: '金额有误，撤回修改' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('draft');
    expect((await call('nm_dept_jy', 'GET', `/tasks/${dept.id}`)).body.task.status).toBe('canceled');
    await expectTodoInStep(t.system.db); // 待办 by its definition (the candidates' offered flag)
    const late = await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve' } });
    expect(late.status).toBe(409);

    // Submitted again; this time the reviewer has claimed it.
    const project = (await call('nm_clerk_yz', 'GET', `/projects/${id}`)).body;
    expect((await call('nm_clerk_yz', 'POST', `/projects/${id}/submit`, { version: project.version })).status).toBe(200);
    const task = await taskFor('nm_dept_jy', id, 'DepartmentReview');
    expect((await call('nm_dept_jy', 'POST', `/tasks/${task.id}/claim`)).status).toBe(200);
    const refused = await call('nm_clerk_yz', 'POST', `/projects/${id}/withdraw`, { reason: '再撤回' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'ALREADY_ACTED']);
    await expectTodoInStep(t.system.db);
  });

  describe('会签 under each completion rule', () => {
    async function countersign(rule: 'all' | 'majority' | 'any') {
      const { id } = await fileAndSubmit();
      const dept = await taskFor('nm_dept_jy', id, 'DepartmentReview');
      await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve' } });
      const sector = await taskFor('nm_jkw', id, 'SectorReview');
      const eligible = (await call('nm_jkw', 'GET', `/tasks/${sector.id}/eligible-users`)).body.items as Array<{
        id: number;
        name: string;
      }>;
      const ids = ['刘洋', '郑国华', '周强'].map((n) => eligible.find((u) => u.name === n)!.id);
      const r = await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, {
        data: { decision: 'approve', countersign: true, countersigners: ids, countersignRule: rule },
      });
      expect(r.status).toBe(200);
      const tasks = {
        nm_ysk: await taskFor('nm_ysk', id, 'Countersign'),
        nm_director: await taskFor('nm_director', id, 'Countersign'),
        nm_jxc: await taskFor('nm_jxc', id, 'Countersign'),
      };
      return { id, sector, tasks };
    }
    const vote = (user: string, taskId: number, v: 'approve' | 'reject') =>
      call(user, 'POST', `/tasks/${taskId}/complete`, { data: v === 'reject' ? { vote: v, comment: '不同意' } : { vote: v } });

    test('all: one rejection fails it at once and the others are closed; back to the sector division', async () => {
      const { id, sector, tasks } = await countersign('all');
      expect((await vote('nm_ysk', tasks.nm_ysk.id, 'approve')).status).toBe(200);
      expect((await vote('nm_director', tasks.nm_director.id, 'reject')).status).toBe(200);
      const again = await taskFor('nm_jkw', id, 'SectorReview');
      expect(again.id).not.toBe(sector.id);
      expect((await call('nm_jxc', 'GET', `/tasks/${tasks.nm_jxc.id}`)).body.task.status).toBe('canceled');
    });

    test('majority: two of three approve and it passes to the budget division; the third is closed', async () => {
      const { id, tasks } = await countersign('majority');
      expect((await vote('nm_ysk', tasks.nm_ysk.id, 'approve')).status).toBe(200);
      expect((await vote('nm_jxc', tasks.nm_jxc.id, 'approve')).status).toBe(200);
      await taskFor('nm_ysk', id, 'BudgetDecision');
      expect((await call('nm_director', 'GET', `/tasks/${tasks.nm_director.id}`)).body.task.status).toBe('canceled');
    });

    test('any: the first approval passes it', async () => {
      const { id, tasks } = await countersign('any');
      expect((await vote('nm_jxc', tasks.nm_jxc.id, 'approve')).status).toBe(200);
      await taskFor('nm_ysk', id, 'BudgetDecision');
      const left = await vote('nm_director', tasks.nm_director.id, 'reject');
      expect(left.status).toBe(409);
    });
  });
});
