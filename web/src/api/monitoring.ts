import type { z } from 'zod';
import { downloadFile } from './download';
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
  answerBody,
  executionQuery,
  reportBody,
  reportExportQuery,
  reportListQuery,
  reviewBody,
  startBody,
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

/**
 * 请求体与查询参数的类型来自路由解析用的同一份 schema（contracts/monitoring.ts）。绩效目标的 id 由服务端转换为数字
 * （z.coerce，其输入类型为 unknown），所以填报取解析后的一侧（z.output）；查询参数的 page、pageSize 由服务端补默认值。
 */
export type QuarterStart = z.input<typeof startBody>;
export type MonitoringReportInput = z.output<typeof reportBody>;
export type MonitoringReview = z.input<typeof reviewBody>;
export type RectificationAnswer = z.input<typeof answerBody>;
export type ReportListQuery = Partial<z.output<typeof reportListQuery>>;
export type ReportExportQuery = Partial<z.output<typeof reportExportQuery>>;
type ExecutionQueryOut = z.output<typeof executionQuery>;
export type ExecutionQuery = Partial<ExecutionQueryOut> & Pick<ExecutionQueryOut, 'fiscalYear'>;

export function startQuarter(body: QuarterStart): Promise<Round> {
  return request('/api/monitoring/rounds', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
/** 监控报告（只看偏差时为偏差清单）导出为 Excel：与列表相同的筛选与数据范围，不分页。 */
export function downloadReports(query: ReportExportQuery): Promise<string> {
  return downloadFile('/api/monitoring/reports/export', query, { timeoutMs: 120_000 });
}
export function listReports(query: ReportListQuery): Promise<ReportPage> {
  return request('/api/monitoring/reports', { query });
}
export function getReport(id: number): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}`);
}
export function fileReport(id: number, body: MonitoringReportInput): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/report`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function reviewReport(id: number, body: MonitoringReview): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/review`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function answerRectification(id: number, body: RectificationAnswer): Promise<ReportDetail> {
  return request(`/api/monitoring/reports/${id}/rectification`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function projectExecution(query: ExecutionQuery): Promise<ProjectExecutionPage> {
  return request('/api/execution/projects', { query });
}
export function unitExecution(query: ExecutionQuery): Promise<UnitExecutionPage> {
  return request('/api/execution/units', { query });
}
export function regionExecution(query: ExecutionQuery): Promise<RegionExecutionPage> {
  return request('/api/execution/regions', { query });
}
