import type { Knex } from 'knex';
import {
  ADJUSTMENT_CHAINS,
  adjustmentActions,
  adjustmentFreezeKey,
  adjustmentReleaseKey,
  adjustmentListActions,
  CHAIN_STEPS,
  checkShape,
  documentMissing,
  isFormal,
  KIND_LABELS,
  MAX_DOCUMENT_BYTES,
  mayFile,
  nextStep,
  postingOf,
  shortfall,
  sidesOf,
  STATUS_LABELS,
  type AdjustmentChain,
  type AdjustmentKind,
  type AdjustmentStatus,
  type QuotaFacts,
} from '../../domain/adjustments';
import type { Json } from '../../domain/canonical-json';
import { sm3Hex } from '../../domain/digest';
import { LedgerError } from '../../domain/ledger';
import { formatYuan } from '../../domain/money';
import { appendAudit } from '../audit/chain';
import { scopeOrgIds, type Principal } from '../auth/service';
import { forUpdate, readInstant } from '../db';
import { isEngineError, type EngineClient } from '../engine/client';
import { processModels } from '../engine/models';
import { namespaced } from '../engine/namespace';
import { AppError, errors } from '../errors';
import { holdsTask, resolveCandidates } from '../inbox/candidates';
import * as ledger from '../ledger/service';
import { notify } from '../notifications/service';
import type { KeyStore } from '../seals/key-store';
import { seal, signerFor } from '../seals/seal';

/**
 * 预算调整申请 (调剂 / 追加 / 调减): the use cases of the API (file, record the approval document,
 * read, decide a step) and of the workers of processes/budget-adjustment.bpmn (record the chain,
 * post, reject). The engine owns the approval flow; the chain is the decision table
 * processes/budget-adjustment-chain.dmn; rules are domain/adjustments.ts.
 *
 * Every refusal comes before anything is written. What leaves a quota (调剂, 调减) is frozen on the
 * source quota at filing, in the filing's transaction (adjustmentFreezeKey), so no payment can spend
 * it while the adjustment is pending; it is released once (adjustmentReleaseKey) by whichever comes
 * first: the rejection, the requester's 撤回, or the posting after the last approval, which then
 * takes it out with the existing operations (transfer, adjustIn, adjustOut) under the adjustment's
 * idempotency key, in the worker's transaction: a redelivered job posts nothing twice, a rejection
 * posts nothing at all. Adjustments filed before the freeze existed have none and post as before.
 */

export const ADJUSTMENT_PROCESS = 'budget-adjustment';
export { MAX_DOCUMENT_BYTES };
/** The journal's actor when no approver can be named (never expected: the last step is a person's). */
const SYSTEM_POSTER = 'system:adjustment';

export interface AdjustmentDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
}

const whoOf = (p: Principal) => ({
  userId: p.userId,
  username: p.username,
  displayName: p.displayName,
  orgId: p.orgId,
  orgName: p.orgName,
});

function engineDown(err: unknown): never {
  if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后重试');
  throw err;
}

// ---------------------------------------------------------------------------------------------
// Rows

interface AdjustmentRow {
  id: number;
  kind: AdjustmentKind;
  fiscal_year: number;
  org_id: number;
  from_quota_id: number | null;
  to_quota_id: number | null;
  amount_fen: number | string;
  reason: string;
  formal: number | boolean;
  document_no: string | null;
  document_title: string | null;
  document_file_name: string | null;
  document_sm3: string | null;
  document_size: number | null;
  status: AdjustmentStatus;
  approval_chain: AdjustmentChain | null;
  current_element: string | null;
  process_instance_key: string | null;
  outcome_comment: string | null;
  out_journal_id: number | null;
  in_journal_id: number | null;
  requested_by: number;
  requested_at: unknown;
  decided_at: unknown;
  posted_at: unknown;
  version: number;
}

/**
 * The row, locked (MySQL) when read in a worker's transaction: a decision commits its record after
 * the engine took it, and the worker the engine then woke must wait for that commit (and read it).
 */
async function adjustmentRow(db: Knex, id: number, lock = false): Promise<AdjustmentRow> {
  const q = db('budget_adjustments').where('id', id).first();
  const row = (await (lock ? forUpdate(db, q) : q)) as AdjustmentRow | undefined;
  if (!row) throw errors.notFound(`调整申请 #${id} 不存在`);
  return row;
}

async function inScope(db: Knex, p: Principal, orgId: number): Promise<boolean> {
  return ((await scopeOrgIds(db, p).where('id', orgId)) as unknown[]).length > 0;
}

/** Quotas the person sees (their owner, ledger.quotaOwner, in scope), as a subquery of ids. */
function visibleQuotaIds(db: Knex, p: Principal) {
  return db('quotas')
    .select('id')
    .where((w) =>
      w.whereIn('unit_org_id', scopeOrgIds(db, p)).orWhere((u) => u.whereNull('unit_org_id').whereIn('issuer_org_id', scopeOrgIds(db, p))),
    );
}

/** Adjustments the person sees: filed by an organisation in scope, or touching a quota they see. */
export function scoped(db: Knex, p: Principal, q: Knex.QueryBuilder, alias: string): Knex.QueryBuilder {
  return q.where((w) =>
    w
      .whereIn(`${alias}.org_id`, scopeOrgIds(db, p))
      .orWhereIn(`${alias}.from_quota_id`, visibleQuotaIds(db, p))
      .orWhereIn(`${alias}.to_quota_id`, visibleQuotaIds(db, p)),
  );
}

/** An adjustment outside the person's scope is 404: ids cannot be guessed into. */
async function visibleAdjustment(db: Knex, p: Principal, id: number): Promise<AdjustmentRow> {
  const row = (await scoped(db, p, db('budget_adjustments as a').where('a.id', id), 'a').first('a.*')) as AdjustmentRow | undefined;
  if (!row) throw errors.notFound(`调整申请 #${id} 不存在`);
  return row;
}

/** A quota the person sees (its owner in their scope), as the rules need it; else a 400 naming the field. */
async function quotaFacts(db: Knex, p: Principal, quotaId: number | undefined, field: string): Promise<ledger.Quota | null> {
  if (quotaId === undefined) return null;
  const q = await ledger.getQuota(db, quotaId);
  const owner = q ? ledger.quotaOwner(q) : null;
  if (!q || owner === null || !(await inScope(db, p, owner))) {
    throw errors.badRequest('QUOTA_NOT_FOUND', `指标 #${quotaId} 不存在或不在您的管辖范围内`, [{ field, message: '指标不存在' }]);
  }
  return q;
}

const factsOf = (q: ledger.Quota | null): QuotaFacts | null =>
  q ? { id: q.id, quotaNo: q.quotaNo, fiscalYear: q.fiscalYear, availableFen: q.availableFen } : null;

/** 409 with the available amount when the source quota cannot give it; nothing written. */
function refuseShort(kind: AdjustmentKind, from: ledger.Quota | null, to: ledger.Quota | null, amountFen: number): void {
  const short = shortfall({ kind, from: factsOf(from), to: factsOf(to), amountFen });
  if (short)
    throw new AppError(409, 'ADJUSTMENT_INSUFFICIENT_AVAILABLE', `${short.message}，申请未提交`, [
      { field: 'body.amountFen', message: `可用 ${formatYuan(short.availableFen)}（${short.availableFen} 分）` },
    ]);
}

// ---------------------------------------------------------------------------------------------
// Filing

export interface DocumentInput {
  documentNo: string;
  title?: string;
  fileName?: string;
  /** The document's file (scan of the approval), base64; at most MAX_DOCUMENT_BYTES. */
  contentBase64?: string;
}

export interface FileInput {
  kind: AdjustmentKind;
  fromQuotaId?: number;
  toQuotaId?: number;
  amountFen: number;
  reason: string;
  document?: DocumentInput;
}

interface CheckedFiling {
  input: FileInput;
  from: ledger.Quota | null;
  to: ledger.Quota | null;
  document: StoredDocument | null;
}

interface StoredDocument {
  documentNo: string;
  title: string | null;
  fileName: string | null;
  bytes: Buffer | null;
}

function documentOf(d: DocumentInput | undefined): StoredDocument | null {
  if (!d) return null;
  let bytes: Buffer | null = null;
  if (d.contentBase64 !== undefined) {
    if (!d.fileName)
      throw errors.badRequest('DOCUMENT_INVALID', '上传批复文件时须填写文件名', [{ field: 'body.document.fileName', message: '必填项' }]);
    bytes = Buffer.from(d.contentBase64, 'base64');
    if (bytes.length === 0)
      throw errors.badRequest('DOCUMENT_INVALID', '批复文件内容为空', [{ field: 'body.document.contentBase64', message: '文件内容为空' }]);
    if (bytes.length > MAX_DOCUMENT_BYTES)
      throw new AppError(413, 'ATTACHMENT_TOO_LARGE', `批复文件不能超过 ${MAX_DOCUMENT_BYTES / 1024} KB`);
  }
  return { documentNo: d.documentNo.trim(), title: d.title?.trim() || null, fileName: bytes ? d.fileName!.trim() : null, bytes };
}

/** Checks a filing against the rules and the ledger as it is now: 400 for the shape, 409 when short. */
export async function checkFiling(db: Knex, p: Principal, input: FileInput): Promise<CheckedFiling> {
  if (!mayFile(p.roles)) throw errors.forbidden('ADJUSTMENT_NOT_ALLOWED', '只有预算单位、主管部门和预算处可以提出预算调整申请');
  const from = await quotaFacts(db, p, input.fromQuotaId, 'body.fromQuotaId');
  const to = await quotaFacts(db, p, input.toQuotaId, 'body.toQuotaId');
  const problems = checkShape({ kind: input.kind, from: factsOf(from), to: factsOf(to), amountFen: input.amountFen });
  if (problems.length)
    throw errors.badRequest(
      'ADJUSTMENT_INVALID',
      problems.map((x) => x.message).join('；'),
      problems.map((x) => ({ field: x.field, message: x.message })),
    );
  refuseShort(input.kind, from, to, input.amountFen);
  return { input, from, to, document: documentOf(input.document) };
}

async function storeBlob(trx: Knex, bytes: Buffer): Promise<string> {
  const digest = sm3Hex(bytes);
  if (!(await trx('attachment_blobs').where('sm3', digest).first('sm3'))) {
    await trx('attachment_blobs')
      .insert({ sm3: digest, size_bytes: bytes.length, content: bytes, created_at: new Date() })
      .onConflict('sm3')
      .ignore();
  }
  return digest;
}

function documentColumns(d: StoredDocument, sm3: string | null) {
  return {
    document_no: d.documentNo,
    document_title: d.title,
    document_file_name: d.fileName,
    document_sm3: sm3,
    document_size: d.bytes?.length ?? null,
  };
}

/**
 * Writes a checked filing (the request row, its 提交 record in the audit chain, sealed when the
 * person has a key) in the caller's transaction; the engine is not called here.
 */
export async function insertAdjustment(
  trx: Knex,
  p: Principal,
  c: CheckedFiling,
  signer: Awaited<ReturnType<typeof signerFor>>,
  now = new Date(),
): Promise<number> {
  const { input, from, to } = c;
  const sm3 = c.document?.bytes ? await storeBlob(trx, c.document.bytes) : null;
  const [raw] = await trx('budget_adjustments').insert({
    kind: input.kind,
    fiscal_year: (from ?? to)!.fiscalYear,
    org_id: p.orgId,
    from_quota_id: from?.id ?? null,
    to_quota_id: to?.id ?? null,
    amount_fen: input.amountFen,
    reason: input.reason,
    formal: isFormal(input.kind),
    ...(c.document ? documentColumns(c.document, sm3) : {}),
    status: 'approving',
    requested_by: p.userId,
    requested_at: now,
    version: 1,
  });
  const id = Number(raw);
  const decision: Json = {
    adjustmentId: id,
    kind: input.kind,
    fromQuotaId: from?.id ?? null,
    toQuotaId: to?.id ?? null,
    amountFen: input.amountFen,
    reason: input.reason,
    formal: isFormal(input.kind),
    documentNo: c.document?.documentNo ?? null,
    documentSm3: sm3,
  };
  const record = signer
    ? await seal(trx, signer, {
        what: 'adjustment.submit',
        who: whoOf(p),
        decision,
        attachmentsSm3: sm3 ? [sm3] : [],
        subjectType: 'budget_adjustment',
        subjectId: id,
      })
    : await appendAudit(trx, {
        kind: 'adjustment.submit',
        subjectType: 'budget_adjustment',
        subjectId: id,
        actor: { userId: p.userId, username: p.username },
        data: decision,
      });
  await trx('adjustment_decisions').insert({
    adjustment_id: id,
    element_id: 'AdjustmentFiled',
    step_name: '提出申请',
    decision: 'submit',
    comment: input.reason,
    user_id: p.userId,
    audit_record_id: record.id,
    sealed: Boolean(signer),
    decided_at: now,
  });
  return id;
}

/** Files an adjustment and starts its approval on the engine, in one transaction: an engine away (503) leaves nothing. */
export async function fileAdjustment(
  deps: AdjustmentDeps,
  p: Principal,
  input: FileInput & { signingPin?: string },
  now = new Date(),
): Promise<number> {
  const checked = await checkFiling(deps.db, p, input);
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '提出预算调整申请');
  return deps.db.transaction(async (trx) => {
    // The quota rows first, exclusively and in id order: the request's foreign keys would otherwise
    // take shared locks on them, and two filings on one quota would deadlock upgrading them to freeze.
    for (const qid of [checked.from?.id, checked.to?.id].filter((x): x is number => x !== undefined).sort((a, b) => a - b))
      await forUpdate(trx, trx('quotas').where('id', qid)).first('id');
    const id = await insertAdjustment(trx, p, checked, signer, now);
    await freezeSource(trx, p, id, checked);
    let started;
    try {
      started = await deps.engine.startProcess(namespaced(deps.namespace, ADJUSTMENT_PROCESS), {
        businessKey: `adjustment:${id}`,
        variables: { adjustmentId: id, kind: input.kind, amountFen: input.amountFen, formal: isFormal(input.kind) },
      });
    } catch (err) {
      engineDown(err);
    }
    await trx('budget_adjustments').where('id', id).update({ process_instance_key: started.id });
    return id;
  });
}

/**
 * 冻结: what the adjustment takes out of its source quota (调剂, 调减) is frozen there in the
 * filing's transaction; short → 409 with the available amount, and the caller's transaction
 * writes nothing.
 */
async function freezeSource(trx: Knex, p: Principal, id: number, c: CheckedFiling): Promise<void> {
  const { input, from } = c;
  if (!sidesOf(input.kind).from || !from) return;
  try {
    await ledger.freeze(trx, {
      quotaId: from.id,
      amountFen: input.amountFen,
      actor: p.username,
      actorUserId: p.userId,
      reason: `预算${KIND_LABELS[input.kind]}申请 #${id} 待审批，冻结调出金额：${input.reason}`.slice(0, 500),
      idempotencyKey: adjustmentFreezeKey(id),
      reference: { type: 'budget-adjustment', id: String(id) },
    });
  } catch (err) {
    if (err instanceof LedgerError && err.code === 'INSUFFICIENT_AVAILABLE') {
      refuseShort(input.kind, await ledger.getQuota(trx, from.id), null, input.amountFen);
      throw errors.conflict('ADJUSTMENT_INSUFFICIENT_AVAILABLE', `${err.message}，申请未提交`);
    }
    if (err instanceof LedgerError) throw errors.conflict(err.code, err.message);
    throw err;
  }
}

/** The amount this adjustment holds frozen on its source quota now (0: none, or released). */
async function frozenBy(db: Knex, id: number): Promise<number> {
  const rows = (await db('quota_journal')
    .whereIn('idempotency_key', [adjustmentFreezeKey(id), adjustmentReleaseKey(id)])
    .select('kind', 'amount_fen')) as Array<{ kind: string; amount_fen: number | string }>;
  return rows.reduce((sum, r) => sum + (r.kind === 'freeze' ? 1 : -1) * Number(r.amount_fen), 0);
}

/**
 * 解冻: releases what the adjustment froze at filing, once under adjustmentReleaseKey (a second
 * call, a redelivered job, finds the entry and releases nothing again). Nothing when it froze
 * nothing (追加, or filed before the freeze existed). In the caller's transaction.
 */
async function releaseSource(trx: Knex, row: AdjustmentRow, why: string, actor?: { username: string; userId: number }): Promise<void> {
  const id = Number(row.id);
  const frozen = (await trx('quota_journal').where('idempotency_key', adjustmentFreezeKey(id)).first('quota_id', 'amount_fen')) as
    { quota_id: number; amount_fen: number | string } | undefined;
  if (!frozen) return;
  await ledger.unfreeze(trx, {
    quotaId: Number(frozen.quota_id),
    amountFen: Number(frozen.amount_fen),
    actor: actor?.username ?? SYSTEM_POSTER,
    actorUserId: actor?.userId ?? null,
    reason: `预算${KIND_LABELS[row.kind]}申请 #${id}${why}，解冻调出金额`.slice(0, 500),
    idempotencyKey: adjustmentReleaseKey(id),
    reference: { type: 'budget-adjustment', id: String(id) },
  });
}

/** Records (or replaces) the approval document of a pending adjustment: the requester or an approver of it. */
export async function recordDocument(deps: AdjustmentDeps, p: Principal, id: number, input: DocumentInput): Promise<void> {
  const { db } = deps;
  const row = await visibleAdjustment(db, p, id);
  if (row.status !== 'approving')
    throw errors.conflict('ADJUSTMENT_NOT_APPROVING', `调整申请${STATUS_LABELS[row.status]}，不能再登记批复文件`);
  if (!adjustmentActions(row.status, p, Number(row.requested_by), false).recordDocument)
    throw errors.forbidden('ADJUSTMENT_DOCUMENT_NOT_ALLOWED', '只有申请人或预算处可以登记调整批复文件');
  const doc = documentOf(input)!;
  await db.transaction(async (trx) => {
    const sm3 = doc.bytes ? await storeBlob(trx, doc.bytes) : null;
    const n = await trx('budget_adjustments')
      .where({ id, status: 'approving' })
      .update({ ...documentColumns(doc, sm3), version: trx.raw('version + 1') });
    if (n !== 1) throw errors.conflict('ADJUSTMENT_NOT_APPROVING', '调整申请已办结，不能再登记批复文件');
    await appendAudit(trx, {
      kind: 'adjustment.document',
      subjectType: 'budget_adjustment',
      subjectId: id,
      actor: { userId: p.userId, username: p.username },
      data: { documentNo: doc.documentNo, title: doc.title, fileName: doc.fileName, sm3 },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * The recorded approval document's scan (正式预算调整的批复文件), for whoever may read the
 * adjustment (its scope, else 404); checked against its SM3 digest before it is handed out.
 */
export async function readDocument(db: Knex, p: Principal, id: number): Promise<{ fileName: string; sm3: string; bytes: Buffer }> {
  const row = await visibleAdjustment(db, p, id);
  if (!row.document_sm3 || !row.document_file_name) throw errors.notFound(`调整申请 #${id} 没有上传批复文件扫描件`);
  const blob = (await db('attachment_blobs').where('sm3', row.document_sm3).first('content')) as
    { content: Buffer | Uint8Array } | undefined;
  if (!blob) throw errors.notFound(`调整申请 #${id} 的批复文件不存在`);
  const bytes = Buffer.from(blob.content);
  if (sm3Hex(bytes) !== row.document_sm3)
    throw new AppError(
      500,
      'ATTACHMENT_CORRUPTED',
      `批复文件「${row.document_file_name}」内容与登记的 SM3 摘要不符，已拒绝提供，请联系管理员核查`,
    );
  return { fileName: row.document_file_name, sm3: row.document_sm3, bytes };
}

const elementName = (elementId: string | null): string | null => {
  if (!elementId) return null;
  return processModels().get(ADJUSTMENT_PROCESS)?.elements.get(elementId)?.name ?? elementId;
};

/** Where it is, in words: the step it waits at, or its end. */
function whereItIs(row: AdjustmentRow): string {
  if (row.status !== 'approving') return STATUS_LABELS[row.status];
  if (!row.approval_chain) return '确定审批链';
  return row.current_element ? (elementName(row.current_element) ?? '审批中') : '记账中';
}

function quotaJson(q: ledger.Quota | null) {
  return q
    ? {
        id: q.id,
        quotaNo: q.quotaNo,
        fiscalYear: q.fiscalYear,
        functionalCode: q.functionalCode,
        economicCode: q.economicCode,
        documentNo: q.documentNo,
        amountFen: q.amountFen,
        usedFen: q.usedFen,
        frozenFen: q.frozenFen,
        availableFen: q.availableFen,
      }
    : null;
}

/** The open engine task of the adjustment this person may decide, or null. */
async function openTaskFor(deps: AdjustmentDeps, row: AdjustmentRow, p: Principal) {
  if (!row.process_instance_key || row.status !== 'approving') return null;
  const model = processModels().get(ADJUSTMENT_PROCESS);
  const tasks = await deps.engine.tasks({ processInstanceId: row.process_instance_key });
  for (const t of tasks)
    if (await holdsTask(deps.db, p, t, model?.elements.get(t.taskDefinitionKey)?.candidateGroups, Number(row.org_id))) return t;
  return null;
}

export async function getAdjustment(deps: AdjustmentDeps, p: Principal, id: number) {
  const { db } = deps;
  const row = await visibleAdjustment(db, p, id);
  const [from, to] = [
    row.from_quota_id ? await ledger.getQuota(db, Number(row.from_quota_id)) : null,
    row.to_quota_id ? await ledger.getQuota(db, Number(row.to_quota_id)) : null,
  ];
  const org = (await db('organisations').where('id', row.org_id).first('name')) as { name: string };
  const requester = (await db('users').where('id', row.requested_by).first('display_name')) as { display_name: string } | undefined;
  const decisions = (await db('adjustment_decisions as d')
    .join('users as u', 'u.id', 'd.user_id')
    .where('d.adjustment_id', id)
    .orderBy('d.id')
    .select('d.*', 'u.display_name')) as Array<Record<string, unknown>>;
  let pending: Array<{ elementId: string; name: string }> = [];
  let holdsOpenStep = false;
  if (row.status === 'approving' && row.process_instance_key) {
    try {
      pending = (await deps.engine.tasks({ processInstanceId: row.process_instance_key })).map((t) => ({
        elementId: t.taskDefinitionKey,
        name: t.name ?? t.taskDefinitionKey,
      }));
      holdsOpenStep = (await openTaskFor(deps, row, p)) !== null;
    } catch {
      pending = []; // the page still shows the request; where it is comes from our row
    }
  }
  const journal = (await db('quota_journal')
    .whereIn(
      'id',
      [row.out_journal_id, row.in_journal_id].filter((x): x is number => x !== null),
    )
    .orderBy('id')
    .select('id', 'quota_id', 'kind', 'amount_fen', 'idempotency_key')) as Array<{
    id: number;
    quota_id: number;
    kind: string;
    amount_fen: number | string;
    idempotency_key: string;
  }>;
  const formal = Boolean(Number(row.formal));
  const decided = row.status === 'approving' && (await anyDecision(db, id));
  return {
    ...summaryOf(row, org.name),
    frozenFen: await frozenBy(db, id),
    requesterName: requester?.display_name ?? null,
    fromQuota: quotaJson(from),
    toQuota: quotaJson(to),
    documentTitle: row.document_title,
    documentFileName: row.document_file_name,
    documentSm3: row.document_sm3,
    documentSize: row.document_size === null ? null : Number(row.document_size),
    documentMissing: documentMissing({ formal, documentNo: row.document_no }),
    chainSteps: row.approval_chain ? CHAIN_STEPS[row.approval_chain].map((s) => s.name) : [],
    pending,
    can: adjustmentActions(row.status, p, Number(row.requested_by), holdsOpenStep, decided),
    decisions: decisions.map((d) => ({
      elementId: String(d.element_id),
      stepName: String(d.step_name),
      decision: String(d.decision),
      comment: (d.comment as string | null) ?? null,
      userName: String(d.display_name),
      sealed: Boolean(Number(d.sealed)),
      auditRecordId: d.audit_record_id === null ? null : Number(d.audit_record_id),
      decidedAt: readInstant(d.decided_at),
    })),
    journal: journal.map((j) => ({
      id: Number(j.id),
      quotaId: Number(j.quota_id),
      kind: j.kind,
      amountFen: Number(j.amount_fen),
      idempotencyKey: j.idempotency_key,
    })),
  };
}

function summaryOf(row: AdjustmentRow & { from_quota_no?: string | null; to_quota_no?: string | null }, orgName: string) {
  return {
    id: Number(row.id),
    kind: row.kind,
    kindLabel: KIND_LABELS[row.kind],
    formal: Boolean(Number(row.formal)),
    fiscalYear: Number(row.fiscal_year),
    orgId: Number(row.org_id),
    orgName,
    fromQuotaId: row.from_quota_id === null ? null : Number(row.from_quota_id),
    toQuotaId: row.to_quota_id === null ? null : Number(row.to_quota_id),
    fromQuotaNo: row.from_quota_no ?? null,
    toQuotaNo: row.to_quota_no ?? null,
    amountFen: Number(row.amount_fen),
    reason: row.reason,
    documentNo: row.document_no,
    status: row.status,
    statusLabel: STATUS_LABELS[row.status],
    approvalChain: row.approval_chain,
    currentElement: row.current_element,
    whereItIs: whereItIs(row),
    outcomeComment: row.outcome_comment,
    requestedAt: readInstant(row.requested_at),
    postedAt: row.posted_at ? readInstant(row.posted_at) : null,
    version: Number(row.version),
  };
}

export interface ListQuery {
  status?: AdjustmentStatus;
  kind?: AdjustmentKind;
  /** Only those waiting at a step whose role the person holds. */
  todo?: boolean;
  page: number;
  pageSize: number;
}

export async function listAdjustments(db: Knex, p: Principal, q: ListQuery) {
  const base = scoped(db, p, db('budget_adjustments as a'), 'a');
  if (q.status) base.where('a.status', q.status);
  if (q.kind) base.where('a.kind', q.kind);
  if (q.todo) {
    const model = processModels().get(ADJUSTMENT_PROCESS);
    const mine = [...(model?.elements.values() ?? [])]
      .filter((e) => e.kind === 'userTask' && (e.candidateGroups ?? '').split(',').some((g) => p.roles.includes(g)))
      .map((e) => e.id);
    base.where('a.status', 'approving').whereIn('a.current_element', mine.length ? mine : ['-']);
  }
  const [count] = await base.clone().count({ n: '*' });
  const rows = (await base
    .clone()
    .join('organisations as o', 'o.id', 'a.org_id')
    .leftJoin('quotas as qf', 'qf.id', 'a.from_quota_id')
    .leftJoin('quotas as qt', 'qt.id', 'a.to_quota_id')
    .orderBy('a.id', 'desc')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .select('a.*', 'o.name as org_name', 'qf.quota_no as from_quota_no', 'qt.quota_no as to_quota_no')) as Array<
    AdjustmentRow & { org_name: string; from_quota_no: string | null; to_quota_no: string | null }
  >;
  return {
    items: rows.map((r) => summaryOf(r, r.org_name)),
    total: Number(count?.n ?? 0),
    page: q.page,
    pageSize: q.pageSize,
    can: adjustmentListActions(p),
  };
}

// ---------------------------------------------------------------------------------------------
// Deciding a step

export async function decide(
  deps: AdjustmentDeps,
  p: Principal,
  id: number,
  input: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string },
  now = new Date(),
): Promise<{ step: string; next: string | null }> {
  const { db, engine } = deps;
  const row = await visibleAdjustment(db, p, id);
  if (row.status !== 'approving')
    throw errors.conflict('ADJUSTMENT_NOT_APPROVING', `调整申请${STATUS_LABELS[row.status]}，没有待审批的环节`);
  let task;
  try {
    task = await openTaskFor(deps, row, p);
  } catch (err) {
    engineDown(err);
  }
  if (!task) throw errors.conflict('NO_TASK_FOR_YOU', '该调整申请当前没有由您办理的审批环节');
  const formal = Boolean(Number(row.formal));
  const [from, to] = [
    row.from_quota_id ? await ledger.getQuota(db, Number(row.from_quota_id)) : null,
    row.to_quota_id ? await ledger.getQuota(db, Number(row.to_quota_id)) : null,
  ];
  if (input.decision === 'approve') {
    if (documentMissing({ formal, documentNo: row.document_no }))
      throw errors.conflict(
        'ADJUSTMENT_DOCUMENT_REQUIRED',
        `${KIND_LABELS[row.kind]}改变预算总额，属于预算调整，须先登记调整批复文件（文号）才能同意`,
      );
    // Frozen at filing, the amount is the adjustment's own; only an older, unfrozen one is checked here.
    if ((await frozenBy(db, id)) === 0) refuseShort(row.kind, from, to, Number(row.amount_fen));
  }
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '审批预算调整申请');
  const balances = {
    from: from ? { quotaId: from.id, availableFen: from.availableFen, amountFen: from.amountFen } : null,
    to: to ? { quotaId: to.id, availableFen: to.availableFen, amountFen: to.amountFen } : null,
  };
  const decision: Json = {
    adjustmentId: id,
    step: task.taskDefinitionKey,
    decision: input.decision,
    comment: input.comment ?? null,
    kind: row.kind,
    amountFen: Number(row.amount_fen),
    documentNo: row.document_no,
    balancesSeen: balances as unknown as Json,
  };
  const variables = { decision: input.decision, comment: input.comment ?? null };
  const next = input.decision === 'approve' && row.approval_chain ? nextStep(row.approval_chain, task.taskDefinitionKey) : null;
  await db.transaction(async (trx) => {
    // Our row first, conditionally: a second click or a concurrent approver finds it moved.
    const n = await trx('budget_adjustments')
      .where({ id, status: 'approving', current_element: task.taskDefinitionKey })
      .update({ current_element: next, version: trx.raw('version + 1') });
    if (n !== 1) throw errors.conflict('TASK_GONE', '该审批环节已由他人办理，或申请已撤回');
    try {
      await engine.retrying(() => engine.setAssignee(task.id, String(p.userId)));
      await engine.retrying(() => engine.completeTask(task.id, variables));
    } catch (err) {
      if (isEngineError(err) && err.status === 404) throw errors.conflict('TASK_GONE', '该审批环节已由他人办理');
      engineDown(err);
    }
    const record = signer
      ? await seal(trx, signer, {
          what: 'adjustment.approve',
          who: whoOf(p),
          processInstance: row.process_instance_key,
          element: task.taskDefinitionKey,
          decision,
          form: variables as Json,
          attachmentsSm3: row.document_sm3 ? [row.document_sm3] : [],
          subjectType: 'budget_adjustment',
          subjectId: id,
        })
      : await appendAudit(trx, {
          kind: 'adjustment.approve',
          subjectType: 'budget_adjustment',
          subjectId: id,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('adjustment_decisions').insert({
      adjustment_id: id,
      element_id: task.taskDefinitionKey,
      step_name: task.name ?? task.taskDefinitionKey,
      decision: input.decision,
      comment: input.comment ?? null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
    if (next) await notifyStep(trx, row, next);
  });
  return { step: task.name ?? task.taskDefinitionKey, next: elementName(next) };
}

/** Whether an approver has decided a step (approve or reject; the filing itself is not a decision). */
async function anyDecision(db: Knex, id: number): Promise<boolean> {
  return Boolean(await db('adjustment_decisions').where('adjustment_id', id).whereNot('decision', 'submit').first('id'));
}

/**
 * 撤回: the requester takes back an adjustment no approver has decided yet. One transaction: the
 * conditional update approving → withdrawn on the version read (an approver's decision moves the
 * version first, under the row's lock, so one of the two wins and the other gets a 409), the freeze
 * released, the audit record, then the engine instance cancelled — the last step, so an engine
 * that refuses leaves everything as it was (503).
 */
export async function withdrawAdjustment(
  deps: AdjustmentDeps,
  p: Principal,
  id: number,
  input: { reason?: string },
  now = new Date(),
): Promise<void> {
  const { db, engine } = deps;
  const row = await visibleAdjustment(db, p, id);
  if (row.status !== 'approving') throw errors.conflict('ADJUSTMENT_NOT_APPROVING', `调整申请${STATUS_LABELS[row.status]}，不能撤回`);
  if (Number(row.requested_by) !== p.userId) throw errors.forbidden('ADJUSTMENT_WITHDRAW_NOT_ALLOWED', '只有提出申请的人可以撤回调整申请');
  const refusedDecided = () =>
    errors.conflict('ADJUSTMENT_ALREADY_DECIDED', '审批人已办理该调整申请的审批环节，不能撤回；如需变更请联系审批人');
  if (await anyDecision(db, id)) throw refusedDecided();
  const reason = input.reason?.trim() || null;
  await db.transaction(async (trx) => {
    const n = await trx('budget_adjustments')
      .where({ id, status: 'approving', version: row.version })
      .update({
        status: 'withdrawn',
        current_element: null,
        outcome_comment: reason ? `申请人撤回：${reason}` : '申请人撤回',
        decided_at: now,
        version: trx.raw('version + 1'),
      });
    if (n !== 1) {
      if (await anyDecision(trx, id)) throw refusedDecided();
      throw errors.conflict('ADJUSTMENT_CHANGED', '调整申请刚刚有了变化，请刷新后重试');
    }
    await releaseSource(trx, row, '撤回', { username: p.username, userId: p.userId });
    const record = await appendAudit(trx, {
      kind: 'adjustment.withdraw',
      subjectType: 'budget_adjustment',
      subjectId: id,
      actor: { userId: p.userId, username: p.username },
      data: { reason, processInstance: row.process_instance_key, releaseKey: adjustmentReleaseKey(id) },
    });
    await trx('adjustment_decisions').insert({
      adjustment_id: id,
      element_id: 'Withdrawn',
      step_name: '申请人撤回',
      decision: 'withdraw',
      comment: reason,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: false,
      decided_at: now,
    });
    if (row.process_instance_key) {
      try {
        await engine.retrying(() => engine.cancelProcessInstance(row.process_instance_key!, `申请人撤回${reason ? `：${reason}` : ''}`));
      } catch (err) {
        engineDown(err);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The workers' steps

export function isChain(v: string): v is AdjustmentChain {
  return (ADJUSTMENT_CHAINS as readonly string[]).includes(v);
}

export async function recordChain(trx: Knex, adjustmentId: number, chain: AdjustmentChain): Promise<void> {
  const first = CHAIN_STEPS[chain][0]!.elementId;
  const n = await trx('budget_adjustments')
    .where({ id: adjustmentId, status: 'approving' })
    .whereNull('approval_chain')
    .update({ approval_chain: chain, current_element: first });
  if (n === 1) await notifyStep(trx, await adjustmentRow(trx, adjustmentId), first);
}

/** Tells the people who may decide a step that a request has arrived there (the inbox does not carry adjustments). */
async function notifyStep(trx: Knex, row: AdjustmentRow, elementId: string): Promise<void> {
  const element = processModels().get(ADJUSTMENT_PROCESS)?.elements.get(elementId);
  const groups = (element?.candidateGroups ?? '').split(',').filter(Boolean);
  const userIds = await resolveCandidates(trx, groups, Number(row.org_id));
  if (!userIds.length) return;
  const org = (await trx('organisations').where('id', row.org_id).first('name')) as { name: string } | undefined;
  await notify(trx, {
    userIds,
    template: 'adjustment-task',
    context: {
      kind: KIND_LABELS[row.kind],
      step: element?.name ?? elementId,
      orgName: org?.name ?? '',
      amount: formatYuan(Number(row.amount_fen)),
      reason: row.reason,
    },
    link: `/adjustments/${row.id}`,
    dedupeKey: `adj-step:${row.id}:${elementId}`,
  });
}

export async function rejectAdjustment(
  trx: Knex,
  adjustmentId: number,
  comment: string | null,
  processInstanceId: string,
  now = new Date(),
): Promise<void> {
  const row = await adjustmentRow(trx, adjustmentId, true);
  if (row.status !== 'approving' || row.process_instance_key !== processInstanceId) return; // a redelivery
  await releaseSource(trx, row, '未通过');
  await trx('budget_adjustments')
    .where('id', adjustmentId)
    .update({
      status: 'rejected',
      current_element: null,
      outcome_comment: comment ?? '审批未通过',
      decided_at: now,
      version: trx.raw('version + 1'),
    });
  await appendAudit(trx, {
    kind: 'adjustment.reject',
    subjectType: 'budget_adjustment',
    subjectId: adjustmentId,
    actor: { userId: null, username: 'system' },
    data: { comment },
  });
  await notify(trx, {
    userIds: [Number(row.requested_by)],
    template: 'adjustment-rejected',
    context: { kind: KIND_LABELS[row.kind], amount: formatYuan(Number(row.amount_fen)), comment: comment ?? '（无）' },
    link: `/adjustments/${adjustmentId}`,
    dedupeKey: `adj-reject:${processInstanceId}`,
  });
}

/**
 * 记账: the approved adjustment posts in the ledger — 调剂 as one transfer (both sides or
 * neither), 追加 as adjust-in, 调减 as adjust-out — under the adjustment's idempotency key, in the
 * worker's transaction. Run again (a redelivered job, another node, a lock that ran out) the
 * ledger answers from the key and nothing moves twice. When the source no longer has the amount
 * (spent since the approval) the adjustment is marked failed and nothing posts; 'short' tells the
 * worker to end the process there.
 */
export async function postAdjustment(
  trx: Knex,
  adjustmentId: number,
  processInstanceId: string,
  now = new Date(),
): Promise<{ outcome: 'posted' | 'short'; replayed: boolean; message?: string }> {
  const row = await adjustmentRow(trx, adjustmentId, true);
  if (row.process_instance_key !== processInstanceId)
    throw new Error(`adjustment ${adjustmentId} is not the one of instance ${processInstanceId}`);
  if (row.status === 'withdrawn' || row.status === 'rejected')
    throw new Error(`adjustment ${adjustmentId} is ${row.status}; its instance ${processInstanceId} must not post`);
  const approver = (await trx('adjustment_decisions as d')
    .join('users as u', 'u.id', 'd.user_id')
    .where({ 'd.adjustment_id': adjustmentId, 'd.decision': 'approve' })
    .orderBy('d.id', 'desc')
    .first('u.id', 'u.username')) as { id: number; username: string } | undefined;
  const posting = postingOf({
    id: adjustmentId,
    kind: row.kind,
    fromQuotaId: row.from_quota_id === null ? null : Number(row.from_quota_id),
    toQuotaId: row.to_quota_id === null ? null : Number(row.to_quota_id),
    amountFen: Number(row.amount_fen),
  });
  const meta = {
    actor: approver?.username ?? SYSTEM_POSTER,
    actorUserId: approver ? Number(approver.id) : null,
    reason:
      `预算${KIND_LABELS[row.kind]}（调整申请 #${adjustmentId}${row.document_no ? `，${row.document_no}` : ''}）：${row.reason}`.slice(
        0,
        500,
      ),
    idempotencyKey: posting.idempotencyKey,
    reference: { type: 'budget-adjustment', id: String(adjustmentId) },
  };
  let outId: number | null = null;
  let inId: number | null = null;
  let replayed: boolean;
  // What the filing froze is released first, in this transaction, and taken out right after: the
  // quota row stays locked in between, so nothing else can spend it. Replayed, both answer from their keys.
  if (row.status === 'approving' || row.status === 'posted') await releaseSource(trx, row, '审批通过记账');
  try {
    if (posting.op === 'transfer') {
      const r = await ledger.transfer(trx, {
        ...meta,
        fromQuotaId: posting.fromQuotaId,
        toQuotaId: posting.toQuotaId,
        amountFen: posting.amountFen,
      });
      [outId, inId, replayed] = [r.out.id, r.in.id, r.replayed];
    } else {
      const r = await (posting.op === 'adjust-in' ? ledger.adjustIn : ledger.adjustOut)(trx, {
        ...meta,
        quotaId: posting.quotaId,
        amountFen: posting.amountFen,
      });
      if (posting.op === 'adjust-in') inId = r.entry.id;
      else outId = r.entry.id;
      replayed = r.replayed;
    }
  } catch (err) {
    if (!(err instanceof LedgerError) || err.code !== 'INSUFFICIENT_AVAILABLE') throw err;
    if (row.status === 'approving') {
      await trx('budget_adjustments')
        .where('id', adjustmentId)
        .update({
          status: 'failed',
          current_element: null,
          outcome_comment: `审批已通过，但记账时${err.message}，未记账`,
          decided_at: now,
          version: trx.raw('version + 1'),
        });
      await appendAudit(trx, {
        kind: 'adjustment.post-failed',
        subjectType: 'budget_adjustment',
        subjectId: adjustmentId,
        actor: { userId: null, username: 'system' },
        data: { message: err.message },
      });
      await notify(trx, {
        userIds: [Number(row.requested_by)],
        template: 'adjustment-failed',
        context: { kind: KIND_LABELS[row.kind], amount: formatYuan(Number(row.amount_fen)), message: err.message },
        link: `/adjustments/${adjustmentId}`,
        dedupeKey: `adj-failed:${processInstanceId}`,
      });
    }
    return { outcome: 'short', replayed: false, message: err.message };
  }
  if (row.status === 'approving') {
    await trx('budget_adjustments')
      .where('id', adjustmentId)
      .update({
        status: 'posted',
        current_element: null,
        out_journal_id: outId,
        in_journal_id: inId,
        decided_at: now,
        posted_at: now,
        version: trx.raw('version + 1'),
      });
    await appendAudit(trx, {
      kind: 'adjustment.post',
      subjectType: 'budget_adjustment',
      subjectId: adjustmentId,
      actor: { userId: null, username: 'system' },
      data: {
        kind: row.kind,
        amountFen: Number(row.amount_fen),
        outJournalId: outId,
        inJournalId: inId,
        idempotencyKey: posting.idempotencyKey,
      },
    });
    await notify(trx, {
      userIds: [Number(row.requested_by)],
      template: 'adjustment-posted',
      context: { kind: KIND_LABELS[row.kind], amount: formatYuan(Number(row.amount_fen)) },
      link: `/adjustments/${adjustmentId}`,
      dedupeKey: `adj-posted:${processInstanceId}`,
    });
  }
  return { outcome: 'posted', replayed };
}
