import { ROUTE_CATALOGUE, routeKey } from '../../server/api/catalog';
import { API_CSP, SPA_CSP } from '../../server/api/security';
import { pruneRateLimitCounters, RATE_LIMITS } from '../../server/auth/rate-limit';
import { createUser, login } from '../../server/auth/service';
import { DEVELOPMENT_SEAL_SECRET } from '../../server/config';
import type { Db } from '../../server/db';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { DatabaseKeyStore } from '../../server/seals/key-store';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * Login and session hardening (issue 15 item 5): security headers on every answer, CSRF refusal
 * of every state-changing route when another origin's page sends it, and rate limits on
 * password and PIN checks per account and per address.
 */
describe('hardening: headers, CSRF, rate limits', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let unit = 0;
  let cookie = '';

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    unit = (await getOrganisationByCode(db, '150100-JY-001'))!.id;
    await createUser(db, { username: 'hard_clerk', displayName: '王芳', orgId: unit, password: TEST_PASSWORD, roles: ['unit_clerk'] });
    cookie = await loginCookie(api.base, 'hard_clerk');
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  const post = (path: string, headers: Record<string, string>, body: unknown = {}) =>
    fetch(api.base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const codeOf = async (res: Response) => ((await res.json().catch(() => ({}))) as { error?: { code?: string } }).error?.code;
  const count = async (table: string) => Number(((await db(table).count({ n: '*' }).first()) as { n: number | string }).n);
  /** The audited refusals (auth.rate_limited), oldest first: actor, subject and data. */
  const refusals = async () =>
    (
      (await db('audit_records').where('kind', 'auth.rate_limited').orderBy('seq').select('body', 'subject_id')) as Array<{
        body: string;
        subject_id: string | null;
      }>
    ).map((r) => {
      const b = JSON.parse(r.body) as { actor: { userId: number | null; username: string }; data: Record<string, unknown> };
      return { actor: b.actor, subjectId: r.subject_id, data: b.data };
    });

  test('security headers: the strictest CSP and no caching on API answers, the SPA policy on pages', async () => {
    const me = await fetch(`${api.base}/api/auth/me`, { headers: { cookie } });
    expect(
      Object.fromEntries(
        [
          'content-security-policy',
          'x-content-type-options',
          'x-frame-options',
          'referrer-policy',
          'cache-control',
          'cross-origin-opener-policy',
        ].map((h) => [h, me.headers.get(h)]),
      ),
    ).toEqual({
      'content-security-policy': API_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
    });
    const page = await fetch(`${api.base}/projects`);
    expect(page.headers.get('content-security-policy')).toBe(SPA_CSP);
    expect(SPA_CSP).toContain("script-src 'self'");
    expect(SPA_CSP).not.toContain('unsafe');
    expect(page.headers.get('strict-transport-security')).toBeNull(); // plain HTTP here
    expect((await fetch(`${api.base}/api/health`)).headers.get('x-powered-by')).toBeNull();
  });

  test('CSRF: every state-changing route refuses a request from another origin with 403 CSRF_REJECTED, before anything happens', async () => {
    const writes = ROUTE_CATALOGUE.filter((r) => r.method !== 'get');
    expect(writes.length).toBeGreaterThan(30);
    const before = { audit: await count('audit_records'), sessions: await count('sessions') };
    const wrong: string[] = [];
    const foreign: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { referer: 'http://evil.example/page' },
      { origin: `${api.base.replace('127.0.0.1', 'localhost')}` },
    ];
    for (const r of writes) {
      const path = r.path.replace(/\{\w+\}/g, '1');
      for (const headers of foreign) {
        const res = await fetch(api.base + path, {
          method: r.method.toUpperCase(),
          headers: { cookie, 'content-type': 'application/json', ...headers },
          body: JSON.stringify(r.path === '/api/auth/login' ? { username: 'hard_clerk', password: TEST_PASSWORD } : {}),
        });
        const code = await codeOf(res);
        if (res.status !== 403 || code !== 'CSRF_REJECTED') wrong.push(`${routeKey(r)} ${JSON.stringify(headers)} → ${res.status} ${code}`);
      }
    }
    expect(wrong).toEqual([]);
    expect({ audit: await count('audit_records'), sessions: await count('sessions') }).toEqual(before); // not even the login ran
  });

  test("CSRF: the app's own pages (same Origin, or a same-origin fetch) and clients that are no page pass", async () => {
    const own = { origin: api.base, 'sec-fetch-site': 'same-origin' };
    const login1 = await post('/api/auth/login', own, { username: 'hard_clerk', password: TEST_PASSWORD });
    expect(login1.status).toBe(200);
    expect(
      (await post('/api/auth/login', { referer: `${api.base}/login` }, { username: 'hard_clerk', password: TEST_PASSWORD })).status,
    ).toBe(200);
    expect((await post('/api/auth/login', {}, { username: 'hard_clerk', password: TEST_PASSWORD })).status).toBe(200);
    expect((await post('/api/notifications/read', { ...own, cookie }, { all: true })).status).toBe(204);
  });

  test('login per address: after 20 failures from one address it refuses even the right password with 429 and Retry-After; another address is not affected', async () => {
    const from = (ip: string) => ({ 'x-forwarded-for': ip }); // the test client is the trusted loopback proxy
    for (let i = 0; i < RATE_LIMITS.loginPerAddress.max; i++) {
      expect(await codeOf(await post('/api/auth/login', from('10.0.0.1'), { username: `nobody${i}`, password: 'Wrong@2026x' }))).toBe(
        'LOGIN_FAILED',
      );
    }
    const refused = await post('/api/auth/login', from('10.0.0.1'), { username: 'hard_clerk', password: TEST_PASSWORD });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'LOGIN_RATE_LIMITED',
      message: expect.stringMatching(/^登录尝试次数过多，请于 \d\d:\d\d 后再试$/),
    });
    // The refusal is on the audit chain: the account tried and the address.
    expect((await refusals()).filter((r) => r.data.limit === 'login:address')).toEqual([
      expect.objectContaining({
        actor: { userId: null, username: 'hard_clerk' },
        data: expect.objectContaining({ code: 'LOGIN_RATE_LIMITED', ip: '10.0.0.1', max: RATE_LIMITS.loginPerAddress.max }),
      }),
    ]);
    expect((await post('/api/auth/login', from('10.0.0.2'), { username: 'hard_clerk', password: TEST_PASSWORD })).status).toBe(200);
  });

  test('login per account: failures on one name from many addresses are limited too (names that are no account included), and the limit lifts with time', async () => {
    const t0 = new Date('2026-06-01T02:00:00Z');
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { status: number; code: string }) => `${e.status} ${e.code}`,
      );
    for (let i = 0; i < RATE_LIMITS.loginPerAccount.max; i++)
      expect(await code(login(db, 'ghost', 'x', { ip: `10.1.0.${i}` }, t0))).toBe('401 LOGIN_FAILED');
    const refusedBefore = (await refusals()).length;
    expect(await code(login(db, 'ghost', 'x', { ip: '10.1.1.1' }, t0))).toBe('429 LOGIN_RATE_LIMITED');
    expect(await code(login(db, 'GHOST ', 'x', { ip: '10.1.1.1' }, t0))).toBe('429 LOGIN_RATE_LIMITED');
    // Audited, throttled: the first refusal of the bucket in its window is a record with the name
    // and the address; the next ones in the window only count on the marker.
    for (let i = 0; i < 5; i++) expect(await code(login(db, 'ghost', 'x', { ip: `10.1.2.${i}` }, t0))).toBe('429 LOGIN_RATE_LIMITED');
    const ghost = (await refusals()).slice(refusedBefore);
    expect(ghost).toEqual([
      {
        actor: { userId: null, username: 'ghost' },
        subjectId: null,
        data: {
          code: 'LOGIN_RATE_LIMITED',
          limit: 'login:account',
          max: RATE_LIMITS.loginPerAccount.max,
          windowMinutes: 15,
          ip: '10.1.1.1',
          until: expect.stringMatching(/^2026-06-01T\d\d:\d\d/),
        },
      },
    ]);
    const marker = (await db('rate_limit_counters').where('bucket', 'refused:login:account:ghost').select('hits')) as Array<{
      hits: number;
    }>;
    expect(marker.map((m) => Number(m.hits))).toEqual([7]);
    expect(await code(login(db, 'ghost', 'x', { ip: '10.1.1.1' }, new Date(t0.getTime() + 31 * 60_000)))).toBe('401 LOGIN_FAILED');
    // A wrong old password on 修改密码 is a password guess like a login's.
    const before = await db('rate_limit_counters').where('bucket', 'login:account:hard_clerk').sum({ n: 'hits' }).first();
    const res = await post('/api/auth/password', { cookie }, { oldPassword: 'Guess@2026x', newPassword: 'Another#2027x' });
    expect(await codeOf(res)).toBe('OLD_PASSWORD_WRONG');
    const after = await db('rate_limit_counters').where('bucket', 'login:account:hard_clerk').sum({ n: 'hits' }).first();
    expect(Number((after as { n: number }).n)).toBe(Number((before as { n: number | null })?.n ?? 0) + 1);
  });

  test('PIN per address and per signer: the five-in-a-row seal lock is not all', async () => {
    const store = new DatabaseKeyStore(db, DEVELOPMENT_SEAL_SECRET);
    const signer = async (name: string) => {
      const id = await createUser(db, {
        username: name,
        displayName: name,
        orgId: unit,
        password: TEST_PASSWORD,
        roles: ['department_reviewer'],
      });
      await store.enrol(id, '739152');
      return id;
    };
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { status: number; code: string }) => `${e.status} ${e.code}`,
      );
    // Per address: four wrong PINs on each of three seals (none locks) from one address.
    const t0 = new Date('2026-06-01T03:00:00Z');
    const seals = [await signer('pin_a'), await signer('pin_b'), await signer('pin_c')];
    const results: string[] = [];
    for (const id of seals) for (let i = 0; i < 4; i++) results.push(await code(store.unlock(id, '000000x', { ip: '10.2.0.1' }, t0)));
    expect(results.slice(0, RATE_LIMITS.pinPerAddress.max).every((r) => r === '400 SEAL_PIN_WRONG')).toBe(true);
    expect(results.slice(RATE_LIMITS.pinPerAddress.max)).toEqual(['429 SEAL_PIN_RATE_LIMITED', '429 SEAL_PIN_RATE_LIMITED']);
    // One audited refusal for the address in this window, naming the signer it was refused for.
    const pinRefusals = (await refusals()).filter((r) => r.data.limit === 'pin:address');
    expect(pinRefusals).toEqual([
      expect.objectContaining({
        actor: { userId: seals[2], username: 'pin_c' },
        subjectId: String(seals[2]),
        data: expect.objectContaining({ code: 'SEAL_PIN_RATE_LIMITED', ip: '10.2.0.1' }),
      }),
    ]);
    expect(await code(store.unlock(seals[2]!, '739152', { ip: '10.2.0.1' }, t0))).toBe('429 SEAL_PIN_RATE_LIMITED');
    expect(await code(store.unlock(seals[2]!, '739152', { ip: '10.2.0.2' }, t0))).toBe('ok');
    // Per signer: wrong guesses between the holder's own successes never reach five in a row, but do reach ten.
    const d = await signer('pin_d');
    let guesses = 0;
    for (let round = 0; round < 3 && guesses < RATE_LIMITS.pinPerAccount.max; round++) {
      for (let i = 0; i < 4 && guesses < RATE_LIMITS.pinPerAccount.max; i++, guesses++)
        expect(await code(store.unlock(d, '000000x', { ip: `10.3.${round}.${i}` }, t0))).toBe('400 SEAL_PIN_WRONG');
      if (guesses < RATE_LIMITS.pinPerAccount.max) expect(await code(store.unlock(d, '739152', { ip: '10.3.9.9' }, t0))).toBe('ok');
    }
    expect(await code(store.unlock(d, '739152', { ip: '10.3.9.9' }, t0))).toBe('429 SEAL_PIN_RATE_LIMITED');
    expect(await code(store.unlock(d, '739152', { ip: '10.3.9.9' }, new Date(t0.getTime() + 31 * 60_000)))).toBe('ok');
  });

  test('windows no limit reads any more are pruned', async () => {
    const rows = async () => Number(((await db('rate_limit_counters').count({ n: '*' }).first()) as { n: number | string }).n);
    expect(await rows()).toBeGreaterThan(0);
    const buckets = async (like: string) =>
      Number(((await db('rate_limit_counters').where('bucket', 'like', like).count({ n: '*' }).first()) as { n: number | string }).n);
    // At 03:20 the PIN windows of 03:00 are still read, the login windows of 02:00 no longer.
    expect(await pruneRateLimitCounters(db, new Date('2026-06-01T03:20:00Z'))).toBeGreaterThan(0);
    expect(await buckets('login:account:ghost')).toBe(0);
    expect(await buckets('pin:%')).toBeGreaterThan(0);
    await pruneRateLimitCounters(db, new Date(Date.now() + 31 * 60_000));
    expect(await rows()).toBe(0);
  });
});
