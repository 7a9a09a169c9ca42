import { seedDemoUsers } from '../../server/auth/demo-users';
import type { Db } from '../../server/db';
import { changeStatus } from '../../server/projects/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * GET /api/workbench (the landing page's one call) and who may read the system's internals, over
 * real HTTP on the real database with the demo accounts and no engine: 王芳 (nm_clerk_yz) files for
 * 呼和浩特市第一中学, 李娜 (nm_dept_jy) reviews for 教育局, 郑国华 (nm_director) leads the city
 * bureau, 高峰 (nm_sysadmin) is the system administrator.
 */
describe('workbench API and system status', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const cookies: Record<string, string> = {};
  const users = ['nm_clerk_yz', 'nm_dept_jy', 'nm_director', 'nm_sysadmin', 'nm_secadmin', 'nm_designer', 'nm_expert'];

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    api = await startApi(db, fresh.database);
    for (const u of users) cookies[u] = await loginCookie(api.base, u, 'Budget@2026');
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  async function call(user: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${api.base}/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(user ? { cookie: cookies[user]! } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  const application = (name: string, description: string) => ({
    fiscalYear: 2026,
    name,
    category: '33',
    functionalCode: '2050204',
    description,
    amounts: [{ economicCode: '30213', amountFen: 500_000_00 }],
    targets: [
      { level1: '产出指标', level2: '数量指标', name: '维修校舍面积', direction: '>=', targetValue: '3200', unit: '平方米' },
      { level1: '效益指标', level2: '社会效益指标', name: '受益学生人数', direction: '>=', targetValue: '1800', unit: '人' },
    ],
  });
  const system = { userId: null, username: 'system', displayName: '系统自动' };

  test('a unit clerk: its own applications by status, drafts included, a returned one raises a warning; reviewers count only what was submitted', async () => {
    const a = (
      await call(
        'nm_clerk_yz',
        'POST',
        '/projects',
        application('操场塑胶跑道翻新', '更换老化的塑胶跑道面层，修复排水沟，保障学生体育课和课外活动安全。'),
      )
    ).body;
    const b = (
      await call(
        'nm_clerk_yz',
        'POST',
        '/projects',
        application('图书馆借阅系统升级', '升级图书馆借阅管理系统，新增自助借还设备，提高借阅效率与服务水平。'),
      )
    ).body;
    const c = (
      await call(
        'nm_clerk_yz',
        'POST',
        '/projects',
        application('学生宿舍热水改造', '改造宿舍楼热水供应系统，实现全天候供应，改善学生住宿条件。'),
      )
    ).body;
    await changeStatus(db, system, b.id, 'submitted');
    await changeStatus(db, system, c.id, 'submitted');
    await changeStatus(db, system, c.id, 'returned');

    const clerk = (await call('nm_clerk_yz', 'GET', '/workbench')).body;
    expect(clerk.projects.byStatus).toEqual([
      { status: 'draft', label: '草稿', count: 1 },
      { status: 'submitted', label: '已送审', count: 1 },
      { status: 'returned', label: '已退回', count: 1 },
    ]);
    expect(clerk.projects.total).toBe(3);
    expect(clerk.projects.recent.map((p: { id: number }) => p.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(clerk.projects.recent[0].updatedAt).toMatch(/\+08:00$/);
    expect(clerk.tasks).toEqual({ todo: 0, overdue: 0, copies: 0, oldest: [], business: [] });
    expect(clerk.quotas).toEqual({ count: 0, amountFen: 0, availableFen: 0, low: 0 });
    expect(clerk.warnings).toEqual([
      { level: 'warning', code: 'APPLICATIONS_RETURNED', text: '1 个申报已被退回，请按审核意见修改后重新送审', link: '/my-applications' },
    ]);

    // The department and the director see the submitted and the returned one, never the draft.
    for (const u of ['nm_dept_jy', 'nm_director']) {
      const w = (await call(u, 'GET', '/workbench')).body;
      expect([u, w.projects.byStatus]).toEqual([
        u,
        [
          { status: 'submitted', label: '已送审', count: 1 },
          { status: 'returned', label: '已退回', count: 1 },
        ],
      ]);
      expect([u, w.projects.recent.map((p: { id: number }) => p.id).includes(a.id)]).toEqual([u, false]);
      // 退回 asks the unit to act, not the reviewer.
      expect([u, w.warnings.map((x: { code: string }) => x.code)]).toEqual([u, []]);
    }
  });

  test('an expert (no project or quota reading) gets only the task part; a quota with less than 10 % available warns the finance staff', async () => {
    const expert = (await call('nm_expert', 'GET', '/workbench')).body;
    expect(expert).toMatchObject({ projects: null, quotas: null, warnings: [] });
    expect(expert.tasks).toMatchObject({ todo: 0 });

    const unit = (await db('users').where({ username: 'nm_clerk_yz' }).first('org_id')) as { org_id: number };
    const [id] = await db('quotas').insert({
      quota_no: 'ZB2026-LOW',
      fiscal_year: 2026,
      unit_org_id: unit.org_id,
      functional_code: '2050204',
      economic_code: '30213',
      fund_source: '一般公共预算',
      document_no: '呼财教〔2026〕1号',
      amount_fen: 100_000,
      used_fen: 95_000,
      frozen_fen: 0,
      created_at: new Date(),
      updated_at: new Date(),
    });
    expect(Number(id)).toBeGreaterThan(0);
    const director = (await call('nm_director', 'GET', '/workbench')).body;
    expect(director.quotas).toEqual({ count: 1, amountFen: 100_000, availableFen: 5_000, low: 1 });
    expect(director.warnings).toEqual([{ level: 'warning', code: 'QUOTAS_LOW', text: '1 个指标可用余额不足额度的 10%', link: '/quotas' }]);
    expect((await call(null, 'GET', '/workbench')).status).toBe(401);
  });

  test('the system status is the administrators’: /api/health answers only up or down to anyone; /api/system/status the internals to system:health alone', async () => {
    const open = await call(null, 'GET', '/health');
    expect(open.status).toBe(503); // no engine in these tests
    expect(Object.keys(open.body).sort()).toEqual(['database', 'engine', 'status', 'time']);
    expect(open.body).toMatchObject({ status: 'degraded', database: { status: 'up' }, engine: { status: 'down' } });
    expect(JSON.stringify(open.body)).not.toMatch(/engine-rest|127\.0\.0\.1|sqlite|mysql|version/i);

    for (const u of ['nm_clerk_yz', 'nm_director', 'nm_designer', 'nm_expert']) {
      const r = await call(u, 'GET', '/system/status');
      expect([u, r.status, r.body.error.code]).toEqual([u, 403, 'FORBIDDEN']);
    }
    for (const u of ['nm_sysadmin', 'nm_secadmin']) {
      const r = await call(u, 'GET', '/system/status');
      expect([u, r.status]).toEqual([u, 503]);
      expect(r.body.engine).toMatchObject({ status: 'down', address: 'http://127.0.0.1:1/engine-rest', product: 'Operaton' });
      expect(r.body.database).toMatchObject({ status: 'up' });
    }
    // The administrators' workbench says so.
    const admin = (await call('nm_sysadmin', 'GET', '/workbench')).body;
    expect(admin.warnings).toEqual([
      { level: 'danger', code: 'SYSTEM_DEGRADED', text: '系统状态异常：流程引擎不可用或正在启动', link: '/health' },
    ]);
    expect(admin).toMatchObject({ projects: null, quotas: null });
    expect((await call(null, 'GET', '/system/status')).status).toBe(401);
  });
});
