import type { z } from 'zod';
import { request } from './request';
import type {
  AttachmentStored,
  Decided,
  PayableQuota,
  PayableQuotas,
  PaymentDetail,
  PaymentPage,
  PaymentSummary,
  RiskHitView,
  createBody,
  decideBody,
  listQuery,
  resubmitBody,
  withdrawBody,
} from '../../../contracts/payments';

export type { PayableQuota, PaymentDetail, PaymentPage, PaymentSummary, RiskHitView };

/**
 * 用款申请接口（server/api/payments.ts）。金额一律为整数“分”。
 * 指标可用余额不足时提交以 ApiError 抛出（409 QUOTA_INSUFFICIENT，message 写明可用金额）。
 * 应答的类型来自 contracts/payments.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

const WRITE_TIMEOUT_MS = 30_000;
const UPLOAD_TIMEOUT_MS = 120_000;

/**
 * 请求体的类型来自路由解析用的同一份 schema（contracts/payments.ts）。quotaId 由服务端转换为数字（z.coerce，
 * 其输入类型为 unknown），所以取解析后的一侧（z.output）：页面发送的正是服务端读到的形状。
 */
export type NewPayment = z.output<typeof createBody>;
export type PaymentResubmission = z.output<typeof resubmitBody>;
export type PaymentDecision = z.input<typeof decideBody>;
export type PaymentWithdrawal = z.input<typeof withdrawBody>;
/** 查询参数：服务端补默认值（page、pageSize），页面可省略任何一项。 */
export type PaymentListQuery = Partial<z.output<typeof listQuery>>;
export type PaymentListStatus = NonNullable<PaymentListQuery['status']>;

export function listPayments(query: PaymentListQuery = {}): Promise<PaymentPage> {
  return request<PaymentPage>('/api/payments', { query });
}
export function getPayment(id: number): Promise<PaymentDetail> {
  return request<PaymentDetail>(`/api/payments/${id}`);
}
export function payableQuotas(): Promise<PayableQuotas> {
  return request<PayableQuotas>('/api/payments/quotas');
}
export function uploadPaymentAttachment(file: File): Promise<AttachmentStored> {
  return request<AttachmentStored>('/api/payments/attachments', {
    method: 'POST',
    rawBody: file,
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
    timeoutMs: UPLOAD_TIMEOUT_MS,
  });
}
export function createPayment(body: NewPayment): Promise<PaymentDetail> {
  return request<PaymentDetail>('/api/payments', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
/** POST /api/payments/:id/resubmit：已退回的申请修改后重新提交（新一轮冻结与审批） */
export function resubmitPayment(id: number, body: PaymentResubmission): Promise<PaymentDetail> {
  return request<PaymentDetail>(`/api/payments/${id}/resubmit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
/** POST /api/payments/:id/withdraw：提交人撤回尚无审批人办理的申请（结束流程、解冻金额） */
export function withdrawPayment(id: number, body: PaymentWithdrawal = {}): Promise<PaymentDetail> {
  return request<PaymentDetail>(`/api/payments/${id}/withdraw`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decidePayment(id: number, body: PaymentDecision): Promise<Decided> {
  return request<Decided>(`/api/payments/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export const paymentAttachmentUrl = (id: number, attachmentId: number) => `/api/payments/${id}/attachments/${attachmentId}`;
