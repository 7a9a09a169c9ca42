import { APPROVAL_CHAINS, CHAIN_LABELS, type ApprovalChain } from './allocation';
import { roleByCode } from './roles';
import type { OrderStatus } from './treasury-status';

/**
 * 用款申请 (payment request): statuses, the approval chains (chosen by the decision table
 * processes/payment-approval-chain.dmn; the same four as the allocation's), numbers and the keys
 * under which its amount is frozen and released in the ledger, and who may read a payee account
 * in full.
 */

export { APPROVAL_CHAINS, CHAIN_LABELS, type ApprovalChain };

/**
 * approving: frozen, in payment-approval.bpmn. approved: the process ended at 审批通过, the amount
 * stays frozen for the treasury payment (server/treasury/ takes it from there). returned: sent back
 * to the unit, unfrozen; it may be corrected and submitted again (a new round, a new freeze).
 * rejected: 不予支付, unfrozen, final. withdrawn: 撤回 by its requester before any approver decided,
 * unfrozen, the engine instance cancelled, final. The treasury side adds its own statuses after approved.
 */
export const PAYMENT_STATUSES = ['approving', 'approved', 'returned', 'rejected', 'withdrawn'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYMENT_STATUS_LABELS: Record<string, string> = {
  approving: '审批中',
  approved: '已审批/待支付',
  returned: '已退回',
  rejected: '未通过',
  withdrawn: '已撤回',
  paying: '支付中',
  disbursed: '已支付',
  paid: '已到账',
  pay_failed: '支付失败',
  refunded: '已退票',
};

/**
 * What a request shows (list, page, list filter) once approved: its payment order's status says
 * where the money is. The request row keeps approved; the order (server/treasury/) is the truth,
 * so the two can never disagree. An approved request without an order yet is 已审批/待支付.
 *   paying (支付中): the order is issued and on its way to the bank (created, sending, send_failed);
 *   disbursed (已支付): the bank accepted it, the arrival notice not in yet (sent, escalated);
 *   paid (已到账), pay_failed (支付失败: refused or 核实 not paid), refunded (已退票, also after 已到账).
 */
export const PAYMENT_ORDER_STATUSES = ['paying', 'disbursed', 'paid', 'pay_failed', 'refunded'] as const;
export type PaymentOrderPhase = (typeof PAYMENT_ORDER_STATUSES)[number];
export const PAYMENT_LIST_STATUSES = [...PAYMENT_STATUSES, ...PAYMENT_ORDER_STATUSES] as const;
export type PaymentListStatus = (typeof PAYMENT_LIST_STATUSES)[number];

export const ORDER_PHASE: Record<OrderStatus, PaymentOrderPhase> = {
  created: 'paying',
  sending: 'paying',
  send_failed: 'paying',
  sent: 'disbursed',
  escalated: 'disbursed',
  paid: 'paid',
  failed: 'pay_failed',
  refunded: 'refunded',
};

/** The status a request shows: its own until approved, then its payment order's phase. */
export function requestStatus(status: string, orderStatus: OrderStatus | null | undefined): string {
  if (status !== 'approved' || !orderStatus) return status;
  return ORDER_PHASE[orderStatus] ?? status;
}

/** The order statuses behind a list status (for the list filter), or null when the request's own status decides. */
export function orderStatusesOf(status: PaymentOrderPhase): OrderStatus[] {
  return (Object.keys(ORDER_PHASE) as OrderStatus[]).filter((o) => ORDER_PHASE[o] === status);
}

export const PAYMENT_TYPES = ['direct', 'authorised'] as const;
export type PaymentType = (typeof PAYMENT_TYPES)[number];
export const PAYMENT_TYPE_LABELS: Record<PaymentType, string> = { direct: '直接支付', authorised: '授权支付' };

export const PAYEE_KIND_LABELS: Record<string, string> = { organisation: '单位账户', personal: '个人账户' };

export const ATTACHMENT_KINDS = ['contract', 'invoice', 'other'] as const;
export type PaymentAttachmentKind = (typeof ATTACHMENT_KINDS)[number];
export const ATTACHMENT_KIND_LABELS: Record<PaymentAttachmentKind, string> = { contract: '合同', invoice: '发票', other: '其他' };

/** The steps each chain goes through after 国库处's review (and 核查, when a 严重 risk sent it there). */
export const PAYMENT_CHAIN_STEPS: Record<ApprovalChain, string[]> = {
  section: ['国库处科室负责人审核'],
  deputy: ['国库处科室负责人审核', '分管局长审批'],
  director: ['国库处科室负责人审核', '分管局长审批', '局长审批'],
  meeting: ['国库处科室负责人审核', '分管局长审批', '局长办公会会签'],
};

/** YK2026-000042 */
export function paymentRequestNo(fiscalYear: number, id: number): string {
  return `YK${fiscalYear}-${String(id).padStart(6, '0')}`;
}

/**
 * The ledger keys of a request's round (a returned request submitted again is round 2): the freeze
 * on submission, the release on 退回/不予支付. The treasury consumes or releases the same frozen
 * amount under keys of its own derived from freezeKey.
 */
export const freezeKey = (requestId: number, round: number) => `pay-${requestId}-r${round}-freeze`;
export const releaseKey = (requestId: number, round: number) => `pay-${requestId}-r${round}-release`;

/** Decisions an approver may give: 同意, 退回 (to the unit, may resubmit), 不予支付 (final). */
export const PAYMENT_DECISIONS = ['approve', 'return', 'reject'] as const;
export type PaymentDecision = (typeof PAYMENT_DECISIONS)[number];
export const PAYMENT_DECISION_LABELS: Record<PaymentDecision | 'submit' | 'resubmit' | 'withdraw', string> = {
  approve: '同意',
  return: '退回',
  reject: '不予支付',
  submit: '提交',
  resubmit: '重新提交',
  withdraw: '撤回',
};

/**
 * Who reads the payee account in full: the payer unit's own finance staff (经办人 of the unit,
 * who typed it and must check it) and 国库处, who pays it. Everyone else (局领导, 合规, other
 * units) sees it masked: they decide on the payee and amount, not on the digits.
 */
export function mayReadFullAccount(
  viewer: { orgId: number; roles: readonly string[]; permissions: ReadonlySet<string> },
  unitOrgId: number,
): boolean {
  if (viewer.roles.includes('treasury_division')) return true;
  return viewer.orgId === unitOrgId && viewer.permissions.has('quotas:freeze');
}

/**
 * What a person may do with a payment request (sent as `can` with the list page and the request;
 * the pages show an action only when its flag is set and test no statuses or roles themselves).
 * The server refuses the same actions on its own (resubmitPaymentRequest, decide).
 */
export interface PaymentActions {
  /** 审批：the request is in approval and one of its open steps is this person's (the engine says which). */
  decide: boolean;
  /** 修改后重新提交：a returned request, by the filing unit's own clerk (quotas:freeze in that unit). */
  resubmit: boolean;
  /** 撤回：in approval, by the person who submitted it, while no approver has decided a step of this round. */
  withdraw: boolean;
}

export function paymentActions(
  status: PaymentStatus,
  viewer: { userId?: number; orgId: number; permissions: ReadonlySet<string> },
  unitOrgId: number,
  holdsOpenStep: boolean,
  /** Who submitted it and whether an approver has decided a step of this round (absent: no 撤回). */
  withdrawal?: { requestedBy: number; decided: boolean },
): PaymentActions {
  return {
    decide: status === 'approving' && holdsOpenStep,
    resubmit: status === 'returned' && viewer.orgId === unitOrgId && viewer.permissions.has('quotas:freeze'),
    withdraw: status === 'approving' && !!withdrawal && !withdrawal.decided && viewer.userId === withdrawal.requestedBy,
  };
}

/**
 * What a person may do on the list of payment requests: 新建用款申请 — a role that freezes quota
 * money for its own organisation (预算单位经办人): the quotas offered are the unit's own. 国库处
 * also holds quotas:freeze (it pays and releases), but over its region, and files nothing.
 */
export interface PaymentListActions {
  file: boolean;
}

export function paymentListActions(viewer: { roles: readonly string[] }): PaymentListActions {
  const files = (code: string) => {
    const role = roleByCode(code);
    return !!role && role.scope === 'own-org' && (role.permissions as readonly string[]).includes('quotas:freeze');
  };
  return { file: viewer.roles.some(files) };
}

/** A bank account as typed: 8–32 digits, spaces or dashes between groups allowed. */
export const BANK_ACCOUNT_PATTERN = /^\d[\d -]{6,38}\d$/;
export function normaliseAccount(account: string): string {
  return account.replace(/[\s-]/g, '');
}
