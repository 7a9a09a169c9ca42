import type { Response, Router } from 'express';
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
    body: contracts.entryBody,
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
    query: contracts.listQuery,
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
    body: contracts.issueBody,
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
    query: contracts.exportQuery,
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
    query: contracts.journalExportQuery,
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
    query: contracts.journalQuery,
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
    body: contracts.transferBody,
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
    body: contracts.carryOverBody,
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
