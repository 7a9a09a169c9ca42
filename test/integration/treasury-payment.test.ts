import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import { issuePaymentOrder, PAYEE_ACCOUNT, type TreasuryDeps } from '../../server/treasury/orders';
import { fieldKeyring, openValue } from '../../server/crypto/keyring';
import { signBankMessage } from '../../domain/treasury';
import { handleTask } from '../../workers/runtime';
import { treasurySend } from '../../workers/treasury-send';
import { startBankSimulator, type BankSimulator } from '../../scripts/bank-simulator';
import { loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';
import { freePort, frozenOrder, orderStatus, quotaOf, settlementEntries, until } from '../support/treasury';

/**
 * 国库支付 on the real engine and database with the bank simulator (its own HTTP service, started
 * here): the money frozen by the ledger, the order issued with issuePaymentOrder (what the payment
 * approval calls), and the bank answering in each of the ways it can.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';

describe('treasury payment with the bank simulator', () => {
  let t: TestSystem;
  let sim: BankSimulator;
  let deps: TreasuryDeps;
  let unit: number;
  let call: ApiCall;
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    const port = await freePort();
    const base = testConfig();
    sim = await startBankSimulator({ secret: base.bank.secret, noticeDelayMs: 100, slowMs: 1500, retryMs: 100, maxRetryMs: 1000 });
    t = await startTestSystem({ port, bank: { ...base.bank, url: sim.url, noticeTimeout: 'PT3S' } });
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    unit = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    deps = { db, engine: t.system.engine, config: t.config };
    for (const u of ['nm_gkk', 'js_gkk', 'nm_clerk_yz']) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
  });

  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  const settled = (id: number) =>
    until(
      `order ${id} settled`,
      async () => {
        const s = await orderStatus(t.system.db, id);
        return ['paid', 'failed', 'refunded'].includes(s) ? s : undefined;
      },
      90_000,
    );
  const notices = async (userName: string) =>
    (await t.system
      .db('notifications as n')
      .join('users as u', 'u.id', 'n.user_id')
      .where('u.username', userName)
      .select('n.kind', 'n.title')) as Array<{ kind: string; title: string }>;

  test('bank success consumes the frozen amount; the account is sealed and masked; 国库处 sees 已到账', async () => {
    const o = await frozenOrder(deps, unit, '6222 0212 3456 7890');
    expect(o.orderNo).toMatch(/^ZF\d{4}-\d{6}$/);
    expect(await settled(o.orderId)).toBe('paid');
    expect(await quotaOf(t.system.db, o.quotaId)).toEqual({
      amountFen: o.amountFen * 2,
      usedFen: o.amountFen,
      frozenFen: 0,
      availableFen: o.amountFen,
    });
    expect(await settlementEntries(t.system.db, o.orderId)).toEqual(['consume']);
    const row = (await t.system.db('payment_orders').where('id', o.orderId).first()) as Record<string, string>;
    expect(row.payee_account_cipher).not.toContain('6222021234567890');
    expect(openValue(fieldKeyring(t.config), PAYEE_ACCOUNT, row.payee_account_cipher)).toBe('6222021234567890');
    expect(row.payee_account_mask).toBe('6222 **** **** 7890');
    // the same source again: the same order, nothing new
    const again = await issuePaymentOrder(deps, {
      source: await t.system
        .db('payment_orders')
        .where('id', o.orderId)
        .first('source_kind', 'source_id')
        .then((r: { source_kind: string; source_id: number }) => ({ kind: r.source_kind, id: Number(r.source_id) })),
      quotaId: o.quotaId,
      amountFen: o.amountFen,
      freezeKey: o.freezeKey,
      payeeName: 'x',
      payeeAccount: '6222021234567890',
      payeeBank: 'x',
      purpose: 'x',
      paymentType: 'direct',
      unitOrgId: unit,
      economicCode: '30213',
    });
    expect(again).toEqual({ orderId: o.orderId, orderNo: o.orderNo, processInstanceId: o.processInstanceId });
    const list = await call('nm_gkk', 'GET', '/treasury/orders?payeeAccount=6222021234567890');
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { id: number }) => i.id)).toEqual([o.orderId]);
    expect(list.body.items[0]).toMatchObject({ status: 'paid', statusLabel: '已到账', payeeAccountMasked: '6222 **** **** 7890' });
    expect(JSON.stringify(list.body)).not.toContain('6222021234567890');
    expect((await call('js_gkk', 'GET', `/treasury/orders/${o.orderId}`)).status).toBe(404);
    expect((await call('nm_clerk_yz', 'GET', '/treasury/orders')).status).toBe(403);
    expect((await notices('nm_clerk_yz')).some((n) => n.kind === 'treasury-paid' && n.title.includes(o.orderNo))).toBe(true);
  });

  test('bank refusal and refund (退票) unfreeze and tell the unit', async () => {
    const refused = await frozenOrder(deps, unit, '6222021234569001');
    const refunded = await frozenOrder(deps, unit, '6222021234569002');
    expect(await settled(refused.orderId)).toBe('failed');
    expect(await settled(refunded.orderId)).toBe('refunded');
    for (const o of [refused, refunded]) {
      expect(await quotaOf(t.system.db, o.quotaId)).toMatchObject({ usedFen: 0, frozenFen: 0, availableFen: o.amountFen * 2 });
      expect(await settlementEntries(t.system.db, o.orderId)).toEqual(['unfreeze']);
    }
    const failedNotes = (await notices('nm_clerk_yz')).filter((n) => n.kind === 'treasury-failed').map((n) => n.title);
    expect(failedNotes).toEqual(
      expect.arrayContaining([expect.stringContaining(refused.orderNo), expect.stringContaining(refunded.orderNo)]),
    );
    const detail = await call('nm_gkk', 'GET', `/treasury/orders/${refunded.orderId}`);
    expect(detail.body.failureReason).toContain('销户');
    expect(detail.body.can).toEqual({ canQuery: false, canRetry: false, canResolve: false });
    expect((await call('nm_gkk', 'POST', `/treasury/orders/${refunded.orderId}/query`)).body.error.code).toBe('ORDER_NOT_QUERYABLE');
  });

  test('a duplicated arrival notice (same id twice, then a new id) consumes once', async () => {
    const o = await frozenOrder(deps, unit, '6222021234569003');
    expect(await settled(o.orderId)).toBe('paid');
    await until(
      'all three notices delivered',
      async () => sim.order(o.orderNo).notices.every((d) => d.delivered) && sim.order(o.orderNo).notices.length === 3,
    );
    // and the bank repeats itself once more, after the order is closed
    const again = await fetch(`${sim.url}/_control/orders/${o.orderNo}/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sameId: true }),
    });
    expect(again.status).toBe(202);
    await until(
      'the repeat delivered',
      async () => sim.order(o.orderNo).notices.length === 4 && sim.order(o.orderNo).notices.every((d) => d.delivered),
    );
    expect(await settlementEntries(t.system.db, o.orderId)).toEqual(['consume']);
    expect(await quotaOf(t.system.db, o.quotaId)).toMatchObject({ usedFen: o.amountFen, frozenFen: 0 });
    const recorded = (await t.system
      .db('payment_order_events')
      .where({ order_id: o.orderId, kind: 'notice' })
      .select('notice_id')) as Array<{ notice_id: string }>;
    expect(new Set(recorded.map((r) => r.notice_id)).size).toBe(recorded.length);
    expect(recorded.length).toBe(2);
  });

  test('no notice → the timer → 查询 the bank: paid is consumed; still nothing → 国库处 核实', async () => {
    const silent = await frozenOrder(deps, unit, '6222021234569004');
    const lost = await frozenOrder(deps, unit, '6222021234569005');
    expect(await settled(silent.orderId)).toBe('paid');
    const kinds = (
      (await t.system.db('payment_order_events').where('order_id', silent.orderId).orderBy('id').select('kind')) as Array<{ kind: string }>
    ).map((e) => e.kind);
    expect(kinds).toEqual(['created', 'accepted', 'query', 'settled']);
    expect(await settlementEntries(t.system.db, silent.orderId)).toEqual(['consume']);

    await until('the lost order escalated', async () => (await orderStatus(t.system.db, lost.orderId)) === 'escalated', 90_000);
    const listed = await call('nm_gkk', 'GET', '/treasury/orders?status=escalated');
    expect(listed.body.escalated).toBeGreaterThanOrEqual(1);
    expect(listed.body.items.find((i: { id: number }) => i.id === lost.orderId).can).toEqual({
      canQuery: true,
      canRetry: false,
      canResolve: true,
    });
    expect((await notices('nm_gkk')).some((n) => n.kind === 'treasury-escalated' && n.title.includes(lost.orderNo))).toBe(true);
    const q = await call('nm_gkk', 'POST', `/treasury/orders/${lost.orderId}/query`);
    expect(q.body).toMatchObject({ bankStatus: 'pending', delivered: false });
    expect((await call('nm_gkk', 'POST', `/treasury/orders/${lost.orderId}/resolve`, { decision: 'failed' })).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
    const r = await until('the escalation step open', async () => {
      const x = await call('nm_gkk', 'POST', `/treasury/orders/${lost.orderId}/resolve`, {
        decision: 'failed',
        comment: '经与银行核实未付款',
      });
      return x.status === 503 && x.body.error.code === 'ESCALATION_NOT_READY' ? undefined : x;
    });
    expect(r.status).toBe(200);
    expect(await settled(lost.orderId)).toBe('failed');
    expect(await settlementEntries(t.system.db, lost.orderId)).toEqual(['unfreeze']);
    expect(
      (await call('nm_gkk', 'POST', `/treasury/orders/${lost.orderId}/resolve`, { decision: 'paid', comment: 'x' })).body.error.code,
    ).toBe('ORDER_NOT_ESCALATED');
  });

  test('a redelivered send job sends once: answered from its outcome, or the bank answers the duplicate', async () => {
    const o = await frozenOrder(deps, unit, '6222021234569008'); // hold: the notice waits for release
    await until('sent', async () => (await orderStatus(t.system.db, o.orderId)) === 'sent');
    expect(sim.order(o.orderNo).order).toMatchObject({ submissions: 1, accepted: 1 });
    const task = (id: string) => ({
      id,
      topicName: `${t.config.engine.namespace}.treasury.send`,
      workerId: 'w',
      activityId: 'SendOrder',
      activityInstanceId: 'a',
      executionId: 'e',
      processInstanceId: o.processInstanceId,
      processDefinitionId: 'p',
      processDefinitionKey: 'k',
      businessKey: null,
      retries: null,
      variables: { orderId: { value: o.orderId, type: 'Long' } },
    });
    const workerDeps = { client: t.system.engine, db: t.system.db, log: t.system.log, config: t.config };
    // The first delivery's transaction was lost after the bank took the order: the order is back to sending.
    await t.system.db('payment_orders').where('id', o.orderId).update({ status: 'sending' });
    expect(await handleTask(treasurySend, task('redelivered-1'), 'w', workerDeps)).toBe('completed');
    expect(await orderStatus(t.system.db, o.orderId)).toBe('sent');
    expect(sim.order(o.orderNo).order).toMatchObject({ submissions: 2, accepted: 1 });
    // The same external task again: its stored outcome answers, the bank is not asked.
    expect(await handleTask(treasurySend, task('redelivered-1'), 'w', workerDeps)).toBe('completed');
    // Another delivery while sent: not sent again.
    expect(await handleTask(treasurySend, task('redelivered-2'), 'w', workerDeps)).toBe('completed');
    expect(sim.order(o.orderNo).order).toMatchObject({ submissions: 2, accepted: 1 });
    await fetch(`${sim.url}/_control/orders/${o.orderNo}/release`, { method: 'POST' });
    expect(await settled(o.orderId)).toBe('paid');
    expect(await settlementEntries(t.system.db, o.orderId)).toEqual(['consume']);
  });

  test('a flaky bank (503 twice) is retried and pays once', async () => {
    const o = await frozenOrder(deps, unit, '6222021234569007');
    expect(await settled(o.orderId)).toBe('paid');
    const view = await call('nm_gkk', 'GET', `/treasury/orders/${o.orderId}`);
    expect(view.body.sendAttempts).toBe(3);
    expect(sim.order(o.orderNo).order).toMatchObject({ accepted: 1 });
  });

  test('a bank that stays unreachable: 发送失败 after the retries, 重新发送 on the page pays once', async () => {
    const o = await frozenOrder(deps, unit, '6222021234569009'); // down: every submission 503
    await until('send_failed', async () => (await orderStatus(t.system.db, o.orderId)) === 'send_failed', 90_000);
    const view = await call('nm_gkk', 'GET', `/treasury/orders/${o.orderId}`);
    expect(view.body).toMatchObject({
      status: 'send_failed',
      statusLabel: '发送失败',
      can: { canQuery: true, canRetry: true, canResolve: false },
    });
    expect(await quotaOf(t.system.db, o.quotaId)).toMatchObject({ frozenFen: o.amountFen, usedFen: 0 });
    await until(
      'the incident',
      async () =>
        (await t.system.engine.request<unknown[]>('GET', '/incident', { query: { processInstanceId: o.processInstanceId } })).length === 1,
    );
    // The bank is back.
    await fetch(`${sim.url}/_control/behaviour/${o.orderNo}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ behaviour: 'paid' }),
    });
    const r = await call('nm_gkk', 'POST', `/treasury/orders/${o.orderId}/retry`);
    expect([r.status, r.body.status]).toEqual([200, 'sending']);
    expect((await call('nm_gkk', 'POST', `/treasury/orders/${o.orderId}/retry`)).body.error.code).toBe('ORDER_NOT_RETRYABLE');
    expect(await settled(o.orderId)).toBe('paid');
    expect(await settlementEntries(t.system.db, o.orderId)).toEqual(['consume']);
    expect(sim.order(o.orderNo).order).toMatchObject({ accepted: 1 });
  });

  test('notices without a valid signature are refused; an order without its freeze is refused', async () => {
    const body = JSON.stringify({ noticeId: 'forged1', orderNo: 'ZF2026-000001', status: 'paid', amountFen: 1 });
    const ts = String(Date.now());
    const post = (headers: Record<string, string>) =>
      fetch(`${t.system.url}/api/treasury/bank-notices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    expect((await post({})).status).toBe(400);
    expect(
      (await post({ 'x-bank-timestamp': ts, 'x-bank-signature': signBankMessage('wrong-secret-wrong-secret-wrong-secret', ts, body) }))
        .status,
    ).toBe(400);
    const old = String(Date.now() - 3_600_000);
    expect((await post({ 'x-bank-timestamp': old, 'x-bank-signature': signBankMessage(t.config.bank.secret, old, body) })).status).toBe(
      400,
    );
    const good = await post({ 'x-bank-timestamp': ts, 'x-bank-signature': signBankMessage(t.config.bank.secret, ts, body) });
    expect(good.status).toBe(409); // signed, but the amount is not the order's
    const before = Number(((await t.system.db('payment_orders').count({ n: '*' }))[0] as { n: number }).n);
    await expect(
      issuePaymentOrder(deps, {
        source: { kind: 'payment-request', id: 999_999_999 },
        quotaId: 1,
        amountFen: 5,
        freezeKey: 'no-such-freeze',
        payeeName: 'x',
        payeeAccount: '6222021234567890',
        payeeBank: 'x',
        purpose: 'x',
        paymentType: 'direct',
        unitOrgId: unit,
        economicCode: '30213',
      }),
    ).rejects.toMatchObject({ code: 'FREEZE_NOT_FOUND', status: 409 });
    expect(Number(((await t.system.db('payment_orders').count({ n: '*' }))[0] as { n: number }).n)).toBe(before);
  });
});
