import type { Db } from '../../server/db';
import { authenticate, changePassword, createUser, login, logout, scopeOrgIds } from '../../server/auth/service';
import { AppError } from '../../server/errors';
import { openFreshDatabase } from '../support/system';

/** Accounts, sessions and data scope on the real database (DATABASE_URL, SQLite when unset). */
describe('authentication and data scope', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const orgs: Record<string, number> = {};
  const t0 = new Date('2026-11-23T01:00:00Z');

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await db('regions').insert([
      { code: '150000', name: '内蒙古自治区', level: 'province', parent_code: null },
      { code: '150100', name: '呼和浩特市', level: 'city', parent_code: '150000' },
    ]);
    // A bureau (id 1) with a unit beneath it, and a sibling (id 12-like path prefix trap).
    const add = async (code: string, name: string, kind: string, parent?: string) => {
      const parentId = parent ? orgs[parent] : null;
      const parentPath = parentId ? ((await db('organisations').where({ id: parentId }).first('path')) as { path: string }).path : '/';
      const [id] = await db('organisations').insert({
        code,
        name,
        kind,
        region_code: '150100',
        parent_id: parentId,
        path: 'pending',
        created_at: t0,
      });
      orgs[code] = Number(id);
      await db('organisations')
        .where({ id: Number(id) })
        .update({ path: `${parentPath}${Number(id)}/` });
    };
    await add('HHHT-CZJ', '呼和浩特市财政局', 'finance_bureau');
    await add('HHHT-JYJ', '呼和浩特市教育局', 'department', 'HHHT-CZJ');
    await add('HHHT-YZ', '呼和浩特市第一中学', 'budget_unit', 'HHHT-JYJ');
    await add('OTHER', '另一单位', 'budget_unit');
    await db('regions').insert({ code: '320100', name: '南京市', level: 'city', parent_code: null });
    await add('NJ-UNIT', '南京某单位', 'budget_unit');
    await db('organisations').where({ id: orgs['NJ-UNIT'] }).update({ region_code: '320100' });
    await createUser(
      db,
      { username: 'clerk', displayName: '经办人', orgId: orgs['HHHT-YZ']!, password: 'Budget@2026', roles: ['unit_clerk'] },
      t0,
    );
    await createUser(
      db,
      { username: 'reviewer', displayName: '审核人', orgId: orgs['HHHT-JYJ']!, password: 'Budget@2026', roles: ['department_reviewer'] },
      t0,
    );
    await createUser(
      db,
      { username: 'ysk', displayName: '预算科', orgId: orgs['HHHT-CZJ']!, password: 'Budget@2026', roles: ['budget_division'] },
      t0,
    );
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e instanceof AppError ? `${e.status} ${e.code}` : String(e);
    }
    return 'ok';
  };

  test('a correct password opens a session that authenticates to the user with its roles and permissions', async () => {
    const { token, principal } = await login(db, 'clerk', 'Budget@2026', {}, t0);
    expect(principal).toMatchObject({ username: 'clerk', orgId: orgs['HHHT-YZ'], roles: ['unit_clerk'], scope: 'own-org' });
    const again = await authenticate(db, token, new Date(t0.getTime() + 60_000));
    expect(again.userId).toBe(principal.userId);
    expect(again.permissions.has('projects:write')).toBe(true);
  });

  test('the same answer for an unknown user and a wrong password', async () => {
    expect(await code(login(db, 'nobody', 'Budget@2026', {}, t0))).toBe('401 LOGIN_FAILED');
    expect(await code(login(db, 'reviewer', 'wrong', {}, t0))).toBe('401 LOGIN_FAILED');
  });

  test('five wrong passwords lock the account for 30 minutes, even against the right password', async () => {
    await createUser(
      db,
      { username: 'locky', displayName: '锁定测试', orgId: orgs['HHHT-YZ']!, password: 'Budget@2026', roles: ['unit_clerk'] },
      t0,
    );
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await code(login(db, 'locky', `wrong-${i}`, {}, t0)));
    expect(results).toEqual(['401 LOGIN_FAILED', '401 LOGIN_FAILED', '401 LOGIN_FAILED', '401 LOGIN_FAILED', '423 ACCOUNT_LOCKED']);
    expect(await code(login(db, 'locky', 'Budget@2026', {}, new Date(t0.getTime() + 29 * 60_000)))).toBe('423 ACCOUNT_LOCKED');
    expect(await code(login(db, 'locky', 'Budget@2026', {}, new Date(t0.getTime() + 31 * 60_000)))).toBe('ok');
  });

  test('four wrong passwords do not lock: the right one still opens a session and resets the count', async () => {
    await createUser(
      db,
      { username: 'four', displayName: '四次', orgId: orgs['HHHT-YZ']!, password: 'Budget@2026', roles: ['unit_clerk'] },
      t0,
    );
    for (let i = 0; i < 4; i++) expect(await code(login(db, 'four', `wrong-${i}`, {}, t0))).toBe('401 LOGIN_FAILED');
    expect(await db('users').where({ username: 'four' }).first('failed_logins', 'locked_until')).toEqual({
      failed_logins: 4,
      locked_until: null,
    });
    expect(await code(login(db, 'four', 'Budget@2026', {}, t0))).toBe('ok');
    expect(await db('users').where({ username: 'four' }).first('failed_logins')).toEqual({ failed_logins: 0 });
  });

  test('15 idle minutes end a session; a revoked (logged-out) session is refused', async () => {
    const a = await login(db, 'clerk', 'Budget@2026', {}, t0);
    expect(await code(authenticate(db, a.token, new Date(t0.getTime() + 14 * 60_000)))).toBe('ok');
    // Activity at minute 14 moved last_seen; 16 minutes after that it has expired.
    expect(await code(authenticate(db, a.token, new Date(t0.getTime() + 30 * 60_000 + 1)))).toBe('401 SESSION_EXPIRED');
    const b = await login(db, 'clerk', 'Budget@2026', {}, t0);
    await logout(db, b.token, t0);
    expect(await code(authenticate(db, b.token, t0))).toBe('401 UNAUTHENTICATED');
    expect(await code(authenticate(db, 'made-up-token', t0))).toBe('401 UNAUTHENTICATED');
  });

  test('password policy on creation and change; the old password is required', async () => {
    expect(
      await code(createUser(db, { username: 'weak', displayName: '弱', orgId: orgs['HHHT-YZ']!, password: 'password', roles: [] })),
    ).toBe('400 VALIDATION_FAILED');
    expect(
      await code(
        createUser(db, {
          username: 'two-admins',
          displayName: '兼任',
          orgId: orgs['HHHT-CZJ']!,
          password: 'Budget@2026',
          roles: ['system_admin', 'audit_admin'],
        }),
      ),
    ).toBe('400 VALIDATION_FAILED');
    const { principal } = await login(db, 'reviewer', 'Budget@2026', {}, t0);
    expect(await code(changePassword(db, principal, 'not-it', 'Another#2027'))).toBe('400 OLD_PASSWORD_WRONG');
    expect(await code(changePassword(db, principal, 'Budget@2026', 'short'))).toBe('400 VALIDATION_FAILED');
    expect(await code(changePassword(db, principal, 'Budget@2026', 'Another#2027'))).toBe('ok');
    expect(await code(login(db, 'reviewer', 'Another#2027', {}, t0))).toBe('ok');
    await changePassword(db, principal, 'Another#2027', 'Budget@2026');
  });

  test('data scope: a unit clerk sees its own unit; a department reviewer its department and the units beneath, never a sibling; a bureau its region', async () => {
    const ids = async (username: string) => {
      const { principal } = await login(db, username, 'Budget@2026', {}, t0);
      return ((await scopeOrgIds(db, principal)) as Array<{ id: number }>).map((r) => r.id).sort((a, b) => a - b);
    };
    expect(await ids('clerk')).toEqual([orgs['HHHT-YZ']]);
    expect(await ids('reviewer')).toEqual([orgs['HHHT-JYJ']!, orgs['HHHT-YZ']!].sort((a, b) => a - b));
    // The city bureau's budget division: every organisation in the city's region, not Nanjing's.
    expect(await ids('ysk')).toEqual(['HHHT-CZJ', 'HHHT-JYJ', 'HHHT-YZ', 'OTHER'].map((c) => orgs[c]!).sort((a, b) => a - b));
  });
});
