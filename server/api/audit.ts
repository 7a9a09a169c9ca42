import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db';
import { requireLogin, requirePermission } from '../auth/middleware';
import { createCheckpoint, listAuditRecords } from '../audit/service';
import { verifyChain } from '../audit/verify';
import { platformKey } from '../seals/platform-key';
import { validate } from './validate';
import { errors } from './errors';
import { principalOf } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import { packageText, projectEvidence } from '../audit/evidence';

/**
 * The audit chain for compliance staff and the audit admin (audit:read): verification of the
 * whole chain, the records (paginated, by subject), and signed checkpoints on demand.
 * Mounted by server/api/app.ts.
 */
export const recordsQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
    subjectType: z.string().trim().min(1).max(30).optional(),
    subjectId: z.string().trim().min(1).max(64).optional(),
    projectId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    kind: z.string().trim().min(1).max(60).optional(),
    sealed: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  })
  .strict();

export function auditRouter({ db, sealSecret }: { db: Db; sealSecret: string }): Router {
  const router = Router();
  const login = requireLogin(db);

  router.get('/audit/verify', login, requirePermission('audit:read'), async (_req, res) => {
    res.json(await verifyChain(db, await platformKey(db, sealSecret)));
  });

  router.get('/audit/records', login, requirePermission('audit:read'), validate({ query: recordsQuery }), async (_req, res) => {
    res.json(await listAuditRecords(db, res.locals.query as z.infer<typeof recordsQuery>));
  });

  router.post('/audit/checkpoints', login, requirePermission('audit:read'), async (_req, res) => {
    const cp = await createCheckpoint(db, await platformKey(db, sealSecret));
    res.status(cp ? 201 : 204);
    if (cp) res.json(cp);
    else res.end();
  });

  /** 证据包: the project's audit records, signed as of a checkpoint taken now; a project outside the scope is a 404. */
  router.get('/projects/:id/evidence', login, requirePermission('audit:read'), async (req, res) => {
    const raw = String(req.params.id);
    const id = /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
    const project = id > 0 ? ((await db('projects').where('id', id).first('id', 'project_no', 'name', 'unit_org_id')) as { id: number; project_no: string; name: string; unit_org_id: number } | undefined) : undefined;
    const visible = project && ((await scopeOrgIds(db, principalOf(res)).where('id', project.unit_org_id)) as unknown[]).length > 0;
    if (!project || !visible) throw errors.notFound(`项目 #${raw} 不存在`);
    const pkg = await projectEvidence(db, await platformKey(db, sealSecret), { id: project.id });
    res.setHeader('content-disposition', `attachment; filename="evidence-${project.project_no}.json"`);
    res.type('application/json; charset=utf-8').send(packageText(pkg));
  });

  return router;
}
