/**
 * 专家评审接口（/api/experts、/api/expert-batches、/api/my-reviews）。应答的类型来自
 * contracts/expert-review.ts（服务端按同一份 schema 应答，测试中逐个核对）；请求体的类型在下面。
 */
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

export interface ExpertInput {
  code: string;
  name: string;
  organisationName: string;
  orgId?: number | null;
  title: string;
  phone?: string | null;
  email?: string | null;
  available: boolean;
  specialties: string[];
  username?: string | null;
  note?: string | null;
}

export interface TieInput {
  kind: TieKind;
  orgId: number;
  relative: boolean;
  startedOn?: string | null;
  endedOn?: string | null;
  projectId?: number | null;
  note?: string | null;
}

export interface ExpertQuery {
  page?: number;
  pageSize?: number;
  keyword?: string;
  specialty?: string;
  available?: 'true' | 'false';
}

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
export function exportExperts(query: Omit<ExpertQuery, 'page' | 'pageSize'>): Promise<string> {
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

export interface NewBatch {
  name: string;
  fiscalYear: number;
  sector?: string | null;
  projectIds: number[];
  panelSize: number;
  respondWithin: string;
  scoreWithin: string;
  signingPin?: string;
}

export function listBatches(
  query: { page?: number; pageSize?: number; status?: string } = {},
  options: RequestSignal = {},
): Promise<Page<BatchSummary>> {
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

export function confirmBatch(id: number, input: { comment?: string; signingPin?: string }): Promise<BatchDetail> {
  return request<BatchDetail>(`/api/expert-batches/${id}/confirm`, { method: 'POST', body: input });
}

// --- 我的评审（专家本人） ---------------------------------------------------------------------

export async function listMyReviews(options: RequestSignal = {}): Promise<MyAssignment[]> {
  return (await request<{ items: MyAssignment[] }>('/api/my-reviews', { signal: options.signal })).items;
}

export function getMyReview(id: number): Promise<MyAssignmentDetail> {
  return request<MyAssignmentDetail>(`/api/my-reviews/${id}`);
}

export function respondToReview(id: number, input: { decision: 'accept' | 'decline'; reason?: string }): Promise<MyAssignmentDetail> {
  return request<MyAssignmentDetail>(`/api/my-reviews/${id}/respond`, { method: 'POST', body: input });
}

export function submitReviewScore(
  id: number,
  input: { scores: Record<string, number>; comment: string; signingPin?: string },
): Promise<ScoreSubmitted> {
  return request<ScoreSubmitted>(`/api/my-reviews/${id}/score`, { method: 'POST', body: input });
}

/** GET /api/seals/me：本人是否已开通电子签章（开通后签章类操作须输入签章密码） */
export async function sealEnrolled(): Promise<boolean> {
  return (await request<{ enrolled: boolean }>('/api/seals/me')).enrolled;
}
