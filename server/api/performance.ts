import express, { Router } from 'express';
import { z } from 'zod';
import { QUALITATIVE_BANDS } from '../../domain/performance-scoring';
import { fiscalYearOf } from '../../domain/time';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import type { Db } from '../db';
import { approvalDocument } from '../documents/approval';
import { renderEvaluationReportPdf } from '../documents/pdf';
import type { EngineClient } from '../engine/client';
import { errors } from '../errors';
import { syncInstance as sync } from '../inbox/sync';
import type { Logger } from '../log';
import * as perf from '../performance/evaluation';
import { MAX_ATTACHMENT_BYTES } from '../projects/service';
import type { KeyStore } from '../seals/key-store';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportLimits } from './excel-export';
import { evaluationResultsExport } from './performance-exports';
import { asciiFallback, fileNameHeader } from './projects';
import { validate } from './validate';

/**
 * 绩效评价 over HTTP: 绩效处 (performance:evaluate) starts the year's evaluations and reviews them;
 * the unit (performance:self-evaluate) files its self-evaluation — actuals, evidence, explanations;
 * both read the result, its history and the report. An evaluation whose project's unit is outside
 * the person's data scope answers 404. Task completion goes through the inbox (sealed there).
 */

const id = z.coerce.number().int().positive().max(2_147_483_647);
const fiscalYear = z.number().int().min(2000).max(2100);
const decimal = z.string().trim().regex(/^-?\d{1,12}(\.\d{1,4})?$/, '应为数字（最多 4 位小数）');
const percent = z.number().min(0).max(100);

export const startBody = z.object({ fiscalYear, projectIds: z.array(id).min(1).max(200) }).strict();
export const listQuery = z
  .object({
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    status: z.enum(['self_evaluation', 'review', 'external', 'grading', 'graded']).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
// The export takes the list's filters, without paging.
export const exportQuery = listQuery.omit({ page: true, pageSize: true });
export const candidatesQuery = z.object({ fiscalYear: z.coerce.number().int().min(2000).max(2100).optional() }).strict();
const actual = z
  .object({
    actualId: id,
    value: decimal.nullable().optional(),
    band: z.enum(QUALITATIVE_BANDS).nullable().optional(),
    percent: percent.nullable().optional(),
    gapExplanation: z.string().trim().max(1000).nullable().optional(),
  })
  .strict();
export const selfBody = z.object({ version: z.number().int().min(1), explanation: z.string().trim().max(2000).nullable().optional(), actuals: z.array(actual).max(200) }).strict();
export const submitBody = z.object({ comment: z.string().trim().max(1000).optional(), signingPin: z.string().min(1).max(64).optional() }).strict();
export const reviewBody = z
  .object({
    decision: z.enum(['approve', 'return']),
    comment: z.string().trim().max(500).optional(),
    adjustments: z.array(z.object({ actualId: id, value: decimal.nullable().optional(), band: z.enum(QUALITATIVE_BANDS).nullable().optional(), percent: percent.nullable().optional(), reason: z.string().trim().min(1, '调整实际值须写明理由').max(500) }).strict()).max(200).default([]),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();
export const evidenceQuery = z.object({ actualId: id.optional() }).strict();

function parseId(raw: unknown, what = '绩效评价'): number {
  const r = id.safeParse(raw);
  if (!r.success) throw errors.notFound(`${what}不存在`);
  return r.data;
}

export function performanceRouter(deps: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore; log: Logger; exportLimits?: ExportLimits }): Router {
  const { db } = deps;
  const router = Router();
  const login = requireLogin(db);
  const read = [login, requireAnyPermission('performance:self-evaluate', 'performance:evaluate')];
  const unit = [login, requirePermission('performance:self-evaluate')];
  const division = [login, requirePermission('performance:evaluate')];
  const edeps: perf.EvaluationDeps = { db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore, syncInstance: (pi) => sync({ db, engine: deps.engine, namespace: deps.namespace, log: deps.log }, pi) };
  const scope = (res: express.Response) => scopeOrgIds(db, principalOf(res));

  router.get('/performance/evaluations', ...read, validate({ query: listQuery }), async (_req, res) => {
    res.json(await perf.listEvaluations(db, scope(res), res.locals.query as z.infer<typeof listQuery>));
  });
  // Before /performance/evaluations/:id, which would take "export" for an id.
  router.get('/performance/evaluations/export', ...read, validate({ query: exportQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof exportQuery>;
    const s = scope(res);
    await sendXlsxExport(res, evaluationResultsExport((page, pageSize) => perf.evaluationResults(db, s, { ...q, page, pageSize })), deps.exportLimits ?? DEFAULT_EXPORT_LIMITS);
  });
  router.get('/performance/candidates', ...division, validate({ query: candidatesQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof candidatesQuery>;
    res.json(await perf.evaluationCandidates(db, scope(res), q.fiscalYear ?? fiscalYearOf(new Date()) - 1));
  });
  router.post('/performance/evaluations', ...division, validate({ body: startBody }), async (_req, res) => {
    res.status(201).json({ started: await perf.startEvaluations(edeps, principalOf(res), scope(res), res.locals.body as z.infer<typeof startBody>) });
  });
  router.get('/performance/evaluations/:id', ...read, async (req, res) => {
    res.json(await perf.getEvaluation(db, principalOf(res), scope(res), parseId(req.params.id)));
  });
  router.put('/performance/evaluations/:id/self-evaluation', ...unit, validate({ body: selfBody }), async (req, res) => {
    res.json(await perf.saveSelfEvaluation(db, principalOf(res), scope(res), parseId(req.params.id), res.locals.body as z.infer<typeof selfBody>));
  });
  router.post('/performance/evaluations/:id/self-evaluation/submit', ...unit, validate({ body: submitBody }), async (req, res) => {
    res.json(await perf.submitSelfEvaluation(edeps, principalOf(res), scope(res), parseId(req.params.id), res.locals.body as z.infer<typeof submitBody>, { ip: req.ip }));
  });
  router.post('/performance/evaluations/:id/review', ...division, validate({ body: reviewBody }), async (req, res) => {
    res.json(await perf.reviewEvaluation(edeps, principalOf(res), scope(res), parseId(req.params.id), res.locals.body as z.infer<typeof reviewBody>, { ip: req.ip }));
  });
  router.post('/performance/evaluations/:id/evidence', ...unit, validate({ query: evidenceQuery }), express.raw({ type: () => true, limit: MAX_ATTACHMENT_BYTES }), async (req, res) => {
    const evaluationId = parseId(req.params.id);
    // Scope first: another region's evaluation is a 404 whatever the request carries.
    await perf.assertSelfEvaluation(db, scope(res), evaluationId);
    const fileName = fileNameHeader(req.get('x-file-name'));
    const contentType = (req.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().slice(0, 100) || 'application/octet-stream';
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const q = res.locals.query as z.infer<typeof evidenceQuery>;
    res.status(201).json(await perf.addEvidence(db, principalOf(res), scope(res), evaluationId, { fileName, contentType, bytes, actualId: q.actualId ?? null }));
  });
  router.get('/performance/evaluations/:id/evidence/:evidenceId', ...read, async (req, res) => {
    const e = await perf.readEvidence(db, scope(res), parseId(req.params.id), parseId(req.params.evidenceId, '佐证材料'));
    res.setHeader('content-type', e.contentType);
    res.setHeader('content-disposition', `attachment; filename="${asciiFallback(e.fileName)}"; filename*=UTF-8''${encodeURIComponent(e.fileName)}`);
    res.setHeader('x-content-sm3', e.sm3);
    res.send(e.bytes);
  });
  router.delete('/performance/evaluations/:id/evidence/:evidenceId', ...unit, async (req, res) => {
    await perf.removeEvidence(db, principalOf(res), scope(res), parseId(req.params.id), parseId(req.params.evidenceId, '佐证材料'));
    res.status(204).end();
  });
  router.get('/performance/evaluations/:id/report.pdf', ...read, async (req, res) => {
    const report = await perf.evaluationReport(db, scope(res), parseId(req.params.id));
    const review = report.reviewTaskId ? await approvalDocument(db, report.reviewTaskId) : null;
    const pdf = await renderEvaluationReportPdf(report, review);
    res.setHeader('content-type', 'application/pdf');
    res.setHeader('content-disposition', `attachment; filename="performance-${report.projectNo}-${report.fiscalYear}.pdf"; filename*=UTF-8''${encodeURIComponent(`绩效评价报告-${report.projectNo}-${report.fiscalYear}.pdf`)}`);
    res.send(pdf);
  });
  return router;
}
