import { request } from './request';

/**
 * 预算调整申请接口（server/api/adjustments.ts）。金额一律为整数“分”。
 * 调出指标可用余额不足时提交与审批都以 ApiError 抛出（409 ADJUSTMENT_INSUFFICIENT_AVAILABLE，message 说明可用金额）；
 * 预算调整（追加、调减）未登记批复文件时同意为 409 ADJUSTMENT_DOCUMENT_REQUIRED。
 */

const WRITE_TIMEOUT_MS = 30_000;

export type AdjustmentKind = 'transfer' | 'increase' | 'decrease';
export type AdjustmentStatus = 'approving' | 'posted' | 'rejected' | 'failed';

export interface AdjustmentSummary {
  id: number;
  kind: AdjustmentKind;
  kindLabel: string;
  /** 改变预算总额（追加、调减）：属于预算调整，须有批复文件 */
  formal: boolean;
  fiscalYear: number;
  orgId: number;
  orgName: string;
  fromQuotaId: number | null;
  toQuotaId: number | null;
  fromQuotaNo: string | null;
  toQuotaNo: string | null;
  amountFen: number;
  reason: string;
  documentNo: string | null;
  status: AdjustmentStatus;
  statusLabel: string;
  approvalChain: string | null;
  currentElement: string | null;
  /** 当前所在环节，或办结结果 */
  whereItIs: string;
  outcomeComment: string | null;
  requestedAt: string;
  postedAt: string | null;
  version: number;
}

export interface QuotaBalance {
  id: number;
  quotaNo: string;
  fiscalYear: number;
  functionalCode: string;
  economicCode: string;
  documentNo: string;
  amountFen: number;
  usedFen: number;
  frozenFen: number;
  availableFen: number;
}

export interface Adjustment extends AdjustmentSummary {
  requesterName: string | null;
  fromQuota: QuotaBalance | null;
  toQuota: QuotaBalance | null;
  documentTitle: string | null;
  documentFileName: string | null;
  documentSm3: string | null;
  documentSize: number | null;
  documentMissing: boolean;
  chainSteps: string[];
  pending: Array<{ elementId: string; name: string }>;
  mayDecide: boolean;
  mayRecordDocument: boolean;
  decisions: Array<{ elementId: string; stepName: string; decision: string; comment: string | null; userName: string; sealed: boolean; auditRecordId: number | null; decidedAt: string }>;
  journal: Array<{ id: number; quotaId: number; kind: string; amountFen: number; idempotencyKey: string }>;
}

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

export function listAdjustments(query: { status?: AdjustmentStatus; kind?: AdjustmentKind; todo?: 'true'; page?: number; pageSize?: number } = {}): Promise<{ items: AdjustmentSummary[]; total: number; page: number; pageSize: number; mayFile: boolean }> {
  return request('/api/adjustments', { query });
}
export function getAdjustment(id: number): Promise<Adjustment> {
  return request(`/api/adjustments/${id}`);
}
export function fileAdjustment(body: NewAdjustment): Promise<Adjustment> {
  return request('/api/adjustments', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function recordDocument(id: number, body: DocumentInput): Promise<Adjustment> {
  return request(`/api/adjustments/${id}/document`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decideAdjustment(id: number, body: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string }): Promise<{ step: string; next: string | null }> {
  return request(`/api/adjustments/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
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
