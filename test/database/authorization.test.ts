import { PERMISSIONS, ROLES } from '../../domain/roles';
import { permissionsOf, ROUTE_CATALOGUE, routeKey, type Access, type RouteDoc } from '../../server/api/catalog';
import type { Db } from '../../server/db';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * Route × role: every protected API route, called by an account of every role and anonymously.
 * A route answers 401 without a session, 403 without its permission, and anything else (2xx,
 * or a 4xx about the input) with it. The engine is not needed: its client points nowhere.
 *
 * The routes and the permission each needs come from the route catalogue (server/api/catalog.ts),
 * which openapi.test.ts holds to what the app mounts: a new route is covered here as soon as it
 * is documented. Ids in paths become 1; a body-taking route gets {} (a 400 for those allowed).
 */
interface RouteCase {
  method: string;
  path: string;
  access: Access;
  body?: unknown;
}

/** Where a fuller request is cheap, it is made: the route then answers 200 for those allowed. */
const SAMPLES: Record<string, { query?: string; body?: unknown }> = {
  'GET /api/codes/functional': { query: 'year=2026' },
  'GET /api/codes/economic': { query: 'year=2026' },
  'POST /api/codes/import': { query: 'year=2026&type=functional', body: { format: 'csv', content: 'code,name,level\n' } },
  'GET /api/codes/functional/all': { query: 'year=2026' },
  'GET /api/codes/economic/all': { query: 'year=2026' },
  'GET /api/codes/functional/export': { query: 'year=2026' },
  'GET /api/codes/economic/export': { query: 'year=2026&kind=department' },
  'GET /api/codes/template': { query: 'type=functional' },
};

const caseOf = (r: RouteDoc): RouteCase => {
  const sample = SAMPLES[routeKey(r)];
  return {
    method: r.method.toUpperCase(),
    path: r.path.replace(/\{\w+\}/g, '1') + (sample?.query ? `?${sample.query}` : ''),
    access: r.access,
    body: sample?.body ?? (r.method === 'get' ? undefined : {}),
  };
};

const ROUTES: RouteCase[] = ROUTE_CATALOGUE.filter((r) => r.access !== 'public').map(caseOf);
const PUBLIC_ROUTES: RouteCase[] = ROUTE_CATALOGUE.filter((r) => r.access === 'public').map(caseOf);

describe('authorization: every route × every role', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let base: string;
  const cookies = new Map<string, string>();

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
    base = api.base;
    for (const role of ROLES) {
      const account = await createAccount(db, [role.code]);
      cookies.set(role.code, await loginCookie(base, account.username));
    }
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  const call = async (route: RouteCase, cookie?: string) => {
    const res = await fetch(base + route.path, {
      method: route.method,
      headers: { ...(cookie ? { cookie } : {}), ...(route.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: route.body !== undefined ? JSON.stringify(route.body) : undefined,
    });
    return res.status;
  };

  test.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s: 401 anonymous, 403 without the permission, allowed with it',
    async (_name, route) => {
      expect(await call(route)).toBe(401);
      const outcome: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const role of ROLES) {
        const status = await call(route, cookies.get(role.code));
        outcome[role.code] = status === 401 ? '401' : status === 403 ? '403' : 'allowed';
        const allowed =
          route.access === 'login' || permissionsOf(route.access).some((p) => (role.permissions as readonly string[]).includes(p));
        expected[role.code] = allowed ? 'allowed' : '403';
      }
      expect(outcome).toEqual(expected);
    },
  );

  test.each(PUBLIC_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: answers without a session', async (_name, route) => {
    expect([401, 403]).not.toContain(await call(route));
  });

  test('every sample request names a catalogued route', () => {
    const keys = new Set(ROUTE_CATALOGUE.map(routeKey));
    expect(Object.keys(SAMPLES).filter((k) => !keys.has(k))).toEqual([]);
  });

  test('every permission that guards a route here is held by at least one role', () => {
    for (const p of new Set(ROUTES.flatMap((r) => permissionsOf(r.access)))) {
      expect(PERMISSIONS).toContain(p);
      expect(ROLES.some((r) => (r.permissions as readonly string[]).includes(p))).toBe(true);
    }
  });
});
