import { downloadFile } from './download';
import { request } from './request';

/** 绩效评价（server/api/performance.ts） */

const WRITE_TIMEOUT_MS = 30_000;

export type Grade = 'excellent' | 'good' | 'fair' | 'poor';
export type QualitativeBand = 'achieved' | 'partial' | 'not_achieved';

export interface EvaluationSummary {
  id: number;
  projectId: number;
  projectNo: string;
  projectName: string;
  unitName: string;
  fiscalYear: number;
  status: string;
  statusLabel: string;
  scoreCenti: number | null;
  grade: Grade | null;
  gradeLabel: string | null;
  gradedAt: string | null;
}

export interface Indicator {
  actualId: number;
  level1: string;
  level2: string;
  name: string;
  direction: string;
  directionLabel: string;
  targetValue: string;
  unit: string;
  qualitative: boolean;
  selfValue: string | null;
  selfBand: QualitativeBand | null;
  selfPercent: number | null;
  gapExplanation: string | null;
  reviewedValue: string | null;
  reviewedBand: QualitativeBand | null;
  reviewedPercent: number | null;
  reviewReason: string | null;
  effective: string | null;
  weightCenti: number | null;
  scoreCenti: number | null;
}

export interface Evidence {
  id: number;
  actualId: number | null;
  fileName: string;
  sizeBytes: number;
  sm3: string;
  uploadedBy: string;
  uploadedAt: string;
}

export interface Evaluation {
  id: number;
  fiscalYear: number;
  status: string;
  statusLabel: string;
  version: number;
  project: { id: number; projectNo: string; name: string; unitName: string; totalAmountFen: number };
  execution: { issuedFen: number; paidFen: number; rateBasisPoints: number | null; snapshot: boolean };
  explanation: string | null;
  indicators: Indicator[];
  evidence: Evidence[];
  scores: {
    selfCenti: number | null;
    reviewedCenti: number | null;
    externalCenti: number | null;
    finalCenti: number | null;
    groups: Array<{ group: string; label: string; weightCenti: number; scoreCenti: number; count: number }>;
    execution: { weightCenti: number; scoreCenti: number; rateBasisPoints: number | null } | null;
  };
  external: boolean;
  panelSize: number;
  grade: Grade | null;
  gradeLabel: string | null;
  gradedAt: string | null;
  history: {
    unit: Array<{ fiscalYear: number; grade: Grade; gradeLabel: string; scoreCenti: number | null; source: string }>;
    project: Array<{ evaluationId: number; fiscalYear: number; grade: Grade | null; gradeLabel: string | null; scoreCenti: number | null; status: string }>;
  };
  can: { selfEvaluate: boolean; review: boolean; report: boolean };
  taskId: number | null;
}

export interface Candidate {
  projectId: number;
  projectNo: string;
  projectName: string;
  unitName: string;
  totalAmountFen: number;
  statusLabel: string;
}

export interface ActualInput {
  actualId: number;
  value?: string | null;
  band?: QualitativeBand | null;
  percent?: number | null;
  gapExplanation?: string | null;
}

export function listEvaluations(query: { fiscalYear?: number; status?: string; page?: number; pageSize?: number } = {}): Promise<{ items: EvaluationSummary[]; total: number }> {
  return request('/api/performance/evaluations', { query });
}
/** 评价结果 as Excel: the list's filters and data scope, every row. */
export function downloadEvaluationResults(query: { fiscalYear?: number; status?: string } = {}): Promise<string> {
  return downloadFile('/api/performance/evaluations/export', query, { timeoutMs: 120_000 });
}
export function getEvaluation(id: number): Promise<Evaluation> {
  return request(`/api/performance/evaluations/${id}`);
}
export function listCandidates(fiscalYear: number): Promise<{ items: Candidate[] }> {
  return request('/api/performance/candidates', { query: { fiscalYear } });
}
export function startEvaluations(body: { fiscalYear: number; projectIds: number[] }): Promise<{ started: Array<{ id: number; projectId: number }> }> {
  return request('/api/performance/evaluations', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function saveSelfEvaluation(id: number, body: { version: number; explanation?: string | null; actuals: ActualInput[] }): Promise<{ version: number }> {
  return request(`/api/performance/evaluations/${id}/self-evaluation`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitSelfEvaluation(id: number, body: { comment?: string; signingPin?: string }): Promise<unknown> {
  return request(`/api/performance/evaluations/${id}/self-evaluation/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function reviewEvaluation(id: number, body: { decision: 'approve' | 'return'; comment?: string; adjustments: Array<{ actualId: number; value?: string; band?: QualitativeBand; percent?: number; reason: string }>; signingPin?: string }): Promise<{ seal?: { verificationCode: string } | null }> {
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
