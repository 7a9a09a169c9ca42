import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { nextTotpCode, rememberSecret } from './second-factor';

export const TEST_PASSWORD = 'Budget@2026';

/**
 * A test account in an organisation of its own (created on first use), for tests that need a
 * session: each call makes a new user with the given roles.
 */
export async function createAccount(
  db: Db,
  roles: string[],
  username = `u${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`,
): Promise<{ username: string; userId: number; orgId: number; displayName: string }> {
  if (!(await db('regions').where({ code: '150000' }).first('code'))) {
    await db('regions').insert({ code: '150000', name: '内蒙古自治区', level: 'province', parent_code: null });
  }
  let org = (await db('organisations').where({ code: 'TEST-CZT' }).first('id')) as { id: number } | undefined;
  if (!org) {
    const [id] = await db('organisations').insert({
      code: 'TEST-CZT',
      name: '测试财政厅',
      kind: 'finance_bureau',
      region_code: '150000',
      parent_id: null,
      path: 'pending',
      created_at: new Date(),
    });
    await db('organisations')
      .where({ id: Number(id) })
      .update({ path: `/${Number(id)}/` });
    org = { id: Number(id) };
  }
  const displayName = `测试用户${username.slice(-4)}`;
  const userId = await createUser(db, { username, displayName, orgId: org.id, password: TEST_PASSWORD, roles });
  return { username, userId, orgId: org.id, displayName };
}

/**
 * Logs in over HTTP and returns the Cookie header value for later requests. A person of a
 * second-factor role is taken through it as a person would be: at the first login the helper
 * binds an authenticator (test/support/second-factor.ts keeps the secret), later logins answer
 * the challenge with the next code.
 */
export async function loginCookie(baseUrl: string, username: string, password = TEST_PASSWORD): Promise<string> {
  const post = (path: string, body: unknown, cookie?: string) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
  let res = await post('/api/auth/login', { username, password });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
  const answer = (await res.json()) as { user?: { secondFactorEnrolmentRequired?: boolean }; secondFactor?: { challenge: string } };
  if (answer.secondFactor) {
    res = await post('/api/auth/login/second-factor', {
      challenge: answer.secondFactor.challenge,
      code: await nextTotpCode(baseUrl, username),
    });
    if (res.status !== 200) throw new Error(`second factor of ${username} failed: ${res.status} ${await res.text()}`);
  }
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error('no session cookie');
  if (answer.user?.secondFactorEnrolmentRequired) await enrolSecondFactor(baseUrl, cookie, username);
  return cookie;
}

/** Binds an authenticator for the session's person (POST enrolment + confirm); answers the recovery codes. */
export async function enrolSecondFactor(baseUrl: string, cookie: string, username: string): Promise<string[]> {
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
  const start = await post('/api/auth/second-factor/enrolment', {});
  if (start.status !== 200) throw new Error(`enrolment of ${username} failed: ${start.status} ${await start.text()}`);
  const { secret } = (await start.json()) as { secret: string };
  rememberSecret(baseUrl, username, secret);
  const confirm = await post('/api/auth/second-factor/confirm', { code: await nextTotpCode(baseUrl, username) });
  if (confirm.status !== 200) throw new Error(`confirming the enrolment of ${username} failed: ${confirm.status} ${await confirm.text()}`);
  return ((await confirm.json()) as { recoveryCodes: string[] }).recoveryCodes;
}
