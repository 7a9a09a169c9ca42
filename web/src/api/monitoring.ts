import { request } from './request';

/** 绩效监控与执行监控接口（server/api/monitoring.ts）。金额为整数“分”，百分比保留两位小数。 */

const WRITE_TIMEOUT_MS = 30_000;

export type DeviationLevel = 'none' | 'notice' | 'warning' | 'severe';

export interface ExecutionFigures {
  budgetFen: number;
  frozenFen: number;
  paidFen: number;
  availableFen: number;
  executionPercent: number | null;
  timePercent: number;
  gapPoints: number | null;
  level: DeviationLevel;
  levelLabel: string;
}

export interface ReportSummary {
  id: number;
  projectId: number;
  projectNo: string;
  projectName: string;
  unitOrgId: number;
  unitName: string;
  fiscalYear: number;
  quarter: number;
  status: 'pending' | 'assessing' | 'submitted' | 'warned' | 'rectifying' | 'rectified' | 'accepted';
  statusLabel: string;
  asOf: string | null;
  figures: ExecutionFigures | null;
  deviationLevel: DeviationLevel | null;
  deviationLabel: string | null;
  deviationReasons: string[];
  rectificationDue: string | null;
  submittedAt: string | null;
}

export interface ReportTarget {
  targetId: number;
  level1: string;
  level2: string;
  name: string;
  direction: string;
  targetValue: string;
  unit: string;
  actualValue: string | null;
  note: string | null;
  atRisk: boolean;
}

export interface ReportDetail extends ReportSummary {
  progressNote: string | null;
  targets: ReportTarget[];
  rectificationRequest: string | null;
  rectificationAnswer: string | null;
  reviewComment: string | null;
  can: { report: boolean; review: boolean; answer: boolean };
}

export interface Paged<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface ExecutionPage<T> extends Paged<T> {
  asOf: string;
  timePercent: number;
}

export interface ProjectExecution extends ExecutionFigures {
  projectId: number;
  projectNo: string;
  name: string;
  unitOrgId: number;
  unitName: string;
}
export interface UnitExecution extends ExecutionFigures {
  unitOrgId: number;
  unitName: string;
  regionCode: string;
  projectCount: number;
}
export interface RegionExecution extends ExecutionFigures {
  regionCode: string;
  regionName: string;
  unitCount: number;
  projectCount: number;
}

export interface Round {
  id: number;
  fiscalYear: number;
  quarter: number;
  reportCount: number;
  created: boolean;
}

export function startQuarter(body: { fiscalYear: number; quarter: number }): Promise<Round> {
  return request('/api/monitoring/rounds', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function listReports(query: { fiscalYear?: number; quarter?: number; status?: string; deviation?: boolean; page?: number; pageSize?: number }): Promise<Paged<ReportSummary>> {
  return request('/api/monitoring/reports', { query });
}
export function getReport(id: number): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}`);
}
export function fileReport(id: number, body: { progressNote: string; targets: Array<{ targetId: number; actualValue: string; note?: string; atRisk: boolean }> }): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/report`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function reviewReport(id: number, body: { decision: 'rectify' | 'accept'; dueDate?: string; comment: string }): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/review`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function answerRectification(id: number, body: { answer: string }): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/rectification`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function projectExecution(query: { fiscalYear: number; minLevel?: string; keyword?: string; page?: number; pageSize?: number }): Promise<ExecutionPage<ProjectExecution>> {
  return request('/api/execution/projects', { query });
}
export function unitExecution(query: { fiscalYear: number; minLevel?: string; keyword?: string; page?: number; pageSize?: number }): Promise<ExecutionPage<UnitExecution>> {
  return request('/api/execution/units', { query });
}
export function regionExecution(query: { fiscalYear: number; minLevel?: string; keyword?: string; page?: number; pageSize?: number }): Promise<ExecutionPage<RegionExecution>> {
  return request('/api/execution/regions', { query });
}
