import { Router } from 'express';
import { z } from 'zod';
import { ADJUSTMENT_KINDS, ADJUSTMENT_STATUSES } from '../../domain/adjustments';
import * as adjustments from '../adjustments/service';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import type { KeyStore } from '../seals/key-store';
import { errors } from '../errors';
import { validate } from './validate';

/**
 * 预算调整申请 over HTTP: units, departments and the budget division file 调剂 / 追加 / 调减
 * (projects:write or projects:review; the service admits the filing roles of domain/adjustments.ts);
 * everyone who reads quotas reads the adjustments of their scope; approvers (projects:review:
 * 预算处 科室负责人, 局领导) decide their step, sealed. An adjustment of an organisation outside the
 * person's scope is 404. Amounts are integer fen.
 */

const id = z.number().int().positive().max(2_147_483_647);
const fen = z.number().int('金额应为整数（分）').positive('调整金额必须大于零').max(Number.MAX_SAFE_INTEGER);

export const documentBody = z
  .object({
    documentNo: z.string().trim().min(1, '请填写调整批复文号').max(100),
    title: z.string().trim().max(200).optional(),
    fileName: z.string().trim().min(1).max(200).optional(),
    contentBase64: z.string().min(1).max(Math.ceil((adjustments.MAX_DOCUMENT_BYTES * 4) / 3) + 4).regex(/^[A-Za-z0-9+/]+={0,2}$/, '文件内容应为 base64').optional(),
  })
  .strict();

export const fileBody = z
  .object({
    kind: z.enum(ADJUSTMENT_KINDS),
    fromQuotaId: id.optional(),
    toQuotaId: id.optional(),
    amountFen: fen,
    reason: z.string().trim().min(1, '请说明调整理由').max(500),
    document: documentBody.optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();

export const listQuery = z
  .object({
    status: z.enum(ADJUSTMENT_STATUSES).optional(),
    kind: z.enum(ADJUSTMENT_KINDS).optional(),
    todo: z.enum(['true', 'false']).optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export const decideBody = z
  .object({ decision: z.enum(['approve', 'reject']), comment: z.string().trim().max(500).optional(), signingPin: z.string().min(1).max(64).optional() })
  .strict()
  .refine((b) => b.decision !== 'reject' || (b.comment ?? '').length > 0, { message: '不同意时须说明理由', path: ['comment'] });

function parseId(raw: string | string[] | undefined): number {
  const r = z.coerce.number().int().positive().max(2_147_483_647).safeParse(raw);
  if (!r.success) throw errors.notFound('调整申请不存在');
  return r.data;
}

export function adjustmentRouter(deps: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore }): Router {
  const { db } = deps;
  const router = Router();
  const login = requireLogin(db);
  const file = [login, requireAnyPermission('projects:write', 'projects:review')];
  const read = [login, requirePermission('quotas:read')];
  const adeps: adjustments.AdjustmentDeps = { db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore };

  router.get('/adjustments', ...read, validate({ query: listQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof listQuery>;
    res.json(await adjustments.listAdjustments(db, principalOf(res), { ...q, todo: q.todo === 'true' }));
  });
  router.post('/adjustments', ...file, validate({ body: fileBody }), async (_req, res) => {
    const p = principalOf(res);
    const newId = await adjustments.fileAdjustment(adeps, p, res.locals.body as z.infer<typeof fileBody>);
    res.status(201).json(await adjustments.getAdjustment(adeps, p, newId));
  });
  router.get('/adjustments/:id', ...read, async (req, res) => {
    res.json(await adjustments.getAdjustment(adeps, principalOf(res), parseId(req.params.id)));
  });
  router.post('/adjustments/:id/document', ...file, validate({ body: documentBody }), async (req, res) => {
    const p = principalOf(res);
    const adjustmentId = parseId(req.params.id);
    await adjustments.recordDocument(adeps, p, adjustmentId, res.locals.body as z.infer<typeof documentBody>);
    res.json(await adjustments.getAdjustment(adeps, p, adjustmentId));
  });
  router.post('/adjustments/:id/decision', login, requirePermission('projects:review'), validate({ body: decideBody }), async (req, res) => {
    res.json(await adjustments.decide(adeps, principalOf(res), parseId(req.params.id), res.locals.body as z.infer<typeof decideBody>));
  });
  return router;
}
