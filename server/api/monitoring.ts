import type { Router } from 'express';
import type { Db } from '../db';
import type { DeviationRule } from '../../domain/execution';
import type { EngineClient } from '../engine/client';
import { executionByProject, executionByRegion, executionByUnit } from '../performance/execution';
import * as monitoring from '../performance/monitoring';
import * as contracts from '../../contracts/monitoring';
import { mountRoutes, routesWith } from './route';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport } from './excel-export';
import { monitoringReportsExport } from './performance-exports';
import { exportNote, idParams, xlsxOk } from './route-doc';

/**
 * 绩效监控 and 执行监控 over HTTP. Units (monitoring:report) file their quarterly reports and
 * answer 整改; 绩效处 and departments (monitoring:manage) read the deviation list and decide; 绩效处
 * starts a quarter. 执行监控 is for whoever reads the ledger (quotas:read) and for 绩效处. A report
 * outside the person's scope answers 404.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

type MonitoringRouteDeps = { db: Db; engine: EngineClient; namespace: string; rule: DeviationRule };
const route = routesWith<MonitoringRouteDeps>();

export const monitoringRoutes = [
  /** 201 with a new round, 200 with the one that exists: the handler answers itself. */
  route({
    method: 'post',
    path: '/api/monitoring/rounds',
    summary: '开展季度绩效监控（绩效处）：为本地区每个已下达指标的项目建一份本季度报告并启动监控流程',
    tag: 'monitoring',
    access: 'monitoring:manage',
    body: contracts.startBody,
    ok: { status: 201, description: '已开始；本季度本地区已开展过时为 200（created: false，不重复建报告）' },
    response: contracts.round,
    refusals: [503],
    description:
      '每个项目每个季度只有一份报告，无论定时还是手动发起、发起几次。季度尚未开始为 400 QUARTER_NOT_STARTED；非绩效处为 403 NOT_PERFORMANCE_DIVISION。',
    handle: async ({ deps, principal, body, res }) => {
      const round = await monitoring.startQuarter(deps, principal, { fiscalYear: body.fiscalYear, quarter: body.quarter as 1 | 2 | 3 | 4 });
      res.status(round.created ? 201 : 200).json(round);
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/monitoring/reports',
    summary: '绩效监控报告列表（本人数据范围内），可只看有偏差的，分页',
    tag: 'monitoring',
    access: ['monitoring:report', 'monitoring:manage'],
    query: contracts.reportListQuery,
    response: contracts.reportPage,
    handle: ({ deps, principal, query }) => monitoring.listReports(deps.db, principal, query, deps.rule),
  }),
  /** Declared before /api/monitoring/reports/{id}: "export" is not an id. */
  route({
    method: 'get',
    path: '/api/monitoring/reports/export',
    summary: '导出绩效监控报告（Excel；只看偏差时为偏差清单）：项目、单位、执行情况（元）、执行率、时间进度、偏差与整改期限',
    tag: 'monitoring',
    access: ['monitoring:report', 'monitoring:manage'],
    query: contracts.reportExportQuery,
    ok: xlsxOk,
    description: exportNote,
    handle: async ({ deps, principal, query, res }) => {
      await sendXlsxExport(
        res,
        monitoringReportsExport(
          (page, pageSize) => monitoring.listReports(deps.db, principal, { ...query, page, pageSize }, deps.rule),
          Boolean(query.deviation),
        ),
        DEFAULT_EXPORT_LIMITS,
      );
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/monitoring/reports/{id}',
    summary: '绩效监控报告：每项绩效目标的填报、指标账的预算执行情况、偏差与整改',
    tag: 'monitoring',
    access: ['monitoring:report', 'monitoring:manage'],
    params: idParams,
    notFound: '绩效监控报告',
    response: contracts.reportDetail,
    description: 'can 给出本人此刻可做的事（填报、偏差处理、整改答复）。数据范围外的报告答 404。',
    handle: ({ deps, principal, params }) => monitoring.getReport(deps.db, principal, params.id, deps.rule),
  }),
  route({
    method: 'post',
    path: '/api/monitoring/reports/{id}/report',
    summary: '单位填报季度绩效监控（每项绩效目标的完成值、是否有风险、总体说明；执行率由指标账取得）',
    tag: 'monitoring',
    access: 'monitoring:report',
    params: idParams,
    notFound: '绩效监控报告',
    body: contracts.reportBody,
    response: contracts.reportDetail,
    refusals: [409, 503],
    description: '须逐项填报项目的全部绩效目标，否则 400 MONITORING_TARGETS_MISMATCH；已填报为 409 REPORT_NOT_PENDING；非本单位为 403。',
    handle: async ({ deps, principal, params, body }) => {
      await monitoring.fileReport(deps, principal, params.id, body);
      return monitoring.getReport(deps.db, principal, params.id, deps.rule);
    },
  }),
  route({
    method: 'post',
    path: '/api/monitoring/reports/{id}/review',
    summary: '偏差处理（绩效处或主管部门）：要求限期整改或予以认可',
    tag: 'monitoring',
    access: 'monitoring:manage',
    params: idParams,
    notFound: '绩效监控报告',
    body: contracts.reviewBody,
    response: contracts.reportDetail,
    refusals: [409, 503],
    description: '要求整改须给出不早于今天的期限（400 DUE_DATE_PAST）；没有待处理的偏差为 409 REPORT_NOT_WARNED。',
    handle: async ({ deps, principal, params, body }) => {
      await monitoring.reviewReport(deps, principal, params.id, body);
      return monitoring.getReport(deps.db, principal, params.id, deps.rule);
    },
  }),
  route({
    method: 'post',
    path: '/api/monitoring/reports/{id}/rectification',
    summary: '单位答复整改',
    tag: 'monitoring',
    access: 'monitoring:report',
    params: idParams,
    notFound: '绩效监控报告',
    body: contracts.answerBody,
    response: contracts.reportDetail,
    refusals: [409, 503],
    description: '没有待答复的整改为 409 REPORT_NOT_RECTIFYING。',
    handle: async ({ deps, principal, params, body }) => {
      await monitoring.answerRectification(deps, principal, params.id, body);
      return monitoring.getReport(deps.db, principal, params.id, deps.rule);
    },
  }),
  route({
    method: 'get',
    path: '/api/execution/projects',
    summary: '执行监控（按项目）：预算、冻结、已支付、执行率与时间进度及偏差，按执行率从低到高，分页',
    tag: 'monitoring',
    access: ['quotas:read', 'monitoring:manage'],
    query: contracts.executionQuery,
    response: contracts.projectExecutionPage,
    description:
      '数字取自指标账（本年度、关联项目的指标）；minLevel 只列偏差达到该级别的（提示/预警/严重，阈值见 BUDGET_EXECUTION_DEVIATION_POINTS）。',
    handle: ({ deps, principal, query }) => executionByProject(deps.db, principal, query, deps.rule),
  }),
  route({
    method: 'get',
    path: '/api/execution/units',
    summary: '执行监控（按单位）',
    tag: 'monitoring',
    access: ['quotas:read', 'monitoring:manage'],
    query: contracts.executionQuery,
    response: contracts.unitExecutionPage,
    handle: ({ deps, principal, query }) => executionByUnit(deps.db, principal, query, deps.rule),
  }),
  route({
    method: 'get',
    path: '/api/execution/regions',
    summary: '执行监控（按地区）',
    tag: 'monitoring',
    access: ['quotas:read', 'monitoring:manage'],
    query: contracts.executionQuery,
    response: contracts.regionExecutionPage,
    handle: ({ deps, principal, query }) => executionByRegion(deps.db, principal, query, deps.rule),
  }),
];

export function monitoringRouter(deps: { db: Db; engine: EngineClient; namespace: string; rule: DeviationRule }): Router {
  const { db, engine, namespace, rule } = deps;
  return mountRoutes(db, { db, engine, namespace, rule }, monitoringRoutes);
}
