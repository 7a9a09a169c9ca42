import type { Knex } from 'knex';
import { rateBasisPoints } from '../../domain/execution';

/**
 * 预算执行率 of a project for a fiscal year, read from the quota ledger — never typed by anyone:
 * issued = what its quotas of that year were granted (issue, 调剂/追加 in, 调减/调剂 out, and a
 * balance carried into the year), paid = what payments consumed. A balance carried out of the year
 * (结转 to the next year's quota) leaves the year's issued amount: it is next year's money.
 * Sums of the journal, so they equal the balances the ledger holds (integer fen).
 */
export interface ProjectExecution {
  issuedFen: number;
  paidFen: number;
  /** paid ÷ issued in basis points (floor), null when nothing was issued. */
  rateBasisPoints: number | null;
}

export async function projectExecution(db: Knex, projectId: number, fiscalYear: number): Promise<ProjectExecution> {
  const row = (await db('quota_journal as j')
    .join('quotas as q', 'q.id', 'j.quota_id')
    .where({ 'q.project_id': projectId, 'q.fiscal_year': fiscalYear })
    .first(
      db.raw("COALESCE(SUM(CASE WHEN j.kind = 'carry-over' AND j.delta_amount_fen < 0 THEN 0 ELSE j.delta_amount_fen END), 0) as issued"),
      db.raw('COALESCE(SUM(j.delta_used_fen), 0) as paid'),
    )) as { issued: number | string | null; paid: number | string | null } | undefined;
  const issuedFen = Number(row?.issued ?? 0);
  const paidFen = Number(row?.paid ?? 0);
  return { issuedFen, paidFen, rateBasisPoints: rateBasisPoints(paidFen, issuedFen) };
}
