import type { Response, Router } from 'express';
import { z } from 'zod';
import { ENTRY_KIND_LABELS, LedgerError, QUOTA_ACTION_PERMISSIONS, quotaActions } from '../../domain/ledger';
import type { Permission } from '../../domain/roles';
import { toShanghaiIso } from '../../domain/time';
import type { Db } from '../db';
import { canSee, scopeOrgIds, type Principal } from '../auth/service';
import * as ledger from '../ledger/service';
import { projectVisibleTo } from '../projects/visibility';
import { errors } from '../errors';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportLimits } from './excel-export';
import { journalExport, quotaExport } from './quota-exports';
import type { KeyStore } from '../seals/key-store';
import { verificationCode } from '../../domain/audit-chain';
import * as contracts from '../../contracts/quotas';
import { mountRoutes, routesWith } from './route';
import { exportNote, idParams, xlsxOk } from './route-doc';

/**
 * The quota ledger (指标账) over HTTP. Amounts are integer fen; every write answers with the
 * journal entry and the quota's balance after it. A LedgerError is a 409 with its stable code and
 * Chinese message; an unknown quota is a 404.
 *
 * Every route needs a session; reading needs quotas:read, issuing, adjusting, transferring (调剂)
 * and carrying over (结转) quotas:issue (预算处), freezing and paying quotas:freeze. The actor of every entry is the session's user.
 * Data scope: a quota of a unit outside the person's scope does not exist for them (404).
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 * Mounted by server/api/app.ts.
 */

const amountFen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const id = z.number().int().positive().max(2_147_483_647);

const entryMeta = {
  amountFen,
  reason: z.string().trim().min(1).max(500),
  idempotencyKey: z
    .string()
    .min(1)
    .max(ledger.IDEMPOTENCY_KEY_MAX)
    .regex(ledger.IDEMPOTENCY_KEY_PATTERN, '只能包含字母、数字和 _ . : -')
    .optional(),
  referenceType: z.string().trim().min(1).max(50).optional(),
  referenceId: z.string().trim().min(1).max(100).optional(),
};
const bothOrNeither = (b: { referenceType?: string; referenceId?: string }) =>
  (b.referenceType === undefined) === (b.referenceId === undefined);
const referenceIssue = { message: 'referenceType 与 referenceId 须同时填写', path: ['referenceId'] };

export const entryBody = z.object(entryMeta).strict().refine(bothOrNeither, referenceIssue);

export const issueBody = z
  .object({
    ...entryMeta,
    // No quotaNo: the ledger numbers quotas itself (ZB2026-000042); a number is never typed.
    fiscalYear: z.number().int().min(2000).max(2100),
    projectId: id.nullish(),
    unitOrgId: id.nullish(),
    functionalCode: z.string().regex(/^\d{3}(\d{2}){0,2}$/, '功能分类科目应为 3、5 或 7 位数字'),
    economicCode: z.string().regex(/^\d{3}(\d{2})?$/, '经济分类科目应为 3 或 5 位数字'),
    fundSource: z.string().trim().min(1).max(50),
    documentNo: z.string().trim().min(1).max(100),
    /** The issuer's signing PIN: seals the issuance (required once the issuer has enrolled). */
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine(bothOrNeither, referenceIssue);

export const transferBody = z
  .object({ ...entryMeta, fromQuotaId: id, toQuotaId: id })
  .strict()
  .refine(bothOrNeither, referenceIssue);

/**
 * 结转 into an existing quota of a later year, or into a new one. The new quota keeps the source's
 * project and unit (the money stays the project's, and so in the same data scope); its year
 * defaults to the next, its codes, fund source and document number to the source's.
 */
const carryOverInto = z.union(
  [
    z.object({ quotaId: id }).strict(),
    z
      .object({
        fiscalYear: z.number().int().min(2000).max(2100).optional(),
        functionalCode: z
          .string()
          .regex(/^\d{3}(\d{2}){0,2}$/, '功能分类科目应为 3、5 或 7 位数字')
          .optional(),
        economicCode: z
          .string()
          .regex(/^\d{3}(\d{2})?$/, '经济分类科目应为 3 或 5 位数字')
          .optional(),
        fundSource: z.string().trim().min(1).max(50).optional(),
        documentNo: z.string().trim().min(1).max(100).optional(),
      })
      .strict(),
  ],
  { error: '结转目标应为已有指标 { quotaId } 或新指标 { fiscalYear?, documentNo?, … }（新指标编号由系统生成）' },
);
export const carryOverBody = z
  .object({ ...entryMeta, into: carryOverInto })
  .strict()
  .refine(bothOrNeither, referenceIssue);

const pageQuery = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('asc'),
};
export const listQuery = z
  .object({
    ...pageQuery,
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    projectId: z.coerce.number().int().positive().optional(),
    quotaNo: z.string().trim().min(1).max(50).optional(),
    sort: z.enum(Object.keys(ledger.QUOTA_SORTS) as [keyof typeof ledger.QUOTA_SORTS]).default('id'),
  })
  .strict();
export const journalQuery = z.object(pageQuery).strict();
// An export takes the list's filters and sort, without paging: it holds every matching row.
export const exportQuery = listQuery.omit({ page: true, pageSize: true });
export const journalExportQuery = journalQuery.omit({ page: true, pageSize: true });

type QuotaDeps = { db: Db; exportLimits: ExportLimits; keyStore: KeyStore };
const route = routesWith<QuotaDeps>();

const ledgerRefusal = '记账被拒绝时为 409，error.code 为账本的稳定代码（如 INSUFFICIENT_AVAILABLE 可用指标不足、IDEMPOTENCY_KEY_REUSED）。';
const entryOk = {
  status: 201,
  description: '已记账：记账流水与记账后的指标；幂等键命中之前的记账时为 200（replayed: true，未做任何改动）',
} as const;
const pairOk = {
  status: 201,
  description: '已记账：调出与调入两笔流水及两个指标记账后的余额；幂等键命中时为 200（replayed: true）',
} as const;

/** A one-quota entry (冻结、解冻、支付、追加、调减): POST /api/quotas/{id}/<path>. */
const entry = (
  path: string,
  summary: string,
  access: Permission,
  operation: (db: Db, input: ledger.EntryInput) => Promise<ledger.EntryResult>,
) =>
  route({
    method: 'post',
    path: `/api/quotas/{id}/${path}`,
    summary,
    tag: 'quotas',
    access,
    params: idParams,
    notFound: '指标',
    body: entryBody,
    ok: entryOk,
    response: contracts.entryResult,
    refusals: [409],
    description: ledgerRefusal,
    handle: async ({ deps: { db }, principal: p, params, body, res }) => {
      const { referenceType, referenceId, ...b } = body;
      const quotaId = await quotaInScope(db, p, params.id);
      const r = await call(() =>
        operation(db, { ...b, actor: p.username, actorUserId: p.userId, quotaId, reference: reference(referenceType, referenceId) }),
      );
      sendEntry(res, r);
      return undefined;
    },
  });

export const quotaRoutes = [
  route({
    method: 'get',
    path: '/api/quotas',
    summary: '指标列表（本人数据范围内），分页',
    tag: 'quotas',
    access: 'quotas:read',
    query: listQuery,
    response: contracts.quotaPage,
    handle: async ({ deps: { db }, principal, query }) => {
      const { quotaNo, ...rest } = query;
      const page = await ledger.listQuotas(db, { ...rest, quotaNoContains: quotaNo }, scopeOf(db, principal));
      return { ...page, items: page.items.map(quotaJson), can: quotaActions(principal.permissions) };
    },
  }),
  /**
   * 下达 is a decision, sealed once the issuer has enrolled (ledger.issueSealedQuota). An
   * idempotency key replays the earlier issuance, whoever sent it: someone who may not see that
   * quota learns nothing of it (the key is simply taken).
   */
  route({
    method: 'post',
    path: '/api/quotas',
    summary: '下达指标',
    tag: 'quotas',
    access: QUOTA_ACTION_PERMISSIONS.issue,
    body: issueBody,
    ok: entryOk,
    response: contracts.issueResult,
    refusals: [409],
    description: `指标编号由系统生成（ZB + 年度 + 序号，如 ZB2026-000042），不由经办人填写。${ledgerRefusal}`,
    handle: async ({ deps: { db, keyStore }, principal: p, body, req, res }) => {
      const { referenceType, referenceId, signingPin, ...b } = body;
      const unitOrgId = await issuedUnit(db, p, b.projectId ?? null, b.unitOrgId ?? null);
      const input = {
        ...b,
        unitOrgId,
        issuerOrgId: p.orgId,
        actor: p.username,
        actorUserId: p.userId,
        reference: reference(referenceType, referenceId),
      };
      const form = {
        ...b,
        unitOrgId,
        referenceType: referenceType ?? null,
        referenceId: referenceId ?? null,
        projectId: b.projectId ?? null,
      };
      const who = { userId: p.userId, username: p.username, displayName: p.displayName, orgId: p.orgId, orgName: p.orgName };
      const { sealed, ...r } = await call(() => ledger.issueSealedQuota(db, keyStore, input, { who, signingPin, ip: req.ip, form }));
      if (r.replayed && !(await ownedInScope(db, p, r.quota)))
        throw errors.conflict('IDEMPOTENCY_KEY_REUSED', '该幂等键已被使用，请换一个幂等键后重试');
      const sealJson = sealed?.body.seal
        ? {
            auditRecordId: sealed.id,
            seq: sealed.seq,
            keyId: sealed.body.seal.keyId,
            signature: sealed.body.seal.signature,
            verificationCode: verificationCode(sealed.body.seal.signature),
          }
        : null;
      res
        .status(r.replayed ? 200 : 201)
        .json({ entry: entryJson(r.entry), quota: quotaJson(r.quota), replayed: r.replayed, seal: sealJson });
      return undefined;
    },
  }),
  // Before /quotas/{id}, which would take "export" for an id.
  route({
    method: 'get',
    path: '/api/quotas/export',
    summary: '导出指标台账（Excel）',
    tag: 'quotas',
    access: 'quotas:read',
    query: exportQuery,
    ok: xlsxOk,
    description: exportNote,
    handle: async ({ deps: { db, exportLimits }, principal, query, res }) => {
      const scope = scopeOf(db, principal);
      await sendXlsxExport(
        res,
        quotaExport(db, (page, pageSize) => ledger.listQuotas(db, { ...query, page, pageSize }, scope)),
        exportLimits,
      );
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/quotas/{id}',
    summary: '指标详情与余额',
    tag: 'quotas',
    access: 'quotas:read',
    params: idParams,
    notFound: '指标',
    response: contracts.quota,
    description: '数据范围外的指标与不存在的指标一样答 404。',
    handle: async ({ deps: { db }, principal, params }) => {
      const quota = await ledger.getQuota(db, await quotaInScope(db, principal, params.id));
      if (!quota) throw errors.notFound(`指标 #${params.id} 不存在`);
      return quotaJson(quota);
    },
  }),
  route({
    method: 'get',
    path: '/api/quotas/{id}/journal/export',
    summary: '导出某指标的流水（Excel）',
    tag: 'quotas',
    access: 'quotas:read',
    params: idParams,
    notFound: '指标',
    query: journalExportQuery,
    ok: xlsxOk,
    handle: async ({ deps: { db, exportLimits }, principal, params, query, res }) => {
      const quotaId = await quotaInScope(db, principal, params.id);
      const quota = (await ledger.getQuota(db, quotaId))!;
      await sendXlsxExport(
        res,
        journalExport(quota, (page, pageSize) => call(() => ledger.listJournal(db, quotaId, { ...query, page, pageSize }))),
        exportLimits,
      );
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/quotas/{id}/journal',
    summary: '指标流水，分页（含对方指标编号与经办人姓名 actorName）',
    tag: 'quotas',
    access: 'quotas:read',
    params: idParams,
    notFound: '指标',
    query: journalQuery,
    response: contracts.journalPage,
    handle: async ({ deps: { db }, principal, params, query }) => {
      const quotaId = await quotaInScope(db, principal, params.id);
      const page = await call(() => ledger.listJournal(db, quotaId, query));
      const counterparts = await ledger.quotaNumbers(
        db,
        page.items.flatMap((e) => (e.counterpartQuotaId === null ? [] : [e.counterpartQuotaId])),
      );
      return {
        ...page,
        items: page.items.map((e) => ({
          ...entryJson(e),
          counterpartQuotaNo: e.counterpartQuotaId === null ? null : (counterparts.get(e.counterpartQuotaId) ?? null),
        })),
      };
    },
  }),
  entry('freeze', '冻结（支付申请提交时）', QUOTA_ACTION_PERMISSIONS.freeze, ledger.freeze),
  entry('unfreeze', '解冻（支付申请退回或撤销）', QUOTA_ACTION_PERMISSIONS.unfreeze, ledger.unfreeze),
  entry('consume', '支付（冻结转为已用）', QUOTA_ACTION_PERMISSIONS.consume, ledger.consume),
  entry('adjust-in', '追加', QUOTA_ACTION_PERMISSIONS.adjustIn, ledger.adjustIn),
  entry('adjust-out', '调减（仅可用部分）', QUOTA_ACTION_PERMISSIONS.adjustOut, ledger.adjustOut),
  route({
    method: 'post',
    path: '/api/quota-transfers',
    summary: '调剂：同一预算年度的两个指标之间',
    tag: 'quotas',
    access: QUOTA_ACTION_PERMISSIONS.transfer,
    body: transferBody,
    ok: pairOk,
    response: contracts.pairResult,
    refusals: [409],
    description: `两笔流水在同一事务中，要么都记，要么都不记。${ledgerRefusal}`,
    handle: async ({ deps: { db }, principal: p, body, res }) => {
      const { referenceType, referenceId, ...b } = body;
      await quotaInScope(db, p, b.fromQuotaId);
      await quotaInScope(db, p, b.toQuotaId);
      const r = await call(() =>
        ledger.transfer(db, { ...b, actor: p.username, actorUserId: p.userId, reference: reference(referenceType, referenceId) }),
      );
      sendPair(res, r);
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/api/quotas/{id}/carry-over',
    summary: '结转：可用部分结转到以后年度（新建指标或调入已有指标）',
    tag: 'quotas',
    access: QUOTA_ACTION_PERMISSIONS.carryOver,
    params: idParams,
    notFound: '指标',
    body: carryOverBody,
    ok: pairOk,
    response: contracts.pairResult,
    refusals: [409],
    description: `新指标的编号由系统生成，沿用原指标的项目、单位、科目和资金来源（未填写时），年度默认下一年。目标指标在数据范围外时为 404。${ledgerRefusal}`,
    handle: async ({ deps: { db }, principal: p, params, body, res }) => {
      const { referenceType, referenceId, into, ...b } = body;
      const quotaId = await quotaInScope(db, p, params.id);
      if ('quotaId' in into) await quotaInScope(db, p, into.quotaId);
      const r = await call(() =>
        ledger.carryOver(db, {
          ...b,
          quotaId,
          into,
          actor: p.username,
          actorUserId: p.userId,
          reference: reference(referenceType, referenceId),
        }),
      );
      sendPair(res, r);
      return undefined;
    },
  }),
];

export function quotasRouter({
  db,
  exportLimits = DEFAULT_EXPORT_LIMITS,
  keyStore,
}: {
  db: Db;
  exportLimits?: ExportLimits;
  keyStore: KeyStore;
}): Router {
  return mountRoutes(db, { db, exportLimits, keyStore }, quotaRoutes);
}

/**
 * A quota is in scope when its owner is: its unit, or, not yet tied to a unit, the organisation
 * that issued it (ledger.quotaOwner) — so a bureau's unassigned quota is its region's, not every
 * region's.
 */
const scopeOf = (db: Db, p: Principal) => ({ orgIds: scopeOrgIds(db, p) });

async function ownedInScope(db: Db, p: Principal, quota: ledger.Quota): Promise<boolean> {
  const owner = ledger.quotaOwner(quota);
  return canSee(db, p, owner);
}

/** 404 unless the quota exists and lies in the person's scope: ids cannot be guessed into. */
async function quotaInScope(db: Db, p: Principal, quotaId: number): Promise<number> {
  const quota = await ledger.getQuota(db, quotaId);
  if (!quota || !(await ownedInScope(db, p, quota))) throw errors.notFound(`指标 #${quotaId} 不存在`);
  return quotaId;
}

/**
 * The unit a new quota belongs to: the one named, which must lie in the issuer's scope, and,
 * when a project is named, the project's own unit (also the default). A project or unit the
 * issuer cannot see is refused as if it did not exist.
 */
async function issuedUnit(db: Db, p: Principal, projectId: number | null, unitOrgId: number | null): Promise<number | null> {
  const inScope = (orgId: number) => canSee(db, p, orgId);
  if (unitOrgId !== null && !(await inScope(unitOrgId))) {
    throw errors.badRequest('UNIT_NOT_FOUND', `预算单位 #${unitOrgId} 不存在或不在您的管辖范围内`, [
      { field: 'body.unitOrgId', message: '单位不存在' },
    ]);
  }
  if (projectId === null) return unitOrgId;
  const projectUnit = (await db('projects').where('id', projectId).first('unit_org_id')) as { unit_org_id: number } | undefined;
  if (!projectUnit || !(await projectVisibleTo(db, p, projectId))) {
    throw errors.badRequest('PROJECT_NOT_FOUND', `项目 #${projectId} 不存在或不在您的管辖范围内`, [
      { field: 'body.projectId', message: '项目不存在' },
    ]);
  }
  if (unitOrgId !== null && unitOrgId !== Number(projectUnit.unit_org_id)) {
    throw errors.badRequest('UNIT_MISMATCH', '指标的预算单位应与项目的申报单位一致', [
      { field: 'body.unitOrgId', message: '与项目的申报单位不一致' },
    ]);
  }
  return Number(projectUnit.unit_org_id);
}

/** Ledger refusals become 409s with their own code, unknown quotas 404s; anything else stays a 500. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LedgerError) throw errors.conflict(err.code, err.message);
    if (err instanceof ledger.QuotaNotFoundError) throw errors.notFound(err.message);
    throw err;
  }
}

function reference(type: string | undefined, refId: string | undefined) {
  return type !== undefined && refId !== undefined ? { type, id: refId } : undefined;
}

/** 201 for a new entry; 200 when an idempotency key replayed an earlier one (nothing changed). */
function sendEntry(res: Response, r: ledger.EntryResult): void {
  res.status(r.replayed ? 200 : 201).json({ entry: entryJson(r.entry), quota: quotaJson(r.quota), replayed: r.replayed });
}

/** A two-sided operation (调剂, 结转): the entry out, the entry in, both quotas after them. */
function sendPair(res: Response, r: ledger.PairResult): void {
  res
    .status(r.replayed ? 200 : 201)
    .json({ out: entryJson(r.out), in: entryJson(r.in), from: quotaJson(r.from), to: quotaJson(r.to), replayed: r.replayed });
}

function quotaJson(q: ledger.Quota) {
  return { ...q, createdAt: toShanghaiIso(q.createdAt), updatedAt: toShanghaiIso(q.updatedAt) };
}

function entryJson(e: ledger.JournalEntry) {
  return { ...e, kindLabel: ENTRY_KIND_LABELS[e.kind], createdAt: toShanghaiIso(e.createdAt) };
}
