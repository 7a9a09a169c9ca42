import type { Knex } from 'knex';
import type { Figures, OpenFreeze } from '../../domain/final-accounts';

/**
 * 决算 figures from the ledger, set-based: one GROUP BY over the journal per quota of the units'
 * fiscal year (rules: domain/final-accounts.ts). Nothing is read row by row into Node to be
 * added up: generating a province's figures is one INSERT … SELECT, the items one more, the
 * totals one UPDATE (bench/final-accounts.ts measures it at 10,000 projects, 100,000 entries).
 */

const sumKind = (kind: string) => `coalesce(sum(case when j.kind = '${kind}' then j.amount_fen else 0 end), 0)`;
const BUDGET = 'coalesce(sum(j.delta_amount_fen), 0)';
const PAID = 'coalesce(sum(j.delta_used_fen), 0)';
const FROZEN = 'coalesce(sum(j.delta_frozen_fen), 0)';

/** Column → SQL expression, in the order the lines table takes them. */
const FIGURE_SQL: Array<[string, string]> = [
  ['issued_fen', sumKind('issue')],
  ['adjusted_in_fen', sumKind('adjust-in')],
  ['adjusted_out_fen', sumKind('adjust-out')],
  ['carried_out_fen', sumKind('carry-over')],
  ['budget_fen', BUDGET],
  ['paid_fen', PAID],
  ['frozen_fen', FROZEN],
  ['balance_fen', `${BUDGET} - ${PAID} - ${FROZEN}`],
  ['entries', 'count(j.id)'],
];

const LINE_COLUMNS = [
  'final_account_id',
  'quota_id',
  'quota_no',
  'project_id',
  'functional_code',
  'economic_code',
  ...FIGURE_SQL.map(([c]) => c),
];

/** The figures of every quota of the given final accounts' units and years, as the journal sums them now. */
export function figuresQuery(db: Knex, accountIds: readonly number[]): Knex.QueryBuilder {
  return db('final_accounts as fa')
    .join('quotas as q', function () {
      this.on('q.unit_org_id', 'fa.unit_org_id').andOn('q.fiscal_year', 'fa.fiscal_year');
    })
    .leftJoin('quota_journal as j', 'j.quota_id', 'q.id')
    .whereIn('fa.id', accountIds)
    .groupBy('fa.id', 'q.id', 'q.quota_no', 'q.project_id', 'q.functional_code', 'q.economic_code')
    .select(
      'fa.id as final_account_id',
      'q.id as quota_id',
      'q.quota_no',
      'q.project_id',
      'q.functional_code',
      'q.economic_code',
      ...FIGURE_SQL.map(([c, sql]) => db.raw(`${sql} as ${c}`)),
    );
}

/**
 * (Re)generates the lines of the given final accounts from the ledger, keeps each project's
 * explanation and choice (items are matched by project, or by quota for one without a project),
 * drops items that no longer have lines, and stores the totals. Runs in the caller's transaction.
 */
export async function generateFigures(trx: Knex, accountIds: readonly number[], now = new Date()): Promise<void> {
  if (accountIds.length === 0) return;
  const ids = () => accountIds;
  await trx('final_account_lines').whereIn('final_account_id', ids()).delete();
  const select = figuresQuery(trx, ids()).toSQL();
  await trx.raw(`insert into final_account_lines (${LINE_COLUMNS.join(', ')}) ${select.sql}`, select.bindings as Knex.RawBinding[]);

  // Items: one per project, or per quota without a project; created where missing, their balance
  // as generated now, removed when their lines are gone. Two statements of each kind instead of one
  // with an OR, so every join and subquery runs on an index.
  const fa = 'final_account_items.final_account_id';
  const projectLines = `from final_account_lines l where l.final_account_id = ${fa} and l.project_id = final_account_items.project_id`;
  const quotaLines = `from final_account_lines l where l.final_account_id = ${fa} and l.project_id is null and l.quota_id = final_account_items.quota_id`;
  const byProject = trx('final_account_lines as l')
    .whereIn('l.final_account_id', ids())
    .whereNotNull('l.project_id')
    .whereNotExists(function () {
      this.select(trx.raw('1'))
        .from('final_account_items as i')
        .whereRaw('i.final_account_id = l.final_account_id and i.project_id = l.project_id');
    })
    .groupBy('l.final_account_id', 'l.project_id')
    .select('l.final_account_id', 'l.project_id', trx.raw('null as quota_id'), trx.raw('sum(l.balance_fen) as balance_fen'))
    .toSQL();
  const byQuota = trx('final_account_lines as l')
    .whereIn('l.final_account_id', ids())
    .whereNull('l.project_id')
    .whereNotExists(function () {
      this.select(trx.raw('1'))
        .from('final_account_items as i')
        .whereRaw('i.final_account_id = l.final_account_id and i.project_id is null and i.quota_id = l.quota_id');
    })
    .select('l.final_account_id', trx.raw('null as project_id'), 'l.quota_id', 'l.balance_fen')
    .toSQL();
  for (const q of [byProject, byQuota])
    await trx.raw(
      `insert into final_account_items (final_account_id, project_id, quota_id, balance_fen) ${q.sql}`,
      q.bindings as Knex.RawBinding[],
    );
  await trx('final_account_items')
    .whereIn('final_account_id', ids())
    .whereNotNull('project_id')
    .update({ balance_fen: trx.raw(`(select coalesce(sum(l.balance_fen), 0) ${projectLines})`) });
  await trx('final_account_items')
    .whereIn('final_account_id', ids())
    .whereNull('project_id')
    .update({ balance_fen: trx.raw(`(select coalesce(sum(l.balance_fen), 0) ${quotaLines})`) });
  await trx('final_account_items')
    .whereIn('final_account_id', ids())
    .whereNotNull('project_id')
    .whereRaw(`not exists (select 1 ${projectLines})`)
    .delete();
  await trx('final_account_items')
    .whereIn('final_account_id', ids())
    .whereNull('project_id')
    .whereRaw(`not exists (select 1 ${quotaLines})`)
    .delete();

  const total = (c: string) =>
    trx.raw(`(select coalesce(sum(l.${c}), 0) from final_account_lines l where l.final_account_id = final_accounts.id)`);
  await trx('final_accounts')
    .whereIn('id', ids())
    .update({
      budget_fen: total('budget_fen'),
      paid_fen: total('paid_fen'),
      frozen_fen: total('frozen_fen'),
      balance_fen: total('balance_fen'),
      generated_at: now,
      updated_at: now,
    });
}

export interface LineRow extends Figures {
  id: number;
  finalAccountId: number;
  quotaId: number;
  quotaNo: string;
  projectId: number | null;
  functionalCode: string;
  economicCode: string;
  entries: number;
  postedKind: string | null;
  postedJournalId: number | null;
  postedQuotaId: number | null;
}

export function lineFromRow(r: Record<string, unknown>): LineRow {
  const n = (k: string) => Number(r[k] ?? 0);
  const nn = (k: string) => (r[k] === null || r[k] === undefined ? null : Number(r[k]));
  return {
    id: n('id'),
    finalAccountId: n('final_account_id'),
    quotaId: n('quota_id'),
    quotaNo: String(r.quota_no),
    projectId: nn('project_id'),
    functionalCode: String(r.functional_code),
    economicCode: String(r.economic_code),
    issuedFen: n('issued_fen'),
    adjustedInFen: n('adjusted_in_fen'),
    adjustedOutFen: n('adjusted_out_fen'),
    carriedOutFen: n('carried_out_fen'),
    budgetFen: n('budget_fen'),
    paidFen: n('paid_fen'),
    frozenFen: n('frozen_fen'),
    balanceFen: n('balance_fen'),
    entries: n('entries'),
    postedKind: (r.posted_kind as string | null) ?? null,
    postedJournalId: nn('posted_journal_id'),
    postedQuotaId: nn('posted_quota_id'),
  };
}

/**
 * Whether the stored lines still are what the ledger says: a figure that moved since generation
 * (a payment, a transfer, an adjustment; a freeze released again nets to nothing and does not
 * count) makes them stale. Returns the quota numbers that differ.
 */
export async function staleQuotas(db: Knex, accountId: number): Promise<string[]> {
  const now = (await figuresQuery(db, [accountId])) as Array<Record<string, unknown>>;
  const stored = new Map(
    ((await db('final_account_lines').where('final_account_id', accountId).select('*')) as Array<Record<string, unknown>>).map((r) => [
      Number(r.quota_id),
      lineFromRow(r),
    ]),
  );
  const differ: string[] = [];
  for (const r of now) {
    const cur = lineFromRow(r);
    const old = stored.get(cur.quotaId);
    stored.delete(cur.quotaId);
    if (
      !old ||
      old.balanceFen !== cur.balanceFen ||
      old.budgetFen !== cur.budgetFen ||
      old.paidFen !== cur.paidFen ||
      old.frozenFen !== cur.frozenFen
    )
      differ.push(cur.quotaNo);
  }
  for (const gone of stored.values()) differ.push(gone.quotaNo);
  return differ.sort();
}

/** Freezes still open on a unit's quotas of a year, per quota and what froze it (net frozen > 0). */
export async function openFreezes(db: Knex, unitOrgId: number, fiscalYear: number): Promise<OpenFreeze[]> {
  const rows = (await db('quotas as q')
    .join('quota_journal as j', 'j.quota_id', 'q.id')
    .leftJoin('projects as p', 'p.id', 'q.project_id')
    .where({ 'q.unit_org_id': unitOrgId, 'q.fiscal_year': fiscalYear })
    .where('q.frozen_fen', '>', 0)
    .groupBy('q.id', 'q.quota_no', 'p.name', 'j.reference_type', 'j.reference_id')
    .havingRaw('sum(j.delta_frozen_fen) > 0')
    .orderBy('q.quota_no')
    .select(
      'q.quota_no',
      'p.name as project_name',
      'j.reference_type',
      'j.reference_id',
      db.raw('sum(j.delta_frozen_fen) as frozen'),
    )) as Array<{
    quota_no: string;
    project_name: string | null;
    reference_type: string | null;
    reference_id: string | null;
    frozen: number | string;
  }>;
  return rows.map((r) => ({
    quotaNo: r.quota_no,
    projectName: r.project_name,
    frozenFen: Number(r.frozen),
    reference: referenceLabel(r.reference_type, r.reference_id),
  }));
}

const REFERENCE_LABELS: Record<string, string> = { 'payment-request': '支付申请', 'payment-order': '支付凭证' };

function referenceLabel(type: string | null, id: string | null): string | null {
  if (!type) return null;
  return `${REFERENCE_LABELS[type] ?? type} #${id ?? ''}`;
}
