import { Router, type Response } from 'express';
import { z } from 'zod';
import { ENTRY_KIND_LABELS, LedgerError } from '../../domain/ledger';
import { toShanghaiIso } from '../../domain/time';
import type { Db } from '../db';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import { canSee, scopeOrgIds, type Principal } from '../auth/service';
import * as ledger from '../ledger/service';
import { projectVisibleTo } from '../projects/visibility';
import { errors } from '../errors';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportLimits } from './excel-export';
import { journalExport, quotaExport } from './quota-exports';
import { validate } from './validate';
import type { KeyStore } from '../seals/key-store';
import { seal, signerFor } from '../seals/seal';
import { verificationCode } from '../../domain/audit-chain';

/**
 * The quota ledger (指标账) over HTTP. Amounts are integer fen; every write answers with the
 * journal entry and the quota's balance after it. A LedgerError is a 409 with its stable code and
 * Chinese message; an unknown quota is a 404.
 *
 * Every route needs a session; reading needs quotas:read, issuing, adjusting, transferring (调剂)
 * and carrying over (结转) quotas:issue (预算处), freezing and paying quotas:freeze. The actor of every entry is the session's user.
 * Data scope: a quota of a unit outside the person's scope does not exist for them (404).
 * Mounted by server/api/app.ts.
 */

const amountFen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const id = z.number().int().positive().max(2_147_483_647);

const entryMeta = {
  amountFen,
  reason: z.string().trim().min(1).max(500),
  idempotencyKey: z.string().min(1).max(ledger.IDEMPOTENCY_KEY_MAX).regex(ledger.IDEMPOTENCY_KEY_PATTERN, '只能包含字母、数字和 _ . : -').optional(),
  referenceType: z.string().trim().min(1).max(50).optional(),
  referenceId: z.string().trim().min(1).max(100).optional(),
};
const bothOrNeither = (b: { referenceType?: string; referenceId?: string }) => (b.referenceType === undefined) === (b.referenceId === undefined);
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
        functionalCode: z.string().regex(/^\d{3}(\d{2}){0,2}$/, '功能分类科目应为 3、5 或 7 位数字').optional(),
        economicCode: z.string().regex(/^\d{3}(\d{2})?$/, '经济分类科目应为 3 或 5 位数字').optional(),
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

type EntryBody = z.infer<typeof entryBody>;

const ENTRY_ROUTES = {
  freeze: { operation: ledger.freeze, permission: 'quotas:freeze' },
  unfreeze: { operation: ledger.unfreeze, permission: 'quotas:freeze' },
  consume: { operation: ledger.consume, permission: 'quotas:freeze' },
  'adjust-in': { operation: ledger.adjustIn, permission: 'quotas:issue' },
  'adjust-out': { operation: ledger.adjustOut, permission: 'quotas:issue' },
} as const;

export function quotasRouter({ db, exportLimits = DEFAULT_EXPORT_LIMITS, keyStore }: { db: Db; exportLimits?: ExportLimits; keyStore: KeyStore }): Router {
  const router = Router();
  const login = requireLogin(db);
  const actorOf = (res: Response) => principalOf(res).username;

  /**
   * A quota is in scope when its owner is: its unit, or, not yet tied to a unit, the organisation
   * that issued it (ledger.quotaOwner) — so a bureau's unassigned quota is its region's, not every
   * region's.
   */
  const scopeOf = (p: Principal) => ({ orgIds: scopeOrgIds(db, p) });

  const ownedInScope = async (p: Principal, quota: ledger.Quota): Promise<boolean> => {
    const owner = ledger.quotaOwner(quota);
    return canSee(db, p, owner);
  };

  /** 404 unless the quota exists and lies in the person's scope: ids cannot be guessed into. */
  const quotaInScope = async (res: Response, raw: unknown): Promise<number> => {
    const quotaId = quotaIdParam(raw);
    const quota = await ledger.getQuota(db, quotaId);
    if (!quota || !(await ownedInScope(principalOf(res), quota))) throw errors.notFound(`指标 #${String(raw)} 不存在`);
    return quotaId;
  };

  /**
   * The unit a new quota belongs to: the one named, which must lie in the issuer's scope, and,
   * when a project is named, the project's own unit (also the default). A project or unit the
   * issuer cannot see is refused as if it did not exist.
   */
  const issuedUnit = async (res: Response, projectId: number | null, unitOrgId: number | null): Promise<number | null> => {
    const p = principalOf(res);
    const inScope = (orgId: number) => canSee(db, p, orgId);
    if (unitOrgId !== null && !(await inScope(unitOrgId))) {
      throw errors.badRequest('UNIT_NOT_FOUND', `预算单位 #${unitOrgId} 不存在或不在您的管辖范围内`, [{ field: 'body.unitOrgId', message: '单位不存在' }]);
    }
    if (projectId === null) return unitOrgId;
    const projectUnit = (await db('projects').where('id', projectId).first('unit_org_id')) as { unit_org_id: number } | undefined;
    if (!projectUnit || !(await projectVisibleTo(db, p, projectId))) {
      throw errors.badRequest('PROJECT_NOT_FOUND', `项目 #${projectId} 不存在或不在您的管辖范围内`, [{ field: 'body.projectId', message: '项目不存在' }]);
    }
    if (unitOrgId !== null && unitOrgId !== Number(projectUnit.unit_org_id)) {
      throw errors.badRequest('UNIT_MISMATCH', '指标的预算单位应与项目的申报单位一致', [{ field: 'body.unitOrgId', message: '与项目的申报单位不一致' }]);
    }
    return Number(projectUnit.unit_org_id);
  };

  router.get('/quotas', login, requirePermission('quotas:read'), validate({ query: listQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof listQuery>;
    const { quotaNo, ...rest } = q;
    const page = await ledger.listQuotas(db, { ...rest, quotaNoContains: quotaNo }, scopeOf(principalOf(res)));
    res.json({ ...page, items: page.items.map(quotaJson) });
  });

  // Before /quotas/:id, which would take "export" for an id.
  router.get('/quotas/export', login, requirePermission('quotas:read'), validate({ query: exportQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof exportQuery>;
    const scope = scopeOf(principalOf(res));
    await sendXlsxExport(res, quotaExport(db, (page, pageSize) => ledger.listQuotas(db, { ...q, page, pageSize }, scope)), exportLimits);
  });

  router.get('/quotas/:id/journal/export', login, requirePermission('quotas:read'), validate({ query: journalExportQuery }), async (req, res) => {
    const q = res.locals.query as z.infer<typeof journalExportQuery>;
    const quotaId = await quotaInScope(res, req.params.id);
    const quota = (await ledger.getQuota(db, quotaId))!;
    await sendXlsxExport(res, journalExport(quota, (page, pageSize) => call(() => ledger.listJournal(db, quotaId, { ...q, page, pageSize }))), exportLimits);
  });

  router.get('/quotas/:id', login, requirePermission('quotas:read'), async (req, res) => {
    const quota = await ledger.getQuota(db, await quotaInScope(res, req.params.id));
    if (!quota) throw errors.notFound(`指标 #${req.params.id} 不存在`);
    res.json(quotaJson(quota));
  });

  router.get('/quotas/:id/journal', login, requirePermission('quotas:read'), validate({ query: journalQuery }), async (req, res) => {
    const q = res.locals.query as z.infer<typeof journalQuery>;
    const quotaId = await quotaInScope(res, req.params.id);
    const page = await call(() => ledger.listJournal(db, quotaId, q));
    const counterparts = await ledger.quotaNumbers(db, page.items.flatMap((e) => (e.counterpartQuotaId === null ? [] : [e.counterpartQuotaId])));
    res.json({ ...page, items: page.items.map((e) => ({ ...entryJson(e), counterpartQuotaNo: e.counterpartQuotaId === null ? null : (counterparts.get(e.counterpartQuotaId) ?? null) })) });
  });

  /**
   * 下达 is a decision: once the issuer has enrolled an SM2 key, the request must carry their
   * signing PIN and the issuance is sealed in its own transaction (no seal, no quota). Before
   * enrolment it is recorded in the audit chain unsealed, so issuing does not stop on the day
   * seals arrive; the SPA asks every signer to enrol.
   */
  router.post('/quotas', login, requirePermission('quotas:issue'), validate({ body: issueBody }), async (req, res) => {
    const { referenceType, referenceId, signingPin, ...b } = res.locals.body as z.infer<typeof issueBody>;
    const p = principalOf(res);
    const unitOrgId = await issuedUnit(res, b.projectId ?? null, b.unitOrgId ?? null);
    const signer = await signerFor(keyStore, p.userId, signingPin, '下达指标', { ip: req.ip }); // before the transaction: a wrong PIN is counted
    const input = { ...b, unitOrgId, issuerOrgId: p.orgId, actor: actorOf(res), actorUserId: p.userId, reference: reference(referenceType, referenceId) };
    const { r, sealed } = await call(() =>
      db.transaction(async (trx) => {
        const r = await ledger.issueQuota(trx, input);
        if (!signer || r.replayed) return { r, sealed: null };
        const form = { ...b, unitOrgId, referenceType: referenceType ?? null, referenceId: referenceId ?? null, projectId: b.projectId ?? null };
        const record = await seal(trx, signer, {
          what: 'quota.issue',
          who: { userId: p.userId, username: p.username, displayName: p.displayName, orgId: p.orgId, orgName: p.orgName },
          decision: { quotaId: r.quota.id, quotaNo: r.quota.quotaNo, journalId: r.entry.id, amountFen: r.entry.amountFen, fiscalYear: r.quota.fiscalYear, documentNo: r.quota.documentNo },
          form,
          subjectType: 'quota',
          subjectId: r.quota.id,
          projectId: r.quota.projectId,
        });
        return { r, sealed: record };
      }),
    );
    // An idempotency key replays the earlier issuance, whoever sent it: someone who may not see
    // that quota learns nothing of it (the key is simply taken).
    if (r.replayed && !(await ownedInScope(p, r.quota))) throw errors.conflict('IDEMPOTENCY_KEY_REUSED', '该幂等键已被使用，请换一个幂等键后重试');
    const sealJson = sealed?.body.seal ? { auditRecordId: sealed.id, seq: sealed.seq, keyId: sealed.body.seal.keyId, signature: sealed.body.seal.signature, verificationCode: verificationCode(sealed.body.seal.signature) } : null;
    res.status(r.replayed ? 200 : 201).json({ entry: entryJson(r.entry), quota: quotaJson(r.quota), replayed: r.replayed, seal: sealJson });
  });

  for (const [path, { operation, permission }] of Object.entries(ENTRY_ROUTES)) {
    router.post(`/quotas/:id/${path}`, login, requirePermission(permission), validate({ body: entryBody }), async (req, res) => {
      const { referenceType, referenceId, ...b } = res.locals.body as EntryBody;
      const quotaId = await quotaInScope(res, req.params.id);
      const r = await call(() => operation(db, { ...b, actor: actorOf(res), actorUserId: principalOf(res).userId, quotaId, reference: reference(referenceType, referenceId) }));
      sendEntry(res, r);
    });
  }

  router.post('/quota-transfers', login, requirePermission('quotas:issue'), validate({ body: transferBody }), async (_req, res) => {
    const { referenceType, referenceId, ...b } = res.locals.body as z.infer<typeof transferBody>;
    await quotaInScope(res, String(b.fromQuotaId));
    await quotaInScope(res, String(b.toQuotaId));
    const r = await call(() => ledger.transfer(db, { ...b, actor: actorOf(res), actorUserId: principalOf(res).userId, reference: reference(referenceType, referenceId) }));
    sendPair(res, r);
  });

  router.post('/quotas/:id/carry-over', login, requirePermission('quotas:issue'), validate({ body: carryOverBody }), async (req, res) => {
    const { referenceType, referenceId, into, ...b } = res.locals.body as z.infer<typeof carryOverBody>;
    const quotaId = await quotaInScope(res, req.params.id);
    if ('quotaId' in into) await quotaInScope(res, String(into.quotaId));
    const r = await call(() => ledger.carryOver(db, { ...b, quotaId, into, actor: actorOf(res), actorUserId: principalOf(res).userId, reference: reference(referenceType, referenceId) }));
    sendPair(res, r);
  });

  return router;
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

/** A malformed id names no quota: 404, like an id that does not exist. */
function quotaIdParam(raw: unknown): number {
  const n = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (n < 1 || n > 2_147_483_647) throw errors.notFound(`指标 #${String(raw)} 不存在`);
  return n;
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
  res.status(r.replayed ? 200 : 201).json({ out: entryJson(r.out), in: entryJson(r.in), from: quotaJson(r.from), to: quotaJson(r.to), replayed: r.replayed });
}

function quotaJson(q: ledger.Quota) {
  return { ...q, createdAt: toShanghaiIso(q.createdAt), updatedAt: toShanghaiIso(q.updatedAt) };
}

function entryJson(e: ledger.JournalEntry) {
  return { ...e, kindLabel: ENTRY_KIND_LABELS[e.kind], createdAt: toShanghaiIso(e.createdAt) };
}
