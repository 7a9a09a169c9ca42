import { Router } from 'express';
import { z } from 'zod';
import { maskEmail, maskPhone, TIE_KINDS } from '../../domain/expert-review';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import * as pool from '../expert-review/pool';
import type { FieldKeyring } from '../../domain/field-cipher';
import { importPool, POOL_COLUMNS, POOL_NOTES } from '../expert-review/pool-workbook';
import * as review from '../expert-review/review';
import { validateFormData } from '../forms';
import type { KeyStore } from '../seals/key-store';
import { errors } from '../errors';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportColumn, type ExportLimits } from './excel-export';
import { validate } from './validate';

/**
 * 专家评审 over HTTP: the expert pool (专家库) and review batches (评审批次) for 绩效处/评审中心
 * (experts:manage), and the expert's own assignments (experts:score). An expert reaches only
 * assignments of their own: any other id answers 404, and the routes of the pool, the batches and
 * the projects answer 403 (experts hold none of their permissions) — blind scoring.
 */

const id = z.coerce.number().int().positive().max(2_147_483_647);
const specialty = z.string().regex(/^\d{3}$/, '专业领域应为 3 位功能分类类编码');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD');
const duration = z.string().regex(/^P[0-9DTHMS]+$/, '期限应为 ISO 8601 时长（如 P3D）');

export const expertListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    keyword: z.string().trim().min(1).max(50).optional(),
    specialty: specialty.optional(),
    available: z.enum(['true', 'false']).optional(),
  })
  .strict();
export const expertExportQuery = expertListQuery.omit({ page: true, pageSize: true });

export const expertBody = z
  .object({
    code: z.string().trim().min(1).max(30).regex(/^[A-Za-z0-9_-]+$/, '专家编号只能包含字母、数字、下划线和连字符'),
    name: z.string().trim().min(1).max(50),
    organisationName: z.string().trim().min(1).max(200),
    orgId: id.nullable().optional(),
    title: z.string().trim().min(1).max(50),
    phone: z.string().trim().regex(/^[0-9+\-() ]{5,30}$/, '联系电话格式不正确').nullable().optional(),
    email: z.string().trim().email('电子邮箱格式不正确').max(100).nullable().optional(),
    available: z.boolean(),
    specialties: z.array(specialty).min(1, '至少选择一个专业领域').max(30),
    username: z.string().trim().min(1).max(50).nullable().optional(),
    note: z.string().trim().max(500).nullable().optional(),
  })
  .strict();

export const tieBody = z
  .object({
    kind: z.enum(TIE_KINDS),
    orgId: id,
    relative: z.boolean().default(false),
    startedOn: isoDate.nullable().optional(),
    endedOn: isoDate.nullable().optional(),
    projectId: id.nullable().optional(),
    note: z.string().trim().max(500).nullable().optional(),
  })
  .strict();

export const expertImportBody = z
  .object({
    format: z.literal('xlsx', { error: 'format 应为 xlsx' }),
    base64: z.string().min(1).max(1_000_000, '文件不能超过 750 KB，请分批导入').regex(/^[A-Za-z0-9+/]+={0,2}$/, '不是有效的 base64'),
  })
  .strict();

export const batchBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    fiscalYear: z.number().int().min(2000).max(2100),
    sector: specialty.nullable().optional(),
    projectIds: z.array(id).min(1, '至少选择一个项目').max(2000),
    panelSize: z.number().int().min(1).max(15).default(5),
    respondWithin: duration.default('P3D'),
    scoreWithin: duration.default('P7D'),
    seed: z.string().regex(/^[0-9a-f]{32}$/, '随机种子应为 32 位十六进制数').optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();

export const batchListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    status: z.enum(['reviewing', 'awaiting_confirmation', 'confirmed']).optional(),
  })
  .strict();

export const confirmBody = z.object({ comment: z.string().trim().max(500).optional(), signingPin: z.string().min(1).max(64).optional() }).strict();
export const respondBody = z.object({ decision: z.enum(['accept', 'decline']), reason: z.string().trim().max(500).optional() }).strict();
export const scoreBody = z
  .object({
    scores: z.record(z.string(), z.number()),
    comment: z.string(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();

const EXPORT_COLUMNS: ReadonlyArray<ExportColumn<pool.ExpertSummary & { orgCode?: string | null }>> = POOL_COLUMNS.map((c) => ({
  header: c.header,
  width: c.width,
  type: 'text' as const,
  value: (e: pool.ExpertSummary & { orgCode?: string | null; note?: string | null }) =>
    ({
      code: e.code,
      name: e.name,
      organisationName: e.organisationName,
      orgCode: e.orgCode ?? null,
      title: e.title,
      specialties: e.specialties.join(','),
      phone: e.phone,
      email: e.email,
      available: e.available ? '是' : '否',
      username: e.username,
      note: e.note ?? null,
    })[c.key],
}));

function parseId(raw: string | string[] | undefined, what: string): number {
  const r = id.safeParse(raw);
  if (!r.success) throw errors.notFound(`${what}不存在`);
  return r.data;
}

export function expertReviewRouter(deps: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore; exportLimits?: ExportLimits; fieldKeys: FieldKeyring }): Router {
  const { db, exportLimits = DEFAULT_EXPORT_LIMITS, fieldKeys } = deps;
  const router = Router();
  const login = requireLogin(db);
  const manage = [login, requirePermission('experts:manage')];
  const score = [login, requirePermission('experts:score')];
  const rdeps: review.ReviewDeps = { db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore };
  const actor = (res: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(res);
    return { userId: p.userId, username: p.username };
  };

  // --- 专家库 -------------------------------------------------------------------------------
  router.get('/experts', ...manage, validate({ query: expertListQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof expertListQuery>;
    res.json(await pool.listExperts(db, fieldKeys, { ...q, available: q.available === undefined ? undefined : q.available === 'true' }, scopeOrgIds(db, principalOf(res))));
  });

  router.get('/experts/export', ...manage, validate({ query: expertExportQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof expertExportQuery>;
    const filters = { ...q, available: q.available === undefined ? undefined : q.available === 'true' };
    const p = principalOf(res);
    const orgCodes = new Map<number, string>();
    const notes = new Map<number, string | null>();
    await sendXlsxExport(
      res,
      {
        filename: '专家库',
        asciiFilename: 'experts',
        sheetName: '专家库',
        columns: EXPORT_COLUMNS.map((c): ExportColumn<pool.ExpertSummary> => ({ ...c, value: (e: pool.ExpertSummary) => (c.header === '单位机构编码' ? (e.orgId ? (orgCodes.get(e.orgId) ?? null) : null) : c.header === '备注' ? (notes.get(e.id) ?? null) : c.value(e)) })),
        source: (page, pageSize) => pool.listExperts(db, fieldKeys, { ...filters, page, pageSize }, scopeOrgIds(db, p)),
        preparePage: async (items) => {
          const orgIds = [...new Set(items.map((e) => e.orgId).filter((x): x is number => x !== null))];
          for (const o of (orgIds.length ? await db('organisations').whereIn('id', orgIds).select('id', 'code') : []) as Array<{ id: number; code: string }>) orgCodes.set(Number(o.id), o.code);
          for (const n of (await db('experts').whereIn('id', items.map((e) => e.id)).select('id', 'note')) as Array<{ id: number; note: string | null }>) notes.set(Number(n.id), n.note);
        },
        notes: POOL_NOTES,
      },
      exportLimits,
    );
  });

  router.post('/experts/import', ...manage, validate({ body: expertImportBody }), async (_req, res) => {
    const body = res.locals.body as z.infer<typeof expertImportBody>;
    const p = principalOf(res);
    res.status(201).json(await importPool(db, fieldKeys, actor(res), Buffer.from(body.base64, 'base64'), { scope: scopeOrgIds(db, p), keeperOrgId: p.orgId }));
  });

  router.get('/experts/:id', ...manage, async (req, res) => {
    const expertId = parseId(req.params.id, '专家');
    const e = await pool.getExpert(db, fieldKeys, expertId, scopeOrgIds(db, principalOf(res)));
    if (!e) throw errors.notFound(`专家 #${expertId} 不存在`);
    res.json(e);
  });

  router.post('/experts', ...manage, validate({ body: expertBody }), async (_req, res) => {
    const p = principalOf(res);
    // Kept by the creator's organisation: the pool's keepers of that scope see and change it.
    const newId = await pool.saveExpert(db, fieldKeys, actor(res), res.locals.body as z.infer<typeof expertBody>, undefined, { scope: scopeOrgIds(db, p), keeperOrgId: p.orgId });
    res.status(201).json(await pool.getExpert(db, fieldKeys, newId, undefined));
  });

  router.put('/experts/:id', ...manage, validate({ body: expertBody }), async (req, res) => {
    const expertId = parseId(req.params.id, '专家');
    const body = res.locals.body as z.infer<typeof expertBody>;
    const scope = scopeOrgIds(db, principalOf(res));
    const before = await pool.getExpert(db, fieldKeys, expertId, scope);
    if (!before) throw errors.notFound(`专家 #${expertId} 不存在`);
    // The form shows contact data masked when it was not opened in full: a masked value keeps what is stored.
    const keep = (sent: string | null | undefined, stored: string | null, mask: (v: string | null) => string | null) => (sent && sent === mask(stored) ? stored : sent);
    await pool.saveExpert(db, fieldKeys, actor(res), { ...body, phone: keep(body.phone, before.phone, maskPhone), email: keep(body.email, before.email, maskEmail) }, expertId, { scope, keeperOrgId: null });
    res.json(await pool.getExpert(db, fieldKeys, expertId, undefined));
  });

  router.post('/experts/:id/ties', ...manage, validate({ body: tieBody }), async (req, res) => {
    const expertId = parseId(req.params.id, '专家');
    await pool.addTie(db, actor(res), expertId, res.locals.body as z.infer<typeof tieBody>, scopeOrgIds(db, principalOf(res)));
    res.status(201).json(await pool.getExpert(db, fieldKeys, expertId, undefined));
  });

  router.delete('/experts/:id/ties/:tieId', ...manage, async (req, res) => {
    const expertId = parseId(req.params.id, '专家');
    await pool.removeTie(db, actor(res), expertId, parseId(req.params.tieId, '回避关系'), scopeOrgIds(db, principalOf(res)));
    res.status(204).end();
  });

  // --- 评审批次 -----------------------------------------------------------------------------
  router.get('/expert-batches', ...manage, validate({ query: batchListQuery }), async (_req, res) => {
    res.json(await review.listBatches(db, res.locals.query as z.infer<typeof batchListQuery>, scopeOrgIds(db, principalOf(res))));
  });

  router.post('/expert-batches', ...manage, validate({ body: batchBody }), async (_req, res) => {
    const p = principalOf(res);
    const opened = await review.openBatch(rdeps, p, scopeOrgIds(db, p), res.locals.body as z.infer<typeof batchBody>);
    res.status(201).json({ ...opened, batch: await review.getBatch(db, opened.id, undefined) });
  });

  router.get('/expert-batches/:id', ...manage, async (req, res) => {
    const batchId = parseId(req.params.id, '评审批次');
    const b = await review.getBatch(db, batchId, scopeOrgIds(db, principalOf(res)));
    if (!b) throw errors.notFound(`评审批次 #${batchId} 不存在`);
    res.json(b);
  });

  router.post('/expert-batches/:id/remind', ...manage, async (req, res) => {
    const batchId = parseId(req.params.id, '评审批次');
    if (!(await review.getBatch(db, batchId, scopeOrgIds(db, principalOf(res))))) throw errors.notFound(`评审批次 #${batchId} 不存在`);
    res.json(await review.remindBatch(db, principalOf(res), batchId));
  });

  router.post('/expert-batches/:id/confirm', ...manage, validate({ body: confirmBody }), async (req, res) => {
    const batchId = parseId(req.params.id, '评审批次');
    const body = res.locals.body as z.infer<typeof confirmBody>;
    if (!(await review.getBatch(db, batchId, scopeOrgIds(db, principalOf(res))))) throw errors.notFound(`评审批次 #${batchId} 不存在`);
    const form = validateFormData('expert-review-confirm', body.comment ? { comment: body.comment } : {});
    if (!form.ok) throw errors.validation(form.issues.map((i) => ({ field: `body.${i.field}`, message: i.message })));
    await review.confirmBatch(rdeps, principalOf(res), batchId, body);
    res.json(await review.getBatch(db, batchId, undefined));
  });

  // --- 我的评审（专家本人） -----------------------------------------------------------------
  router.get('/my-reviews', ...score, async (_req, res) => {
    res.json({ items: await review.myAssignments(db, principalOf(res).userId) });
  });

  router.get('/my-reviews/:id', ...score, async (req, res) => {
    res.json(await review.myAssignment(db, principalOf(res).userId, parseId(req.params.id, '评审任务')));
  });

  router.post('/my-reviews/:id/respond', ...score, validate({ body: respondBody }), async (req, res) => {
    const assignmentId = parseId(req.params.id, '评审任务');
    const body = res.locals.body as z.infer<typeof respondBody>;
    const form = validateFormData('expert-review-respond', body);
    if (!form.ok) throw errors.validation(form.issues.map((i) => ({ field: `body.${i.field}`, message: i.message })));
    await review.respond(rdeps, principalOf(res), assignmentId, body);
    res.json(await review.myAssignment(db, principalOf(res).userId, assignmentId));
  });

  router.post('/my-reviews/:id/score', ...score, validate({ body: scoreBody }), async (req, res) => {
    const assignmentId = parseId(req.params.id, '评审任务');
    const body = res.locals.body as z.infer<typeof scoreBody>;
    const form = validateFormData(review.SCORE_FORM, { ...body.scores, comment: body.comment });
    if (!form.ok) throw errors.validation(form.issues.map((i) => ({ field: i.field === 'comment' ? 'body.comment' : `body.scores.${i.field}`, message: i.message })));
    const values = form.data as Record<string, number | string>;
    const criteria = review.scoreCriteria();
    const scores = Object.fromEntries(criteria.map((c) => [c.key, Number(values[c.key])]));
    for (const c of criteria) {
      if (Math.abs(scores[c.key]! * 100 - Math.round(scores[c.key]! * 100)) > 1e-6) throw errors.validation([{ field: `body.scores.${c.key}`, message: `「${c.label}」的得分最多保留两位小数` }]);
    }
    const sealed = await review.submitScore(rdeps, principalOf(res), assignmentId, { scores, comment: String(values.comment), signingPin: body.signingPin });
    res.json({ ...sealed, assignment: await review.myAssignment(db, principalOf(res).userId, assignmentId) });
  });

  return router;
}
