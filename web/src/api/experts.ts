import type { TieKind } from '../../../domain/expert-review';
import { downloadFile } from './download';
import { toBase64 } from './projectImport';
import type { Page, RequestSignal } from './reference';
import { request } from './request';

export type { TieKind };

/** 专家库列表中的一位专家（GET /api/experts；联系方式已脱敏） */
export interface ExpertSummary {
  id: number;
  code: string;
  name: string;
  organisationName: string;
  orgId: number | null;
  title: string;
  phone: string | null;
  email: string | null;
  available: boolean;
  /** 支出功能分类类编码（3 位） */
  specialties: string[];
  username: string | null;
  tieCount: number;
}

export interface ExpertTie {
  id: number;
  kind: TieKind;
  kindLabel: string;
  orgId: number;
  orgName: string;
  relative: boolean;
  startedOn: string | null;
  endedOn: string | null;
  projectId: number | null;
  note: string | null;
}

/** 专家详情（GET /api/experts/:id；完整联系方式与回避关系） */
export interface ExpertDetail extends ExpertSummary {
  userId: number | null;
  note: string | null;
  ties: ExpertTie[];
}

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
  return request<ExpertDetail>(id === undefined ? '/api/experts' : `/api/experts/${id}`, { method: id === undefined ? 'POST' : 'PUT', body: input });
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

export async function importExperts(file: File, signal?: AbortSignal): Promise<{ created: number; updated: number }> {
  return request<{ created: number; updated: number }>('/api/experts/import', { method: 'POST', body: { format: 'xlsx', base64: await toBase64(file) }, signal, timeoutMs: 180_000 });
}

// --- 评审批次 ---------------------------------------------------------------------------------

export interface BatchSummary {
  id: number;
  name: string;
  fiscalYear: number;
  sector: string | null;
  panelSize: number;
  status: 'reviewing' | 'awaiting_confirmation' | 'confirmed';
  statusLabel: string;
  projectCount: number;
  scoredCount: number;
  openedAt: string;
  openedBy: string;
  confirmedAt: string | null;
}

export interface BatchExpert {
  assignmentId: number;
  seat: number;
  round: number;
  expertName: string;
  expertCode: string;
  organisationName: string;
  status: string;
  statusLabel: string;
  declineReason: string | null;
  invitedAt: string | null;
  respondedAt: string | null;
  submittedAt: string | null;
  remindedAt: string | null;
  total: number | null;
  sealed: boolean | null;
  auditRecordId: number | null;
}

export interface BatchProject {
  reviewId: number;
  projectId: number;
  projectName: string;
  projectNo: string;
  unitName: string;
  functionalCode: string;
  totalAmountFen: number;
  status: 'reviewing' | 'scored' | 'confirmed';
  scoreCount: number | null;
  aggregationMethod: string | null;
  aggregationLabel: string | null;
  score: number | null;
  band: string | null;
  bandLabel: string | null;
  drawAuditRecordId: number | null;
  experts: BatchExpert[];
}

export interface BatchDetail extends Omit<BatchSummary, 'projectCount' | 'scoredCount'> {
  seed: string;
  respondWithin: string;
  scoreWithin: string;
  processInstanceId: string | null;
  confirmComment: string | null;
  canConfirm: boolean;
  projects: BatchProject[];
}

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

export function listBatches(query: { page?: number; pageSize?: number; status?: string } = {}, options: RequestSignal = {}): Promise<Page<BatchSummary>> {
  return request<Page<BatchSummary>>('/api/expert-batches', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

export function getBatch(id: number): Promise<BatchDetail> {
  return request<BatchDetail>(`/api/expert-batches/${id}`);
}

export function openBatch(input: NewBatch): Promise<{ id: number; seed: string; batch: BatchDetail }> {
  return request<{ id: number; seed: string; batch: BatchDetail }>('/api/expert-batches', { method: 'POST', body: input, timeoutMs: 120_000 });
}

export function remindBatch(id: number): Promise<{ reminded: number }> {
  return request<{ reminded: number }>(`/api/expert-batches/${id}/remind`, { method: 'POST' });
}

export function confirmBatch(id: number, input: { comment?: string; signingPin?: string }): Promise<BatchDetail> {
  return request<BatchDetail>(`/api/expert-batches/${id}/confirm`, { method: 'POST', body: input });
}

// --- 我的评审（专家本人） ---------------------------------------------------------------------

export interface MyAssignment {
  id: number;
  batchName: string;
  projectName: string;
  projectNo: string;
  unitName: string;
  fiscalYear: number;
  functionalCode: string;
  totalAmountFen: number;
  status: 'invited' | 'accepted' | 'declined' | 'timed_out' | 'submitting' | 'submitted';
  statusLabel: string;
  invitedAt: string;
  dueAt: string | null;
}

export interface Criterion {
  key: string;
  label: string;
  max: number;
}

export interface MyAssignmentDetail extends MyAssignment {
  project: {
    description: string;
    basis: string | null;
    startDate: string | null;
    endDate: string | null;
    amounts: Array<{ economicCode: string; amountFen: number }>;
    targets: Array<{ level1: string; level2: string; name: string; direction: string; targetValue: string; unit: string }>;
  } | null;
  criteria: Criterion[];
  canRespond: boolean;
  canScore: boolean;
  mySheet: { scores: Record<string, number>; total: number; comment: string; sealed: boolean; auditRecordId: number | null; submittedAt: string } | null;
}

export async function listMyReviews(options: RequestSignal = {}): Promise<MyAssignment[]> {
  return (await request<{ items: MyAssignment[] }>('/api/my-reviews', { signal: options.signal })).items;
}

export function getMyReview(id: number): Promise<MyAssignmentDetail> {
  return request<MyAssignmentDetail>(`/api/my-reviews/${id}`);
}

export function respondToReview(id: number, input: { decision: 'accept' | 'decline'; reason?: string }): Promise<MyAssignmentDetail> {
  return request<MyAssignmentDetail>(`/api/my-reviews/${id}/respond`, { method: 'POST', body: input });
}

export function submitReviewScore(id: number, input: { scores: Record<string, number>; comment: string; signingPin?: string }): Promise<{ sealed: boolean; total: number; assignment: MyAssignmentDetail }> {
  return request<{ sealed: boolean; total: number; assignment: MyAssignmentDetail }>(`/api/my-reviews/${id}/score`, { method: 'POST', body: input });
}

/** GET /api/seals/me：本人是否已开通电子签章（开通后签章类操作须输入签章密码） */
export async function sealEnrolled(): Promise<boolean> {
  return (await request<{ enrolled: boolean }>('/api/seals/me')).enrolled;
}
