import type { Db } from '../../server/db';
import { consume, freeze, issueQuota } from '../../server/ledger/service';
import { demoApplication, type ApiCall } from './intake';

/**
 * What the performance tests share: a funded project of 第一中学 (filed by nm_clerk_yz through the
 * API, then standing as allocation leaves it: its fiscal year, status funded, a quota issued
 * through the ledger) and payments through the ledger (a freeze as the payment request makes it,
 * consumed as the treasury's settlement does).
 *
 * The ledger stamps its journal with the clock; a test of a year gone by dates the rows it wrote
 * (`on`, a Shanghai calendar day, noon) so that reading the journal as of a quarter's end sees
 * them — setup only, the entries themselves are the ledger's.
 */

export async function dateJournal(db: Db, idempotencyKeys: string[], day: string): Promise<void> {
  const n = await db('quota_journal')
    .whereIn('idempotency_key', idempotencyKeys)
    .update({ created_at: new Date(`${day}T12:00:00+08:00`) });
  if (n !== idempotencyKeys.length) throw new Error(`dateJournal: ${n} of ${idempotencyKeys.length} rows`);
}

export interface FundedProject {
  projectId: number;
  quotaId: number;
}

export async function fundedProject(
  call: ApiCall,
  db: Db,
  input: { name: string; unitOrgId: number; fiscalYear: number; issuedFen: number; issuedOn?: string; requestedFen?: number },
): Promise<FundedProject> {
  const r = await call('nm_clerk_yz', 'POST', '/projects', {
    ...demoApplication(input.name),
    amounts: [{ economicCode: '30213', amountFen: input.requestedFen ?? input.issuedFen }],
  });
  if (r.status !== 201) throw new Error(`POST /projects: ${r.status} ${JSON.stringify(r.body)}`);
  const projectId = Number(r.body.id);
  await db('projects').where('id', projectId).update({ fiscal_year: input.fiscalYear, status: 'funded' });
  const key = `perf-issue-${projectId}`;
  const q = await issueQuota(db, {
    fiscalYear: input.fiscalYear,
    projectId,
    unitOrgId: input.unitOrgId,
    functionalCode: '2050204',
    economicCode: '30213',
    fundSource: '一般公共预算',
    documentNo: `测指〔${input.fiscalYear}〕${projectId}号`,
    amountFen: input.issuedFen,
    actor: 'test',
    reason: '测试下达',
    idempotencyKey: key,
  });
  if (input.issuedOn) await dateJournal(db, [key], input.issuedOn);
  return { projectId, quotaId: q.quota.id };
}

let payments = 0;

/** A payment of `amountFen` from the quota: frozen (on `frozenOn`), then consumed (on `paidOn`; omitted: left frozen). */
export async function payment(
  db: Db,
  quotaId: number,
  amountFen: number,
  dates: { frozenOn?: string; paidOn?: string | null } = {},
): Promise<{ freezeKey: string; payKey: string }> {
  payments += 1;
  const tag = `${quotaId}-${payments}-${Date.now().toString(36)}`;
  const freezeKey = `perf-freeze-${tag}`;
  const payKey = `perf-pay-${tag}`;
  const reference = { type: 'payment-request', id: `test-${tag}` };
  await freeze(db, { quotaId, amountFen, actor: 'test', reason: '测试支付申请', idempotencyKey: freezeKey, reference });
  if (dates.frozenOn) await dateJournal(db, [freezeKey], dates.frozenOn);
  if (dates.paidOn !== null) {
    await consume(db, { quotaId, amountFen, actor: 'test', reason: '测试支付', idempotencyKey: payKey, reference });
    if (dates.paidOn) await dateJournal(db, [payKey], dates.paidOn);
  }
  return { freezeKey, payKey };
}
