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

export interface ActualInput {
  actualId: number;
  value?: string | null;
  band?: QualitativeBand | null;
  percent?: number | null;
  gapExplanation?: string | null;
}

export function listEvaluations(
  query: { fiscalYear?: number; status?: string; page?: number; pageSize?: number } = {},
): Promise<EvaluationPage> {
  return request('/api/performance/evaluations', { query });
}
/** 评价结果 as Excel: the list's filters and data scope, every row. */
export function downloadEvaluationResults(query: { fiscalYear?: number; status?: string } = {}): Promise<string> {
  return downloadFile('/api/performance/evaluations/export', query, { timeoutMs: 120_000 });
}
export function getEvaluation(id: number): Promise<Evaluation> {
  return request(`/api/performance/evaluations/${id}`);
}
export function listCandidates(fiscalYear: number): Promise<Candidates> {
  return request('/api/performance/candidates', { query: { fiscalYear } });
}
export function startEvaluations(body: { fiscalYear: number; projectIds: number[] }): Promise<Started> {
  return request('/api/performance/evaluations', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function saveSelfEvaluation(
  id: number,
  body: { version: number; explanation?: string | null; actuals: ActualInput[] },
): Promise<Saved> {
  return request(`/api/performance/evaluations/${id}/self-evaluation`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitSelfEvaluation(id: number, body: { comment?: string; signingPin?: string }): Promise<Completed> {
  return request(`/api/performance/evaluations/${id}/self-evaluation/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function reviewEvaluation(
  id: number,
  body: {
    decision: 'approve' | 'return';
    comment?: string;
    adjustments: Array<{ actualId: number; value?: string; band?: QualitativeBand; percent?: number; reason: string }>;
    signingPin?: string;
  },
): Promise<Completed> {
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
