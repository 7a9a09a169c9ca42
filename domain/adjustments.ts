import { formatYuan } from './money';

/**
 * 预算调整申请 rules (domain.md "Budget quota ledger", "Approval chains"), with no database,
 * engine or Vue in sight — shared by the API, the posting worker and the SPA:
 * - three kinds: 调剂 (transfer: out of one quota into another of the same fiscal year, totals
 *   unchanged), 追加 (increase: into one quota) and 调减 (decrease: out of one quota);
 * - a change of totals (追加, 调减) is a formal 预算调整 (Budget Law art. 67): it needs a recorded
 *   approval document (文号) before any approver may agree;
 * - what leaves a quota (调剂, 调减) can never exceed what it has available;
 * - who may file, and what the posting writes (ledger operation and idempotency key).
 * The approval chain itself is data: processes/budget-adjustment-chain.dmn.
 * Money is integer fen throughout.
 */

export const ADJUSTMENT_KINDS = ['transfer', 'increase', 'decrease'] as const;
export type AdjustmentKind = (typeof ADJUSTMENT_KINDS)[number];
export const KIND_LABELS: Record<AdjustmentKind, string> = { transfer: '调剂', increase: '追加', decrease: '调减' };

export const ADJUSTMENT_STATUSES = ['approving', 'posted', 'rejected', 'failed', 'withdrawn'] as const;
export type AdjustmentStatus = (typeof ADJUSTMENT_STATUSES)[number];
export const STATUS_LABELS: Record<AdjustmentStatus, string> = {
  approving: '审批中',
  posted: '已批准并记账',
  rejected: '未通过',
  failed: '记账失败',
  withdrawn: '已撤回',
};

/** The largest approval document (scan) an adjustment takes, in bytes. */
export const MAX_DOCUMENT_BYTES = 512 * 1024;

export const ADJUSTMENT_CHAINS = ['section', 'deputy', 'director'] as const;
export type AdjustmentChain = (typeof ADJUSTMENT_CHAINS)[number];
/** The user tasks of each chain (processes/budget-adjustment.bpmn), in order. */
export const CHAIN_STEPS: Record<AdjustmentChain, Array<{ elementId: string; name: string }>> = {
  section: [{ elementId: 'SectionReview', name: '科室负责人审核' }],
  deputy: [
    { elementId: 'SectionReview', name: '科室负责人审核' },
    { elementId: 'DeputyReview', name: '分管局长审批' },
  ],
  director: [
    { elementId: 'SectionReview', name: '科室负责人审核' },
    { elementId: 'DeputyReview', name: '分管局长审批' },
    { elementId: 'DirectorReview', name: '局长审批' },
  ],
};

/** Roles that file adjustments: a unit's clerk, its supervising department, the budget division. */
export const FILING_ROLES = ['unit_clerk', 'department_reviewer', 'budget_division'] as const;
export function mayFile(roles: readonly string[]): boolean {
  return roles.some((r) => (FILING_ROLES as readonly string[]).includes(r));
}

/**
 * What a person may do with an adjustment (sent as `can` with the request; the pages show an
 * action only when its flag is set and test no statuses or roles themselves). The server refuses
 * the same actions on its own (decide, recordDocument).
 */
export interface AdjustmentActions {
  /** 审批：in approval, and one of its open steps is this person's (the engine says which). */
  decide: boolean;
  /** 登记批复文件：in approval, by the person who filed it or the budget division. */
  recordDocument: boolean;
  /** 撤回：in approval, by the person who filed it, while no approver has decided a step. */
  withdraw: boolean;
}

export function adjustmentActions(
  status: AdjustmentStatus,
  viewer: { userId: number; roles: readonly string[] },
  requestedBy: number,
  holdsOpenStep: boolean,
  decided = false,
): AdjustmentActions {
  const approving = status === 'approving';
  return {
    decide: approving && holdsOpenStep,
    recordDocument: approving && (viewer.userId === requestedBy || viewer.roles.includes('budget_division')),
    withdraw: approving && !decided && viewer.userId === requestedBy,
  };
}

/** What a person may do on the list: 提出调整申请 (the filing roles), 待我审批 (approvers: projects:review). */
export interface AdjustmentListActions {
  file: boolean;
  review: boolean;
}

export function adjustmentListActions(viewer: { roles: readonly string[]; permissions: ReadonlySet<string> }): AdjustmentListActions {
  return { file: mayFile(viewer.roles), review: viewer.permissions.has('projects:review') };
}

/** A change of totals (追加, 调减) is a formal 预算调整; a 调剂 moves money between quotas and leaves totals alone. */
export function isFormal(kind: AdjustmentKind): boolean {
  return kind !== 'transfer';
}

/** Which quotas a kind takes: from (money leaves), to (money arrives). */
export function sidesOf(kind: AdjustmentKind): { from: boolean; to: boolean } {
  return { from: kind !== 'increase', to: kind !== 'decrease' };
}

export interface QuotaFacts {
  id: number;
  quotaNo: string;
  fiscalYear: number;
  availableFen: number;
}

export interface AdjustmentDraft {
  kind: AdjustmentKind;
  from: QuotaFacts | null;
  to: QuotaFacts | null;
  amountFen: number;
}

export type AdjustmentProblem =
  | { code: 'INVALID_AMOUNT'; field: string; message: string }
  | { code: 'QUOTA_REQUIRED' | 'QUOTA_NOT_EXPECTED' | 'SAME_QUOTA' | 'YEAR_MISMATCH'; field: string; message: string };

/** What is wrong with the request's shape (400): amounts, which quotas the kind needs, same year. Balances apart. */
export function checkShape(d: AdjustmentDraft): AdjustmentProblem[] {
  const problems: AdjustmentProblem[] = [];
  const label = KIND_LABELS[d.kind];
  if (!Number.isSafeInteger(d.amountFen) || d.amountFen <= 0)
    problems.push({ code: 'INVALID_AMOUNT', field: 'body.amountFen', message: '调整金额必须是大于零的整数分' });
  const sides = sidesOf(d.kind);
  if (sides.from && !d.from) problems.push({ code: 'QUOTA_REQUIRED', field: 'body.fromQuotaId', message: `${label}须选择调出的指标` });
  if (!sides.from && d.from) problems.push({ code: 'QUOTA_NOT_EXPECTED', field: 'body.fromQuotaId', message: `${label}不涉及调出指标` });
  if (sides.to && !d.to) problems.push({ code: 'QUOTA_REQUIRED', field: 'body.toQuotaId', message: `${label}须选择调入的指标` });
  if (!sides.to && d.to) problems.push({ code: 'QUOTA_NOT_EXPECTED', field: 'body.toQuotaId', message: `${label}不涉及调入指标` });
  if (d.from && d.to) {
    if (d.from.id === d.to.id) problems.push({ code: 'SAME_QUOTA', field: 'body.toQuotaId', message: '调出和调入不能是同一个指标' });
    else if (d.from.fiscalYear !== d.to.fiscalYear)
      problems.push({
        code: 'YEAR_MISMATCH',
        field: 'body.toQuotaId',
        message: `调剂只能在同一预算年度的指标之间进行（${d.from.fiscalYear} 年 → ${d.to.fiscalYear} 年）`,
      });
  }
  return problems;
}

/**
 * The refusal when the source quota cannot give the amount (409): null when it can. Only 调剂 and
 * 调减 take money out; the message names the quota and its available amount.
 */
export function shortfall(d: AdjustmentDraft): { availableFen: number; message: string } | null {
  if (!sidesOf(d.kind).from || !d.from) return null;
  if (d.from.availableFen >= d.amountFen) return null;
  return {
    availableFen: d.from.availableFen,
    message: `指标 ${d.from.quotaNo} 可用余额不足：可用 ${formatYuan(d.from.availableFen)}，申请${KIND_LABELS[d.kind]} ${formatYuan(d.amountFen)}`,
  };
}

/** A formal 预算调整 may be agreed to only once its approval document (文号) is recorded. */
export function documentMissing(a: { formal: boolean; documentNo: string | null }): boolean {
  return a.formal && !(a.documentNo ?? '').trim();
}

/**
 * What leaves a quota (调剂, 调减) is frozen on the source quota from filing on, under this key, so
 * no payment can spend it while the adjustment is pending; released under releaseKey (once,
 * whichever comes first: rejection, withdrawal, or the posting, which then takes the amount out).
 */
export const adjustmentFreezeKey = (adjustmentId: number) => `adj-${adjustmentId}-freeze`;
export const adjustmentReleaseKey = (adjustmentId: number) => `adj-${adjustmentId}-release`;

/** The key every ledger entry of one adjustment carries: a redelivered posting finds it and writes nothing. */
export function postingKey(adjustmentId: number): string {
  return `adj-${adjustmentId}`;
}

/** The ledger operation the approved adjustment posts (server/ledger/service.ts). */
export function postingOf(a: {
  id: number;
  kind: AdjustmentKind;
  fromQuotaId: number | null;
  toQuotaId: number | null;
  amountFen: number;
}):
  | { op: 'transfer'; fromQuotaId: number; toQuotaId: number; amountFen: number; idempotencyKey: string }
  | { op: 'adjust-in'; quotaId: number; amountFen: number; idempotencyKey: string }
  | { op: 'adjust-out'; quotaId: number; amountFen: number; idempotencyKey: string } {
  const idempotencyKey = postingKey(a.id);
  if (a.kind === 'transfer')
    return { op: 'transfer', fromQuotaId: a.fromQuotaId!, toQuotaId: a.toQuotaId!, amountFen: a.amountFen, idempotencyKey };
  if (a.kind === 'increase') return { op: 'adjust-in', quotaId: a.toQuotaId!, amountFen: a.amountFen, idempotencyKey };
  return { op: 'adjust-out', quotaId: a.fromQuotaId!, amountFen: a.amountFen, idempotencyKey };
}

/** The step after `elementId` on the chain, or null when that was the last (the posting follows). */
export function nextStep(chain: AdjustmentChain, elementId: string): string | null {
  const steps = CHAIN_STEPS[chain];
  const i = steps.findIndex((s) => s.elementId === elementId);
  return i >= 0 && i + 1 < steps.length ? steps[i + 1]!.elementId : null;
}
