import { request } from './request';
import type {
  DeviationLevel,
  ExecutionFigures,
  ProjectExecution,
  ProjectExecutionPage,
  RegionExecution,
  RegionExecutionPage,
  ReportDetail,
  ReportPage,
  ReportSummary,
  ReportStatus,
  ReportTarget,
  Round,
  UnitExecution,
  UnitExecutionPage,
} from '../../../contracts/monitoring';

/**
 * 绩效监控与执行监控接口（server/api/monitoring.ts）。金额为整数“分”，百分比保留两位小数。
 * 应答的类型来自 contracts/monitoring.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

const WRITE_TIMEOUT_MS = 30_000;

export type {
  DeviationLevel,
  ExecutionFigures,
  ProjectExecution,
  ProjectExecutionPage,
  RegionExecution,
  RegionExecutionPage,
  ReportDetail,
  ReportPage,
  ReportSummary,
  ReportStatus,
  ReportTarget,
  Round,
  UnitExecution,
  UnitExecutionPage,
};

export function startQuarter(body: { fiscalYear: number; quarter: number }): Promise<Round> {
  return request('/api/monitoring/rounds', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function listReports(query: {
  fiscalYear?: number;
  quarter?: number;
  status?: string;
  deviation?: boolean;
  page?: number;
  pageSize?: number;
}): Promise<ReportPage> {
  return request('/api/monitoring/reports', { query });
}
export function getReport(id: number): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}`);
}
export function fileReport(
  id: number,
  body: { progressNote: string; targets: Array<{ targetId: number; actualValue: string; note?: string; atRisk: boolean }> },
): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/report`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function reviewReport(
  id: number,
  body: { decision: 'rectify' | 'accept'; dueDate?: string; comment: string },
): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/review`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function answerRectification(id: number, body: { answer: string }): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/rectification`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function projectExecution(query: {
  fiscalYear: number;
  minLevel?: string;
  keyword?: string;
  page?: number;
  pageSize?: number;
}): Promise<ProjectExecutionPage> {
  return request('/api/execution/projects', { query });
}
export function unitExecution(query: {
  fiscalYear: number;
  minLevel?: string;
  keyword?: string;
  page?: number;
  pageSize?: number;
}): Promise<UnitExecutionPage> {
  return request('/api/execution/units', { query });
}
export function regionExecution(query: {
  fiscalYear: number;
  minLevel?: string;
  keyword?: string;
  page?: number;
  pageSize?: number;
}): Promise<RegionExecutionPage> {
  return request('/api/execution/regions', { query });
}
