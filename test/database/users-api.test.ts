import ExcelJS from 'exceljs';
import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * 用户管理 over HTTP on the real database, through the whole app. Two cities' admins (呼和浩特,
 * 苏州), each a system admin and a security admin at the city bureau: each sees and changes only
 * the users of its own region, even by guessing ids; 三员分立 splits who creates accounts from who
 * grants roles; refused input writes nothing.
 */
describe('users API', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const org: Record<string, number> = {};
  const cookie: Record<string, string> = {};
  const id: Record<string, number> = {};

  async function call(method: string, url: string, who: string | null, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(api.base + url, {
      method,
      headers: { ...(who ? { cookie: cookie[who]! } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: res.status === 204 ? null : await res.json() };
  }
  const rawLogin = (username: string, password: string) =>
    fetch(`${api.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  const userCount = async () => Number(((await db('users').count({ n: '*' }).first()) as { n: number | string }).n);
  const rolesOf = async (userId: number) =>
    ((await db('user_roles').where('user_id', userId).orderBy('role').select('role')) as Array<{ role: string }>).map((r) => r.role);

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    for (const code of ['150100-CZ', '150100-JY-001', '150100-NY-001', '150100-JY', '320500-CZ', '320500-JY-001'])
      org[code] = (await getOrganisationByCode(db, code))!.id;
    const accounts: Array<[string, string, string[]]> = [
      ['nm_sys', '150100-CZ', ['system_admin']],
      ['nm_sec', '150100-CZ', ['security_admin']],
      ['nm_clerk', '150100-JY-001', ['unit_clerk']],
      ['js_sys', '320500-CZ', ['system_admin']],
      ['js_sec', '320500-CZ', ['security_admin']],
      ['js_clerk', '320500-JY-001', ['unit_clerk']],
    ];
    for (const [username, orgCode, roles] of accounts) {
      id[username] = await createUser(db, {
        username,
        displayName: `测试${username}`,
        orgId: org[orgCode]!,
        password: TEST_PASSWORD,
        roles,
      });
      if (roles[0] !== 'unit_clerk') cookie[username] = await loginCookie(api.base, username);
    }
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  test('the system admin creates an account in its scope: no roles, must change the password; list, filters and paging', async () => {
    const created = await call('POST', '/api/users', 'nm_sys', {
      username: 'nm_new.clerk',
      displayName: '新经办人',
      orgId: org['150100-JY-001'],
      password: 'Initial#2026',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      username: 'nm_new.clerk',
      displayName: '新经办人',
      org: { id: org['150100-JY-001'], name: '呼和浩特市第一中学' },
      roles: [],
      status: 'active',
      locked: false,
      lockedUntil: null,
      failedLogins: 0,
      mustChangePassword: true,
    });
    expect(created.json.createdAt).toMatch(/\+08:00$/);
    expect(created.json.passwordChangedAt).toMatch(/\+08:00$/);
    id['nm_new.clerk'] = created.json.id;

    // Both admins see the list; only their region's users.
    for (const who of ['nm_sys', 'nm_sec']) {
      const list = await call('GET', '/api/users?pageSize=100', who);
      expect(list.status).toBe(200);
      expect(list.json.items.map((u: { username: string }) => u.username).sort()).toEqual(['nm_clerk', 'nm_new.clerk', 'nm_sec', 'nm_sys']);
      expect(list.json.total).toBe(4);
    }
    const js = await call('GET', '/api/users?pageSize=100', 'js_sys');
    expect(js.json.items.map((u: { username: string }) => u.username).sort()).toEqual(['js_clerk', 'js_sec', 'js_sys']);

    const names = async (query: string) =>
      (await call('GET', `/api/users?${query}`, 'nm_sys')).json.items.map((u: { username: string }) => u.username);
    expect(await names(`keyword=${encodeURIComponent('新经办')}`)).toEqual(['nm_new.clerk']);
    expect(await names('keyword=_')).toEqual(['nm_clerk', 'nm_new.clerk', 'nm_sec', 'nm_sys']); // '_' is a character, not a wildcard…
    expect(await names('keyword=%25')).toEqual([]); // …and so is '%'
    expect(await names('role=unit_clerk')).toEqual(['nm_clerk']);
    expect(await names(`orgId=${org['150100-JY']}`)).toEqual(['nm_clerk', 'nm_new.clerk']); // the department and its units
    expect(await names(`orgId=${org['320500-CZ']}`)).toEqual([]); // another region's organisation: nobody of ours
    expect(await names('sort=username&order=desc&pageSize=2&page=2')).toEqual(['nm_new.clerk', 'nm_clerk']);
    expect((await call('GET', '/api/users?sort=password_hash', 'nm_sys')).status).toBe(400);
    expect((await call('GET', '/api/users?role=root', 'nm_sys')).status).toBe(400);
    expect((await call('GET', '/api/users?pageSize=101', 'nm_sys')).status).toBe(400);
    expect((await call('GET', `/api/users/${id['nm_new.clerk']}`, 'nm_sec')).json.username).toBe('nm_new.clerk');
  });

  test('an id that cannot name a user (abc, 0x5, 5.0, 1e3) is a 404 naming the user, on every /api/users/{id} route, and changes nothing', async () => {
    const target = id.nm_clerk!;
    const before = await db('users').where('id', target).first();
    for (const raw of ['abc', `0x${target.toString(16)}`, `${target}.0`, '1e3', '0', '2147483648']) {
      const calls: Array<[string, string, string, unknown?]> = [
        ['GET', `/api/users/${raw}`, 'nm_sys'],
        ['PATCH', `/api/users/${raw}`, 'nm_sys', { status: 'disabled' }],
        ['PUT', `/api/users/${raw}/roles`, 'nm_sec', { roles: ['unit_clerk'] }],
        ['POST', `/api/users/${raw}/unlock`, 'nm_sec'],
        ['POST', `/api/users/${raw}/reset-password`, 'nm_sec', { password: 'Guessed#2026' }],
        ['POST', `/api/users/${raw}/second-factor/reset`, 'nm_sec'],
        ['POST', `/api/users/${raw}/seal-reenrolment`, 'nm_sec', { reason: '遗忘签章密码' }],
      ];
      for (const [method, url, who, body] of calls) {
        const r = await call(method, url, who, body);
        expect([method, url, r.status, r.json.error]).toEqual([method, url, 404, { code: 'NOT_FOUND', message: '用户不存在' }]);
      }
    }
    expect(await db('users').where('id', target).first()).toEqual(before);
  });

  test("another region's users do not exist for an admin, even by guessing ids; nor do its organisations", async () => {
    const before = await db('users').where('id', id.js_clerk!).first();
    const target = `/api/users/${id.js_clerk}`;
    expect((await call('GET', target, 'nm_sys')).status).toBe(404);
    expect((await call('PATCH', target, 'nm_sys', { status: 'disabled' })).status).toBe(404);
    expect((await call('PUT', `${target}/roles`, 'nm_sec', { roles: ['budget_division'] })).status).toBe(404);
    expect((await call('POST', `${target}/unlock`, 'nm_sec')).status).toBe(404);
    expect((await call('POST', `${target}/reset-password`, 'nm_sec', { password: 'Guessed#2026' })).status).toBe(404);
    expect((await call('GET', '/api/users/999999', 'nm_sys')).status).toBe(404);
    expect((await call('GET', '/api/users/abc', 'nm_sys')).status).toBe(404);
    expect(await db('users').where('id', id.js_clerk!).first()).toEqual(before);
    expect(await rolesOf(id.js_clerk!)).toEqual(['unit_clerk']);

    // Creating into, or moving a user to, an organisation outside the scope.
    const count = await userCount();
    const into = await call('POST', '/api/users', 'js_sys', {
      username: 'js_sneaky',
      displayName: '越权',
      orgId: org['150100-JY-001'],
      password: 'Initial#2026',
    });
    expect(into.status).toBe(400);
    expect(into.json.error).toMatchObject({ code: 'ORG_NOT_FOUND', details: [{ field: 'orgId' }] });
    const move = await call('PATCH', `/api/users/${id.nm_clerk}`, 'nm_sys', { orgId: org['320500-JY-001'] });
    expect(move.json.error.code).toBe('ORG_NOT_FOUND');
    expect(await userCount()).toBe(count);
    expect((await db('users').where('id', id.nm_clerk!).first('org_id')).org_id).toBe(org['150100-JY-001']);
  });

  test('bad input is a 4xx with a stable code and writes nothing', async () => {
    const count = await userCount();
    const good = { username: 'nm_valid', displayName: '合规', orgId: org['150100-JY-001'], password: 'Initial#2026' };
    const cases: Array<[unknown, number, string, string]> = [
      [{ ...good, username: 'x'.repeat(51) }, 400, 'VALIDATION_FAILED', 'body.username'],
      [{ ...good, username: 'ab' }, 400, 'VALIDATION_FAILED', 'body.username'],
      [{ ...good, username: '王芳' }, 400, 'VALIDATION_FAILED', 'body.username'],
      [{ ...good, displayName: '名'.repeat(51) }, 400, 'VALIDATION_FAILED', 'body.displayName'],
      [{ ...good, displayName: '  ' }, 400, 'VALIDATION_FAILED', 'body.displayName'],
      [{ ...good, password: 'password' }, 400, 'VALIDATION_FAILED', 'password'],
      [{ ...good, password: 'Nm_valid#2026' }, 400, 'VALIDATION_FAILED', 'password'], // contains the user name
      [{ ...good, password: 'A1#'.repeat(43) }, 400, 'VALIDATION_FAILED', 'body.password'],
      [{ ...good, orgId: 999999 }, 400, 'ORG_NOT_FOUND', 'orgId'],
      [{ ...good, roles: ['budget_division'] }, 400, 'VALIDATION_FAILED', 'body'],
      [{ ...good, username: 'nm_clerk' }, 409, 'USERNAME_TAKEN', ''],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await call('POST', '/api/users', 'nm_sys', body);
      expect([r.status, r.json.error.code, JSON.stringify(body)]).toEqual([status, code, JSON.stringify(body)]);
      if (field) expect(r.json.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    const target = `/api/users/${id.nm_clerk}`;
    expect((await call('PATCH', target, 'nm_sys', {})).status).toBe(400);
    expect((await call('PATCH', target, 'nm_sys', { status: 'deleted' })).status).toBe(400);
    expect((await call('PATCH', target, 'nm_sys', { username: 'renamed' })).status).toBe(400);
    const unknownRole = await call('PUT', `${target}/roles`, 'nm_sec', { roles: ['unit_clerk', 'root'] });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.json.error.details).toEqual([{ field: 'roles', message: '未知角色：root' }]);
    expect(await userCount()).toBe(count);
    expect(await rolesOf(id.nm_clerk!)).toEqual(['unit_clerk']);
  });

  test('三员分立: the security admin grants roles, never two admin roles to one person, never to itself', async () => {
    const target = `/api/users/${id['nm_new.clerk']}`;
    const refused = await call('PUT', `${target}/roles`, 'nm_sec', { roles: ['system_admin', 'audit_admin'] });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({
      code: 'SEPARATION_OF_DUTIES',
      message: '三员分立：系统管理员、安全管理员、审计管理员不能由同一人兼任',
    });
    expect(await rolesOf(id['nm_new.clerk']!)).toEqual([]);

    const self = await call('PUT', `/api/users/${id.nm_sec}/roles`, 'nm_sec', { roles: ['security_admin', 'budget_division'] });
    expect(self.json.error.code).toBe('CANNOT_CHANGE_OWN_ROLES');
    expect(await rolesOf(id.nm_sec!)).toEqual(['security_admin']);

    const granted = await call('PUT', `${target}/roles`, 'nm_sec', { roles: ['unit_clerk'] });
    expect(granted.status).toBe(200);
    expect(granted.json.roles).toEqual([{ code: 'unit_clerk', name: '预算单位经办人' }]);
    // The system admin creates accounts but does not grant roles.
    expect((await call('PUT', `${target}/roles`, 'nm_sys', { roles: ['budget_division'] })).status).toBe(403);
  });

  test("disabling ends the person's sessions at once; nobody disables themselves; enabling lets them in again", async () => {
    cookie.nm_clerk = await loginCookie(api.base, 'nm_clerk');
    expect((await call('GET', '/api/auth/me', 'nm_clerk')).status).toBe(200);

    const self = await call('PATCH', `/api/users/${id.nm_sys}`, 'nm_sys', { status: 'disabled' });
    expect(self.json.error.code).toBe('CANNOT_DISABLE_SELF');
    expect((await db('users').where('id', id.nm_sys!).first('status')).status).toBe('active');

    const disabled = await call('PATCH', `/api/users/${id.nm_clerk}`, 'nm_sys', { status: 'disabled', displayName: '王芳（停用）' });
    expect(disabled.json).toMatchObject({ status: 'disabled', displayName: '王芳（停用）' });
    expect((await call('GET', '/api/auth/me', 'nm_clerk')).status).toBe(401);
    expect(await db('sessions').where('user_id', id.nm_clerk!).whereNull('revoked_at').count({ n: '*' }).first()).toEqual({ n: 0 });
    expect((await rawLogin('nm_clerk', TEST_PASSWORD)).status).toBe(403);
    expect((await call('GET', '/api/users?status=disabled', 'nm_sec')).json.items.map((u: { username: string }) => u.username)).toEqual([
      'nm_clerk',
    ]);

    expect((await call('PATCH', `/api/users/${id.nm_clerk}`, 'nm_sys', { status: 'active' })).json.status).toBe('active');
    expect((await rawLogin('nm_clerk', TEST_PASSWORD)).status).toBe(200);
  });

  test('five wrong passwords lock an account; the security admin unlocks it', async () => {
    for (let i = 0; i < 5; i++) await rawLogin('nm_clerk', `Wrong#${i}abc`);
    expect((await rawLogin('nm_clerk', TEST_PASSWORD)).status).toBe(423);
    const locked = await call('GET', '/api/users?locked=true', 'nm_sec');
    expect(locked.json.items).toEqual([
      expect.objectContaining({ username: 'nm_clerk', locked: true, failedLogins: 5, lockedUntil: expect.stringMatching(/\+08:00$/) }),
    ]);
    expect((await call('GET', '/api/users?locked=false', 'nm_sec')).json.items.map((u: { username: string }) => u.username)).not.toContain(
      'nm_clerk',
    );

    const unlocked = await call('POST', `/api/users/${id.nm_clerk}/unlock`, 'nm_sec');
    expect(unlocked.json).toMatchObject({ locked: false, lockedUntil: null, failedLogins: 0 });
    expect((await rawLogin('nm_clerk', TEST_PASSWORD)).status).toBe(200);
  });

  test('a password reset ends the sessions and forces a change before anything else works', async () => {
    cookie.nm_clerk = await loginCookie(api.base, 'nm_clerk');
    const weak = await call('POST', `/api/users/${id.nm_clerk}/reset-password`, 'nm_sec', { password: 'weakweak' });
    expect(weak.json.error.code).toBe('VALIDATION_FAILED');
    expect((await call('GET', '/api/auth/me', 'nm_clerk')).status).toBe(200); // a refused reset changed nothing
    expect((await call('POST', `/api/users/${id.nm_sec}/reset-password`, 'nm_sec', { password: 'Reset#2026x' })).json.error.code).toBe(
      'CANNOT_RESET_OWN_PASSWORD',
    );

    const reset = await call('POST', `/api/users/${id.nm_clerk}/reset-password`, 'nm_sec', { password: 'Reset#2026x' });
    expect(reset.json).toMatchObject({ mustChangePassword: true });
    expect((await call('GET', '/api/auth/me', 'nm_clerk')).status).toBe(401);
    expect((await rawLogin('nm_clerk', TEST_PASSWORD)).status).toBe(401);

    cookie.nm_clerk = await loginCookie(api.base, 'nm_clerk', 'Reset#2026x');
    expect((await call('GET', '/api/auth/me', 'nm_clerk')).json.user.mustChangePassword).toBe(true);
    const blocked = await call('GET', '/api/organisations', 'nm_clerk');
    expect([blocked.status, blocked.json.error.code]).toEqual([403, 'PASSWORD_CHANGE_REQUIRED']);

    expect((await call('POST', '/api/auth/password', 'nm_clerk', { oldPassword: 'Reset#2026x', newPassword: 'Mine#2026abc' })).status).toBe(
      204,
    );
    expect((await call('GET', '/api/auth/me', 'nm_clerk')).json.user.mustChangePassword).toBe(false);
    expect((await call('GET', '/api/organisations', 'nm_clerk')).status).toBe(200);
    expect((await call('GET', `/api/users/${id.nm_clerk}`, 'nm_sys')).json.mustChangePassword).toBe(false);
  });

  test("export: the list in the admin's scope as an .xlsx, with the same filters", async () => {
    const res = await fetch(`${api.base}/api/users/export?status=active`, { headers: { cookie: cookie.nm_sec! } });
    expect(res.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.getWorksheet('用户')!;
    const names = sheet.getColumn(1).values.slice(2).map(String);
    const listed = await call('GET', '/api/users?status=active&pageSize=100', 'nm_sec');
    expect(names.sort()).toEqual(listed.json.items.map((u: { username: string }) => u.username).sort());
    expect(names).not.toContain('js_sys'); // another province: outside the scope
    expect((await fetch(`${api.base}/api/users/export`, { headers: { cookie: cookie.nm_clerk ?? '' } })).status).toBeGreaterThanOrEqual(
      401,
    );
  });
});
