import express, { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { requireLogin, requirePermission } from '../auth/middleware';
import { createCheckpoint, listAuditRecords } from '../audit/service';
import { verifyChain } from '../audit/verify';
import { platformKey } from '../seals/platform-key';
import { validate } from './validate';
import { errors } from '../errors';
import { principalOf } from '../auth/middleware';
import { canSee, scopeOrgIds } from '../auth/service';
import { packageText, processEvidence, projectEvidence } from '../audit/evidence';
import { verifyEvidencePackage } from '../../domain/evidence';
import { instanceReplay } from '../audit/replay';

/**
 * The audit chain for compliance staff and the audit admin (audit:read): verification of the
 * whole chain, the records (paginated, by subject; only those of the reader's data scope,
 * audit/service.ts auditScope), and signed checkpoints on demand.
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
    projectNo: z.string().trim().min(1).max(40).optional(),
    kind: z.string().trim().min(1).max(60).optional(),
    kindPrefix: z.string().trim().min(1).max(60).optional(),
    sealed: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  })
  .strict();

export function auditRouter({ db, engine, sealSecret }: { db: Db; engine: EngineClient; sealSecret: string }): Router {
  const router = Router();
  const login = requireLogin(db);

  router.get('/audit/verify', login, requirePermission('audit:read'), async (_req, res) => {
    res.json(await verifyChain(db, await platformKey(db, sealSecret)));
  });

  router.get('/audit/records', login, requirePermission('audit:read'), validate({ query: recordsQuery }), async (_req, res) => {
    res.json(await listAuditRecords(db, res.locals.query as z.infer<typeof recordsQuery>, scopeOrgIds(db, principalOf(res))));
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
    const visible = project && (await canSee(db, principalOf(res), project.unit_org_id));
    if (!project || !visible) throw errors.notFound(`项目 #${raw} 不存在`);
    const pkg = await projectEvidence(db, await platformKey(db, sealSecret), { id: project.id });
    res.setHeader('content-disposition', `attachment; filename="evidence-${project.project_no}.json"`);
    res.type('application/json; charset=utf-8').send(packageText(pkg));
  });

  /**
   * 流程实例证据包: the records of one process instance (its tasks' events and seals, its workers'
   * status changes) and the engine's history of it, signed by the platform (domain/evidence.ts).
   */
  /** A project's process instance the caller may see; any other (unknown, outside the scope, malformed) is a 404. */
  async function visibleInstance(raw: string, res: express.Response): Promise<{ processInstanceKey: string; project: { id: number; projectNo: string; name: string } }> {
    const instance = /^[A-Za-z0-9-]{1,64}$/.test(raw) ? ((await db('process_instances').where({ process_instance_key: raw, business_type: 'project' }).first('process_instance_key', 'business_id')) as { process_instance_key: string; business_id: number } | undefined) : undefined;
    const project = instance ? ((await db('projects').where('id', instance.business_id).first('id', 'project_no', 'name', 'unit_org_id')) as { id: number; project_no: string; name: string; unit_org_id: number } | undefined) : undefined;
    const visible = project && (await canSee(db, principalOf(res), project.unit_org_id));
    if (!instance || !project || !visible) throw errors.notFound(`流程实例 ${raw} 不存在`);
    return { processInstanceKey: instance.process_instance_key, project: { id: Number(project.id), projectNo: project.project_no, name: project.name } };
  }

  /**
   * 流程实例证据包: the records of one process instance (its tasks' events and seals, its workers'
   * status changes) and the engine's history of it, signed by the platform (domain/evidence.ts).
   */
  router.get('/processes/instances/:key/evidence', login, requirePermission('audit:read'), async (req, res) => {
    const instance = await visibleInstance(String(req.params.key), res);
    const pkg = await processEvidence(db, engine, await platformKey(db, sealSecret), { processInstanceKey: instance.processInstanceKey, projectId: instance.project.id });
    res.setHeader('content-disposition', `attachment; filename="evidence-${instance.project.projectNo}-${instance.processInstanceKey}.json"`);
    res.type('application/json; charset=utf-8').send(packageText(pkg));
  });

  /** 流程回放: every step of the instance from the engine's history, with its seal checked against the chain now (server/audit/replay.ts). */
  router.get('/processes/instances/:key/replay', login, requirePermission('audit:read'), async (req, res) => {
    const instance = await visibleInstance(String(req.params.key), res);
    res.json(await instanceReplay(db, engine, await platformKey(db, sealSecret), instance));
  });

  /**
   * 证据包核验: the same checks as `npm run verify` (domain/evidence.ts), for staff who upload a
   * package in the browser. The file is the request body as it is (application/octet-stream): the
   * canonical-form check needs its exact bytes, so it must not go through the JSON parser.
   */
  router.post('/audit/verify-package', login, requirePermission('audit:read'), express.raw({ type: () => true, limit: MAX_PACKAGE_BYTES }), async (req, res) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw errors.badRequest('PACKAGE_NOT_RAW', '请上传证据包文件本身（Content-Type: application/octet-stream）', [{ field: 'body', message: '须为证据包文件' }]);
    }
    res.json(verifyEvidencePackage(req.body.toString('utf8')));
  });

  return router;
}

/** A 10,000-record package is about 11 MB. */
export const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;
