import express, { type Router } from 'express';
import { EVALUATION_START_PERMISSION, evaluationListActions } from '../../domain/evaluation';
import { fiscalYearOf } from '../../domain/time';
import { scopeOrgIds, type Principal } from '../auth/service';
import type { Db } from '../db';
import { approvalDocument } from '../documents/approval';
import { renderEvaluationReportPdf } from '../documents/pdf';
import type { EngineClient } from '../engine/client';
import { syncInstance as sync } from '../inbox/sync';
import type { Logger } from '../log';
import * as perf from '../performance/evaluation';
import { MAX_ATTACHMENT_BYTES } from '../projects/service';
import type { KeyStore } from '../seals/key-store';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportLimits } from './excel-export';
import { evaluationResultsExport } from './performance-exports';
import { asciiFallback, fileNameHeader } from './projects';
import * as contracts from '../../contracts/performance';
import { mountRoutes, routesWith } from './route';
import { evidenceParams, exportNote, idParams, xlsxOk } from './route-doc';

/**
 * 绩效评价 over HTTP: 绩效处 (performance:evaluate) starts the year's evaluations and reviews them;
 * the unit (performance:self-evaluate) files its self-evaluation — actuals, evidence, explanations;
 * both read the result, its history and the report. An evaluation whose project's unit is outside
 * the person's data scope answers 404. Task completion goes through the inbox (sealed there).
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

type PerformanceDeps = { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore; log: Logger; exportLimits?: ExportLimits };
type PerformanceRouteDeps = PerformanceDeps & { edeps: perf.EvaluationDeps };
const route = routesWith<PerformanceRouteDeps>();
/** The person's data scope (the organisations whose evaluations they see). */
const scope = (db: Db, p: Principal) => scopeOrgIds(db, p);

export const performanceRoutes = [
  route({
    method: 'get',
    path: '/api/performance/evaluations',
    summary: '绩效评价列表（数据范围内的项目）',
    tag: 'performance',
    access: ['performance:self-evaluate', 'performance:evaluate'],
    query: contracts.listQuery,
    response: contracts.evaluationPage,
    handle: async ({ deps: { db }, principal, query }) => ({
      ...(await perf.listEvaluations(db, scope(db, principal), query)),
      can: evaluationListActions(principal.permissions),
    }),
  }),
  route({
    method: 'get',
    path: '/api/performance/evaluations/export',
    summary: '导出评价结果（Excel：项目、单位、预算执行率与各部分得分、自评/审核/专家/最终得分、等级）',
    tag: 'performance',
    access: ['performance:self-evaluate', 'performance:evaluate'],
    query: contracts.exportQuery,
    ok: xlsxOk,
    description: exportNote,
    handle: async ({ deps: { db, exportLimits }, principal, query, res }) => {
      const s = scope(db, principal);
      await sendXlsxExport(
        res,
        evaluationResultsExport((page, pageSize) => perf.evaluationResults(db, s, { ...query, page, pageSize })),
        exportLimits ?? DEFAULT_EXPORT_LIMITS,
      );
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/performance/candidates',
    summary: '可开展绩效评价的项目（已下达资金、尚未评价）',
    tag: 'performance',
    access: EVALUATION_START_PERMISSION,
    query: contracts.candidatesQuery,
    response: contracts.candidates,
    description: '默认为上一预算年度。',
    handle: ({ deps: { db }, principal, query }) =>
      perf.evaluationCandidates(db, scope(db, principal), query.fiscalYear ?? fiscalYearOf(new Date()) - 1),
  }),
  route({
    method: 'post',
    path: '/api/performance/evaluations',
    summary: '开展年度绩效评价（启动评价流程，单位自评）',
    tag: 'performance',
    access: EVALUATION_START_PERMISSION,
    body: contracts.startBody,
    ok: { status: 201, description: '已启动' },
    response: contracts.started,
    refusals: [503],
    description:
      '年度终了前为 400 YEAR_NOT_ENDED；项目不在数据范围、未下达资金、没有绩效目标或已评价为 400 EVALUATION_PROJECTS_INVALID（逐项说明），均不启动任何评价。',
    handle: async ({ deps: { db, edeps }, principal, body }) => ({
      started: await perf.startEvaluations(edeps, principal, scope(db, principal), body),
    }),
  }),
  route({
    method: 'get',
    path: '/api/performance/evaluations/{id}',
    summary: '绩效评价详情：逐项目标与实际值、佐证材料、预算执行率（取自指标账）、得分明细、等级、历年结果',
    tag: 'performance',
    access: ['performance:self-evaluate', 'performance:evaluate'],
    params: idParams,
    notFound: '绩效评价',
    response: contracts.evaluation,
    handle: ({ deps: { db }, principal, params }) => perf.getEvaluation(db, principal, scope(db, principal), params.id),
  }),
  route({
    method: 'put',
    path: '/api/performance/evaluations/{id}/self-evaluation',
    summary: '保存绩效自评（逐项实际完成值、差距说明）',
    tag: 'performance',
    access: 'performance:self-evaluate',
    params: idParams,
    notFound: '绩效评价',
    body: contracts.selfBody,
    response: contracts.saved,
    refusals: [409],
    description: '不在自评环节为 409 EVALUATION_NOT_IN_SELF_EVALUATION；版本过期为 409 EVALUATION_CHANGED。',
    handle: ({ deps: { db }, principal, params, body }) => perf.saveSelfEvaluation(db, principal, scope(db, principal), params.id, body),
  }),
  route({
    method: 'post',
    path: '/api/performance/evaluations/{id}/self-evaluation/submit',
    summary: '提交绩效自评（办理自评待办）',
    tag: 'performance',
    access: 'performance:self-evaluate',
    params: idParams,
    notFound: '绩效评价',
    body: contracts.submitBody,
    response: contracts.completed,
    refusals: [409, 503],
    description: '有指标未填报为 400 EVALUATION_INCOMPLETE；没有本人可办理的自评待办为 409 NO_TASK_FOR_YOU。',
    handle: ({ deps: { db, edeps }, principal, params, body, req }) =>
      perf.submitSelfEvaluation(edeps, principal, scope(db, principal), params.id, body, { ip: req.ip }),
  }),
  route({
    method: 'post',
    path: '/api/performance/evaluations/{id}/review',
    summary: '绩效处审核（可调整实际值并说明理由；随审核意见签章）',
    tag: 'performance',
    access: 'performance:evaluate',
    params: idParams,
    notFound: '绩效评价',
    body: contracts.reviewBody,
    response: contracts.completed,
    refusals: [409, 503],
    description: '调整记录写入审核表单，由待办办理统一签章；签章密码规则同待办办理。',
    handle: ({ deps: { db, edeps }, principal, params, body, req }) =>
      perf.reviewEvaluation(edeps, principal, scope(db, principal), params.id, body, { ip: req.ip }),
  }),
  route({
    method: 'post',
    path: '/api/performance/evaluations/{id}/evidence',
    summary: '上传佐证材料（请求体为文件内容，X-File-Name 为 URI 编码的文件名，≤ 10 MB；actualId 关联到指标）',
    tag: 'performance',
    access: 'performance:self-evaluate',
    params: idParams,
    notFound: '绩效评价',
    query: contracts.evidenceQuery,
    ok: { status: 201, description: '已上传，含 SM3 摘要' },
    response: contracts.evidence,
    refusals: [409],
    before: [express.raw({ type: () => true, limit: MAX_ATTACHMENT_BYTES })],
    handle: async ({ deps: { db }, principal, params, query, req }) => {
      const s = scope(db, principal);
      // Scope first: another region's evaluation is a 404 whatever the request carries.
      await perf.assertSelfEvaluation(db, s, params.id);
      const fileName = fileNameHeader(req.get('x-file-name'));
      const contentType =
        (req.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().slice(0, 100) || 'application/octet-stream';
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return perf.addEvidence(db, principal, s, params.id, { fileName, contentType, bytes, actualId: query.actualId ?? null });
    },
  }),
  route({
    method: 'get',
    path: '/api/performance/evaluations/{id}/evidence/{evidenceId}',
    summary: '下载佐证材料（内容与 SM3 摘要不符时拒绝提供）',
    tag: 'performance',
    access: ['performance:self-evaluate', 'performance:evaluate'],
    params: evidenceParams,
    notFound: { id: '绩效评价', evidenceId: '佐证材料' },
    ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' },
    handle: async ({ deps: { db }, principal, params, res }) => {
      const e = await perf.readEvidence(db, scope(db, principal), params.id, params.evidenceId);
      res.setHeader('content-type', e.contentType);
      res.setHeader(
        'content-disposition',
        `attachment; filename="${asciiFallback(e.fileName)}"; filename*=UTF-8''${encodeURIComponent(e.fileName)}`,
      );
      res.setHeader('x-content-sm3', e.sm3);
      res.send(e.bytes);
      return undefined;
    },
  }),
  route({
    method: 'delete',
    path: '/api/performance/evaluations/{id}/evidence/{evidenceId}',
    summary: '删除佐证材料',
    tag: 'performance',
    access: 'performance:self-evaluate',
    params: evidenceParams,
    notFound: { id: '绩效评价', evidenceId: '佐证材料' },
    ok: { status: 204, description: '已删除' },
    refusals: [409],
    handle: async ({ deps: { db }, principal, params }) => {
      await perf.removeEvidence(db, principal, scope(db, principal), params.id, params.evidenceId);
    },
  }),
  route({
    method: 'get',
    path: '/api/performance/evaluations/{id}/report.pdf',
    summary: '绩效评价报告 PDF（得分明细、等级、绩效处审核签章与核验码）',
    tag: 'performance',
    access: ['performance:self-evaluate', 'performance:evaluate'],
    params: idParams,
    notFound: '绩效评价',
    ok: { status: 200, description: 'PDF 文件' },
    refusals: [409],
    description: '尚未评定等级为 409 EVALUATION_NOT_GRADED。',
    handle: async ({ deps: { db }, principal, params, res }) => {
      const report = await perf.evaluationReport(db, scope(db, principal), params.id);
      const review = report.reviewTaskId ? await approvalDocument(db, report.reviewTaskId) : null;
      const pdf = await renderEvaluationReportPdf(report, review);
      res.setHeader('content-type', 'application/pdf');
      res.setHeader(
        'content-disposition',
        `attachment; filename="performance-${report.projectNo}-${report.fiscalYear}.pdf"; filename*=UTF-8''${encodeURIComponent(`绩效评价报告-${report.projectNo}-${report.fiscalYear}.pdf`)}`,
      );
      res.send(pdf);
      return undefined;
    },
  }),
];

export function performanceRouter(deps: PerformanceDeps): Router {
  const { db, engine, namespace, keyStore, log } = deps;
  const edeps: perf.EvaluationDeps = { db, engine, namespace, keyStore, syncInstance: (pi) => sync({ db, engine, namespace, log }, pi) };
  return mountRoutes(db, { ...deps, edeps }, performanceRoutes);
}
