import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';

export const TEST_PASSWORD = 'Budget@2026';

/**
 * A test account in an organisation of its own (created on first use), for tests that need a
 * session: each call makes a new user with the given roles.
 */
export async function createAccount(db: Db, roles: string[], username = `u${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`): Promise<{ username: string; userId: number; orgId: number; displayName: string }> {
  if (!(await db('regions').where({ code: '150000' }).first('code'))) {
    await db('regions').insert({ code: '150000', name: '内蒙古自治区', level: 'province', parent_code: null });
  }
  let org = (await db('organisations').where({ code: 'TEST-CZT' }).first('id')) as { id: number } | undefined;
  if (!org) {
    const [id] = await db('organisations').insert({ code: 'TEST-CZT', name: '测试财政厅', kind: 'finance_bureau', region_code: '150000', parent_id: null, path: 'pending', created_at: new Date() });
    await db('organisations').where({ id: Number(id) }).update({ path: `/${Number(id)}/` });
    org = { id: Number(id) };
  }
  const displayName = `测试用户${username.slice(-4)}`;
  const userId = await createUser(db, { username, displayName, orgId: org.id, password: TEST_PASSWORD, roles });
  return { username, userId, orgId: org.id, displayName };
}

/** Logs in over HTTP and returns the Cookie header value for later requests. */
export async function loginCookie(baseUrl: string, username: string, password = TEST_PASSWORD): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error('no session cookie');
  return cookie.split(';')[0]!;
}
