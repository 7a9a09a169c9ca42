import { request } from './request';

/**
 * 用款申请接口（server/api/payments.ts）。金额一律为整数“分”。
 * 指标可用余额不足时提交以 ApiError 抛出（409 QUOTA_INSUFFICIENT，message 写明可用金额）。
 */

const WRITE_TIMEOUT_MS = 30_000;
const UPLOAD_TIMEOUT_MS = 120_000;

export interface PaymentSummary {
  id: number;
  requestNo: string;
  fiscalYear: number;
  unitOrgId: number;
  unitName: string;
  quotaId: number;
  projectId: number | null;
  amountFen: number;
  payeeName: string;
  payeeKind: 'organisation' | 'personal';
  payeeKindLabel: string;
  payeeAccountMasked: string;
  payeeBank: string;
  purpose: string;
  economicCode: string;
  paymentType: 'direct' | 'authorised';
  paymentTypeLabel: string;
  majorDecision: boolean;
  /** Until approved the request's own; then its payment order's phase: paying, disbursed, paid, pay_failed, refunded. */
  status: string;
  statusLabel: string;
  /** approving, approved, returned, rejected */
  approvalStatus: string;
  approvalChain: string | null;
  approvalChainLabel: string | null;
  riskLevel: string | null;
  currentSteps: string[];
  submittedAt: string;
  approvedAt: string | null;
}

export interface RiskHitView {
  rule: string;
  name: string;
  level: '提示' | '预警' | '严重';
  message: string;
  evidence: Record<string, unknown>;
  detectedAt: string;
}

export interface PaymentDetail extends PaymentSummary {
  /** 审批通过后由国库处开具的支付凭证及其银行状态；尚未开具为 null */
  paymentOrder: { orderNo: string; status: string; statusLabel: string; settledAt: string | null } | null;
  payeeAccount: string;
  payeeAccountFull: boolean;
  quota: { id: number; quotaNo: string; fiscalYear: number; economicCode: string; functionalCode: string; documentNo: string; amountFen: number; usedFen: number; frozenFen: number; availableFen: number };
  project: { id: number; projectNo: string; name: string; category: string; budgetFen: number } | null;
  freezeKey: string;
  round: number;
  returnComment: string | null;
  chainSteps: string[];
  risks: RiskHitView[];
  attachments: Array<{ id: number; kind: string; kindLabel: string; fileName: string; contentType: string; sizeBytes: number; sm3: string; uploadedBy: string; uploadedAt: string }>;
  decisions: Array<{ elementId: string; stepName: string; decision: string; decisionLabel: string; comment: string | null; userName: string; sealed: boolean; auditRecordId: number | null; decidedAt: string }>;
  pending: Array<{ elementId: string; name: string; assignee: string | null; due: string | null }>;
  engineAway: boolean;
  mayDecide: boolean;
  decisionsAllowed: Array<'approve' | 'return' | 'reject'>;
}

export interface PayableQuota {
  id: number;
  quotaNo: string;
  fiscalYear: number;
  economicCode: string;
  functionalCode: string;
  documentNo: string;
  projectName: string | null;
  projectNo: string | null;
  amountFen: number;
  usedFen: number;
  frozenFen: number;
  availableFen: number;
}

export interface NewPayment {
  quotaId: number;
  amountFen: number;
  payeeName: string;
  payeeKind: 'organisation' | 'personal';
  payeeAccount: string;
  payeeBank: string;
  purpose: string;
  economicCode: string;
  paymentType: 'direct' | 'authorised';
  majorDecision: boolean;
  attachments: Array<{ kind: 'contract' | 'invoice' | 'other'; fileName: string; contentType: string; sm3: string }>;
  signingPin?: string;
}

export function listPayments(query: { status?: string; payeeAccount?: string; page?: number; pageSize?: number } = {}): Promise<{ items: PaymentSummary[]; total: number; page: number; pageSize: number }> {
  return request('/api/payments', { query });
}
export function getPayment(id: number): Promise<PaymentDetail> {
  return request(`/api/payments/${id}`);
}
export function payableQuotas(): Promise<{ items: PayableQuota[] }> {
  return request('/api/payments/quotas');
}
export function uploadPaymentAttachment(file: File): Promise<{ sm3: string; sizeBytes: number }> {
  return request('/api/payments/attachments', { method: 'POST', rawBody: file, headers: { 'Content-Type': file.type || 'application/octet-stream' }, timeoutMs: UPLOAD_TIMEOUT_MS });
}
export function createPayment(body: NewPayment): Promise<PaymentDetail> {
  return request('/api/payments', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
/** POST /api/payments/:id/resubmit：已退回的申请修改后重新提交（新一轮冻结与审批） */
export function resubmitPayment(id: number, body: Omit<NewPayment, 'quotaId'> & { comment?: string }): Promise<PaymentDetail> {
  return request(`/api/payments/${id}/resubmit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decidePayment(id: number, body: { decision: 'approve' | 'return' | 'reject'; comment?: string; signingPin?: string }): Promise<{ step: string }> {
  return request(`/api/payments/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export const paymentAttachmentUrl = (id: number, attachmentId: number) => `/api/payments/${id}/attachments/${attachmentId}`;
