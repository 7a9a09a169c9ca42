import { seedDemoUsers } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { issueQuota } from '../../server/ledger/service';
import { releaseRequest } from '../../server/payments/service';
import { seedReferenceData } from '../../server/reference';
import { releaseKey } from '../../domain/payments';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 用款申请 → 审批 on the real engine and database, through the HTTP API: 王芳 (nm_clerk_yz, 第一中学)
 * files requests against the school's quotas; 孙丽 (nm_gkk, 国库科) reviews and verifies; 郑国华
 * (nm_director) approves as 分管局长 and 局长. Money is checked in the ledger after every step.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '246810';
const YUAN = 100;

describe('payment approval on the engine', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  let unitOrgId: number;
  let projectId: number;
  const quotas: Record<string, number> = {};

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const get = async (id: number) => (await call('nm_clerk_yz', 'GET', `/payments/${id}`)).body;
  const waitFor = (id: number, pred: (a: any) => boolean, what: string) =>
    until(what, async () => {
      const a = await get(id);
      return pred(a) ? a : undefined;
    });
  const atStep = (id: number, elementId: string) =>
    waitFor(id, (a) => a.pending.some((s: any) => s.elementId === elementId), `request ${id} at ${elementId}`);
  const quota = async (id: number) =>
    (await t.system.db('quotas').where('id', id).first('amount_fen', 'used_fen', 'frozen_fen')) as {
      amount_fen: number;
      used_fen: number;
      frozen_fen: number;
    };
  const n = async (table: string, where: Record<string, unknown> = {}) =>
    Number(((await t.system.db(table).where(where).count({ n: '*' }))[0] as { n: number }).n);
  const file = (over: Record<string, unknown> = {}) => ({
    quotaId: quotas.main,
    amountFen: 3_000 * YUAN,
    payeeName: '呼和浩特市新华书店',
    payeeKind: 'organisation',
    payeeAccount: '6222 0212 3456 7890 123',
    payeeBank: '中国工商银行呼和浩特新华支行',
    purpose: '购置教学用书',
    economicCode: '30201',
    paymentType: 'direct',
    ...over,
  });
  const decide = (user: string, id: number, decision: string, comment?: string) =>
    call(user, 'POST', `/payments/${id}/decision`, { decision, ...(comment ? { comment } : {}), signingPin: PIN });

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of ['nm_clerk_yz', 'nm_gkk', 'nm_director', 'nm_compliance', 'nm_clerk_ny'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    unitOrgId = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const r = await call('nm_clerk_yz', 'POST', '/projects', demoApplication('用款测试项目', '用款测试'));
    expect(r.status).toBe(201);
    projectId = Number(r.body.id);
    await db('projects').where('id', projectId).update({ status: 'funded' });
    // Setup only: quotas as the allocation issues them.
    const issue = async (key: string, amountFen: number) => {
      const q = await issueQuota(db, {
        fiscalYear: 2026,
        projectId,
        unitOrgId,
        functionalCode: '2050204',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: `测试〔2026〕${key}号`,
        amountFen,
        actor: 'test',
        reason: '测试指标',
        idempotencyKey: `test-quota-${key}`,
      });
      quotas[key] = q.quota.id;
    };
    await issue('main', 1_000_000 * YUAN);
    await issue('small', 1_000 * YUAN);
    await issue('race', 1_000 * YUAN);
    await issue('withdraw', 1_000 * YUAN);
    // A unit clerk has no signing key (seals:sign is for the roles that decide): the submission is recorded in the audit chain unsealed.
    for (const u of ['nm_gkk', 'nm_director']) expect((await call(u, 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
  });

  test('the approval-chain decision table follows the thresholds, 人员类 and 三重一大', async () => {
    const chain = async (amountFen: number, category: string, majorDecision: boolean) =>
      (
        await t.system.engine.request<Array<Record<string, { value: unknown }>>>(
          'POST',
          `/decision-definition/key/${encodeURIComponent(namespaced(t.config.engine.namespace, 'payment-approval-chain'))}/evaluate`,
          {
            body: {
              variables: {
                amountFen: { value: amountFen, type: 'Long' },
                category: { value: category, type: 'String' },
                majorDecision: { value: majorDecision, type: 'Boolean' },
              },
            },
          },
        )
      )[0]?.approvalChain?.value;
    expect(await chain(4_999_99, '33', false)).toBe('section');
    expect(await chain(5_000_00, '33', false)).toBe('deputy');
    expect(await chain(20_000_00, '33', false)).toBe('deputy');
    expect(await chain(20_000_01, '33', false)).toBe('director');
    expect(await chain(20_000_00, '1', false)).toBe('section');
    expect(await chain(20_000_01, '1', false)).toBe('director');
    expect(await chain(500_000_00, '33', false)).toBe('meeting');
    expect(await chain(1_00, '33', true)).toBe('meeting');
  });

  test('a small request freezes on submission, takes the short chain, is approved sealed and stays frozen', async () => {
    const before = await quota(quotas.main!);
    const r = await call('nm_clerk_yz', 'POST', '/payments', file());
    expect(r.status).toBe(201);
    const id = r.body.id;
    expect(r.body.requestNo).toMatch(/^YK2026-\d{6}$/);
    expect(r.body.freezeKey).toBe(`pay-${id}-r1-freeze`);
    expect(r.body.payeeAccount).toBe('6222021234567890123'); // the unit's own clerk reads it in full
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(before.frozen_fen) + 3_000 * YUAN);
    const journal = await t.system
      .db('quota_journal')
      .where({ idempotency_key: `pay-${id}-r1-freeze` })
      .first('kind', 'amount_fen', 'reference_type', 'reference_id');
    expect(journal).toMatchObject({ kind: 'freeze', reference_type: 'payment-request', reference_id: String(id) });
    // The account is at rest only as SM4 ciphertext and its blind index.
    const raw = await t.system.db('payment_requests').where('id', id).first('payee_account_cipher', 'payee_account_mask');
    expect(String(raw.payee_account_cipher)).not.toContain('7890123');
    expect(raw.payee_account_mask).toBe('6222 **** **** 0123');
    const at = await atStep(id, 'TreasuryReview');
    expect(at.approvalChain).toBe('section');
    expect(at.chainSteps).toEqual(['国库处科室负责人审核']);
    expect(at.quota.frozenFen).toBeGreaterThanOrEqual(3_000 * YUAN);
    expect((await decide('nm_director', id, 'approve')).body.error.code).toBe('NO_TASK_FOR_YOU');
    const gkkView = (await call('nm_gkk', 'GET', `/payments/${id}`)).body;
    // What each may do comes with the request (can, domain/payments.ts): 国库处 holds the step, the unit and 局领导 do not.
    expect(gkkView.can).toEqual({ decide: true, resubmit: false, withdraw: false });
    // The clerk who submitted it may still withdraw it: no approver has decided yet.
    expect((await call('nm_clerk_yz', 'GET', `/payments/${id}`)).body.can).toEqual({ decide: false, resubmit: false, withdraw: true });
    expect((await call('nm_director', 'GET', `/payments/${id}`)).body.can).toEqual({ decide: false, resubmit: false, withdraw: false });
    // On the list: the unit's clerk files new requests, 局领导 does not.
    expect((await call('nm_clerk_yz', 'GET', '/payments')).body.can).toEqual({ file: true });
    expect((await call('nm_director', 'GET', '/payments')).body.can).toEqual({ file: false });
    expect((await call('nm_gkk', 'GET', '/payments')).body.can).toEqual({ file: false }); // 国库处 pays, files nothing
    expect(gkkView.payeeAccount).toBe('6222021234567890123');
    const ok = await decide('nm_gkk', id, 'approve');
    expect(ok.status).toBe(200);
    const done = await waitFor(id, (a) => a.approvalStatus === 'approved', 'approved');
    // Approved, then handed to the treasury at once: 已审批/待支付 until its payment order exists, 支付中 after (no bank answers here).
    expect(['已审批/待支付', '支付中']).toContain(done.statusLabel);
    expect(done.decisions.map((d: any) => [d.elementId, d.decision, d.sealed])).toEqual([
      ['PaymentSubmitted', 'submit', false],
      ['TreasuryReview', 'approve', true],
    ]);
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(before.frozen_fen) + 3_000 * YUAN);
    expect(await n('quota_journal', { reference_type: 'payment-request', reference_id: String(id) })).toBe(1);
    // Others see the account masked.
    expect((await call('nm_director', 'GET', `/payments/${id}`)).body.payeeAccount).toBe('6222 **** **** 0123');
    expect((await call('nm_compliance', 'GET', `/payments/${id}`)).status).toBe(403);
    expect((await call('nm_clerk_ny', 'GET', `/payments/${id}`)).status).toBe(404);
  });

  test('a large request takes the long chain: 国库处 → 分管局长 → 局长', async () => {
    const r = await call(
      'nm_clerk_yz',
      'POST',
      '/payments',
      file({
        amountFen: 30_000 * YUAN,
        payeeName: '内蒙古教学设备有限公司',
        payeeAccount: '6217 0000 1111 2222',
        purpose: '采购实验室设备',
      }),
    );
    expect(r.status).toBe(201);
    const id = r.body.id;
    await atStep(id, 'TreasuryReview');
    expect((await decide('nm_gkk', id, 'approve')).status).toBe(200);
    const deputy = await atStep(id, 'DeputyReview');
    expect(deputy.approvalChain).toBe('director');
    expect(deputy.chainSteps).toEqual(['国库处科室负责人审核', '分管局长审批', '局长审批']);
    expect(deputy.currentSteps).toEqual(['分管局长审批']);
    expect((await decide('nm_director', id, 'approve')).status).toBe(200);
    await atStep(id, 'DirectorReview');
    expect((await decide('nm_director', id, 'approve')).status).toBe(200);
    const done = await waitFor(id, (a) => a.approvalStatus === 'approved', 'approved');
    expect(done.decisions.map((d: any) => d.elementId)).toEqual(['PaymentSubmitted', 'TreasuryReview', 'DeputyReview', 'DirectorReview']);
  });

  test('a request above the available amount is refused with it in the message, and nothing is written', async () => {
    // Audit records of payment requests only: the approved requests of the tests before are handed
    // to the treasury meanwhile, whose orders write records of their own (and no bank answers here).
    const tables: Array<[string, Record<string, unknown>]> = [
      ['payment_requests', {}],
      ['payment_attachments', {}],
      ['payment_decisions', {}],
      ['quota_journal', {}],
      ['audit_records', { subject_type: 'payment_request' }],
    ];
    const c0 = await Promise.all(tables.map(([x, w]) => n(x, w)));
    const q0 = await quota(quotas.small!);
    const r = await call('nm_clerk_yz', 'POST', '/payments', file({ quotaId: quotas.small, amountFen: 1_000 * YUAN + 1 }));
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('QUOTA_INSUFFICIENT');
    expect(r.body.error.message).toContain('可用 ¥1,000.00');
    expect(await Promise.all(tables.map(([x, w]) => n(x, w)))).toEqual(c0);
    expect(await quota(quotas.small!)).toEqual(q0);
    // Another unit's quota does not exist for the clerk.
    expect((await call('nm_clerk_ny', 'POST', '/payments', file({ quotaId: quotas.small }))).status).toBe(404);
  });

  test('退回 and 不予支付 unfreeze exactly once, however often the release runs', async () => {
    const q0 = await quota(quotas.main!);
    const a = (
      await call('nm_clerk_yz', 'POST', '/payments', file({ amountFen: 1_234_56, payeeName: '退回测试收款人', purpose: '退回测试' }))
    ).body.id;
    const b = (
      await call('nm_clerk_yz', 'POST', '/payments', file({ amountFen: 8_000 * YUAN, payeeName: '驳回测试收款人', purpose: '驳回测试' }))
    ).body.id;
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(q0.frozen_fen) + 1_234_56 + 8_000 * YUAN);
    await atStep(a, 'TreasuryReview');
    expect((await decide('nm_gkk', a, 'return')).body.error.code).toBe('VALIDATION_FAILED'); // a reason is required
    expect((await decide('nm_gkk', a, 'return', '发票抬头有误，请更正')).status).toBe(200);
    await atStep(b, 'TreasuryReview');
    expect((await decide('nm_gkk', b, 'approve')).status).toBe(200);
    await atStep(b, 'DeputyReview');
    expect((await decide('nm_director', b, 'reject', '不符合支出范围')).status).toBe(200);
    const ra = await waitFor(a, (x) => x.status === 'returned', 'returned');
    const rb = await waitFor(b, (x) => x.status === 'rejected', 'rejected');
    expect(ra.returnComment).toBe('发票抬头有误，请更正');
    // A returned request: its unit's clerk may correct and resubmit it; 国库处 and 局领导 may do nothing with it, nor with a rejected one.
    expect((await call('nm_clerk_yz', 'GET', `/payments/${a}`)).body.can).toEqual({ decide: false, resubmit: true, withdraw: false });
    expect((await call('nm_gkk', 'GET', `/payments/${a}`)).body.can).toEqual({ decide: false, resubmit: false, withdraw: false });
    expect((await call('nm_clerk_yz', 'GET', `/payments/${b}`)).body.can).toEqual({ decide: false, resubmit: false, withdraw: false });
    expect(rb.statusLabel).toBe('未通过');
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(q0.frozen_fen));
    // A redelivered release step changes nothing.
    const row = await t.system.db('payment_requests').where('id', a).first('process_instance_key');
    await t.system.db.transaction((trx) => releaseRequest(trx, a, row.process_instance_key, 'return', 'again'));
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(q0.frozen_fen));
    for (const id of [a, b]) {
      expect(await n('quota_journal', { reference_type: 'payment-request', reference_id: String(id), kind: 'unfreeze' })).toBe(1);
      expect(await n('quota_journal', { idempotency_key: releaseKey(id, 1) })).toBe(1);
    }
    expect((await decide('nm_gkk', a, 'approve')).body.error.code).toBe('PAYMENT_NOT_APPROVING');
  });

  test('a split payment is caught with its evidence (预警), and the chain goes on', async () => {
    const ids: number[] = [];
    for (const amount of [9_000, 9_500, 8_000]) {
      const r = await call(
        'nm_clerk_yz',
        'POST',
        '/payments',
        file({ amountFen: amount * YUAN, payeeName: '拆分测试装修公司', payeeAccount: '6228 4800 1234 5678', purpose: '教学楼维修' }),
      );
      expect(r.status).toBe(201);
      ids.push(r.body.id);
      await atStep(r.body.id, 'TreasuryReview');
    }
    expect((await get(ids[0]!)).risks).toEqual([]);
    expect((await get(ids[1]!)).risks).toEqual([]); // ¥18,500: not over ¥20,000 yet
    const third = await get(ids[2]!);
    expect(third.risks).toHaveLength(1);
    expect(third.risks[0]).toMatchObject({ rule: 'split-payment', level: '预警' });
    expect(third.risks[0].evidence.totalFen).toBe(26_500 * YUAN);
    expect(third.risks[0].evidence.requests.map((r: any) => r.id).sort()).toEqual([...ids].sort());
    expect(third.riskLevel).toBe('预警');
    expect(third.pending.map((s: any) => s.elementId)).toEqual(['TreasuryReview']);
  });

  test('a payee account changed 3 times in 30 days is 严重: the request goes to 核查 first; the list finds requests by exact account', async () => {
    const accounts = ['6222 1000 0000 0001', '6222 1000 0000 0002', '6222 1000 0000 0003', '6222 1000 0000 0004'];
    const ids: number[] = [];
    for (const acc of accounts) {
      const r = await call(
        'nm_clerk_yz',
        'POST',
        '/payments',
        file({ amountFen: 100 * YUAN, payeeName: '账户变更测试公司', payeeAccount: acc, purpose: `第${ids.length + 1}次采购` }),
      );
      expect(r.status).toBe(201);
      ids.push(r.body.id);
      await until('risk check', async () => (await get(r.body.id)).pending.length > 0);
    }
    expect((await get(ids[2]!)).risks).toEqual([]); // two changes
    const fourth = await atStep(ids[3]!, 'Verify');
    expect(fourth.risks.map((h: any) => [h.rule, h.level])).toEqual([['account-changes', '严重']]);
    expect(fourth.risks[0].evidence.changes.map((c: any) => c.to)).toEqual([
      '6222 **** **** 0002',
      '6222 **** **** 0003',
      '6222 **** **** 0004',
    ]);
    expect(fourth.currentSteps).toEqual(['风险核查']);
    expect((await decide('nm_gkk', ids[3]!, 'approve', '已电话核实收款单位账户变更')).status).toBe(200);
    await atStep(ids[3]!, 'TreasuryReview');
    // Exact search over the blind index, whatever the grouping typed.
    const found = await call('nm_gkk', 'GET', `/payments?payeeAccount=${encodeURIComponent('6222-1000-0000-0003')}`);
    expect(found.status).toBe(200);
    expect(found.body.items.map((r: any) => r.id)).toEqual([ids[2]]);
    expect(found.body.items[0].payeeAccountMasked).toBe('6222 **** **** 0003');
    expect(JSON.stringify(found.body)).not.toContain('6222100000000003');
  });

  test('100 concurrent requests on one quota never overspend it', async () => {
    const q0 = await quota(quotas.race!);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(
          'nm_clerk_yz',
          'POST',
          '/payments',
          file({ quotaId: quotas.race, amountFen: 15 * YUAN, payeeName: `并发测试收款人${i}`, purpose: `并发测试${i}` }),
        ),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    const accepted = statuses.filter((s) => s === 201).length;
    expect(accepted).toBe(Math.floor((1_000 * YUAN) / (15 * YUAN))); // 66
    const q = await quota(quotas.race!);
    expect(Number(q.frozen_fen)).toBe(Number(q0.frozen_fen) + accepted * 15 * YUAN);
    expect(Number(q.amount_fen) - Number(q.used_fen) - Number(q.frozen_fen)).toBeGreaterThanOrEqual(0);
    expect(await n('payment_requests', { quota_id: quotas.race })).toBe(accepted);
    expect(await n('quota_journal', { quota_id: quotas.race, kind: 'freeze' })).toBe(accepted);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'QUOTA_INSUFFICIENT')).toBe(true);
  });

  test('撤回 before any decision: the freeze is released once, the engine instance is gone, 已撤回 is audited; after a decision it is refused', async () => {
    const before = await quota(quotas.main!);
    const r = await call('nm_clerk_yz', 'POST', '/payments', file({ amountFen: 1_234 * YUAN, purpose: '购置图书（撤回）' }));
    expect(r.status).toBe(201);
    const id = Number(r.body.id);
    const at = await atStep(id, 'TreasuryReview');
    expect(at.can.withdraw).toBe(true);
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(before.frozen_fen) + 1_234 * YUAN);
    const instance = String(
      ((await t.system.db('payment_requests').where('id', id).first('process_instance_key')) as any).process_instance_key,
    );
    // Only the clerk who submitted it; another person of scope gets 403 and nothing changes.
    expect((await call('nm_gkk', 'POST', `/payments/${id}/withdraw`, {})).status).toBe(403);
    const w = await call('nm_clerk_yz', 'POST', `/payments/${id}/withdraw`, { reason: '收款人信息有误' });
    expect(w.status).toBe(200);
    expect(w.body).toMatchObject({ status: 'withdrawn', statusLabel: '已撤回', approvalStatus: 'withdrawn' });
    expect(w.body.can).toEqual({ decide: false, resubmit: false, withdraw: false });
    expect(w.body.decisions.at(-1)).toMatchObject({ decision: 'withdraw', decisionLabel: '撤回', comment: '收款人信息有误' });
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(before.frozen_fen));
    const keys = (await t.system
      .db('quota_journal')
      .where({ reference_type: 'payment-request', reference_id: String(id) })
      .orderBy('id')
      .select('kind', 'idempotency_key')) as Array<{ kind: string; idempotency_key: string }>;
    expect(keys.map((k) => [k.kind, k.idempotency_key])).toEqual([
      ['freeze', `pay-${id}-r1-freeze`],
      ['unfreeze', releaseKey(id, 1)],
    ]);
    expect(await t.system.engine.processInstance(instance)).toBeNull();
    expect(await n('audit_records', { kind: 'payment.withdraw', subject_id: String(id) })).toBe(1);
    // Twice, or an approver afterwards: refused, nothing moves.
    expect((await call('nm_clerk_yz', 'POST', `/payments/${id}/withdraw`, {})).body.error.code).toBe('PAYMENT_NOT_APPROVING');
    expect((await decide('nm_gkk', id, 'approve')).status).toBe(409);
    expect(Number((await quota(quotas.main!)).frozen_fen)).toBe(Number(before.frozen_fen));

    // A request whose first step was decided can no longer be withdrawn.
    const big = await call('nm_clerk_yz', 'POST', '/payments', file({ amountFen: 6_000 * YUAN, purpose: '购置课桌（已审）' }));
    const bigId = Number(big.body.id);
    await atStep(bigId, 'TreasuryReview');
    expect((await decide('nm_gkk', bigId, 'approve')).status).toBe(200);
    await atStep(bigId, 'DeputyReview');
    expect((await get(bigId)).can.withdraw).toBe(false);
    const refused = await call('nm_clerk_yz', 'POST', `/payments/${bigId}/withdraw`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('PAYMENT_ALREADY_DECIDED');
    expect((await get(bigId)).approvalStatus).toBe('approving');
  });

  test('撤回 and an approval at the same moment: one wins, the other is a 409, and the ledger is consistent', async () => {
    for (let i = 0; i < 2; i++) {
      const start = await quota(quotas.withdraw!);
      const r = await call(
        'nm_clerk_yz',
        'POST',
        '/payments',
        file({ quotaId: quotas.withdraw, amountFen: 100 * YUAN, purpose: `竞争撤回 ${i}` }),
      );
      expect(r.status).toBe(201);
      const id = Number(r.body.id);
      await atStep(id, 'TreasuryReview');
      const instance = String(
        ((await t.system.db('payment_requests').where('id', id).first('process_instance_key')) as any).process_instance_key,
      );
      const [w, d] = await Promise.all([call('nm_clerk_yz', 'POST', `/payments/${id}/withdraw`, {}), decide('nm_gkk', id, 'approve')]);
      expect([w.status, d.status].sort()).toEqual([200, 409]);
      if (w.status === 200) {
        expect(['PAYMENT_NOT_APPROVING', 'TASK_GONE', 'NO_TASK_FOR_YOU']).toContain(d.body.error.code);
        expect((await get(id)).approvalStatus).toBe('withdrawn');
        expect(Number((await quota(quotas.withdraw!)).frozen_fen)).toBe(Number(start.frozen_fen));
        expect(await t.system.engine.processInstance(instance)).toBeNull();
        expect(await n('payment_decisions', { request_id: id, decision: 'approve' })).toBe(0);
      } else {
        expect(['PAYMENT_ALREADY_DECIDED', 'PAYMENT_CHANGED']).toContain(w.body.error.code);
        await waitFor(id, (a) => a.approvalStatus === 'approved', 'approved');
        // Approved: the amount stays frozen for the treasury, exactly once, and nothing was released.
        expect(Number((await quota(quotas.withdraw!)).frozen_fen)).toBe(Number(start.frozen_fen) + 100 * YUAN);
        expect(await n('quota_journal', { idempotency_key: releaseKey(id, 1) })).toBe(0);
      }
      const q = await quota(quotas.withdraw!);
      expect(Number(q.amount_fen) - Number(q.used_fen) - Number(q.frozen_fen)).toBeGreaterThanOrEqual(0);
    }
  });
});
