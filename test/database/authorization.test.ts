import { PERMISSIONS, ROLES, type Permission } from '../../domain/roles';
import type { Db } from '../../server/db';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * Route × role: every protected API route, called by an account of every role and anonymously.
 * A route answers 401 without a session, 403 without its permission, and anything else (2xx,
 * or a 4xx about the input) with it. The engine is not needed: its client points nowhere.
 */
interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  permission: Permission;
  body?: unknown;
}

const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/api/regions', permission: 'reference:read' },
  { method: 'GET', path: '/api/organisations', permission: 'reference:read' },
  { method: 'GET', path: '/api/organisations/1', permission: 'reference:read' },
  { method: 'GET', path: '/api/organisations/1/subtree', permission: 'reference:read' },
  { method: 'GET', path: '/api/codes/functional?year=2026', permission: 'reference:read' },
  { method: 'GET', path: '/api/codes/economic?year=2026', permission: 'reference:read' },
  { method: 'POST', path: '/api/codes/import?year=2026&type=functional', permission: 'codes:import', body: { format: 'csv', content: 'code,name,level\n' } },
  { method: 'POST', path: '/api/engine/smoke-checks', permission: 'system:smoke-check', body: {} },
  { method: 'GET', path: '/api/quotas', permission: 'quotas:read' },
  { method: 'POST', path: '/api/quotas', permission: 'quotas:issue', body: {} },
  { method: 'POST', path: '/api/quotas/1/freeze', permission: 'quotas:freeze', body: {} },
  { method: 'POST', path: '/api/quotas/1/unfreeze', permission: 'quotas:freeze', body: {} },
  { method: 'POST', path: '/api/quotas/1/consume', permission: 'quotas:freeze', body: {} },
  { method: 'POST', path: '/api/quotas/1/adjust-in', permission: 'quotas:issue', body: {} },
  { method: 'POST', path: '/api/quotas/1/adjust-out', permission: 'quotas:issue', body: {} },
  { method: 'POST', path: '/api/quota-transfers', permission: 'quotas:issue', body: {} },
  { method: 'GET', path: '/api/projects', permission: 'projects:read' },
  { method: 'GET', path: '/api/projects/1', permission: 'projects:read' },
  { method: 'GET', path: '/api/projects/1/events', permission: 'projects:read' },
  { method: 'POST', path: '/api/projects', permission: 'projects:write', body: {} },
  { method: 'PUT', path: '/api/projects/1', permission: 'projects:write', body: {} },
  { method: 'POST', path: '/api/projects/1/void', permission: 'projects:write', body: {} },
  { method: 'POST', path: '/api/projects/1/attachments', permission: 'projects:write', body: {} },
  { method: 'GET', path: '/api/projects/1/attachments/1', permission: 'projects:read' },
  { method: 'DELETE', path: '/api/projects/1/attachments/1', permission: 'projects:write' },
  { method: 'GET', path: '/api/projects/import-template', permission: 'projects:write' },
  { method: 'POST', path: '/api/projects/import', permission: 'projects:write', body: {} },
];

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

  test.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: 401 anonymous, 403 without the permission, allowed with it', async (_name, route) => {
    expect(await call(route)).toBe(401);
    const outcome: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const role of ROLES) {
      const status = await call(route, cookies.get(role.code));
      outcome[role.code] = status === 401 ? '401' : status === 403 ? '403' : 'allowed';
      expected[role.code] = (role.permissions as readonly string[]).includes(route.permission) ? 'allowed' : '403';
    }
    expect(outcome).toEqual(expected);
  });

  test('every permission that guards a route here is held by at least one role', () => {
    for (const p of new Set(ROUTES.map((r) => r.permission))) {
      expect(PERMISSIONS).toContain(p);
      expect(ROLES.some((r) => (r.permissions as readonly string[]).includes(p))).toBe(true);
    }
  });
});
