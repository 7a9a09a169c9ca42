import net from 'node:net';
import type { Db } from '../../server/db';
import { freeze, getQuota, issueQuota } from '../../server/ledger/service';
import { issuePaymentOrder, type TreasuryDeps } from '../../server/treasury/orders';

/** A port free right now (the app must keep one port across a restart: the bank calls it back). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let seq = 0;

/**
 * Set-up as the payment-request side leaves it: a quota of the unit with money frozen under a key
 * (issue + freeze in the ledger), then the order issued for it.
 */
export async function frozenOrder(
  deps: TreasuryDeps,
  unitOrgId: number,
  account: string,
  amountFen = 12_345_67,
  opts: { quotaAmountFen?: number; tag?: string } = {},
) {
  seq += 1;
  const tag = `${opts.tag ?? 't'}${Date.now().toString(36)}${seq}`;
  const q = await issueQuota(deps.db, {
    fiscalYear: 2026,
    unitOrgId,
    functionalCode: '2050203',
    economicCode: '30213',
    fundSource: '一般公共预算',
    documentNo: `测试指标文号${tag}`,
    amountFen: opts.quotaAmountFen ?? amountFen * 2,
    actor: 'test',
    reason: '测试下达',
    idempotencyKey: `issue-${tag}`,
  });
  const freezeKey = `freeze-${tag}`;
  await freeze(deps.db, { quotaId: q.quota.id, amountFen, actor: 'test', reason: '用款申请冻结', idempotencyKey: freezeKey });
  const order = await issuePaymentOrder(deps, {
    source: { kind: 'payment-request', id: 100_000 + seq + Math.floor(Math.random() * 1e6) },
    quotaId: q.quota.id,
    amountFen,
    freezeKey,
    payeeName: '呼和浩特市某某建筑有限公司',
    payeeAccount: account,
    payeeBank: '中国工商银行呼和浩特分行',
    purpose: '教学楼维修工程款',
    paymentType: 'direct',
    unitOrgId,
    economicCode: '30213',
  });
  return { ...order, quotaId: q.quota.id, freezeKey, amountFen };
}

export async function quotaOf(db: Db, id: number) {
  const q = await getQuota(db, id);
  if (!q) throw new Error(`quota ${id}`);
  return { amountFen: q.amountFen, usedFen: q.usedFen, frozenFen: q.frozenFen, availableFen: q.availableFen };
}

export async function orderStatus(db: Db, id: number): Promise<string> {
  return ((await db('payment_orders').where('id', id).first('status')) as { status: string }).status;
}

/** Journal rows a payment order caused (consume / unfreeze), by kind. */
export async function settlementEntries(db: Db, orderId: number): Promise<string[]> {
  return (
    (await db('quota_journal')
      .where({ reference_type: 'payment-order', reference_id: String(orderId) })
      .orderBy('id')
      .select('kind')) as Array<{ kind: string }>
  ).map((r) => r.kind);
}
