/**
 * 专家评审接口（/api/experts、/api/expert-batches、/api/my-reviews）。应答的类型来自
 * contracts/expert-review.ts（服务端按同一份 schema 应答，测试中逐个核对）；请求体的类型由同一文件中路由解析用的 schema 得出（见下）。
 */
import type { z } from 'zod';
import type { TieKind } from '../../../domain/expert-review';
import { downloadFile } from './download';
import { toBase64 } from './projectImport';
import type { Page, RequestSignal } from './reference';
import { request } from './request';
import type {
  BatchDetail,
  BatchExpert,
  BatchOpened,
  BatchProject,
  BatchReminded,
  BatchSummary,
  Criterion,
  ExpertDetail,
  ExpertImportResult,
  ExpertSummary,
  ExpertTie,
  MyAssignment,
  MyAssignmentDetail,
  ScoreSubmitted,
  batchBody,
  batchListQuery,
  confirmBody,
  expertBody,
  expertExportQuery,
  expertListQuery,
  respondBody,
  scoreBody,
  tieBody,
} from '../../../contracts/expert-review';

export type { TieKind };
export type {
  BatchDetail,
  BatchExpert,
  BatchProject,
  BatchSummary,
  Criterion,
  ExpertDetail,
  ExpertSummary,
  ExpertTie,
  MyAssignment,
  MyAssignmentDetail,
};

/**
 * 请求体的类型来自路由解析用的同一份 schema（contracts/expert-review.ts）。含 id 的请求体服务端按 z.coerce 解析
 * （其输入类型为 unknown），所以取解析后的一侧（z.output）：页面发送的正是服务端读到的形状；其余取 z.input。
 */
export type ExpertInput = z.output<typeof expertBody>;

export type TieInput = z.output<typeof tieBody>;

/** 查询参数：服务端补默认值（page、pageSize），页面可省略任何一项。 */
export type ExpertQuery = Partial<z.output<typeof expertListQuery>>;
export type ExpertExportQuery = z.output<typeof expertExportQuery>;

export function listExperts(query: ExpertQuery = {}, options: RequestSignal = {}): Promise<Page<ExpertSummary>> {
  return request<Page<ExpertSummary>>('/api/experts', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

export function getExpert(id: number): Promise<ExpertDetail> {
  return request<ExpertDetail>(`/api/experts/${id}`);
}

export function saveExpert(input: ExpertInput, id?: number): Promise<ExpertDetail> {
  return request<ExpertDetail>(id === undefined ? '/api/experts' : `/api/experts/${id}`, {
    method: id === undefined ? 'POST' : 'PUT',
    body: input,
  });
}

export function addTie(expertId: number, tie: TieInput): Promise<ExpertDetail> {
  return request<ExpertDetail>(`/api/experts/${expertId}/ties`, { method: 'POST', body: tie });
}

export function removeTie(expertId: number, tieId: number): Promise<void> {
  return request<void>(`/api/experts/${expertId}/ties/${tieId}`, { method: 'DELETE' });
}

/** GET /api/experts/export：按当前查询条件导出 Excel（联系方式脱敏，可直接再导入） */
export function exportExperts(query: ExpertExportQuery): Promise<string> {
  return downloadFile('/api/experts/export', { ...query });
}

export async function importExperts(file: File, signal?: AbortSignal): Promise<ExpertImportResult> {
  return request<ExpertImportResult>('/api/experts/import', {
    method: 'POST',
    body: { format: 'xlsx', base64: await toBase64(file) },
    signal,
    timeoutMs: 180_000,
  });
}

// --- 评审批次 ---------------------------------------------------------------------------------

export type NewBatch = z.output<typeof batchBody>;
export type BatchListQuery = Partial<z.output<typeof batchListQuery>>;
export type BatchConfirmation = z.input<typeof confirmBody>;
export type ReviewResponse = z.input<typeof respondBody>;
export type ReviewScore = z.input<typeof scoreBody>;

export function listBatches(query: BatchListQuery = {}, options: RequestSignal = {}): Promise<Page<BatchSummary>> {
  return request<Page<BatchSummary>>('/api/expert-batches', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

export function getBatch(id: number): Promise<BatchDetail> {
  return request<BatchDetail>(`/api/expert-batches/${id}`);
}

export function openBatch(input: NewBatch): Promise<BatchOpened> {
  return request<BatchOpened>('/api/expert-batches', { method: 'POST', body: input, timeoutMs: 120_000 });
}

export function remindBatch(id: number): Promise<BatchReminded> {
  return request<BatchReminded>(`/api/expert-batches/${id}/remind`, { method: 'POST' });
}

export function confirmBatch(id: number, input: BatchConfirmation): Promise<BatchDetail> {
  return request<BatchDetail>(`/api/expert-batches/${id}/confirm`, { method: 'POST', body: input });
}

// --- 我的评审（专家本人） ---------------------------------------------------------------------

export async function listMyReviews(options: RequestSignal = {}): Promise<MyAssignment[]> {
  return (await request<{ items: MyAssignment[] }>('/api/my-reviews', { signal: options.signal })).items;
}

export function getMyReview(id: number): Promise<MyAssignmentDetail> {
  return request<MyAssignmentDetail>(`/api/my-reviews/${id}`);
}

export function respondToReview(id: number, input: ReviewResponse): Promise<MyAssignmentDetail> {
  return request<MyAssignmentDetail>(`/api/my-reviews/${id}/respond`, { method: 'POST', body: input });
}

export function submitReviewScore(id: number, input: ReviewScore): Promise<ScoreSubmitted> {
  return request<ScoreSubmitted>(`/api/my-reviews/${id}/score`, { method: 'POST', body: input });
}

/** GET /api/seals/me：本人是否已开通电子签章（开通后签章类操作须输入签章密码） */
export async function sealEnrolled(): Promise<boolean> {
  return (await request<{ enrolled: boolean }>('/api/seals/me')).enrolled;
}
