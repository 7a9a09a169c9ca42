import { canSee, createUser, loadPrincipal, loadPrincipals, orgInScope } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * The organisation list, one organisation and its subtree are limited to the reader's data
 * scope: a unit's clerk sees its unit, a department its units, a city bureau its city; anything
 * else answers 404, like an organisation that does not exist.
 */
describe('organisations within the data scope', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const org: Record<string, { id: number; path: string }> = {};
  const cookie: Record<string, string> = {};

  const get = async (url: string, who: string) => {
    const res = await fetch(api.base + url, { headers: { cookie: cookie[who]! } });
    return { status: res.status, json: (await res.json()) as any };
  };

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    for (const code of ['150100-CZ', '150100-CZ-YS', '150100-JY', '150100-JY-001', '150100-NY-001', '320500-CZ']) {
      const o = (await getOrganisationByCode(db, code))!;
      org[code] = { id: o.id, path: o.path };
    }
    for (const [username, orgCode, role] of [
      ['clerk', '150100-JY-001', 'unit_clerk'],
      ['dept', '150100-JY', 'department_reviewer'],
      ['ysk', '150100-CZ-YS', 'budget_division'],
    ] as const) {
      await createUser(db, { username, displayName: username, orgId: org[orgCode]!.id, password: TEST_PASSWORD, roles: [role] });
      cookie[username] = await loginCookie(api.base, username);
    }
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  test('a unit clerk sees its own unit only; another organisation is 404', async () => {
    const list = await get('/api/organisations?pageSize=100', 'clerk');
    expect(list.json.items.map((o: { code: string }) => o.code)).toEqual(['150100-JY-001']);
    expect(list.json.total).toBe(1);
    expect((await get(`/api/organisations/${org['150100-JY-001']!.id}`, 'clerk')).json.code).toBe('150100-JY-001');
    expect((await get(`/api/organisations/${org['150100-JY-001']!.id}/subtree`, 'clerk')).json.total).toBe(1);
    for (const other of ['150100-NY-001', '150100-JY', '320500-CZ']) {
      expect((await get(`/api/organisations/${org[other]!.id}`, 'clerk')).status).toBe(404);
      expect((await get(`/api/organisations/${org[other]!.id}/subtree`, 'clerk')).status).toBe(404);
    }
    // Filters cannot reach past the scope either.
    expect((await get(`/api/organisations?within=${org['150100-CZ']!.id}`, 'clerk')).json.total).toBe(1);
    expect((await get(`/api/organisations?kind=budget_unit&region=150100`, 'clerk')).json.total).toBe(1);
  });

  test('a department sees itself and its units; the subtree of its bureau is 404', async () => {
    const list = await get('/api/organisations?pageSize=100', 'dept');
    expect(list.json.items.every((o: { path: string }) => o.path.startsWith(org['150100-JY']!.path))).toBe(true);
    expect(list.json.total).toBeGreaterThan(1);
    expect((await get(`/api/organisations/${org['150100-CZ']!.id}/subtree`, 'dept')).status).toBe(404);
    expect((await get(`/api/organisations/${org['150100-NY-001']!.id}`, 'dept')).status).toBe(404);
  });

  test('a city bureau sees its city, never another province', async () => {
    const list = await get('/api/organisations?pageSize=100', 'ysk');
    expect(list.json.total).toBeGreaterThan(5);
    expect(list.json.items.every((o: { regionCode: string }) => o.regionCode.startsWith('1501'))).toBe(true);
    expect((await get(`/api/organisations/${org['150100-NY-001']!.id}`, 'ysk')).status).toBe(200);
    expect((await get(`/api/organisations/${org['320500-CZ']!.id}`, 'ysk')).status).toBe(404);
    expect((await get(`/api/organisations/${org['320500-CZ']!.id}/subtree`, 'ysk')).status).toBe(404);
  });

  test('the in-memory scope rule (orgInScope) and the batch load agree with canSee and loadPrincipal for every person and organisation', async () => {
    const users = (await db('users').select('id')) as Array<{ id: number }>;
    const orgs = (await db('organisations').select('id', 'path', 'region_code')) as Array<{
      id: number;
      path: string;
      region_code: string;
    }>;
    const people = await loadPrincipals(db, [...users.map((u) => Number(u.id)), 999_999]);
    expect(people.map((p) => p.userId)).toEqual(users.map((u) => Number(u.id)).sort((a, b) => a - b));
    let inside = 0;
    for (const person of people) {
      const one = (await loadPrincipal(db, person.userId))!;
      expect({ ...person, permissions: [...person.permissions] }).toEqual({ ...one, permissions: [...one.permissions] });
      for (const o of orgs) {
        const expected = await canSee(db, person, o.id);
        expect([person.username, o.id, orgInScope(person, o)]).toEqual([person.username, o.id, expected]);
        if (expected) inside += 1;
      }
    }
    // Each of the three scopes had something inside and something outside.
    expect(inside).toBeGreaterThan(people.length);
    expect(inside).toBeLessThan(people.length * orgs.length);
  });
});
