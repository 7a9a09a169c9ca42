import { request } from './request';
import type {
  Adjustment,
  AdjustmentDecided,
  AdjustmentKind,
  AdjustmentList,
  AdjustmentStatus,
  AdjustmentSummary,
  QuotaBalance,
} from '../../../contracts/adjustments';

export type { Adjustment, AdjustmentDecided, AdjustmentKind, AdjustmentList, AdjustmentStatus, AdjustmentSummary, QuotaBalance };

/**
 * 预算调整申请接口（server/api/adjustments.ts）。金额一律为整数“分”。
 * 调出指标可用余额不足时提交与审批都以 ApiError 抛出（409 ADJUSTMENT_INSUFFICIENT_AVAILABLE，message 说明可用金额）；
 * 预算调整（追加、调减）未登记批复文件时同意为 409 ADJUSTMENT_DOCUMENT_REQUIRED。
 * 应答的类型来自 contracts/adjustments.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

const WRITE_TIMEOUT_MS = 30_000;

export interface DocumentInput {
  documentNo: string;
  title?: string;
  fileName?: string;
  contentBase64?: string;
}

export interface NewAdjustment {
  kind: AdjustmentKind;
  fromQuotaId?: number;
  toQuotaId?: number;
  amountFen: number;
  reason: string;
  document?: DocumentInput;
  signingPin?: string;
}

export function listAdjustments(
  query: { status?: AdjustmentStatus; kind?: AdjustmentKind; todo?: 'true'; page?: number; pageSize?: number } = {},
): Promise<AdjustmentList> {
  return request<AdjustmentList>('/api/adjustments', { query });
}
export function getAdjustment(id: number): Promise<Adjustment> {
  return request<Adjustment>(`/api/adjustments/${id}`);
}
export function fileAdjustment(body: NewAdjustment): Promise<Adjustment> {
  return request<Adjustment>('/api/adjustments', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function recordDocument(id: number, body: DocumentInput): Promise<Adjustment> {
  return request<Adjustment>(`/api/adjustments/${id}/document`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decideAdjustment(
  id: number,
  body: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string },
): Promise<AdjustmentDecided> {
  return request<AdjustmentDecided>(`/api/adjustments/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}

/** 读取所选文件为 base64（不含 data: 前缀） */
export function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('读取文件失败'));
    reader.readAsDataURL(file);
  });
}
