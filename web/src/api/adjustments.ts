import type { z } from 'zod';
import { request } from './request';
import type {
  Adjustment,
  AdjustmentDecided,
  AdjustmentKind,
  AdjustmentList,
  AdjustmentStatus,
  AdjustmentSummary,
  QuotaBalance,
  decideBody,
  documentBody,
  fileBody,
  listQuery,
  withdrawBody,
} from '../../../contracts/adjustments';

export type { Adjustment, AdjustmentDecided, AdjustmentKind, AdjustmentList, AdjustmentStatus, AdjustmentSummary, QuotaBalance };

/**
 * 预算调整申请接口（server/api/adjustments.ts）。金额一律为整数“分”。
 * 调出指标可用余额不足时提交与审批都以 ApiError 抛出（409 ADJUSTMENT_INSUFFICIENT_AVAILABLE，message 说明可用金额）；
 * 预算调整（追加、调减）未登记批复文件时同意为 409 ADJUSTMENT_DOCUMENT_REQUIRED。
 * 应答的类型来自 contracts/adjustments.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

const WRITE_TIMEOUT_MS = 30_000;

/** 请求体的类型来自路由解析用的同一份 schema（contracts/adjustments.ts，z.input：客户端发送的一侧）。 */
export type DocumentInput = z.input<typeof documentBody>;
export type NewAdjustment = z.input<typeof fileBody>;
export type AdjustmentDecision = z.input<typeof decideBody>;
export type AdjustmentWithdrawal = z.input<typeof withdrawBody>;
/** 查询参数：服务端补默认值（page、pageSize），页面可省略任何一项。 */
export type AdjustmentListQuery = Partial<z.output<typeof listQuery>>;

export function listAdjustments(query: AdjustmentListQuery = {}): Promise<AdjustmentList> {
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
export function decideAdjustment(id: number, body: AdjustmentDecision): Promise<AdjustmentDecided> {
  return request<AdjustmentDecided>(`/api/adjustments/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
/** POST /api/adjustments/:id/withdraw：申请人撤回尚无审批人办理的申请（结束流程、解冻调出金额） */
export function withdrawAdjustment(id: number, body: AdjustmentWithdrawal = {}): Promise<Adjustment> {
  return request<Adjustment>(`/api/adjustments/${id}/withdraw`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}

/** GET /api/adjustments/:id/document：批复文件扫描件（服务端核对 SM3 后提供） */
export const adjustmentDocumentUrl = (id: number) => `/api/adjustments/${id}/document`;

/** 读取所选文件为 base64（不含 data: 前缀） */
export function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('读取文件失败'));
    reader.readAsDataURL(file);
  });
}
