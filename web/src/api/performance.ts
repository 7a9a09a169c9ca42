import type { z } from 'zod';
import { downloadFile } from './download';
import { request } from './request';
import type {
  Candidate,
  Candidates,
  Completed,
  Evaluation,
  EvaluationPage,
  EvaluationStatus,
  EvaluationSummary,
  Evidence,
  Grade,
  Indicator,
  QualitativeBand,
  Saved,
  Started,
  exportQuery,
  listQuery,
  reviewBody,
  selfBody,
  startBody,
  submitBody,
} from '../../../contracts/performance';

/** 绩效评价（server/api/performance.ts）。应答的类型来自 contracts/performance.ts（服务端按同一份 schema 应答，测试中逐个核对）。 */

const WRITE_TIMEOUT_MS = 30_000;

export type {
  Candidate,
  Candidates,
  Completed,
  Evaluation,
  EvaluationPage,
  EvaluationStatus,
  EvaluationSummary,
  Evidence,
  Grade,
  Indicator,
  QualitativeBand,
  Saved,
  Started,
};

/**
 * 请求体的类型来自路由解析用的同一份 schema（contracts/performance.ts）。项目和实际值的 id 由服务端转换为数字
 * （z.coerce，其输入类型为 unknown），所以含 id 的请求体取解析后的一侧（z.output）：页面发送的正是服务端读到的形状。
 */
export type EvaluationStart = z.output<typeof startBody>;
export type SelfEvaluation = z.output<typeof selfBody>;
export type ActualInput = SelfEvaluation['actuals'][number];
export type SelfEvaluationSubmission = z.input<typeof submitBody>;
export type EvaluationReview = z.output<typeof reviewBody>;
/** 查询参数：服务端补默认值（page、pageSize），页面可省略任何一项。 */
export type EvaluationListQuery = Partial<z.output<typeof listQuery>>;
export type EvaluationExportQuery = z.output<typeof exportQuery>;

export function listEvaluations(query: EvaluationListQuery = {}): Promise<EvaluationPage> {
  return request('/api/performance/evaluations', { query });
}
/** 评价结果 as Excel: the list's filters and data scope, every row. */
export function downloadEvaluationResults(query: EvaluationExportQuery = {}): Promise<string> {
  return downloadFile('/api/performance/evaluations/export', query, { timeoutMs: 120_000 });
}
export function getEvaluation(id: number): Promise<Evaluation> {
  return request(`/api/performance/evaluations/${id}`);
}
export function listCandidates(fiscalYear: number): Promise<Candidates> {
  return request('/api/performance/candidates', { query: { fiscalYear } });
}
export function startEvaluations(body: EvaluationStart): Promise<Started> {
  return request('/api/performance/evaluations', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function saveSelfEvaluation(id: number, body: SelfEvaluation): Promise<Saved> {
  return request(`/api/performance/evaluations/${id}/self-evaluation`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitSelfEvaluation(id: number, body: SelfEvaluationSubmission): Promise<Completed> {
  return request(`/api/performance/evaluations/${id}/self-evaluation/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function reviewEvaluation(id: number, body: EvaluationReview): Promise<Completed> {
  return request(`/api/performance/evaluations/${id}/review`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function uploadEvidence(id: number, file: File, actualId: number | null): Promise<Evidence> {
  return request(`/api/performance/evaluations/${id}/evidence`, {
    method: 'POST',
    query: { actualId },
    rawBody: file,
    headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name) },
    timeoutMs: 120_000,
  });
}
export function removeEvidence(id: number, evidenceId: number): Promise<void> {
  return request(`/api/performance/evaluations/${id}/evidence/${evidenceId}`, { method: 'DELETE' });
}
