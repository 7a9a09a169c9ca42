import type { Router } from 'express';
import { maskEmail, maskPhone } from '../../domain/expert-review';
import { scopeOrgIds, type Principal } from '../auth/service';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import * as pool from '../expert-review/pool';
import type { FieldKeyring } from '../../domain/field-cipher';
import { importPool, POOL_COLUMNS, POOL_NOTES } from '../expert-review/pool-workbook';
import * as review from '../expert-review/review';
import { validateFormData } from '../forms';
import type { KeyStore } from '../seals/key-store';
import { errors } from '../errors';
import * as contracts from '../../contracts/expert-review';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportColumn, type ExportLimits } from './excel-export';
import { mountRoutes, routesWith } from './route';
import { exportNote, idParams, pathId, xlsxOk } from './route-doc';

/**
 * 专家评审 over HTTP: the expert pool (专家库) and review batches (评审批次) for 绩效处/评审中心
 * (experts:manage), and the expert's own assignments (experts:score). An expert reaches only
 * assignments of their own: any other id answers 404, and the routes of the pool, the batches and
 * the projects answer 403 (experts hold none of their permissions) — blind scoring.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

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

type ExpertReviewDeps = {
  db: Db;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
  exportLimits?: ExportLimits;
  fieldKeys: FieldKeyring;
};
const route = routesWith<ExpertReviewDeps>();

const tieParams = idParams.extend({ tieId: pathId('回避关系编号') });
const actor = (p: Principal) => ({ userId: p.userId, username: p.username });
const availableOf = (v: 'true' | 'false' | undefined) => (v === undefined ? undefined : v === 'true');
const reviewDeps = (deps: ExpertReviewDeps): review.ReviewDeps => ({
  db: deps.db,
  engine: deps.engine,
  namespace: deps.namespace,
  keyStore: deps.keyStore,
});

/** The batch inside the person's scope, or a 404 as if it did not exist. */
async function batchWithin(db: Db, p: Principal, batchId: number): Promise<void> {
  if (!(await review.getBatch(db, batchId, scopeOrgIds(db, p)))) throw errors.notFound(`评审批次 #${batchId} 不存在`);
}

export const expertReviewRoutes = [
  // --- 专家库 -------------------------------------------------------------------------------
  route({
    method: 'get',
    path: '/api/experts',
    summary: '专家库列表，分页（联系方式脱敏）',
    tag: 'experts',
    access: 'experts:manage',
    query: contracts.expertListQuery,
    response: contracts.expertPage,
    handle: ({ deps: { db, fieldKeys }, principal, query }) =>
      pool.listExperts(db, fieldKeys, { ...query, available: availableOf(query.available) }, scopeOrgIds(db, principal)),
  }),
  route({
    method: 'get',
    path: '/api/experts/export',
    summary: '导出专家库（Excel，联系方式脱敏，可直接再导入）',
    tag: 'experts',
    access: 'experts:manage',
    query: contracts.expertExportQuery,
    ok: xlsxOk,
    description: exportNote,
    handle: async ({ deps: { db, fieldKeys, exportLimits = DEFAULT_EXPORT_LIMITS }, principal, query, res }) => {
      const filters = { ...query, available: availableOf(query.available) };
      const orgCodes = new Map<number, string>();
      const notes = new Map<number, string | null>();
      await sendXlsxExport(
        res,
        {
          filename: '专家库',
          asciiFilename: 'experts',
          sheetName: '专家库',
          columns: EXPORT_COLUMNS.map((c): ExportColumn<pool.ExpertSummary> => ({
            ...c,
            value: (e: pool.ExpertSummary) =>
              c.header === '单位机构编码'
                ? e.orgId
                  ? (orgCodes.get(e.orgId) ?? null)
                  : null
                : c.header === '备注'
                  ? (notes.get(e.id) ?? null)
                  : c.value(e),
          })),
          source: (page, pageSize) => pool.listExperts(db, fieldKeys, { ...filters, page, pageSize }, scopeOrgIds(db, principal)),
          preparePage: async (items) => {
            const orgIds = [...new Set(items.map((e) => e.orgId).filter((x): x is number => x !== null))];
            for (const o of (orgIds.length ? await db('organisations').whereIn('id', orgIds).select('id', 'code') : []) as Array<{
              id: number;
              code: string;
            }>)
              orgCodes.set(Number(o.id), o.code);
            for (const n of (await db('experts')
              .whereIn(
                'id',
                items.map((e) => e.id),
              )
              .select('id', 'note')) as Array<{ id: number; note: string | null }>)
              notes.set(Number(n.id), n.note);
          },
          notes: POOL_NOTES,
        },
        exportLimits,
      );
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/api/experts/import',
    summary: '从 Excel 导入专家（按专家编号新增或更新，全部成功才写入）',
    tag: 'experts',
    access: 'experts:manage',
    body: contracts.expertImportBody,
    ok: { status: 201, description: '已导入：新增与更新的人数' },
    response: contracts.expertImportResult,
    description: '任何一行有问题时为 400 IMPORT_FAILED，details 按行、列列出问题，不写入任何数据；脱敏的联系方式（含 *）表示不修改。',
    handle: ({ deps: { db, fieldKeys }, principal: p, body }) =>
      importPool(db, fieldKeys, actor(p), Buffer.from(body.base64, 'base64'), { scope: scopeOrgIds(db, p), keeperOrgId: p.orgId }),
  }),
  route({
    method: 'get',
    path: '/api/experts/{id}',
    summary: '专家详情（含完整联系方式与回避关系）',
    tag: 'experts',
    access: 'experts:manage',
    params: idParams,
    notFound: '专家',
    response: contracts.expertDetail,
    handle: async ({ deps: { db, fieldKeys }, principal, params }) => {
      const e = await pool.getExpert(db, fieldKeys, params.id, scopeOrgIds(db, principal));
      if (!e) throw errors.notFound(`专家 #${params.id} 不存在`);
      return e;
    },
  }),
  route({
    method: 'post',
    path: '/api/experts',
    summary: '新增专家',
    tag: 'experts',
    access: 'experts:manage',
    body: contracts.expertBody,
    ok: { status: 201, description: '已新增' },
    response: contracts.expertDetail,
    refusals: [409],
    handle: async ({ deps: { db, fieldKeys }, principal: p, body }) => {
      // Kept by the creator's organisation: the pool's keepers of that scope see and change it.
      const newId = await pool.saveExpert(db, fieldKeys, actor(p), body, undefined, { scope: scopeOrgIds(db, p), keeperOrgId: p.orgId });
      return pool.getExpert(db, fieldKeys, newId, undefined);
    },
  }),
  route({
    method: 'put',
    path: '/api/experts/{id}',
    summary: '修改专家信息、专业领域与可参评状态',
    tag: 'experts',
    access: 'experts:manage',
    params: idParams,
    notFound: '专家',
    body: contracts.expertBody,
    response: contracts.expertDetail,
    refusals: [409],
    handle: async ({ deps: { db, fieldKeys }, principal: p, params: { id: expertId }, body }) => {
      const scope = scopeOrgIds(db, p);
      const before = await pool.getExpert(db, fieldKeys, expertId, scope);
      if (!before) throw errors.notFound(`专家 #${expertId} 不存在`);
      // The form shows contact data masked when it was not opened in full: a masked value keeps what is stored.
      const keep = (sent: string | null | undefined, stored: string | null, mask: (v: string | null) => string | null) =>
        sent && sent === mask(stored) ? stored : sent;
      await pool.saveExpert(
        db,
        fieldKeys,
        actor(p),
        { ...body, phone: keep(body.phone, before.phone, maskPhone), email: keep(body.email, before.email, maskEmail) },
        expertId,
        { scope, keeperOrgId: null },
      );
      return pool.getExpert(db, fieldKeys, expertId, undefined);
    },
  }),
  route({
    method: 'post',
    path: '/api/experts/{id}/ties',
    summary: '登记回避关系（任职、咨询、纠纷、投资、参与编制；本人或近亲属）',
    tag: 'experts',
    access: 'experts:manage',
    params: idParams,
    notFound: '专家',
    body: contracts.tieBody,
    ok: { status: 201, description: '已登记' },
    response: contracts.expertDetail,
    handle: async ({ deps: { db, fieldKeys }, principal: p, params: { id: expertId }, body }) => {
      await pool.addTie(db, actor(p), expertId, body, scopeOrgIds(db, p));
      return pool.getExpert(db, fieldKeys, expertId, undefined);
    },
  }),
  route({
    method: 'delete',
    path: '/api/experts/{id}/ties/{tieId}',
    summary: '删除回避关系',
    tag: 'experts',
    access: 'experts:manage',
    params: tieParams,
    notFound: { id: '专家', tieId: '回避关系' },
    ok: { status: 204, description: '已删除' },
    handle: ({ deps: { db }, principal: p, params }) => pool.removeTie(db, actor(p), params.id, params.tieId, scopeOrgIds(db, p)),
  }),

  // --- 评审批次 -----------------------------------------------------------------------------
  route({
    method: 'get',
    path: '/api/expert-batches',
    summary: '评审批次列表，分页',
    tag: 'experts',
    access: 'experts:manage',
    query: contracts.batchListQuery,
    response: contracts.batchPage,
    handle: ({ deps: { db }, principal, query }) => review.listBatches(db, query, scopeOrgIds(db, principal)),
  }),
  route({
    method: 'post',
    path: '/api/expert-batches',
    summary: '开启评审批次：为每个项目随机抽取专家（回避规则自动适用），抽取结果签章入审计链，启动评审流程',
    tag: 'experts',
    access: 'experts:manage',
    body: contracts.batchBody,
    ok: { status: 201, description: '已开启：批次编号、随机种子、流程实例与批次详情' },
    response: contracts.batchOpened,
    refusals: [409, 503],
    description:
      '只有本人数据范围内、已入库（储备）且不在其他未确认批次中的项目可以纳入，否则为 400 BATCH_PROJECTS_INVALID（details 逐项说明）。给定 seed 可复现一次抽取。已开通电子签章者须带 signingPin。流程引擎不可用时为 503，不写入任何数据。',
    handle: async ({ deps, principal: p, body }) => {
      const opened = await review.openBatch(reviewDeps(deps), p, scopeOrgIds(deps.db, p), body);
      return { ...opened, batch: await review.getBatch(deps.db, opened.id, undefined) };
    },
  }),
  route({
    method: 'get',
    path: '/api/expert-batches/{id}',
    summary: '评审批次详情：每个项目、每位专家的进度，评审完毕后的得分与结论',
    tag: 'experts',
    access: 'experts:manage',
    params: idParams,
    notFound: '评审批次',
    response: contracts.batchDetail,
    description: '项目评审完毕前不显示各专家的评分。',
    handle: async ({ deps: { db }, principal, params }) => {
      const b = await review.getBatch(db, params.id, scopeOrgIds(db, principal));
      if (!b) throw errors.notFound(`评审批次 #${params.id} 不存在`);
      return b;
    },
  }),
  route({
    method: 'post',
    path: '/api/expert-batches/{id}/remind',
    summary: '催办：提醒尚未答复或尚未评分的专家（每位每小时至多一次）',
    tag: 'experts',
    access: 'experts:manage',
    params: idParams,
    notFound: '评审批次',
    response: contracts.batchReminded,
    handle: async ({ deps: { db }, principal: p, params }) => {
      await batchWithin(db, p, params.id);
      return review.remindBatch(db, p, params.id);
    },
  }),
  route({
    method: 'post',
    path: '/api/expert-batches/{id}/confirm',
    summary: '绩效处确认评审结果（签章），得分与结论写入项目',
    tag: 'experts',
    access: 'experts:manage',
    params: idParams,
    notFound: '评审批次',
    body: contracts.confirmBody,
    response: contracts.batchDetail,
    refusals: [409, 503],
    description: '还有项目未评审完毕时为 409 BATCH_NOT_READY；已确认为 409 BATCH_ALREADY_CONFIRMED。',
    handle: async ({ deps, principal: p, params: { id: batchId }, body }) => {
      await batchWithin(deps.db, p, batchId);
      const form = validateFormData('expert-review-confirm', body.comment ? { comment: body.comment } : {});
      if (!form.ok) throw errors.validation(form.issues.map((i) => ({ field: `body.${i.field}`, message: i.message })));
      await review.confirmBatch(reviewDeps(deps), p, batchId, body);
      return review.getBatch(deps.db, batchId, undefined);
    },
  }),

  // --- 我的评审（专家本人） -----------------------------------------------------------------
  route({
    method: 'get',
    path: '/api/my-reviews',
    summary: '我的评审任务（专家本人）',
    tag: 'experts',
    access: 'experts:score',
    response: contracts.myAssignments,
    handle: async ({ deps: { db }, principal }) => ({ items: await review.myAssignments(db, principal.userId) }),
  }),
  route({
    method: 'get',
    path: '/api/my-reviews/{id}',
    summary: '评审任务详情：项目内容、评审指标、本人已提交的评分',
    tag: 'experts',
    access: 'experts:score',
    params: idParams,
    notFound: '评审任务',
    response: contracts.myAssignmentDetail,
    description: '只能查看本人的评审任务，其他编号一律 404；任何接口都不向专家提供其他专家的评分。',
    handle: ({ deps: { db }, principal, params }) => review.myAssignment(db, principal.userId, params.id),
  }),
  route({
    method: 'post',
    path: '/api/my-reviews/{id}/respond',
    summary: '接受或谢绝评审邀请（谢绝须说明原因，系统补抽其他专家）',
    tag: 'experts',
    access: 'experts:score',
    params: idParams,
    notFound: '评审任务',
    body: contracts.respondBody,
    response: contracts.myAssignmentDetail,
    refusals: [409, 503],
    description: '已答复为 409 ASSIGNMENT_ANSWERED；答复期限已过为 409 ASSIGNMENT_GONE。',
    handle: async ({ deps, principal: p, params: { id: assignmentId }, body }) => {
      const form = validateFormData('expert-review-respond', body);
      if (!form.ok) throw errors.validation(form.issues.map((i) => ({ field: `body.${i.field}`, message: i.message })));
      await review.respond(reviewDeps(deps), p, assignmentId, body);
      return review.myAssignment(deps.db, p.userId, assignmentId);
    },
  }),
  route({
    method: 'post',
    path: '/api/my-reviews/{id}/score',
    summary: '提交评分（五项指标与评审意见，本人 SM2 签章）',
    tag: 'experts',
    access: 'experts:score',
    params: idParams,
    notFound: '评审任务',
    body: contracts.scoreBody,
    response: contracts.scoreSubmitted,
    refusals: [409, 503],
    description:
      '每项得分在 0 到该项满分之间、最多两位小数；提交后不可修改（409 SCORE_ALREADY_SUBMITTED）。已开通电子签章者须带 signingPin。',
    handle: async ({ deps, principal: p, params: { id: assignmentId }, body }) => {
      const form = validateFormData(review.SCORE_FORM, { ...body.scores, comment: body.comment });
      if (!form.ok)
        throw errors.validation(
          form.issues.map((i) => ({ field: i.field === 'comment' ? 'body.comment' : `body.scores.${i.field}`, message: i.message })),
        );
      const values = form.data as Record<string, number | string>;
      const criteria = review.scoreCriteria();
      const scores = Object.fromEntries(criteria.map((c) => [c.key, Number(values[c.key])]));
      for (const c of criteria) {
        if (Math.abs(scores[c.key]! * 100 - Math.round(scores[c.key]! * 100)) > 1e-6)
          throw errors.validation([{ field: `body.scores.${c.key}`, message: `「${c.label}」的得分最多保留两位小数` }]);
      }
      const sealed = await review.submitScore(reviewDeps(deps), p, assignmentId, {
        scores,
        comment: String(values.comment),
        signingPin: body.signingPin,
      });
      return { ...sealed, assignment: await review.myAssignment(deps.db, p.userId, assignmentId) };
    },
  }),
];

export function expertReviewRouter(deps: ExpertReviewDeps): Router {
  return mountRoutes(deps.db, deps, expertReviewRoutes);
}
