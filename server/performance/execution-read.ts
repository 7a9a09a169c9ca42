import type { Knex } from 'knex';
import { rateBasisPoints } from '../../domain/execution';

/**
 * 预算执行率 of a project for a fiscal year, read from the quota ledger — never typed by anyone.
 * The one definition that 执行监控, the quarterly 绩效监控 and the 绩效评价 all read:
 *
 *   rate = paid ÷ issued, on the project's quotas of that fiscal year, both sums of the journal;
 *   paid   = what payments consumed (delta used);
 *   issued = every change of the quotas' amounts — issue, 调剂/追加 in, 调减/调剂 out, a balance
 *            carried INTO the year — except the year-end disposal of the balance: what was carried
 *            out to the next year (结转, kind carry-over) and what the final accounts recovered
 *            (结余收回, an adjust-out referenced to the final account).
 *
 * A disposed balance was this year's money that was not spent: leaving it in the denominator keeps
 * a year that carried over (or gave back) half its budget at 50 %, instead of 100 % the day after
 * closing. It counts as next year's budget in the new quota it was carried into.
 * Read as of an instant (`until`, the last instant of a quarter) the journal reproduces the
 * figures as they stood then. Integer fen throughout.
 */
export interface ProjectExecution {
  issuedFen: number;
  paidFen: number;
  frozenFen: number;
  /** paid ÷ issued in basis points (floor), null when nothing was issued. */
  rateBasisPoints: number | null;
}

/** The journal rows that dispose of a year's balance at its end (not a change of its budget). */
function isYearEndDisposal(j: string): string {
  return `(${j}.delta_amount_fen < 0 and (${j}.kind = 'carry-over' or ${j}.reference_type = 'final-account'))`;
}

/** issued as a SUM over journal rows aliased `j`. */
function issuedSum(j: string): string {
  return `COALESCE(SUM(CASE WHEN ${isYearEndDisposal(j)} THEN 0 ELSE ${j}.delta_amount_fen END), 0)`;
}

export async function projectExecution(
  db: Knex,
  projectId: number,
  fiscalYear: number,
  options: { until?: Date } = {},
): Promise<ProjectExecution> {
  const q = db('quota_journal as j')
    .join('quotas as q', 'q.id', 'j.quota_id')
    .where({ 'q.project_id': projectId, 'q.fiscal_year': fiscalYear });
  if (options.until) q.where('j.created_at', '<=', options.until);
  const row = (await q.first(
    db.raw(`${issuedSum('j')} as issued`),
    db.raw('COALESCE(SUM(j.delta_used_fen), 0) as paid'),
    db.raw('COALESCE(SUM(j.delta_frozen_fen), 0) as frozen'),
  )) as { issued: number | string | null; paid: number | string | null; frozen: number | string | null } | undefined;
  const issuedFen = Number(row?.issued ?? 0);
  const paidFen = Number(row?.paid ?? 0);
  return { issuedFen, paidFen, frozenFen: Number(row?.frozen ?? 0), rateBasisPoints: rateBasisPoints(paidFen, issuedFen) };
}

/**
 * For grouped reads over `quotas as q` (执行监控: per project, unit, region in one query): joins
 * each quota's year-end disposals (alias `yd`, one row per quota, only quotas of the year), so that
 * ISSUED_OF_QUOTAS — the quotas' amounts now plus what was disposed of — is the same figure
 * projectExecution gives, without reading the journal per row.
 */
export const ISSUED_OF_QUOTAS = 'sum(q.amount_fen - coalesce(yd.disposed_fen, 0))';

export function withIssued(db: Knex, quotas: Knex.QueryBuilder, fiscalYear: number): Knex.QueryBuilder {
  const disposals = db('quota_journal as dj')
    .join('quotas as dq', 'dq.id', 'dj.quota_id')
    .where('dq.fiscal_year', fiscalYear)
    .whereRaw(isYearEndDisposal('dj'))
    .groupBy('dj.quota_id')
    .select('dj.quota_id')
    .sum({ disposed_fen: 'dj.delta_amount_fen' })
    .as('yd');
  return quotas.leftJoin(disposals, 'yd.quota_id', 'q.id');
}
