import type { Db } from '../../server/db';
import { signBankMessage, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../domain/treasury';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase, testConfig } from '../support/system';

/**
 * The declared payment and treasury routes (server/api/payments.ts, treasury.ts) at their edge,
 * without an engine: a path id that cannot be an id is a 404 naming the object, before the body
 * is read (mountRoutes: access → params → body); the bank's notices are checked for the bank's
 * signature over the exact bytes before the notice itself is read.
 */
describe('payment and treasury routes: path ids and the bank signature', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let cookie: string;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
    // 国库处 holds both quotas:freeze (the payment routes) and treasury:pay (the treasury routes).
    cookie = await loginCookie(api.base, (await createAccount(db, ['treasury_division'])).username);
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { cookie },
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${api.base}/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  const notFound = (message: string) => ({ status: 404, body: { error: expect.objectContaining({ code: 'NOT_FOUND', message }) } });

  test('a malformed id is a 404 naming the object, even with a body that would be refused', async () => {
    for (const bad of ['abc', '0x5', '5.0', '1e3', '%205', '0', '-1', '99999999999']) {
      expect([bad, await call('GET', `/payments/${bad}`)]).toEqual([bad, notFound('用款申请不存在')]);
      expect([bad, await call('POST', `/payments/${bad}/decision`, {})]).toEqual([bad, notFound('用款申请不存在')]);
      expect([bad, await call('POST', `/payments/${bad}/resubmit`, {})]).toEqual([bad, notFound('用款申请不存在')]);
      expect([bad, await call('GET', `/payments/1/attachments/${bad}`)]).toEqual([bad, notFound('附件不存在')]);
      expect([bad, await call('GET', `/payments/${bad}/attachments/1`)]).toEqual([bad, notFound('用款申请不存在')]);
      expect([bad, await call('GET', `/treasury/orders/${bad}`)]).toEqual([bad, notFound('支付凭证不存在')]);
      expect([bad, await call('POST', `/treasury/orders/${bad}/query`)]).toEqual([bad, notFound('支付凭证不存在')]);
      expect([bad, await call('POST', `/treasury/orders/${bad}/resolve`, {})]).toEqual([bad, notFound('支付凭证不存在')]);
    }
    // A well-formed id reaches the service, which names the one it did not find; a body is read first.
    expect(await call('GET', '/payments/987654')).toEqual(notFound('用款申请 #987654 不存在'));
    expect(await call('GET', '/treasury/orders/987654')).toEqual(notFound('支付凭证 #987654 不存在'));
    expect((await call('POST', '/payments/987654/decision', {})).body.error.code).toBe('VALIDATION_FAILED');
    // Without the permission the id is not looked at: 403 first.
    const clerk = await loginCookie(api.base, (await createAccount(db, ['unit_clerk'])).username);
    expect((await call('GET', '/treasury/orders/abc', undefined, { cookie: clerk })).status).toBe(403);
  });

  test('a bank notice is refused unless signed over its exact bytes, before the notice is read', async () => {
    const secret = testConfig().bank.secret;
    const notice = JSON.stringify({ noticeId: 'N-route-1', orderNo: 'ZF2026-987654', status: 'paid', amountFen: 100 });
    const signed = (body: string, at = Date.now(), over = body) => ({
      [TIMESTAMP_HEADER]: String(at),
      [SIGNATURE_HEADER]: signBankMessage(secret, String(at), over),
    });
    const post = (body: string, headers: Record<string, string>) => call('POST', '/treasury/bank-notices', body, headers);
    const refused = (message: string) => ({
      status: 400,
      body: { error: expect.objectContaining({ code: 'BANK_SIGNATURE_INVALID', message }) },
    });

    expect(await post('{"not":"a notice"}', {})).toEqual(refused('银行通知的签名无效'));
    expect(await post(notice, signed(notice, Date.now(), `${notice} `))).toEqual(refused('银行通知的签名无效'));
    expect(await post(notice, signed(notice, Date.now() - 10 * 60_000))).toEqual(refused('银行通知的时间戳超出允许范围'));
    // A session is no substitute for the signature.
    expect(await post(notice, { cookie })).toEqual(refused('银行通知的签名无效'));

    const invalid = '{"noticeId":"N-route-2"}';
    expect((await post(invalid, signed(invalid))).body.error.code).toBe('VALIDATION_FAILED');
    expect(await post(notice, signed(notice))).toEqual(notFound('支付凭证 ZF2026-987654 不存在'));
  });
});
