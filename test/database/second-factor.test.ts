import { base32Decode, hotp, totpStep } from '../../domain/totp';
import type { Db } from '../../server/db';
import { verifyChain } from '../../server/audit/verify';
import { DEVELOPMENT_SEAL_SECRET } from '../../server/config';
import { platformKey } from '../../server/seals/platform-key';
import { createAccount, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * Two factors for the privileged roles, over HTTP through the whole app on the real database:
 * the first login of a 预算处 person gets a session that can do nothing but bind an authenticator;
 * afterwards a right password alone makes no session; a code works once; a recovery code once;
 * only another security administrator resets the factor; every step is in the audit chain.
 */
describe('second factor (TOTP) at login', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  async function post(url: string, body: unknown, cookie?: string): Promise<{ status: number; json: any; cookie?: string }> {
    const res = await fetch(api.base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: res.status === 204 ? null : await res.json(), cookie: res.headers.get('set-cookie')?.split(';')[0] };
  }

  async function get(url: string, cookie: string): Promise<{ status: number; json: any }> {
    const res = await fetch(api.base + url, { headers: { cookie } });
    return { status: res.status, json: await res.json() };
  }
  const codeAt = (secret: string, step: number) => hotp(base32Decode(secret), step);
  const kinds = async (userId: number) =>
    (
      (await db('audit_records')
        .where({ subject_type: 'user', subject_id: String(userId) })
        .orderBy('seq')
        .select('kind')) as Array<{ kind: string }>
    ).map((r) => r.kind);

  /** First login and enrolment; answers the secret, the recovery codes and the step the confirmation used. */
  async function enrol(username: string) {
    const first = await post('/api/auth/login', { username, password: TEST_PASSWORD });
    expect(first.status).toBe(200);
    expect(first.json.user.secondFactorEnrolmentRequired).toBe(true);
    const restricted = first.cookie!;
    const start = await post('/api/auth/second-factor/enrolment', {}, restricted);
    expect(start.status).toBe(200);
    const secret = String(start.json.secret).replace(/ /g, '');
    const step = totpStep(Date.now());
    const confirm = await post('/api/auth/second-factor/confirm', { code: codeAt(secret, step) }, restricted);
    expect(confirm.status).toBe(200);
    return { secret, recoveryCodes: confirm.json.recoveryCodes as string[], step, cookie: restricted, start: start.json };
  }

  test('first login: a restricted session until an authenticator is bound; QR code of an otpauth URI; then the session works', async () => {
    const ysk = await createAccount(db, ['budget_division']);
    const first = await post('/api/auth/login', { username: ysk.username, password: TEST_PASSWORD });
    expect(first.status).toBe(200);
    expect(first.json.user.secondFactorEnrolmentRequired).toBe(true);
    expect(first.json.user.secondFactor).toMatchObject({ required: true, enrolled: false });
    const restricted = first.cookie!;
    // Nothing but /api/auth: a business route and a login-only route are refused.
    expect((await get('/api/quotas', restricted)).json.error.code).toBe('SECOND_FACTOR_ENROLMENT_REQUIRED');
    expect((await get('/api/workbench', restricted)).json.error.code).toBe('SECOND_FACTOR_ENROLMENT_REQUIRED');
    expect((await get('/api/auth/me', restricted)).status).toBe(200);

    const start = await post('/api/auth/second-factor/enrolment', {}, restricted);
    expect(start.status).toBe(200);
    expect(start.json.otpauthUri).toMatch(new RegExp(`^otpauth://totp/.+:${ysk.username}\\?secret=[A-Z2-7]{32}&`));
    expect(start.json.qrDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(start.json.qrDataUrl.split(',')[1], 'base64').toString('utf8')).toContain('<svg');
    const secret = String(start.json.secret).replace(/ /g, '');
    expect(start.json.otpauthUri).toContain(`secret=${secret}`);
    // The secret is stored sealed (SM4), not in clear.
    const row = await db('user_second_factors').where({ user_id: ysk.userId }).first();
    expect(row.secret_cipher).toMatch(/^sm4\.1\./);
    expect(row.secret_cipher).not.toContain(secret);

    const step = totpStep(Date.now());
    const wrong = await post('/api/auth/second-factor/confirm', { code: codeAt(secret, step + 5) }, restricted);
    expect([wrong.status, wrong.json.error.code]).toEqual([400, 'SECOND_FACTOR_CODE_WRONG']);
    const confirm = await post('/api/auth/second-factor/confirm', { code: codeAt(secret, step) }, restricted);
    expect(confirm.status).toBe(200);
    expect(confirm.json.recoveryCodes).toHaveLength(10);
    expect(confirm.json.user.secondFactor).toMatchObject({ enrolled: true, recoveryCodesLeft: 10 });
    // Only digests are stored.
    const digests = (await db('user_recovery_codes').where({ user_id: ysk.userId }).pluck('code_digest')) as string[];
    expect(digests).toHaveLength(10);
    for (const c of confirm.json.recoveryCodes as string[]) expect(digests.join()).not.toContain(c.replace(/-/g, ''));
    // The same session now works; a second enrolment is refused (only a reset replaces the factor).
    expect((await get('/api/quotas', restricted)).status).toBe(200);
    expect((await post('/api/auth/second-factor/enrolment', {}, restricted)).json.error.code).toBe('SECOND_FACTOR_ENROLLED');
  });

  test('afterwards a right password alone makes no session; a code does, once; a replayed or old code is refused', async () => {
    const u = await createAccount(db, ['treasury_division']);
    const { secret, step } = await enrol(u.username);

    const login = await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.cookie).toBeUndefined();
    expect(login.json.user).toBeUndefined();
    const challenge = login.json.secondFactor.challenge as string;
    expect(challenge.length).toBeGreaterThan(20);
    // The code the enrolment used is spent: replaying it is wrong.
    const replay = await post('/api/auth/login/second-factor', { challenge, code: codeAt(secret, step) });
    expect([replay.status, replay.json.error.code]).toEqual([401, 'SECOND_FACTOR_FAILED']);
    // Out of the ±1 step window.
    expect((await post('/api/auth/login/second-factor', { challenge, code: codeAt(secret, totpStep(Date.now()) + 3) })).status).toBe(401);
    const ok = await post('/api/auth/login/second-factor', { challenge, code: codeAt(secret, step + 1) });
    expect(ok.status).toBe(200);
    expect(ok.cookie).toBeTruthy();
    expect(ok.json.user.secondFactorEnrolmentRequired).toBe(false);
    expect((await get('/api/quotas', ok.cookie!)).status).toBe(200);
    // The challenge is spent; the same code on a new challenge is a replay.
    expect((await post('/api/auth/login/second-factor', { challenge, code: codeAt(secret, step + 1) })).json.error.code).toBe(
      'SECOND_FACTOR_CHALLENGE_EXPIRED',
    );
    const again = await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD });
    expect(
      (await post('/api/auth/login/second-factor', { challenge: again.json.secondFactor.challenge, code: codeAt(secret, step + 1) })).json
        .error.code,
    ).toBe('SECOND_FACTOR_FAILED');
    // A wrong password is still just a wrong password (no challenge).
    expect((await post('/api/auth/login', { username: u.username, password: 'Wrong@2026x' })).status).toBe(401);
  });

  test('a challenge allows five attempts; a recovery code works once', async () => {
    const u = await createAccount(db, ['director']);
    const { recoveryCodes } = await enrol(u.username);
    const login = await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD });
    const challenge = login.json.secondFactor.challenge as string;
    for (let i = 0; i < 5; i++)
      expect((await post('/api/auth/login/second-factor', { challenge, code: 'AAAA-BBBB-CC' })).json.error.code).toBe(
        'SECOND_FACTOR_FAILED',
      );
    expect((await post('/api/auth/login/second-factor', { challenge, code: recoveryCodes[0] })).json.error.code).toBe(
      'SECOND_FACTOR_CHALLENGE_EXPIRED',
    );

    const c2 = (await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD })).json.secondFactor.challenge;
    const withRecovery = await post('/api/auth/login/second-factor', { challenge: c2, code: recoveryCodes[0]!.toLowerCase() });
    expect(withRecovery.status).toBe(200);
    expect(withRecovery.json.user.secondFactor.recoveryCodesLeft).toBe(9);
    const c3 = (await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD })).json.secondFactor.challenge;
    expect((await post('/api/auth/login/second-factor', { challenge: c3, code: recoveryCodes[0] })).json.error.code).toBe(
      'SECOND_FACTOR_FAILED',
    );
    expect((await post('/api/auth/login/second-factor', { challenge: c3, code: recoveryCodes[1] })).status).toBe(200);
  });

  test('only a security administrator resets a factor, never their own; the person binds a new one at the next login; all audited', async () => {
    const target = await createAccount(db, ['budget_division']);
    const sec = await createAccount(db, ['security_admin']);
    const sec2 = await createAccount(db, ['security_admin']);
    const sys = await createAccount(db, ['system_admin']);
    const t = await enrol(target.username);
    const secSession = (await enrol(sec.username)).cookie;
    const sysSession = (await enrol(sys.username)).cookie;

    const reset = (who: string, id: number) => post(`/api/users/${id}/second-factor/reset`, {}, who);
    expect((await reset(sysSession, target.userId)).status).toBe(403);
    expect((await reset(t.cookie, target.userId)).status).toBe(403);
    const own = await reset(secSession, sec.userId);
    expect([own.status, own.json.error.code]).toEqual([403, 'CANNOT_RESET_OWN_SECOND_FACTOR']);
    expect(await db('user_second_factors').where({ user_id: target.userId }).first()).toBeTruthy();

    const done = await reset(secSession, target.userId);
    expect(done.status).toBe(200);
    expect(done.json.secondFactor).toBe(false);
    expect(await db('user_second_factors').where({ user_id: target.userId }).first()).toBeUndefined();
    expect(await db('user_recovery_codes').where({ user_id: target.userId }).first()).toBeUndefined();
    // Their sessions ended; the next login asks for a new binding.
    expect((await get('/api/auth/me', t.cookie)).status).toBe(401);
    expect((await reset(secSession, target.userId)).json.error.code).toBe('SECOND_FACTOR_NOT_ENROLLED');
    const next = await post('/api/auth/login', { username: target.username, password: TEST_PASSWORD });
    expect(next.json.user.secondFactorEnrolmentRequired).toBe(true);
    // Another security admin may reset the first one's.
    const s2 = (await enrol(sec2.username)).cookie;
    expect((await reset(s2, sec.userId)).status).toBe(200);

    expect(await kinds(target.userId)).toEqual(
      expect.arrayContaining([
        'auth.login',
        'auth.second_factor_enrolment_started',
        'auth.second_factor_enrolled',
        'user.reset_second_factor',
      ]),
    );
    const failedKinds = await kinds((await createAccount(db, ['unit_clerk'])).userId);
    expect(failedKinds).toEqual([]);
    expect((await verifyChain(db, await platformKey(db, DEVELOPMENT_SEAL_SECRET))).ok).toBe(true);
  });

  test('a role needing the factor granted during a session: its next request ends it with 401 SECOND_FACTOR_STEP_UP, the next login asks for the binding; other sessions stay', async () => {
    const clerk = await createAccount(db, ['unit_clerk']);
    const sec = await createAccount(db, ['security_admin']);
    const secSession = (await enrol(sec.username)).cookie;
    const login = await post('/api/auth/login', { username: clerk.username, password: TEST_PASSWORD });
    expect(login.json.user.secondFactorEnrolmentRequired).toBe(false);
    const session = login.cookie!;
    expect((await get('/api/workbench', session)).status).toBe(200);
    // A grant that needs no factor leaves the session as it is.
    const put = (roles: string[]) =>
      fetch(`${api.base}/api/users/${clerk.userId}/roles`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', cookie: secSession },
        body: JSON.stringify({ roles }),
      });
    expect((await put(['unit_clerk', 'department_reviewer'])).status).toBe(200);
    expect((await get('/api/workbench', session)).status).toBe(200);
    // 国库处 needs the factor: the next request of the session is refused and the session is over.
    expect((await put(['treasury_division'])).status).toBe(200);
    const refused = await get('/api/workbench', session);
    expect([refused.status, refused.json.error.code]).toEqual([401, 'SECOND_FACTOR_STEP_UP']);
    expect(refused.json.error.message).toMatch(/动态验证码/);
    expect((await get('/api/auth/me', session)).json.error.code).toBe('UNAUTHENTICATED');
    // The security admin's own session is untouched; the audit record says how many sessions stepped up.
    expect((await get('/api/users?pageSize=5', secSession)).status).toBe(200);
    const grant = (await db('audit_records')
      .where({ kind: 'user.roles', subject_id: String(clerk.userId) })
      .orderBy('seq', 'desc')
      .first('body')) as {
      body: string;
    };
    expect(JSON.parse(grant.body).data).toMatchObject({ roles: ['treasury_division'], sessionsToStepUp: 1 });
    // The next login leads to the binding (then to the code at every later login).
    const next = await post('/api/auth/login', { username: clerk.username, password: TEST_PASSWORD });
    expect(next.json.user.secondFactorEnrolmentRequired).toBe(true);
    expect((await get('/api/quotas', next.cookie!)).json.error.code).toBe('SECOND_FACTOR_ENROLMENT_REQUIRED');
  });

  test('a role outside the list logs in with the password alone; a failed code is audited', async () => {
    const clerk = await createAccount(db, ['unit_clerk']);
    const login = await post('/api/auth/login', { username: clerk.username, password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.json.user.secondFactorEnrolmentRequired).toBe(false);
    expect(login.json.user.secondFactor.required).toBe(false);
    expect((await get('/api/workbench', login.cookie!)).status).toBe(200);
    // failed second-factor steps are audited with the person as subject
    const u = await createAccount(db, ['audit_admin']);
    await enrol(u.username);
    const c = (await post('/api/auth/login', { username: u.username, password: TEST_PASSWORD })).json.secondFactor.challenge;
    await post('/api/auth/login/second-factor', { challenge: c, code: '000000' });
    expect(await kinds(u.userId)).toEqual(expect.arrayContaining(['auth.second_factor_challenged', 'auth.second_factor_failed']));
  });
});
