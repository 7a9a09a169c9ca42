import { Router } from 'express';
import { z } from 'zod';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import type { Db } from '../db';
import type { DeviationRule } from '../../domain/execution';
import type { EngineClient } from '../engine/client';
import { errors } from '../errors';
import { executionByProject, executionByRegion, executionByUnit, type ExecutionQuery } from '../performance/execution';
import * as monitoring from '../performance/monitoring';
import { validate } from './validate';

/**
 * 绩效监控 and 执行监控 over HTTP. Units (monitoring:report) file their quarterly reports and
 * answer 整改; 绩效处 and departments (monitoring:manage) read the deviation list and decide; 绩效处
 * starts a quarter. 执行监控 is for whoever reads the ledger (quotas:read) and for 绩效处. A report
 * outside the person's scope answers 404.
 */

const id = z.coerce.number().int().positive().max(2_147_483_647);
const year = z.coerce.number().int().min(2000).max(2100);
const quarter = z.coerce.number().int().min(1, '季度应为 1–4').max(4, '季度应为 1–4');
const page = z.coerce.number().int().min(1).max(100_000).default(1);
const pageSize = z.coerce.number().int().min(1).max(200).default(20);
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const startBody = z.object({ fiscalYear: z.number().int().min(2000).max(2100), quarter: z.number().int().min(1, '季度应为 1–4').max(4, '季度应为 1–4') }).strict();
export const reportListQuery = z
  .object({ fiscalYear: year.optional(), quarter: quarter.optional(), status: z.enum(monitoring.REPORT_STATUSES).optional(), deviation: flag.optional(), page, pageSize })
  .strict();
export const reportBody = z
  .object({
    progressNote: z.string().max(2000),
    targets: z
      .array(
        z
          .object({
            targetId: id,
            actualValue: z.string().trim().min(1, '请填写目前的完成值').max(200),
            note: z.string().trim().max(500).optional(),
            atRisk: z.boolean(),
          })
          .strict(),
      )
      .min(1, '请按每项绩效目标填报')
      .max(200),
  })
  .strict();
export const reviewBody = z
  .object({
    decision: z.enum(['rectify', 'accept']),
    dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD').optional(),
    comment: z.string().max(1000),
  })
  .strict();
export const answerBody = z.object({ answer: z.string().max(2000) }).strict();
export const executionQuery = z
  .object({ fiscalYear: year, minLevel: z.enum(['notice', 'warning', 'severe']).optional(), keyword: z.string().trim().max(100).optional(), page, pageSize })
  .strict();

function parseId(raw: string | string[] | undefined): number {
  const r = id.safeParse(raw);
  if (!r.success) throw errors.notFound('绩效监控报告不存在');
  return r.data;
}

export function monitoringRouter(deps: { db: Db; engine: EngineClient; namespace: string; rule: DeviationRule }): Router {
  const { db, rule } = deps;
  const router = Router();
  const login = requireLogin(db);
  const read = [login, requireAnyPermission('monitoring:report', 'monitoring:manage')];
  const unit = [login, requirePermission('monitoring:report')];
  const manage = [login, requirePermission('monitoring:manage')];
  const execution = [login, requireAnyPermission('quotas:read', 'monitoring:manage')];
  const mdeps: monitoring.MonitoringDeps = { db, engine: deps.engine, namespace: deps.namespace, rule };

  router.post('/monitoring/rounds', ...manage, validate({ body: startBody }), async (_req, res) => {
    const body = res.locals.body as z.infer<typeof startBody>;
    const round = await monitoring.startQuarter(mdeps, principalOf(res), { fiscalYear: body.fiscalYear, quarter: body.quarter as 1 | 2 | 3 | 4 });
    res.status(round.created ? 201 : 200).json(round);
  });
  router.get('/monitoring/reports', ...read, validate({ query: reportListQuery }), async (_req, res) => {
    res.json(await monitoring.listReports(db, principalOf(res), res.locals.query as z.infer<typeof reportListQuery>, rule));
  });
  router.get('/monitoring/reports/:id', ...read, async (req, res) => {
    res.json(await monitoring.getReport(db, principalOf(res), parseId(req.params.id), rule));
  });
  router.post('/monitoring/reports/:id/report', ...unit, validate({ body: reportBody }), async (req, res) => {
    const reportId = parseId(req.params.id);
    await monitoring.fileReport(mdeps, principalOf(res), reportId, res.locals.body as z.infer<typeof reportBody>);
    res.json(await monitoring.getReport(db, principalOf(res), reportId, rule));
  });
  router.post('/monitoring/reports/:id/review', ...manage, validate({ body: reviewBody }), async (req, res) => {
    const reportId = parseId(req.params.id);
    await monitoring.reviewReport(mdeps, principalOf(res), reportId, res.locals.body as z.infer<typeof reviewBody>);
    res.json(await monitoring.getReport(db, principalOf(res), reportId, rule));
  });
  router.post('/monitoring/reports/:id/rectification', ...unit, validate({ body: answerBody }), async (req, res) => {
    const reportId = parseId(req.params.id);
    await monitoring.answerRectification(mdeps, principalOf(res), reportId, res.locals.body as z.infer<typeof answerBody>);
    res.json(await monitoring.getReport(db, principalOf(res), reportId, rule));
  });

  router.get('/execution/projects', ...execution, validate({ query: executionQuery }), async (_req, res) => {
    res.json(await executionByProject(db, principalOf(res), res.locals.query as ExecutionQuery, rule));
  });
  router.get('/execution/units', ...execution, validate({ query: executionQuery }), async (_req, res) => {
    res.json(await executionByUnit(db, principalOf(res), res.locals.query as ExecutionQuery, rule));
  });
  router.get('/execution/regions', ...execution, validate({ query: executionQuery }), async (_req, res) => {
    res.json(await executionByRegion(db, principalOf(res), res.locals.query as ExecutionQuery, rule));
  });
  return router;
}
