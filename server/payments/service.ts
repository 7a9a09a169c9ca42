import type { Knex } from 'knex';
import { formDigest } from '../../domain/audit-chain';
import type { Json } from '../../domain/canonical-json';
import type { FieldKeyring } from '../../domain/field-cipher';
import { LedgerError } from '../../domain/ledger';
import { fen, formatYuan } from '../../domain/money';
import {
  DEFAULT_RISK_RULES,
  evaluateRisks,
  highestLevel,
  needsVerification,
  type PayeeKind,
  type RiskHit,
  type RiskRule,
} from '../../domain/payment-risk';
import {
  ATTACHMENT_KIND_LABELS,
  CHAIN_LABELS,
  freezeKey,
  mayReadFullAccount,
  paymentActions,
  paymentListActions,
  PAYEE_KIND_LABELS,
  PAYMENT_CHAIN_STEPS,
  PAYMENT_DECISION_LABELS,
  PAYMENT_DECISIONS,
  PAYMENT_STATUS_LABELS,
  PAYMENT_TYPE_LABELS,
  paymentRequestNo,
  orderStatusesOf,
  PAYMENT_ORDER_STATUSES,
  releaseKey,
  requestStatus,
  type ApprovalChain,
  type PaymentListStatus,
  type PaymentOrderPhase,
  type PaymentAttachmentKind,
  type PaymentDecision,
  type PaymentStatus,
  type PaymentType,
} from '../../domain/payments';
import { sm3Hex } from '../../domain/digest';
import { appendAudit } from '../audit/chain';
import { scopeOrgIds, type Principal } from '../auth/service';
import { forUpdate, readInstant } from '../db';
import { ORDER_STATUS_LABELS, type OrderStatus } from '../../domain/treasury';
import { isEngineError, type EngineClient } from '../engine/client';
import { processModels } from '../engine/models';
import { namespaced } from '../engine/namespace';
import { AppError, errors } from '../errors';
import { holdsTask, resolveCandidates } from '../inbox/candidates';
import { freeze, getQuota, unfreeze, type Quota } from '../ledger/service';
import { notify } from '../notifications/service';
import type { KeyStore } from '../seals/key-store';
import { seal, signerFor } from '../seals/seal';
import { accountIndex, openAccount, sealAccount } from './accounts';

/**
 * 用款申请 (payment requests) and their approval: the use cases of the API (file a request, read,
 * list, decide a step) and of the workers of processes/payment-approval.bpmn (risk check, approved,
 * release). The engine owns the approval flow; this module owns the request's data and its money.
 *
 * Money: filing a request freezes its amount on the quota in the same transaction as the request
 * row (ledger freeze under freezeKey(id, round)); a quota whose available amount is short refuses
 * it (409 QUOTA_INSUFFICIENT, the available amount in the message) and nothing is written. 退回 and
 * 不予支付 release it under releaseKey(id, round), once however often the step runs. Approval keeps
 * it frozen: the treasury payment consumes or releases it from the row's freeze_key.
 */

export const PAYMENT_PROCESS = 'payment-approval';
export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;

export interface PaymentDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
  fieldKeys: FieldKeyring;
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

export interface PaymentRow {
  id: number;
  request_no: string | null;
  fiscal_year: number;
  unit_org_id: number;
  quota_id: number;
  project_id: number | null;
  amount_fen: number | string;
  payee_name: string;
  payee_kind: PayeeKind;
  payee_account_cipher: string;
  payee_account_index: string;
  payee_account_mask: string;
  payee_bank: string;
  purpose: string;
  economic_code: string;
  payment_type: PaymentType;
  major_decision: number | boolean;
  status: string;
  round: number;
  freeze_key: string;
  approval_chain: ApprovalChain | null;
  risk_level: string | null;
  process_instance_key: string | null;
  return_comment: string | null;
  version: number;
  created_by: number;
  created_at: unknown;
  submitted_at: unknown;
  approved_at: unknown;
  updated_at: unknown;
}

// ---------------------------------------------------------------------------------------------
// Attachments: the bytes first (content-addressed by SM3, as a project's), then the request names them

export async function storeAttachmentBlob(db: Knex, bytes: Buffer): Promise<{ sm3: string; sizeBytes: number }> {
  if (bytes.length === 0) throw errors.badRequest('EMPTY_FILE', '附件内容为空');
  if (bytes.length > ATTACHMENT_MAX_BYTES)
    throw new AppError(413, 'ATTACHMENT_TOO_LARGE', `附件不能超过 ${ATTACHMENT_MAX_BYTES / 1024 / 1024} MB`);
  const digest = sm3Hex(bytes);
  if (!(await db('attachment_blobs').where('sm3', digest).first('sm3'))) {
    await db('attachment_blobs')
      .insert({ sm3: digest, size_bytes: bytes.length, content: bytes, created_at: new Date() })
      .onConflict('sm3')
      .ignore();
  }
  return { sm3: digest, sizeBytes: bytes.length };
}

export async function readAttachment(
  deps: PaymentDeps,
  p: Principal,
  requestId: number,
  attachmentId: number,
): Promise<{ fileName: string; contentType: string; sm3: string; bytes: Buffer }> {
  await visibleRequest(deps.db, p, requestId);
  const row = (await deps
    .db('payment_attachments as a')
    .join('attachment_blobs as b', 'b.sm3', 'a.sm3')
    .where({ 'a.id': attachmentId, 'a.request_id': requestId })
    .first('a.file_name', 'a.content_type', 'a.sm3', 'b.content')) as
    { file_name: string; content_type: string; sm3: string; content: Buffer | Uint8Array } | undefined;
  if (!row) throw errors.notFound(`附件 #${attachmentId} 不存在`);
  const bytes = Buffer.from(row.content);
  if (sm3Hex(bytes) !== row.sm3)
    throw new AppError(500, 'ATTACHMENT_CORRUPTED', `附件「${row.file_name}」内容与登记的 SM3 摘要不符，已拒绝提供，请联系管理员核查`);
  return { fileName: row.file_name, contentType: row.content_type, sm3: row.sm3, bytes };
}

// ---------------------------------------------------------------------------------------------
// Filing a request

export interface AttachmentRef {
  kind: PaymentAttachmentKind;
  fileName: string;
  contentType: string;
  sm3: string;
}

export interface CreateInput {
  quotaId: number;
  amountFen: number;
  payeeName: string;
  payeeKind: PayeeKind;
  payeeAccount: string;
  payeeBank: string;
  purpose: string;
  economicCode: string;
  paymentType: PaymentType;
  majorDecision: boolean;
  attachments: AttachmentRef[];
  signingPin?: string;
}

/** The quota a unit pays from: one of its own (another unit's, or one without a unit, is 404 to it). */
async function ownQuota(db: Knex, p: Principal, quotaId: number): Promise<Quota> {
  const q = await getQuota(db, quotaId);
  if (!q || q.unitOrgId !== p.orgId) throw errors.notFound(`指标 #${quotaId} 不存在或不属于本单位`);
  return q;
}

/** The finance bureau (nearest finance_bureau above the unit): its 局领导 countersign in the 局长办公会. */
async function countersignersFor(db: Knex, unitOrgId: number): Promise<number[]> {
  return resolveCandidates(db, ['director'], unitOrgId);
}

/**
 * What filing and resubmitting check alike before anything is written: the economic code is one
 * of the quota's year, every attachment is uploaded, the bureau has 局领导 to countersign; and
 * the project's category the approval chain's DMN reads.
 */
async function checkFiling(
  db: Knex,
  quota: Awaited<ReturnType<typeof ownQuota>>,
  input: Pick<CreateInput, 'economicCode' | 'attachments'>,
): Promise<{ countersigners: number[]; category: string }> {
  const econ = await db('economic_codes')
    .where({ fiscal_year: quota.fiscalYear, kind: 'department', code: input.economicCode })
    .first('code');
  if (!econ)
    throw errors.badRequest(
      'ECONOMIC_CODE_UNKNOWN',
      `支出经济分类 ${input.economicCode} 不是 ${quota.fiscalYear} 年的部门预算支出经济分类科目`,
      [{ field: 'body.economicCode', message: '科目不存在' }],
    );
  const sm3s = [...new Set(input.attachments.map((a) => a.sm3))];
  const known = new Set(((await db('attachment_blobs').whereIn('sm3', sm3s).select('sm3')) as Array<{ sm3: string }>).map((r) => r.sm3));
  const missing = input.attachments.findIndex((a) => !known.has(a.sm3));
  if (missing >= 0)
    throw errors.badRequest('ATTACHMENT_NOT_UPLOADED', `附件「${input.attachments[missing]!.fileName}」尚未上传，请重新上传后再提交`, [
      { field: `body.attachments.${missing}.sm3`, message: '附件不存在' },
    ]);
  const countersigners = await countersignersFor(db, quota.unitOrgId!);
  if (countersigners.length === 0) throw errors.conflict('NO_APPROVERS', '本级财政局没有可办理审批的局领导账号，请联系系统管理员');
  const category = quota.projectId
    ? (((await db('projects').where('id', quota.projectId).first('category')) as { category: string } | undefined)?.category ?? '')
    : '';
  return { countersigners, category };
}

export async function createPaymentRequest(deps: PaymentDeps, p: Principal, input: CreateInput, now = new Date()): Promise<number> {
  const { db } = deps;
  const quota = await ownQuota(db, p, input.quotaId);
  const { countersigners, category } = await checkFiling(db, quota, input);
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '提交用款申请');
  const account = sealAccount(deps.fieldKeys, input.payeeAccount);
  return db.transaction(async (trx) => {
    // The quota row first, exclusively: the request's foreign key would otherwise take a shared lock
    // on it, and two requests on one quota holding shared locks deadlock upgrading them to freeze.
    await forUpdate(trx, trx('quotas').where('id', quota.id)).first('id');
    const [raw] = await trx('payment_requests').insert({
      fiscal_year: quota.fiscalYear,
      unit_org_id: quota.unitOrgId,
      quota_id: quota.id,
      project_id: quota.projectId,
      amount_fen: input.amountFen,
      payee_name: input.payeeName,
      payee_kind: input.payeeKind,
      ...account,
      payee_bank: input.payeeBank,
      purpose: input.purpose,
      economic_code: input.economicCode,
      payment_type: input.paymentType,
      major_decision: input.majorDecision,
      status: 'approving',
      round: 1,
      freeze_key: 'pending',
      created_by: p.userId,
      created_at: now,
      submitted_at: now,
      updated_at: now,
    });
    const id = Number(raw);
    const requestNo = paymentRequestNo(quota.fiscalYear, id);
    const key = freezeKey(id, 1);
    await trx('payment_requests').where('id', id).update({ request_no: requestNo, freeze_key: key });
    try {
      await freeze(trx, {
        quotaId: quota.id,
        amountFen: input.amountFen,
        actor: p.username,
        actorUserId: p.userId,
        reason: `用款申请 ${requestNo}：${input.purpose}`.slice(0, 500),
        idempotencyKey: key,
        reference: { type: 'payment-request', id: String(id) },
      });
    } catch (err) {
      if (err instanceof LedgerError && err.code === 'INSUFFICIENT_AVAILABLE') {
        const now2 = await getQuota(trx, quota.id);
        throw new AppError(
          409,
          'QUOTA_INSUFFICIENT',
          `指标 ${quota.quotaNo} 可用余额不足：可用 ${formatYuan(now2?.availableFen ?? 0)}，本次申请 ${formatYuan(input.amountFen)}。申请未提交，请调减金额或另选指标`,
        );
      }
      if (err instanceof LedgerError) throw errors.conflict(err.code, err.message);
      throw err;
    }
    if (input.attachments.length) {
      await trx('payment_attachments').insert(
        input.attachments.map((a) => ({
          request_id: id,
          kind: a.kind,
          file_name: a.fileName,
          content_type: a.contentType,
          size_bytes: 0,
          sm3: a.sm3,
          uploaded_by: p.username,
          uploaded_at: now,
        })),
      );
      for (const a of input.attachments) {
        const blob = (await trx('attachment_blobs').where('sm3', a.sm3).first('size_bytes')) as { size_bytes: number };
        await trx('payment_attachments').where({ request_id: id, sm3: a.sm3 }).update({ size_bytes: blob.size_bytes });
      }
    }
    const decision: Json = {
      requestId: id,
      requestNo,
      quotaId: quota.id,
      amountFen: input.amountFen,
      payeeName: input.payeeName,
      payeeAccountIndex: account.payee_account_index,
      purpose: input.purpose,
      economicCode: input.economicCode,
      paymentType: input.paymentType,
      majorDecision: input.majorDecision,
      freezeKey: key,
    };
    const attachmentsSm3 = input.attachments.map((a) => a.sm3);
    const record = signer
      ? await seal(trx, signer, {
          what: 'payment.submit',
          who: whoOf(p),
          decision,
          attachmentsSm3,
          subjectType: 'payment_request',
          subjectId: id,
          projectId: quota.projectId,
        })
      : await appendAudit(trx, {
          kind: 'payment.submit',
          subjectType: 'payment_request',
          subjectId: id,
          projectId: quota.projectId,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('payment_decisions').insert({
      request_id: id,
      round: 1,
      element_id: 'PaymentSubmitted',
      step_name: '单位提交',
      decision: 'submit',
      comment: null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
    let started;
    try {
      started = await deps.engine.startProcess(namespaced(deps.namespace, PAYMENT_PROCESS), {
        businessKey: `payment:${id}`,
        variables: {
          paymentRequestId: id,
          amountFen: input.amountFen,
          category,
          majorDecision: input.majorDecision,
          countersigners,
          countersignRule: 'majority',
        },
      });
    } catch (err) {
      engineDown(err);
    }
    await trx('payment_requests').where('id', id).update({ process_instance_key: started.id });
    return id;
  });
}

// ---------------------------------------------------------------------------------------------
// Correcting a returned request and submitting it again (a new round)

export type ResubmitInput = Omit<CreateInput, 'quotaId'> & { comment?: string };

/**
 * 重新提交: a request 退回 to its unit is corrected (amount, payee, account, purpose, codes, type,
 * more attachments) and submitted again on the same quota as round n + 1. One transaction, like
 * filing: the quota row locked, the conditional update returned → approving (a second resubmit
 * finds nothing to update: 409 PAYMENT_NOT_RETURNED), the new round's freeze under
 * freezeKey(id, n + 1) (a short quota: 409 QUOTA_INSUFFICIENT, nothing written), the decision
 * recorded (sealed when the clerk has a seal) and a new payment-approval instance started, whose
 * risk check and approvals are the new round's; the old instance's workers find it stale.
 */
export async function resubmitPaymentRequest(
  deps: PaymentDeps,
  p: Principal,
  id: number,
  input: ResubmitInput,
  now = new Date(),
): Promise<void> {
  const { db } = deps;
  const row = await visibleRequest(db, p, id);
  if (Number(row.unit_org_id) !== p.orgId) throw errors.notFound(`用款申请 #${id} 不属于本单位，只有提交申请的单位可以修改后重新提交`);
  if (row.status !== 'returned')
    throw errors.conflict(
      'PAYMENT_NOT_RETURNED',
      `用款申请${PAYMENT_STATUS_LABELS[row.status] ?? row.status}，只有已退回的申请可以修改后重新提交`,
    );
  const quota = await ownQuota(db, p, Number(row.quota_id));
  const { countersigners, category } = await checkFiling(db, quota, input);
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '重新提交用款申请');
  const account = sealAccount(deps.fieldKeys, input.payeeAccount);
  const round = Number(row.round) + 1;
  const key = freezeKey(id, round);
  await db.transaction(async (trx) => {
    await forUpdate(trx, trx('quotas').where('id', quota.id)).first('id');
    const n = await trx('payment_requests')
      .where({ id, status: 'returned', round: row.round })
      .update({
        amount_fen: input.amountFen,
        payee_name: input.payeeName,
        payee_kind: input.payeeKind,
        ...account,
        payee_bank: input.payeeBank,
        purpose: input.purpose,
        economic_code: input.economicCode,
        payment_type: input.paymentType,
        major_decision: input.majorDecision,
        status: 'approving',
        round,
        freeze_key: key,
        approval_chain: null,
        risk_level: null,
        return_comment: null,
        submitted_at: now,
        approved_at: null,
        version: trx.raw('version + 1'),
        updated_at: now,
      });
    if (n === 0) throw errors.conflict('PAYMENT_NOT_RETURNED', '用款申请已重新提交或状态已变化，请刷新后查看');
    await freezeForRequest(trx, quota, input.amountFen, `用款申请 ${row.request_no} 第 ${round} 次提交：${input.purpose}`, key, id, p);
    if (input.attachments.length) {
      await trx('payment_attachments').insert(
        input.attachments.map((a) => ({
          request_id: id,
          kind: a.kind,
          file_name: a.fileName,
          content_type: a.contentType,
          size_bytes: 0,
          sm3: a.sm3,
          uploaded_by: p.username,
          uploaded_at: now,
        })),
      );
      for (const a of input.attachments) {
        const blob = (await trx('attachment_blobs').where('sm3', a.sm3).first('size_bytes')) as { size_bytes: number };
        await trx('payment_attachments').where({ request_id: id, sm3: a.sm3 }).update({ size_bytes: blob.size_bytes });
      }
    }
    const attachmentsSm3 = (
      (await trx('payment_attachments').where('request_id', id).orderBy('id').select('sm3')) as Array<{ sm3: string }>
    ).map((a) => a.sm3);
    const decision: Json = {
      requestId: id,
      requestNo: row.request_no,
      round,
      quotaId: quota.id,
      amountFen: input.amountFen,
      payeeName: input.payeeName,
      payeeAccountIndex: account.payee_account_index,
      purpose: input.purpose,
      economicCode: input.economicCode,
      paymentType: input.paymentType,
      majorDecision: input.majorDecision,
      freezeKey: key,
      comment: input.comment ?? null,
    };
    const record = signer
      ? await seal(trx, signer, {
          what: 'payment.resubmit',
          who: whoOf(p),
          decision,
          attachmentsSm3,
          subjectType: 'payment_request',
          subjectId: id,
          projectId: quota.projectId,
        })
      : await appendAudit(trx, {
          kind: 'payment.resubmit',
          subjectType: 'payment_request',
          subjectId: id,
          projectId: quota.projectId,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('payment_decisions').insert({
      request_id: id,
      round,
      element_id: 'PaymentResubmitted',
      step_name: '单位修改后重新提交',
      decision: 'resubmit',
      comment: input.comment ?? null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
    let started;
    try {
      started = await deps.engine.startProcess(namespaced(deps.namespace, PAYMENT_PROCESS), {
        businessKey: `payment:${id}:r${round}`,
        variables: {
          paymentRequestId: id,
          amountFen: input.amountFen,
          category,
          majorDecision: input.majorDecision,
          countersigners,
          countersignRule: 'majority',
        },
      });
    } catch (err) {
      engineDown(err);
    }
    await trx('payment_requests').where('id', id).update({ process_instance_key: started.id });
  });
}

/** The request's freeze in its transaction; a short quota is 409 QUOTA_INSUFFICIENT with the available amount. */
async function freezeForRequest(
  trx: Knex,
  quota: Quota,
  amountFen: number,
  reason: string,
  key: string,
  id: number,
  p: Principal,
): Promise<void> {
  try {
    await freeze(trx, {
      quotaId: quota.id,
      amountFen,
      actor: p.username,
      actorUserId: p.userId,
      reason: reason.slice(0, 500),
      idempotencyKey: key,
      reference: { type: 'payment-request', id: String(id) },
    });
  } catch (err) {
    if (err instanceof LedgerError && err.code === 'INSUFFICIENT_AVAILABLE') {
      const now2 = await getQuota(trx, quota.id);
      throw new AppError(
        409,
        'QUOTA_INSUFFICIENT',
        `指标 ${quota.quotaNo} 可用余额不足：可用 ${formatYuan(now2?.availableFen ?? 0)}，本次申请 ${formatYuan(amountFen)}。申请未提交，请调减金额或另选指标`,
      );
    }
    if (err instanceof LedgerError) throw errors.conflict(err.code, err.message);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

async function requestRow(db: Knex, id: number): Promise<PaymentRow> {
  const row = (await db('payment_requests').where('id', id).first()) as PaymentRow | undefined;
  if (!row) throw errors.notFound(`用款申请 #${id} 不存在`);
  return row;
}

/** The request's unit must be in the person's data scope (the unit itself; the bureau over its region), else 404. */
async function visibleRequest(db: Knex, p: Principal, id: number): Promise<PaymentRow> {
  const row = await requestRow(db, id);
  const inScope = await scopeOrgIds(db, p).where('id', row.unit_org_id).first();
  if (!inScope) throw errors.notFound(`用款申请 #${id} 不存在`);
  return row;
}

/** The open engine task of the request that this person may decide, or null. */
async function openTaskFor(deps: PaymentDeps, row: PaymentRow, p: Principal) {
  if (!row.process_instance_key || row.status !== 'approving') return null;
  const tasks = await deps.engine.tasks({ processInstanceId: row.process_instance_key });
  const model = processModels().get(PAYMENT_PROCESS);
  for (const t of tasks)
    if (await holdsTask(deps.db, p, t, model?.elements.get(t.taskDefinitionKey)?.candidateGroups, Number(row.unit_org_id))) return t;
  return null;
}

const quotaView = (q: Quota) => ({
  id: q.id,
  quotaNo: q.quotaNo,
  fiscalYear: q.fiscalYear,
  economicCode: q.economicCode,
  functionalCode: q.functionalCode,
  documentNo: q.documentNo,
  amountFen: q.amountFen,
  usedFen: q.usedFen,
  frozenFen: q.frozenFen,
  availableFen: q.availableFen,
});

export async function getPaymentRequest(deps: PaymentDeps, p: Principal, id: number) {
  const { db } = deps;
  const row = await visibleRequest(db, p, id);
  const quota = (await getQuota(db, Number(row.quota_id)))!;
  const unit = (await db('organisations').where('id', row.unit_org_id).first('name')) as { name: string };
  const project = row.project_id
    ? ((await db('projects').where('id', row.project_id).first('id', 'project_no', 'name', 'category', 'total_amount_fen')) as
        { id: number; project_no: string; name: string; category: string; total_amount_fen: number | string } | undefined)
    : undefined;
  const hits = (await db('payment_risk_hits').where({ request_id: id, round: row.round }).orderBy('id').select()) as Array<{
    rule_code: string;
    rule_name: string;
    level: string;
    message: string;
    evidence: string;
    detected_at: unknown;
  }>;
  const attachments = (await db('payment_attachments').where('request_id', id).orderBy('id').select()) as Array<{
    id: number;
    kind: PaymentAttachmentKind;
    file_name: string;
    content_type: string;
    size_bytes: number;
    sm3: string;
    uploaded_by: string;
    uploaded_at: unknown;
  }>;
  const decisions = (await db('payment_decisions as d')
    .join('users as u', 'u.id', 'd.user_id')
    .where('d.request_id', id)
    .orderBy('d.id')
    .select('d.*', 'u.display_name')) as Array<Record<string, unknown>>;
  let pending: Array<{ elementId: string; name: string; assignee: string | null; due: string | null }> = [];
  let engineAway = false;
  if (row.status === 'approving' && row.process_instance_key) {
    try {
      pending = (await deps.engine.tasks({ processInstanceId: row.process_instance_key })).map((t) => ({
        elementId: t.taskDefinitionKey,
        name: t.name ?? t.taskDefinitionKey,
        assignee: t.assignee,
        due: t.due,
      }));
    } catch {
      engineAway = true; // the page still shows the request; the step list says the engine is away
    }
  }
  const holdsOpenStep =
    row.status === 'approving' &&
    (await openTaskFor(deps, row, p).then(
      (t) => t !== null,
      () => false,
    ));
  const full = mayReadFullAccount(p, Number(row.unit_org_id));
  // After approval the treasury's payment order (server/treasury/) carries the money on: its number and bank status.
  const order = (await db('payment_orders')
    .where({ source_kind: 'payment-request', source_id: id })
    .first('order_no', 'status', 'settled_at')) as { order_no: string; status: OrderStatus; settled_at: unknown } | undefined;
  return {
    ...summaryOf(
      row,
      unit.name,
      pending.map((t) => t.name),
      order?.status ?? null,
    ),
    payeeAccount: full ? openAccount(deps.fieldKeys, row.payee_account_cipher) : row.payee_account_mask,
    payeeAccountFull: full,
    quota: quotaView(quota),
    project: project
      ? {
          id: Number(project.id),
          projectNo: project.project_no,
          name: project.name,
          category: project.category,
          budgetFen: Number(project.total_amount_fen),
        }
      : null,
    freezeKey: row.freeze_key,
    round: Number(row.round),
    returnComment: row.return_comment,
    chainSteps: row.approval_chain ? PAYMENT_CHAIN_STEPS[row.approval_chain] : [],
    risks: hits.map((h) => ({
      rule: h.rule_code,
      name: h.rule_name,
      level: h.level,
      message: h.message,
      evidence: JSON.parse(h.evidence) as unknown,
      detectedAt: readInstant(h.detected_at),
    })),
    attachments: attachments.map((a) => ({
      id: Number(a.id),
      kind: a.kind,
      kindLabel: ATTACHMENT_KIND_LABELS[a.kind] ?? a.kind,
      fileName: a.file_name,
      contentType: a.content_type,
      sizeBytes: Number(a.size_bytes),
      sm3: a.sm3,
      uploadedBy: a.uploaded_by,
      uploadedAt: readInstant(a.uploaded_at),
    })),
    decisions: decisions.map((d) => ({
      elementId: String(d.element_id),
      stepName: String(d.step_name),
      decision: String(d.decision),
      decisionLabel: PAYMENT_DECISION_LABELS[String(d.decision) as PaymentDecision] ?? String(d.decision),
      comment: (d.comment as string | null) ?? null,
      userName: String(d.display_name),
      sealed: Boolean(Number(d.sealed)),
      auditRecordId: d.audit_record_id === null ? null : Number(d.audit_record_id),
      decidedAt: readInstant(d.decided_at),
    })),
    pending,
    engineAway,
    can: paymentActions(row.status as PaymentStatus, p, Number(row.unit_org_id), holdsOpenStep, {
      requestedBy: Number(row.created_by),
      decided: row.status === 'approving' && (await anyDecision(db, id, Number(row.round))),
    }),
    paymentOrder: order
      ? {
          orderNo: order.order_no,
          status: order.status,
          statusLabel: ORDER_STATUS_LABELS[order.status] ?? order.status,
          settledAt: order.settled_at ? readInstant(order.settled_at) : null,
        }
      : null,
    /** 会签 takes only 同意/不同意; the other steps also 退回. */
    decisionsAllowed: pending.some((t) => t.elementId === 'Countersign') ? ['approve', 'reject'] : ['approve', 'return', 'reject'],
  };
}

function summaryOf(row: PaymentRow, unitName: string, steps: string[], orderStatus: OrderStatus | null) {
  const status = requestStatus(row.status, orderStatus);
  return {
    id: Number(row.id),
    requestNo: row.request_no ?? '',
    fiscalYear: Number(row.fiscal_year),
    unitOrgId: Number(row.unit_org_id),
    unitName,
    quotaId: Number(row.quota_id),
    projectId: row.project_id === null ? null : Number(row.project_id),
    amountFen: Number(row.amount_fen),
    payeeName: row.payee_name,
    payeeKind: row.payee_kind,
    payeeKindLabel: PAYEE_KIND_LABELS[row.payee_kind] ?? row.payee_kind,
    payeeAccountMasked: row.payee_account_mask,
    payeeBank: row.payee_bank,
    purpose: row.purpose,
    economicCode: row.economic_code,
    paymentType: row.payment_type,
    paymentTypeLabel: PAYMENT_TYPE_LABELS[row.payment_type] ?? row.payment_type,
    majorDecision: Boolean(Number(row.major_decision)),
    /** Until approved the request's own; then its payment order's phase (支付中, 已支付, 已到账, 支付失败, 已退票). */
    status,
    statusLabel: PAYMENT_STATUS_LABELS[status] ?? status,
    /** The request's own status (approving, approved, returned, rejected). */
    approvalStatus: row.status,
    approvalChain: row.approval_chain,
    approvalChainLabel: row.approval_chain ? CHAIN_LABELS[row.approval_chain] : null,
    riskLevel: row.risk_level,
    /** Where it is: the open steps while approving. */
    currentSteps: steps,
    submittedAt: readInstant(row.submitted_at),
    approvedAt: row.approved_at ? readInstant(row.approved_at) : null,
  };
}

export interface ListQuery {
  status?: PaymentListStatus;
  payeeAccount?: string;
  quotaId?: number;
  page: number;
  pageSize: number;
}

export async function listPaymentRequests(deps: PaymentDeps, p: Principal, q: ListQuery) {
  const { db } = deps;
  const base = db('payment_requests as r')
    .join('organisations as o', 'o.id', 'r.unit_org_id')
    .leftJoin('payment_orders as po', function () {
      this.on('po.source_id', '=', 'r.id').andOn('po.source_kind', '=', db.raw('?', ['payment-request']));
    })
    .whereIn('r.unit_org_id', scopeOrgIds(db, p));
  // A list status after approval is the payment order's phase (domain/payments.ts requestStatus).
  if (q.status === 'approved') base.where('r.status', 'approved').whereNull('po.id');
  else if ((PAYMENT_ORDER_STATUSES as readonly string[]).includes(q.status ?? ''))
    base.where('r.status', 'approved').whereIn('po.status', orderStatusesOf(q.status as PaymentOrderPhase));
  else if (q.status) base.where('r.status', q.status);
  if (q.quotaId) base.where('r.quota_id', q.quotaId);
  // Exact account search over the blind index: the database never sees the account.
  if (q.payeeAccount) base.where('r.payee_account_index', accountIndex(deps.fieldKeys, q.payeeAccount));
  const total = Number(((await base.clone().count({ n: '*' }))[0] as { n: number | string }).n);
  const rows = (await base
    .orderBy('r.id', 'desc')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .select('r.*', 'o.name as unit_name', 'po.status as order_status')) as Array<
    PaymentRow & { unit_name: string; order_status: OrderStatus | null }
  >;
  const steps = new Map<string, string[]>();
  const live = rows.filter((r) => r.status === 'approving' && r.process_instance_key).map((r) => r.process_instance_key!);
  if (live.length) {
    try {
      for (const t of await deps.engine.tasks({ processInstanceIdIn: live.join(','), maxResults: 1000 }))
        steps.set(t.processInstanceId, [...(steps.get(t.processInstanceId) ?? []), t.name ?? t.taskDefinitionKey]);
    } catch {
      // the engine is away: the list still answers, without the current step
    }
  }
  return {
    items: rows.map((r) => summaryOf(r, r.unit_name, (r.process_instance_key && steps.get(r.process_instance_key)) || [], r.order_status)),
    total,
    page: q.page,
    pageSize: q.pageSize,
    can: paymentListActions(p),
  };
}

/** The unit's own quotas with their balances, for the request form's picker. */
export async function payableQuotas(db: Knex, p: Principal) {
  const rows = (await db('quotas as q')
    .leftJoin('projects as pr', 'pr.id', 'q.project_id')
    .where('q.unit_org_id', p.orgId)
    .orderBy('q.id', 'desc')
    .limit(500)
    .select(
      'q.id',
      'q.quota_no',
      'q.fiscal_year',
      'q.economic_code',
      'q.functional_code',
      'q.document_no',
      'q.amount_fen',
      'q.used_fen',
      'q.frozen_fen',
      'pr.name as project_name',
      'pr.project_no',
    )) as Array<Record<string, unknown>>;
  return {
    items: rows.map((r) => {
      const amountFen = Number(r.amount_fen);
      const usedFen = Number(r.used_fen);
      const frozenFen = Number(r.frozen_fen);
      return {
        id: Number(r.id),
        quotaNo: String(r.quota_no),
        fiscalYear: Number(r.fiscal_year),
        economicCode: String(r.economic_code),
        functionalCode: String(r.functional_code),
        documentNo: String(r.document_no),
        projectName: (r.project_name as string | null) ?? null,
        projectNo: (r.project_no as string | null) ?? null,
        amountFen,
        usedFen,
        frozenFen,
        availableFen: fen(amountFen - usedFen - frozenFen),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Deciding a step

export async function decide(
  deps: PaymentDeps,
  p: Principal,
  id: number,
  input: { decision: PaymentDecision; comment?: string; signingPin?: string },
  now = new Date(),
): Promise<{ step: string }> {
  const { db, engine } = deps;
  const row = await visibleRequest(db, p, id);
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '审批用款申请');
  if (row.status !== 'approving')
    throw errors.conflict('PAYMENT_NOT_APPROVING', `用款申请${PAYMENT_STATUS_LABELS[row.status] ?? row.status}，没有待审批的环节`);
  let task;
  try {
    task = await openTaskFor(deps, row, p);
  } catch (err) {
    engineDown(err);
  }
  if (!task) throw errors.conflict('NO_TASK_FOR_YOU', '该用款申请当前没有由您办理的审批环节');
  const countersign = task.taskDefinitionKey === 'Countersign';
  if (countersign && input.decision === 'return')
    throw errors.badRequest('COUNTERSIGN_NO_RETURN', '局长办公会会签只能选择同意或不同意', [
      { field: 'body.decision', message: '会签不能退回' },
    ]);
  const quota = (await getQuota(db, Number(row.quota_id)))!;
  const hits = (await db('payment_risk_hits')
    .where({ request_id: id, round: row.round })
    .orderBy('id')
    .select('rule_code', 'level')) as Array<{ rule_code: string; level: string }>;
  const attachments = ((await db('payment_attachments').where('request_id', id).orderBy('id').select('sm3')) as Array<{ sm3: string }>).map(
    (a) => a.sm3,
  );
  // What the approver saw and decided on: the request's money and payee, the quota's balance, the risk hits.
  const decision: Json = {
    requestId: id,
    requestNo: row.request_no,
    round: Number(row.round),
    step: task.taskDefinitionKey,
    decision: input.decision,
    comment: input.comment ?? null,
    amountFen: Number(row.amount_fen),
    payeeName: row.payee_name,
    payeeAccountIndex: row.payee_account_index,
    quotaId: quota.id,
    quotaAvailableFen: quota.availableFen,
    quotaFrozenFen: quota.frozenFen,
    risks: formDigest(hits.map((h) => ({ rule: String(h.rule_code), level: String(h.level) }))),
  };
  const variables: Record<string, string | null> = countersign
    ? { vote: input.decision, comment: input.comment ?? null }
    : { decision: input.decision, comment: input.comment ?? null };
  await db.transaction(async (trx) => {
    // Our row first, conditionally, and held until the decision is recorded: a 撤回 at the same
    // moment (withdrawPaymentRequest, conditional on the version) waits for it and finds it moved,
    // or took the row first and this finds it withdrawn.
    const n = await trx('payment_requests')
      .where({ id, status: 'approving', round: row.round })
      .update({ version: trx.raw('version + 1'), updated_at: now });
    if (n !== 1) throw errors.conflict('TASK_GONE', '该审批环节已由他人办理，或申请已撤回');
    try {
      await engine.retrying(() => engine.setAssignee(task.id, String(p.userId)));
      await engine.retrying(() => engine.completeTask(task.id, variables));
    } catch (err) {
      if (isEngineError(err) && err.status === 404) throw errors.conflict('TASK_GONE', '该审批环节已由他人办理，或申请已撤回');
      engineDown(err);
    }
    const record = signer
      ? await seal(trx, signer, {
          what: 'payment.approve',
          who: whoOf(p),
          processInstance: row.process_instance_key,
          element: task.taskDefinitionKey,
          decision,
          form: variables as Json,
          attachmentsSm3: attachments,
          subjectType: 'payment_request',
          subjectId: id,
          projectId: row.project_id === null ? null : Number(row.project_id),
        })
      : await appendAudit(trx, {
          kind: 'payment.approve',
          subjectType: 'payment_request',
          subjectId: id,
          projectId: row.project_id === null ? null : Number(row.project_id),
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('payment_decisions').insert({
      request_id: id,
      round: row.round,
      element_id: task.taskDefinitionKey,
      step_name: task.name ?? task.taskDefinitionKey,
      decision: input.decision,
      comment: input.comment ?? null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
  });
  return { step: task.name ?? task.taskDefinitionKey };
}

/** Whether an approver has decided a step of this round (同意, 退回, 不予支付; submitting is not a decision). */
async function anyDecision(db: Knex, id: number, round: number): Promise<boolean> {
  return Boolean(
    await db('payment_decisions')
      .where({ request_id: id, round })
      .whereIn('decision', [...PAYMENT_DECISIONS])
      .first('id'),
  );
}

/**
 * 撤回: the person who submitted a request takes it back while no approver has decided a step of
 * its round. One transaction: the conditional update approving → withdrawn on the version read (a
 * decision moves the version first, under the row's lock, so one of the two wins and the other
 * gets a 409), the round's freeze released under releaseKey, the audit record, then the engine
 * instance cancelled — the last step, so an engine that refuses leaves everything as it was (503).
 */
export async function withdrawPaymentRequest(
  deps: PaymentDeps,
  p: Principal,
  id: number,
  input: { reason?: string },
  now = new Date(),
): Promise<void> {
  const { db, engine } = deps;
  const row = await visibleRequest(db, p, id);
  if (row.status !== 'approving')
    throw errors.conflict('PAYMENT_NOT_APPROVING', `用款申请${PAYMENT_STATUS_LABELS[row.status] ?? row.status}，不能撤回`);
  if (Number(row.created_by) !== p.userId) throw errors.forbidden('PAYMENT_WITHDRAW_NOT_ALLOWED', '只有提交申请的经办人可以撤回用款申请');
  const round = Number(row.round);
  const refusedDecided = () =>
    errors.conflict('PAYMENT_ALREADY_DECIDED', '审批人已办理该用款申请的审批环节，不能撤回；如需变更请联系审批人退回');
  if (await anyDecision(db, id, round)) throw refusedDecided();
  const reason = input.reason?.trim() || null;
  await db.transaction(async (trx) => {
    const n = await trx('payment_requests')
      .where({ id, status: 'approving', round, version: row.version })
      .update({
        status: 'withdrawn',
        return_comment: reason ? `申请人撤回：${reason}` : '申请人撤回',
        version: trx.raw('version + 1'),
        updated_at: now,
      });
    if (n !== 1) {
      if (await anyDecision(trx, id, round)) throw refusedDecided();
      throw errors.conflict('PAYMENT_CHANGED', '用款申请刚刚有了变化，请刷新后重试');
    }
    await unfreeze(trx, {
      quotaId: Number(row.quota_id),
      amountFen: Number(row.amount_fen),
      actor: p.username,
      actorUserId: p.userId,
      reason: `用款申请 ${row.request_no} 申请人撤回，解冻`,
      idempotencyKey: releaseKey(id, round),
      reference: { type: 'payment-request', id: String(id) },
    });
    const record = await appendAudit(trx, {
      kind: 'payment.withdraw',
      subjectType: 'payment_request',
      subjectId: id,
      projectId: row.project_id === null ? null : Number(row.project_id),
      actor: { userId: p.userId, username: p.username },
      data: { requestNo: row.request_no, round, reason, processInstance: row.process_instance_key, releaseKey: releaseKey(id, round) },
    });
    await trx('payment_decisions').insert({
      request_id: id,
      round,
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

/** The request a worker acts on, or null when the instance is not the request's current one (a stale round). */
async function rowOfInstance(trx: Knex, requestId: number, processInstanceId: string): Promise<PaymentRow | null> {
  const row = (await trx('payment_requests').where('id', requestId).first()) as PaymentRow | undefined;
  if (!row) throw new Error(`payment request ${requestId} not found (instance ${processInstanceId})`);
  return row.process_instance_key === processInstanceId ? row : null;
}

/**
 * 风险预警检查: the risk rules over the request and the unit's recent requests (the blind index
 * stands in for the account), hits stored with their evidence for this round (a redelivery
 * replaces nothing: the unique key keeps the first), the chain the decision table chose recorded.
 */
export async function checkRisks(
  trx: Knex,
  requestId: number,
  processInstanceId: string,
  chain: ApprovalChain,
  rules: readonly RiskRule[] = DEFAULT_RISK_RULES,
  now = new Date(),
): Promise<{ hits: RiskHit[]; severe: boolean }> {
  const row = await rowOfInstance(trx, requestId, processInstanceId);
  if (!row) return { hits: [], severe: false };
  const submittedAt = readInstant(row.submitted_at);
  const windowDays = Math.max(1, ...rules.map((r) => r.params.windowDays ?? 0));
  const prior = (await trx('payment_requests')
    .where('unit_org_id', row.unit_org_id)
    .whereNot('id', requestId)
    .whereNot('status', 'rejected')
    .where('submitted_at', '>=', new Date(submittedAt.getTime() - windowDays * 86_400_000))
    .where('submitted_at', '<=', submittedAt)
    .select(
      'id',
      'request_no',
      'amount_fen',
      'payee_name',
      'payee_account_index',
      'payee_account_mask',
      'purpose',
      'submitted_at',
      'status',
    )) as Array<Record<string, unknown>>;
  let project = null;
  if (row.project_id !== null) {
    const pr = (await trx('projects').where('id', row.project_id).first('id', 'project_no', 'total_amount_fen')) as
      { id: number; project_no: string; total_amount_fen: number | string } | undefined;
    const committed = (await trx('payment_requests')
      .where('project_id', row.project_id)
      .whereNot('id', requestId)
      .whereIn('status', ['approving', 'approved', 'paying', 'paid'])
      .sum({ s: 'amount_fen' })
      .first()) as { s: number | string | null };
    if (pr)
      project = {
        projectId: Number(pr.id),
        projectNo: pr.project_no,
        budgetFen: Number(pr.total_amount_fen),
        committedFen: Number(committed.s ?? 0),
      };
  }
  const hits = evaluateRisks(
    {
      subject: {
        id: requestId,
        amountFen: Number(row.amount_fen),
        payeeName: row.payee_name,
        payeeKind: row.payee_kind,
        accountIndex: row.payee_account_index,
        accountMask: row.payee_account_mask,
        purpose: row.purpose,
        submittedAt,
      },
      prior: prior.map((r) => ({
        id: Number(r.id),
        requestNo: String(r.request_no),
        amountFen: Number(r.amount_fen),
        payeeName: String(r.payee_name),
        accountIndex: String(r.payee_account_index),
        accountMask: String(r.payee_account_mask),
        purpose: String(r.purpose),
        submittedAt: readInstant(r.submitted_at),
        status: String(r.status),
      })),
      project,
    },
    rules,
  );
  for (const h of hits) {
    await trx('payment_risk_hits')
      .insert({
        request_id: requestId,
        round: row.round,
        rule_code: h.rule,
        rule_name: h.name,
        level: h.level,
        message: h.message.slice(0, 500),
        evidence: JSON.stringify(h.evidence),
        detected_at: now,
      })
      .onConflict(['request_id', 'round', 'rule_code'])
      .ignore();
  }
  await trx('payment_requests')
    .where('id', requestId)
    .update({ approval_chain: chain, risk_level: highestLevel(hits), updated_at: now });
  if (hits.length)
    await appendAudit(trx, {
      kind: 'payment.risk',
      subjectType: 'payment_request',
      subjectId: requestId,
      projectId: row.project_id === null ? null : Number(row.project_id),
      actor: { userId: null, username: 'system' },
      data: { round: Number(row.round), hits: hits.map((h) => ({ rule: h.rule, level: h.level, message: h.message })) as unknown as Json },
    });
  return { hits, severe: needsVerification(hits) };
}

/**
 * 审批通过 (topic payment.approved): the request becomes 已审批/待支付; its amount stays frozen
 * under freeze_key for the treasury payment. The one place an approved request leaves the approval
 * process: the treasury's payment order starts from here.
 */
export async function markApproved(trx: Knex, requestId: number, processInstanceId: string, now = new Date()): Promise<PaymentRow | null> {
  const row = await rowOfInstance(trx, requestId, processInstanceId);
  if (!row) return null;
  if (row.status === 'approving') {
    await trx('payment_requests')
      .where({ id: requestId, status: 'approving' })
      .update({ status: 'approved', approved_at: now, version: trx.raw('version + 1'), updated_at: now });
    await appendAudit(trx, {
      kind: 'payment.approved',
      subjectType: 'payment_request',
      subjectId: requestId,
      projectId: row.project_id === null ? null : Number(row.project_id),
      actor: { userId: null, username: 'system' },
      data: { requestNo: row.request_no, amountFen: Number(row.amount_fen), quotaId: Number(row.quota_id), freezeKey: row.freeze_key },
    });
    await notify(trx, {
      userIds: [Number(row.created_by)],
      template: 'payment-approved',
      context: { requestNo: row.request_no, amount: formatYuan(Number(row.amount_fen)), payeeName: row.payee_name },
      link: `/payments/${requestId}`,
      dedupeKey: `pay-approved:${processInstanceId}`,
    });
  }
  return (await trx('payment_requests').where('id', requestId).first()) as PaymentRow;
}

/**
 * 退回 / 不予支付 (topic payment.release): the round's frozen amount released under releaseKey (a
 * redelivered task finds the entry and releases nothing again), the request returned or rejected.
 */
export async function releaseRequest(
  trx: Knex,
  requestId: number,
  processInstanceId: string,
  decision: string,
  comment: string | null,
  now = new Date(),
): Promise<void> {
  const row = await rowOfInstance(trx, requestId, processInstanceId);
  if (!row) return;
  const to = decision === 'return' ? 'returned' : 'rejected';
  await unfreeze(trx, {
    quotaId: Number(row.quota_id),
    amountFen: Number(row.amount_fen),
    actor: 'system',
    reason: `用款申请 ${row.request_no} ${to === 'returned' ? '退回' : '不予支付'}，解冻`,
    idempotencyKey: releaseKey(requestId, Number(row.round)),
    reference: { type: 'payment-request', id: String(requestId) },
  });
  if (row.status === 'approving') {
    await trx('payment_requests')
      .where({ id: requestId, status: 'approving' })
      .update({
        status: to,
        return_comment: comment ?? (to === 'returned' ? '退回修改' : '不予支付'),
        version: trx.raw('version + 1'),
        updated_at: now,
      });
    await appendAudit(trx, {
      kind: `payment.${to === 'returned' ? 'return' : 'reject'}`,
      subjectType: 'payment_request',
      subjectId: requestId,
      projectId: row.project_id === null ? null : Number(row.project_id),
      actor: { userId: null, username: 'system' },
      data: { requestNo: row.request_no, comment, releaseKey: releaseKey(requestId, Number(row.round)) },
    });
    await notify(trx, {
      userIds: [Number(row.created_by)],
      template: 'payment-returned',
      context: {
        requestNo: row.request_no,
        amount: formatYuan(Number(row.amount_fen)),
        outcome: to === 'returned' ? '已退回修改' : '不予支付',
        comment: comment ?? '（无）',
      },
      link: `/payments/${requestId}`,
      dedupeKey: `pay-release:${processInstanceId}`,
    });
  }
}
