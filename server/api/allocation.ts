import { Router } from 'express';
import { z } from 'zod';
import * as allocation from '../allocation/service';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import type { KeyStore } from '../seals/key-store';
import { errors } from '../errors';
import { validate } from './validate';

/**
 * 预算编制/分配 over HTTP: the budget division (quotas:issue) builds, edits and submits the year's
 * allocation; approvers (projects:review: 预算处 科室负责人, 局领导) read it and decide their step;
 * the 批复 shows the issued quotas. An allocation of a bureau outside the person's region is 404.
 */

const id = z.coerce.number().int().positive().max(2_147_483_647);
const fen = z.number().int('金额应为整数（分）').min(0, '金额不能为负').max(Number.MAX_SAFE_INTEGER);
const sector = z.string().regex(/^\d{3}$/, '领域应为 3 位支出功能分类类编码');

export const controlTotal = z.object({ departmentOrgId: id, sector, amountFen: fen }).strict();
export const createBody = z
  .object({
    fiscalYear: z.number().int().min(2000).max(2100),
    name: z.string().trim().min(1).max(200),
    majorDecision: z.boolean().default(false),
    controlTotals: z.array(controlTotal).max(2000).default([]),
  })
  .strict();
export const listQuery = z.object({ fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(), status: z.enum(['draft', 'approving', 'issued']).optional() }).strict();
export const linesBody = z.object({ version: z.number().int().min(1), lines: z.array(z.object({ projectId: id, proposedFen: fen }).strict()).min(1).max(20_000) }).strict();
export const totalsBody = z.object({ version: z.number().int().min(1), controlTotals: z.array(controlTotal).max(2000) }).strict();
export const submitBody = z.object({ version: z.number().int().min(1), signingPin: z.string().min(1).max(64).optional() }).strict();
export const decideBody = z
  .object({ decision: z.enum(['approve', 'reject']), comment: z.string().trim().max(500).optional(), signingPin: z.string().min(1).max(64).optional() })
  .strict()
  .refine((b) => b.decision !== 'reject' || (b.comment ?? '').length > 0, { message: '不同意时须说明理由', path: ['comment'] });

function parseId(raw: string | string[] | undefined): number {
  const r = id.safeParse(raw);
  if (!r.success) throw errors.notFound('预算分配方案不存在');
  return r.data;
}

export function allocationRouter(deps: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore }): Router {
  const { db } = deps;
  const router = Router();
  const login = requireLogin(db);
  const build = [login, requirePermission('quotas:issue')];
  const read = [login, requireAnyPermission('quotas:issue', 'projects:review')];
  const adeps: allocation.AllocationDeps = { db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore };

  router.get('/allocations', ...read, validate({ query: listQuery }), async (_req, res) => {
    res.json(await allocation.listAllocations(db, principalOf(res), res.locals.query as z.infer<typeof listQuery>));
  });
  router.post('/allocations', ...build, validate({ body: createBody }), async (_req, res) => {
    const p = principalOf(res);
    const newId = await allocation.createAllocation(adeps, p, scopeOrgIds(db, p), res.locals.body as z.infer<typeof createBody>);
    res.status(201).json(await allocation.getAllocation(adeps, p, newId));
  });
  router.get('/allocations/:id', ...read, async (req, res) => {
    res.json(await allocation.getAllocation(adeps, principalOf(res), parseId(req.params.id)));
  });
  router.put('/allocations/:id/lines', ...build, validate({ body: linesBody }), async (req, res) => {
    res.json(await allocation.editLines(db, principalOf(res), parseId(req.params.id), res.locals.body as z.infer<typeof linesBody>));
  });
  router.put('/allocations/:id/control-totals', ...build, validate({ body: totalsBody }), async (req, res) => {
    const p = principalOf(res);
    res.json(await allocation.setControlTotals(db, p, parseId(req.params.id), scopeOrgIds(db, p), res.locals.body as z.infer<typeof totalsBody>));
  });
  router.post('/allocations/:id/submit', ...build, validate({ body: submitBody }), async (req, res) => {
    res.json(await allocation.submitAllocation(adeps, principalOf(res), parseId(req.params.id), res.locals.body as z.infer<typeof submitBody>));
  });
  router.post('/allocations/:id/decision', ...read, validate({ body: decideBody }), async (req, res) => {
    res.json(await allocation.decide(adeps, principalOf(res), parseId(req.params.id), res.locals.body as z.infer<typeof decideBody>));
  });
  return router;
}
