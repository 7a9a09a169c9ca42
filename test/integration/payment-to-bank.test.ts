import { seedDemoUsers } from '../../server/auth/demo-users';
import { issueQuota } from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { refundPaidOrder } from '../../server/treasury/orders';
import { signBankMessage } from '../../domain/treasury';
import { startBankSimulator, type BankSimulator } from '../../scripts/bank-simulator';
import { loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';
import { freePort, quotaOf, settlementEntries, until } from '../support/treasury';

/**
 * 用款申请 → 审批 → 国库支付 → 银行, on the real engine and database with the bank simulator
 * (its own HTTP service, started here), through the API: 王芳 (nm_clerk_yz, 第一中学) files,
 * 孙丽 (nm_gkk, 国库处) approves, the order goes to the bank, and the request's status in the
 * unit's list and page follows its payment order (支付中, 已支付, 已到账, 支付失败, 已退票). A 退票
 * after 已到账 reverses the consume in the ledger exactly once, however the notice repeats.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '246810';
const YUAN = 100;

describe('a payment request through the bank', () => {
  let t: TestSystem;
  let sim: BankSimulator;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  let unitOrgId: number;
  let seq = 0;

  beforeAll(async () => {
    const base = testConfig();
    sim = await startBankSimulator({ secret: base.bank.secret, noticeDelayMs: 100, slowMs: 1500, retryMs: 100, maxRetryMs: 1000 });
    t = await startTestSystem({ port: await freePort(), bank: { ...base.bank, url: sim.url, noticeTimeout: 'PT10M' } });
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of ['nm_clerk_yz', 'nm_gkk', 'nm_clerk_ny']) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    unitOrgId = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    expect((await call('nm_gkk', 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  const get = async (id: number) => (await call('nm_clerk_yz', 'GET', `/payments/${id}`)).body;
  const listed = async (id: number, status?: string) =>
    (
      (await call('nm_clerk_yz', 'GET', `/payments?pageSize=200${status ? `&status=${status}` : ''}`)).body.items as Array<{
        id: number;
        status: string;
        statusLabel: string;
        approvalStatus: string;
      }>
    ).find((r) => r.id === id);
  const orderOf = async (requestId: number) =>
    (await t.system
      .db('payment_orders')
      .where({ source_kind: 'payment-request', source_id: requestId })
      .first('id', 'order_no', 'status', 'quota_id')) as { id: number; order_no: string; status: string; quota_id: number } | undefined;
  const statusIs = (id: number, status: string) =>
    until(`request ${id} ${status}`, async () => ((await listed(id))?.status === status ? true : undefined), 90_000);

  /** A quota of its own (so its balance is this payment's alone), a request on it approved by 国库处. */
  async function approvedRequest(accountTail: string, amountFen = 3_000 * YUAN) {
    seq += 1;
    const q = await issueQuota(t.system.db, {
      fiscalYear: 2026,
      unitOrgId,
      functionalCode: '2050204',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: `银行测试〔2026〕${seq}号`,
      amountFen: amountFen * 2,
      actor: 'test',
      reason: '测试指标',
      idempotencyKey: `bank-test-quota-${seq}-${Date.now()}`,
    });
    const r = await call('nm_clerk_yz', 'POST', '/payments', {
      quotaId: q.quota.id,
      amountFen,
      payeeName: `银行测试收款单位${seq}`,
      payeeKind: 'organisation',
      payeeAccount: `6222 0212 3456 ${String(seq).padStart(3, '0')}${accountTail}`,
      payeeBank: '中国工商银行呼和浩特新华支行',
      purpose: `银行测试用款${seq}`,
      economicCode: '30201',
      paymentType: 'direct',
    });
    expect(r.status).toBe(201);
    const id = Number(r.body.id);
    await until(`request ${id} at 国库处`, async () => (await call('nm_gkk', 'GET', `/payments/${id}`)).body.can.decide === true);
    expect((await call('nm_gkk', 'POST', `/payments/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    return { id, quotaId: q.quota.id, amountFen };
  }

  test('the list and the page follow the payment order: 支付中, 已支付, 已到账, 支付失败, 已退票; the list filters by them', async () => {
    const paid = await approvedRequest('8000');
    const held = await approvedRequest('9008'); // accepted, the notice held
    const refused = await approvedRequest('9001');
    const refunded = await approvedRequest('9002');
    const down = await approvedRequest('9009'); // the bank unreachable: the order stays on its way

    await statusIs(paid.id, 'paid');
    const page = await get(paid.id);
    expect(page).toMatchObject({
      status: 'paid',
      statusLabel: '已到账',
      approvalStatus: 'approved',
      paymentOrder: { status: 'paid', statusLabel: '已到账' },
    });
    expect(await quotaOf(t.system.db, paid.quotaId)).toMatchObject({ usedFen: paid.amountFen, frozenFen: 0 });

    await statusIs(held.id, 'disbursed');
    expect(await listed(held.id)).toMatchObject({ statusLabel: '已支付', approvalStatus: 'approved' });
    expect((await get(held.id)).paymentOrder.status).toBe('sent');

    await statusIs(refused.id, 'pay_failed');
    expect((await listed(refused.id))?.statusLabel).toBe('支付失败');
    await statusIs(refunded.id, 'refunded');
    expect((await get(refunded.id)).statusLabel).toBe('已退票');
    for (const r of [refused, refunded]) expect(await quotaOf(t.system.db, r.quotaId)).toMatchObject({ usedFen: 0, frozenFen: 0 });

    await until('the order of the unreachable bank', async () => orderOf(down.id));
    expect(await listed(down.id)).toMatchObject({ status: 'paying', statusLabel: '支付中' });

    // The filter takes the list statuses; 已审批/待支付 is an approved request with no order yet.
    const ids = async (status: string) =>
      (
        (await call('nm_clerk_yz', 'GET', `/payments?pageSize=200&status=${status}`)).body.items as Array<{ id: number; status: string }>
      ).map((r) => r.id);
    expect(await ids('paid')).toContain(paid.id);
    expect(await ids('paid')).not.toContain(held.id);
    expect(await ids('disbursed')).toEqual(expect.arrayContaining([held.id]));
    expect(await ids('pay_failed')).toEqual(expect.arrayContaining([refused.id]));
    expect(await ids('refunded')).toEqual(expect.arrayContaining([refunded.id]));
    expect(await ids('paying')).toEqual(expect.arrayContaining([down.id]));
    expect(await ids('approved')).not.toEqual(expect.arrayContaining([paid.id]));
    for (const s of ['paid', 'disbursed', 'pay_failed', 'refunded', 'paying']) {
      expect(
        ((await call('nm_clerk_yz', 'GET', `/payments?pageSize=200&status=${s}`)).body.items as Array<{ status: string }>).every(
          (r) => r.status === s,
        ),
      ).toBe(true);
    }
    expect((await call('nm_clerk_yz', 'GET', '/payments?status=bogus')).status).toBe(400);

    // The held notice comes: 已支付 → 已到账.
    const order = (await orderOf(held.id))!;
    await fetch(`${sim.url}/_control/orders/${order.order_no}/release`, { method: 'POST' });
    await statusIs(held.id, 'paid');
  });

  test('退票 after 已到账 reverses the consume once, however often and however the notice comes', async () => {
    const p = await approvedRequest('8000', 4_321_00);
    await statusIs(p.id, 'paid');
    const order = (await orderOf(p.id))!;
    expect(await quotaOf(t.system.db, p.quotaId)).toEqual({
      amountFen: p.amountFen * 2,
      usedFen: p.amountFen,
      frozenFen: 0,
      availableFen: p.amountFen,
    });

    // The bank sends a 退票 for the paid order.
    const sent = await fetch(`${sim.url}/_control/orders/${order.order_no}/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'refunded', reason: '收款账户已冻结，款项退回' }),
    });
    expect(sent.status).toBe(202);
    const { noticeId } = (await sent.json()) as { noticeId: string };
    await statusIs(p.id, 'refunded');
    expect(await settlementEntries(t.system.db, order.id)).toEqual(['consume', 'refund']);
    expect(await quotaOf(t.system.db, p.quotaId)).toEqual({
      amountFen: p.amountFen * 2,
      usedFen: 0,
      frozenFen: 0,
      availableFen: p.amountFen * 2,
    });
    const entry = await t.system
      .db('quota_journal')
      .where({ idempotency_key: `tp-${order.id}-refund` })
      .first('kind', 'amount_fen', 'delta_used_fen', 'delta_frozen_fen', 'delta_amount_fen');
    expect(entry).toMatchObject({ kind: 'refund' });
    expect([
      Number(entry.amount_fen),
      Number(entry.delta_used_fen),
      Number(entry.delta_frozen_fen),
      Number(entry.delta_amount_fen),
    ]).toEqual([p.amountFen, -p.amountFen, 0, 0]);
    const page = await get(p.id);
    expect(page).toMatchObject({ status: 'refunded', statusLabel: '已退票', paymentOrder: { status: 'refunded', statusLabel: '已退票' } });
    const detail = (await call('nm_gkk', 'GET', `/treasury/orders/${order.id}`)).body;
    expect(detail.failureReason).toBe('收款账户已冻结，款项退回');
    expect(detail.events.map((e: { kind: string }) => e.kind)).toContain('refunded-after-paid');
    const notes = (await t.system
      .db('notifications as n')
      .join('users as u', 'u.id', 'n.user_id')
      .where({ 'u.username': 'nm_clerk_yz', 'n.kind': 'treasury-refunded' })
      .select('n.title')) as Array<{ title: string }>;
    expect(notes.filter((n) => n.title.includes(order.order_no))).toHaveLength(1);

    // The same notice again, a new notice id, two at once, and the step called again: nothing more.
    const post = async (id: string) => {
      const body = JSON.stringify({
        noticeId: id,
        orderNo: order.order_no,
        status: 'refunded',
        amountFen: p.amountFen,
        reason: '收款账户已冻结，款项退回',
      });
      const ts = String(Date.now());
      const r = await fetch(`${t.system.url}/api/treasury/bank-notices`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-bank-timestamp': ts,
          'x-bank-signature': signBankMessage(t.config.bank.secret, ts, body),
        },
        body,
      });
      return { status: r.status, body: (await r.json()) as { handled?: boolean; duplicate?: boolean } };
    };
    expect(await post(noticeId)).toEqual({ status: 200, body: { handled: true, duplicate: true } });
    const again = await Promise.all([post(`R${Date.now()}a`), post(`R${Date.now()}b`), post(`R${Date.now()}c`)]);
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await t.system.db.transaction((trx) => refundPaidOrder(trx, order.id, 'again'))).toBe(false);
    expect(await settlementEntries(t.system.db, order.id)).toEqual(['consume', 'refund']);
    expect(await quotaOf(t.system.db, p.quotaId)).toMatchObject({ usedFen: 0, frozenFen: 0 });
    expect(
      Number(
        (
          (
            await t.system
              .db('audit_records')
              .where({ kind: 'treasury.refunded-after-paid', subject_type: 'payment_order', subject_id: String(order.id) })
              .count({ n: '*' })
          )[0] as { n: number }
        ).n,
      ),
    ).toBe(1);
  });

  test('two 退票 notices of a paid order at the same moment post one reversal', async () => {
    const p = await approvedRequest('8000', 999_00);
    await statusIs(p.id, 'paid');
    const order = (await orderOf(p.id))!;
    const post = async (id: string) => {
      const body = JSON.stringify({
        noticeId: id,
        orderNo: order.order_no,
        status: 'refunded',
        amountFen: p.amountFen,
        reason: '户名不符',
      });
      const ts = String(Date.now());
      return (
        await fetch(`${t.system.url}/api/treasury/bank-notices`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-bank-timestamp': ts,
            'x-bank-signature': signBankMessage(t.config.bank.secret, ts, body),
          },
          body,
        })
      ).status;
    };
    const stamp = Date.now().toString(36);
    expect(await Promise.all(Array.from({ length: 6 }, (_, i) => post(`C${stamp}${i}`)))).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await settlementEntries(t.system.db, order.id)).toEqual(['consume', 'refund']);
    expect(await quotaOf(t.system.db, p.quotaId)).toMatchObject({ usedFen: 0, frozenFen: 0, availableFen: p.amountFen * 2 });
    expect((await listed(p.id))?.status).toBe('refunded');
  });
  test('a returned request is corrected and resubmitted: a new round, a new freeze, approved and paid', async () => {
    seq += 1;
    const q = await issueQuota(t.system.db, {
      fiscalYear: 2026,
      unitOrgId,
      functionalCode: '2050204',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: `重提测试〔2026〕${seq}号`,
      amountFen: 5_000 * YUAN,
      actor: 'test',
      reason: '测试指标',
      idempotencyKey: `resubmit-quota-${seq}-${Date.now()}`,
    });
    const filed = await call('nm_clerk_yz', 'POST', '/payments', {
      quotaId: q.quota.id,
      amountFen: 3_000 * YUAN,
      payeeName: '呼和浩特市新华书店',
      payeeKind: 'organisation',
      payeeAccount: '6222 0212 3456 7000 001',
      payeeBank: '中国工商银行',
      purpose: '购置教学用书',
      economicCode: '30201',
      paymentType: 'direct',
    });
    expect(filed.status).toBe(201);
    const id = Number(filed.body.id);
    const corrected = {
      amountFen: 2_500 * YUAN,
      payeeName: '呼和浩特市新华书店有限公司',
      payeeKind: 'organisation',
      payeeAccount: '6222 0212 3456 7000 002',
      payeeBank: '中国工商银行呼和浩特新华支行',
      purpose: '购置教学用书（按合同金额）',
      economicCode: '30201',
      paymentType: 'direct',
      comment: '已按合同金额更正',
    };
    // Not returned yet: nothing to resubmit.
    expect((await call('nm_clerk_yz', 'POST', `/payments/${id}/resubmit`, corrected)).body.error.code).toBe('PAYMENT_NOT_RETURNED');
    await until('at 国库处', async () => (await call('nm_gkk', 'GET', `/payments/${id}`)).body.can.decide === true);
    expect(
      (await call('nm_gkk', 'POST', `/payments/${id}/decision`, { decision: 'return', comment: '金额与合同不符，请更正', signingPin: PIN }))
        .status,
    ).toBe(200);
    await statusIs(id, 'returned');
    expect(await quotaOf(t.system.db, q.quota.id)).toMatchObject({ frozenFen: 0, usedFen: 0 });

    // Refusals write nothing: another unit, a bad body, a short quota.
    const before = await t.system.db('payment_requests').where('id', id).first('round', 'status', 'freeze_key', 'amount_fen');
    expect((await call('nm_clerk_ny', 'POST', `/payments/${id}/resubmit`, corrected)).status).toBe(404);
    expect((await call('nm_clerk_yz', 'POST', `/payments/${id}/resubmit`, { ...corrected, amountFen: -1 })).status).toBe(400);
    expect((await call('nm_clerk_yz', 'POST', `/payments/${id}/resubmit`, { ...corrected, quotaId: 1 })).status).toBe(400);
    const short = await call('nm_clerk_yz', 'POST', `/payments/${id}/resubmit`, { ...corrected, amountFen: 5_000 * YUAN + 1 });
    expect([short.status, short.body.error.code]).toEqual([409, 'QUOTA_INSUFFICIENT']);
    expect(short.body.error.message).toContain('可用 ¥5,000.00');
    expect(await t.system.db('payment_requests').where('id', id).first('round', 'status', 'freeze_key', 'amount_fen')).toEqual(before);
    expect(await quotaOf(t.system.db, q.quota.id)).toMatchObject({ frozenFen: 0 });

    const r = await call('nm_clerk_yz', 'POST', `/payments/${id}/resubmit`, corrected);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'approving',
      round: 2,
      freezeKey: `pay-${id}-r2-freeze`,
      amountFen: 2_500 * YUAN,
      payeeName: '呼和浩特市新华书店有限公司',
      payeeAccount: '6222021234567000002',
      returnComment: null,
    });
    expect(await quotaOf(t.system.db, q.quota.id)).toMatchObject({ frozenFen: 2_500 * YUAN, usedFen: 0 });
    // Twice at once or again: one round.
    const twice = await Promise.all([
      call('nm_clerk_yz', 'POST', `/payments/${id}/resubmit`, corrected),
      call('nm_clerk_yz', 'POST', `/payments/${id}/resubmit`, corrected),
    ]);
    expect(twice.map((x) => x.body.error?.code)).toEqual(['PAYMENT_NOT_RETURNED', 'PAYMENT_NOT_RETURNED']);
    expect(await quotaOf(t.system.db, q.quota.id)).toMatchObject({ frozenFen: 2_500 * YUAN });

    await until('round 2 at 国库处', async () => (await call('nm_gkk', 'GET', `/payments/${id}`)).body.can.decide === true);
    expect((await call('nm_gkk', 'POST', `/payments/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    await statusIs(id, 'paid');
    const page = await get(id);
    expect(page.decisions.map((d: { elementId: string; decision: string }) => [d.elementId, d.decision])).toEqual([
      ['PaymentSubmitted', 'submit'],
      ['TreasuryReview', 'return'],
      ['PaymentResubmitted', 'resubmit'],
      ['TreasuryReview', 'approve'],
    ]);
    expect(page.decisions[2]).toMatchObject({ decisionLabel: '重新提交', comment: '已按合同金额更正' });
    expect(await quotaOf(t.system.db, q.quota.id)).toEqual({
      amountFen: 5_000 * YUAN,
      usedFen: 2_500 * YUAN,
      frozenFen: 0,
      availableFen: 2_500 * YUAN,
    });
    const journal = (await t.system
      .db('quota_journal')
      .where('quota_id', q.quota.id)
      .orderBy('id')
      .select('kind', 'idempotency_key')) as Array<{ kind: string; idempotency_key: string }>;
    expect(journal.map((j) => j.kind)).toEqual(['issue', 'freeze', 'unfreeze', 'freeze', 'consume']);
    expect(journal[3]!.idempotency_key).toBe(`pay-${id}-r2-freeze`);
    const order = (await orderOf(id))!;
    expect(await t.system.db('payment_orders').where('id', order.id).first('amount_fen', 'freeze_key', 'payee_name')).toMatchObject({
      freeze_key: `pay-${id}-r2-freeze`,
      payee_name: '呼和浩特市新华书店有限公司',
    });
  });
});
