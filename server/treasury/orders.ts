import type { Knex } from 'knex';
import { z } from 'zod';
import { maskBankAccount } from '../../domain/field-cipher';
import { formatYuan } from '../../domain/money';
import { fiscalYearOf } from '../../domain/time';
import {
  BANK_STATUS_LABELS,
  isFinal,
  ORDER_STATUS_LABELS,
  orderFlags,
  orderNumber,
  SETTLEABLE,
  type BankStatus,
  type OrderStatus,
  type Settlement,
} from '../../domain/treasury';
import { listQuery as orderListQuery, noticeBody as noticeSchema, resolveBody } from '../../contracts/treasury';
import { appendAudit } from '../audit/chain';
import type { Principal } from '../auth/service';
import { bankNotifyUrl, type AppConfig } from '../config';
import { fieldKeyring, indexOf, openValue, registerSensitiveColumn, sealValue } from '../crypto/keyring';
import { forUpdate, readInstant } from '../db';
import { EngineError, isEngineError, type EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import { AppError, errors } from '../errors';
import { resolveCandidates } from '../inbox/candidates';
import { consume, refund, unfreeze } from '../ledger/service';
import { notify } from '../notifications/service';
import type { KeyStore } from '../seals/key-store';
import { seal, signerFor } from '../seals/seal';
import { BankUnavailableError, httpBankAdapter, type BankAdapter, type QueryAnswer, type SubmitAnswer } from './bank';

/**
 * 国库支付: payment orders (支付凭证) and their way through processes/treasury-payment.bpmn. The
 * engine owns the flow (send → wait for the arrival notice, with a timer → 查询 → escalate); this
 * module owns the order's data and every effect on money. Exactly once, whatever repeats:
 * - one order per source (unique source_kind + source_id), one process per order (its business key);
 * - the bank is idempotent by order number, so a redelivered send pays nothing twice;
 * - a notice is recorded once by the bank's notice id, and handed to the process once;
 * - settlement is one transaction: a conditional status UPDATE (only from an open status) and the
 *   ledger entry under the key `tp-<order id>-settle`, consume or unfreeze, never both, never twice.
 */

export const TREASURY_PROCESS = 'treasury-payment';
/** The message that carries the bank's word (arrival notice, 查询 answer) to the waiting process. */
export const BANK_RESULT_MESSAGE = 'treasury-bank-result';
export const SYSTEM_ACTOR = '流程引擎（国库支付）';

export const PAYEE_ACCOUNT = registerSensitiveColumn({
  table: 'payment_orders',
  idColumn: 'id',
  cipherColumn: 'payee_account_cipher',
  indexColumn: 'payee_account_index',
  indexDomain: 'bank-account',
});

export interface TreasuryDeps {
  db: Knex;
  engine: EngineClient;
  config: Pick<AppConfig, 'bank' | 'port' | 'fieldKeys' | 'engine'>;
  /** Default: the HTTP adapter of config.bank. */
  bank?: BankAdapter;
}

export const bankOf = (deps: Pick<TreasuryDeps, 'bank' | 'config'>): BankAdapter => deps.bank ?? httpBankAdapter(deps.config.bank);

// ---------------------------------------------------------------------------------------------
// Issuing an order (called when a payment request is approved)

export interface PaymentOrderInput {
  source: { kind: 'payment-request' | string; id: number };
  quotaId: number;
  amountFen: number;
  /** Idempotency key of the ledger freeze that holds the money. */
  freezeKey: string;
  payeeName: string;
  /** Plain; stored sealed (SM4) with its blind index. */
  payeeAccount: string;
  payeeBank: string;
  purpose: string;
  paymentType: 'direct' | 'authorized';
  unitOrgId: number;
  economicCode: string;
}

const inputSchema = z.object({
  source: z.object({ kind: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/), id: z.number().int().positive() }),
  quotaId: z.number().int().positive(),
  amountFen: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  freezeKey: z.string().min(1).max(96),
  payeeName: z.string().trim().min(1).max(200),
  payeeAccount: z.string().regex(/^[0-9 -]{6,40}$/, '收款账号应为 6–40 位数字'),
  payeeBank: z.string().trim().min(1).max(200),
  purpose: z.string().trim().min(1).max(500),
  paymentType: z.enum(['direct', 'authorized']),
  unitOrgId: z.number().int().positive(),
  economicCode: z.string().regex(/^\d{3,5}$/),
});

/**
 * Creates the order of an approved payment request (once per source: a second call answers the
 * first order) and starts its process. The money must be frozen already, under `freezeKey`, on
 * that quota and for that amount; otherwise 409 FREEZE_NOT_FOUND and nothing is written.
 */
export async function issuePaymentOrder(
  deps: TreasuryDeps,
  raw: PaymentOrderInput,
  now = new Date(),
): Promise<{ orderId: number; orderNo: string; processInstanceId: string }> {
  const parsed = inputSchema.safeParse(raw);
  if (!parsed.success)
    throw errors.badRequest(
      'PAYMENT_ORDER_INVALID',
      '支付凭证内容不完整或有误',
      parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
    );
  const input = parsed.data;
  const { db } = deps;
  let order = await orderBySource(db, input.source);
  if (!order) {
    const freeze = (await db('quota_journal').where({ idempotency_key: input.freezeKey }).first('quota_id', 'kind', 'amount_fen')) as
      { quota_id: number; kind: string; amount_fen: number | string } | undefined;
    if (!freeze || freeze.kind !== 'freeze' || Number(freeze.quota_id) !== input.quotaId || Number(freeze.amount_fen) !== input.amountFen) {
      throw errors.conflict(
        'FREEZE_NOT_FOUND',
        `指标 #${input.quotaId} 上没有与本笔支付对应的冻结（${formatYuan(input.amountFen)}），不能开具支付凭证`,
      );
    }
    const ring = fieldKeyring(deps.config);
    const account = input.payeeAccount.replace(/[\s-]/g, '');
    const sealed = sealValue(ring, PAYEE_ACCOUNT, account);
    try {
      await db.transaction(async (trx) => {
        const [rawId] = await trx('payment_orders').insert({
          order_no: `pending-${input.source.kind}-${input.source.id}`.slice(0, 40),
          source_kind: input.source.kind,
          source_id: input.source.id,
          fiscal_year: fiscalYearOf(now),
          quota_id: input.quotaId,
          unit_org_id: input.unitOrgId,
          amount_fen: input.amountFen,
          freeze_key: input.freezeKey,
          payee_name: input.payeeName,
          payee_account_cipher: sealed.cipher,
          payee_account_index: sealed.index,
          payee_account_mask: maskBankAccount(account),
          payee_bank: input.payeeBank,
          purpose: input.purpose,
          payment_type: input.paymentType,
          economic_code: input.economicCode,
          status: 'created',
          created_at: now,
          updated_at: now,
        });
        const id = Number(rawId);
        const orderNo = orderNumber(fiscalYearOf(now), id);
        await trx('payment_orders').where('id', id).update({ order_no: orderNo });
        await addEvent(trx, id, 'created', SYSTEM_ACTOR, { source: input.source, amountFen: input.amountFen });
        await appendAudit(trx, {
          kind: 'treasury.order',
          subjectType: 'payment_order',
          subjectId: id,
          actor: { userId: null, username: 'system' },
          data: {
            orderNo,
            source: input.source,
            quotaId: input.quotaId,
            amountFen: input.amountFen,
            payeeAccountMask: maskBankAccount(account),
          },
          at: now,
        });
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // a concurrent call for the same source won: answer its order
    }
    order = (await orderBySource(db, input.source))!;
  }
  const processInstanceId = order.process_instance_id ?? (await startProcess(deps, order));
  return { orderId: Number(order.id), orderNo: order.order_no, processInstanceId };
}

/** One process per order: an instance already started under its business key (our write of its id was lost) is taken, not doubled. */
async function startProcess(deps: TreasuryDeps, order: OrderRow): Promise<string> {
  const key = namespaced(deps.config.engine.namespace, TREASURY_PROCESS);
  const businessKey = `payment-order:${order.id}`;
  let id: string;
  try {
    const running = await deps.engine.request<Array<{ id: string }>>('GET', '/process-instance', {
      query: { businessKey, processDefinitionKey: key },
    });
    id =
      running[0]?.id ??
      (
        await deps.engine.startProcess(key, {
          businessKey,
          variables: { orderId: Number(order.id), orderNo: order.order_no, noticeWithin: deps.config.bank.noticeTimeout },
        })
      ).id;
  } catch (err) {
    if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，支付凭证已开具，稍后重试即可发送');
    throw err;
  }
  await deps
    .db('payment_orders')
    .where('id', order.id)
    .whereNull('process_instance_id')
    .update({ process_instance_id: id, updated_at: new Date() });
  return id;
}

// ---------------------------------------------------------------------------------------------
// The workers' steps

/** 发送 (before the worker's transaction): mark the order sending and hand it to the bank. */
export async function sendToBank(
  deps: Pick<TreasuryDeps, 'db' | 'config' | 'bank'>,
  orderId: number,
  processInstanceId: string,
  retriesLeft: number | null,
): Promise<{ skip: true } | { skip: false; answer: SubmitAnswer }> {
  const { db } = deps;
  const order = await mustOrder(db, orderId);
  // The worker may take the task before issuePaymentOrder has written the instance id down.
  if (order.process_instance_id === null)
    await db('payment_orders').where('id', orderId).whereNull('process_instance_id').update({ process_instance_id: processInstanceId });
  else if (order.process_instance_id !== processInstanceId)
    throw new Error(`order ${orderId} belongs to instance ${order.process_instance_id}, not ${processInstanceId}`);
  const status = order.status as OrderStatus;
  if (status !== 'created' && status !== 'sending' && status !== 'send_failed') return { skip: true };
  await db('payment_orders')
    .where('id', orderId)
    .whereIn('status', ['created', 'sending', 'send_failed'])
    .update({ status: 'sending', send_attempts: db.raw('send_attempts + 1'), updated_at: new Date() });
  const account = openValue(fieldKeyring(deps.config), PAYEE_ACCOUNT, order.payee_account_cipher)!;
  try {
    const answer = await bankOf(deps).submit({
      orderNo: order.order_no,
      amountFen: Number(order.amount_fen),
      payeeName: order.payee_name,
      payeeAccount: account,
      payeeBank: order.payee_bank,
      purpose: order.purpose,
      paymentType: order.payment_type as 'direct' | 'authorized',
      notifyUrl: bankNotifyUrl(deps.config),
    });
    return { skip: false, answer };
  } catch (err) {
    if (err instanceof BankUnavailableError && (retriesLeft ?? 3) <= 1) {
      // The engine will raise an incident: the page offers 重新发送 (the money stays frozen).
      await db.transaction(async (trx) => {
        await trx('payment_orders')
          .where({ id: orderId, status: 'sending' })
          .update({ status: 'send_failed', failure_reason: err.message.slice(0, 500), updated_at: new Date() });
        await addEvent(trx, orderId, 'send-error', SYSTEM_ACTOR, { error: err.message });
      });
    }
    throw err;
  }
}

/** 发送 (in the worker's transaction): what the bank answered. */
export async function recordSend(trx: Knex, orderId: number, answer: SubmitAnswer, now = new Date()): Promise<'accepted' | 'rejected'> {
  if (answer.accepted) {
    await trx('payment_orders')
      .where('id', orderId)
      .whereIn('status', ['created', 'sending', 'send_failed'])
      .update({ status: 'sent', bank_ref: answer.bankRef, bank_status: 'pending', failure_reason: null, sent_at: now, updated_at: now });
    await addEvent(trx, orderId, 'accepted', SYSTEM_ACTOR, { bankRef: answer.bankRef, duplicate: answer.duplicate }, 'pending');
    return 'accepted';
  }
  await trx('payment_orders')
    .where('id', orderId)
    .update({ bank_status: 'failed', failure_reason: `${answer.reason}（${answer.code}）`.slice(0, 500), updated_at: now });
  await addEvent(trx, orderId, 'rejected', SYSTEM_ACTOR, { code: answer.code, reason: answer.reason }, 'failed');
  return 'rejected';
}

/** 查询 by the timer path: the bank's answer, and escalation when it has nothing final. */
export async function recordQuery(
  trx: Knex,
  orderId: number,
  answer: QueryAnswer,
  actor: string,
  now = new Date(),
): Promise<Settlement | 'pending'> {
  await addEvent(trx, orderId, 'query', actor, { bankRef: answer.bankRef, reason: answer.reason }, answer.status);
  await trx('payment_orders')
    .where('id', orderId)
    .whereNotIn('status', ['paid', 'failed', 'refunded'])
    .update({ bank_status: answer.status, updated_at: now });
  return settlementOf(answer.status);
}

export async function escalate(trx: Knex, orderId: number, now = new Date()): Promise<void> {
  const n = await trx('payment_orders')
    .where({ id: orderId, status: 'sent' })
    .update({ status: 'escalated', escalated_at: now, updated_at: now });
  if (n === 1) {
    await addEvent(trx, orderId, 'escalated', SYSTEM_ACTOR, { note: '规定时间内未收到到账通知，查询银行仍无结果，转国库处核实' });
    const order = await mustOrder(trx, orderId);
    const staff = await resolveCandidates(trx, ['treasury_division'], Number(order.unit_org_id));
    if (staff.length)
      await notify(trx, {
        userIds: staff,
        template: 'treasury-escalated',
        context: { orderNo: order.order_no, amount: formatYuan(Number(order.amount_fen)), payeeName: order.payee_name },
        link: '/treasury',
        dedupeKey: `tp-esc:${orderId}:${now.getTime()}`,
      });
  }
}

const settlementOf = (s: BankStatus): Settlement | 'pending' => (s === 'paid' || s === 'failed' || s === 'refunded' ? s : 'pending');

/**
 * 结算: paid → the frozen amount is consumed; failed or refunded → unfrozen, and the unit told.
 * One transaction; a second run (redelivered job, a late or repeated notice) changes nothing.
 */
export async function settleOrder(
  trx: Knex,
  orderId: number,
  result: Settlement,
  now = new Date(),
): Promise<{ settled: boolean; status: OrderStatus }> {
  const order = await mustOrder(trx, orderId);
  const n = await trx('payment_orders')
    .where('id', orderId)
    .whereIn('status', SETTLEABLE as OrderStatus[])
    .update({
      status: result,
      bank_status: result,
      settled_at: now,
      updated_at: now,
      ...(result === 'paid' ? { failure_reason: null } : {}),
    });
  if (n === 0) {
    const current = (await mustOrder(trx, orderId)).status as OrderStatus;
    if (current !== result)
      await addEvent(
        trx,
        orderId,
        'late-result',
        SYSTEM_ACTOR,
        {
          result,
          note: `支付凭证已按「${ORDER_STATUS_LABELS[current]}」办结，银行后来的结果「${BANK_STATUS_LABELS[result]}」仅记录，请国库处核对`,
        },
        result,
      );
    return { settled: false, status: current };
  }
  const entry = {
    quotaId: Number(order.quota_id),
    amountFen: Number(order.amount_fen),
    actor: SYSTEM_ACTOR,
    reason:
      result === 'paid'
        ? `国库支付已到账：${order.order_no}`
        : `国库支付${result === 'refunded' ? '退票' : '失败'}，解冻：${order.order_no}`,
    idempotencyKey: `tp-${orderId}-settle`,
    reference: { type: 'payment-order', id: String(orderId) },
  };
  if (result === 'paid') await consume(trx, entry);
  else await unfreeze(trx, entry);
  await addEvent(trx, orderId, 'settled', SYSTEM_ACTOR, { result }, result);
  await appendAudit(trx, {
    kind: `treasury.${result}`,
    subjectType: 'payment_order',
    subjectId: orderId,
    actor: { userId: null, username: 'system' },
    data: { orderNo: order.order_no, amountFen: Number(order.amount_fen), quotaId: Number(order.quota_id) },
    at: now,
  });
  const clerks = await resolveCandidates(trx, ['unit_clerk'], Number(order.unit_org_id));
  if (clerks.length) {
    await notify(trx, {
      userIds: clerks,
      template: result === 'paid' ? 'treasury-paid' : 'treasury-failed',
      context: {
        orderNo: order.order_no,
        amount: formatYuan(Number(order.amount_fen)),
        payeeName: order.payee_name,
        purpose: order.purpose,
        reason: result === 'refunded' ? `银行退票：${order.failure_reason ?? '款项退回'}` : (order.failure_reason ?? '银行未能付款'),
      },
      link: '/quotas',
      dedupeKey: `tp-settle:${orderId}`,
    });
  }
  return { settled: true, status: result };
}

/**
 * 退票 after 已到账: the bank returned the money of an order that was paid, so its consume is reversed
 * in the ledger (a `refund` entry, 已用 − amount, under `tp-<order>-refund`), the order becomes
 * 已退票 and the unit is told. One transaction: the conditional update paid → refunded lets one
 * notice through whatever repeats (the same notice again, another notice id, two at once), and the
 * ledger key holds even if the update were bypassed. Answers whether this call posted it.
 */
export async function refundPaidOrder(trx: Knex, orderId: number, reason: string | null, now = new Date()): Promise<boolean> {
  const why = (reason ?? '').trim() || '收款行退票，款项退回';
  const n = await trx('payment_orders')
    .where({ id: orderId, status: 'paid' })
    .update({ status: 'refunded', bank_status: 'refunded', failure_reason: why.slice(0, 500), updated_at: now });
  if (n === 0) return false;
  const order = await mustOrder(trx, orderId);
  await refund(trx, {
    quotaId: Number(order.quota_id),
    amountFen: Number(order.amount_fen),
    actor: SYSTEM_ACTOR,
    reason: `国库支付到账后退票，冲回已支付：${order.order_no}（${why}）`.slice(0, 500),
    idempotencyKey: `tp-${orderId}-refund`,
    reference: { type: 'payment-order', id: String(orderId) },
  });
  await addEvent(
    trx,
    orderId,
    'refunded-after-paid',
    SYSTEM_ACTOR,
    { reason: why, note: '到账后银行退票，已在指标账中冲回支付' },
    'refunded',
  );
  await appendAudit(trx, {
    kind: 'treasury.refunded-after-paid',
    subjectType: 'payment_order',
    subjectId: orderId,
    actor: { userId: null, username: 'system' },
    data: {
      orderNo: order.order_no,
      amountFen: Number(order.amount_fen),
      quotaId: Number(order.quota_id),
      reason: why,
      ledgerKey: `tp-${orderId}-refund`,
    },
    at: now,
  });
  const clerks = await resolveCandidates(trx, ['unit_clerk'], Number(order.unit_org_id));
  if (clerks.length) {
    await notify(trx, {
      userIds: clerks,
      template: 'treasury-refunded',
      context: {
        orderNo: order.order_no,
        amount: formatYuan(Number(order.amount_fen)),
        payeeName: order.payee_name,
        purpose: order.purpose,
        reason: why,
      },
      link: '/quotas',
      dedupeKey: `tp-refund:${orderId}`,
    });
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The bank's arrival notices (到账通知 / 退票), signed by the bank (checked by the route)

export type BankNotice = z.infer<typeof noticeSchema>;

/**
 * Records a notice once (by its notice id) and hands it to the order's process. Answers
 * `handled` when the process has it or the order is already settled (the bank may stop sending);
 * 503 when the process cannot take it yet (the bank sends it again later).
 */
export async function receiveNotice(
  deps: TreasuryDeps,
  notice: BankNotice,
  now = new Date(),
): Promise<{ handled: true; duplicate: boolean }> {
  const { db } = deps;
  const order = (await db('payment_orders').where('order_no', notice.orderNo).first()) as OrderRow | undefined;
  if (!order) throw errors.notFound(`支付凭证 ${notice.orderNo} 不存在`);
  if (Number(order.amount_fen) !== notice.amountFen)
    throw errors.conflict('NOTICE_AMOUNT_MISMATCH', `到账通知的金额与支付凭证 ${notice.orderNo} 不符`);
  let event = (await db('payment_order_events').where('notice_id', notice.noticeId).first('id', 'handled_at')) as
    { id: number; handled_at: unknown } | undefined;
  if (event?.handled_at) return { handled: true, duplicate: true };
  if (!event) {
    try {
      await db.transaction(async (trx) => {
        // The order row first, exclusively: the event's foreign key would take a shared lock on it, and
        // two notices of one order holding shared locks deadlock upgrading them for the update below.
        await forUpdate(trx, trx('payment_orders').where('id', order.id)).first('id');
        await addEvent(
          trx,
          Number(order.id),
          'notice',
          '银行',
          { noticeId: notice.noticeId, bankRef: notice.bankRef ?? null, reason: notice.reason ?? null, at: notice.at ?? null },
          notice.status,
          notice.noticeId,
        );
        if (notice.status === 'refunded' && notice.reason)
          await trx('payment_orders')
            .where('id', order.id)
            .whereNotIn('status', ['paid', 'failed', 'refunded'])
            .update({ failure_reason: notice.reason.slice(0, 500) });
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // the same notice at the same moment: one row
    }
    event = (await db('payment_order_events').where('notice_id', notice.noticeId).first('id', 'handled_at')) as {
      id: number;
      handled_at: unknown;
    };
    if (event.handled_at) return { handled: true, duplicate: true };
  }
  // 退票 after 已到账: the process has ended; the reversal is posted here, once (refundPaidOrder).
  const current = await mustOrder(db, Number(order.id));
  if (notice.status === 'refunded' && current.status === 'paid') {
    await db.transaction((trx) => refundPaidOrder(trx, Number(order.id), notice.reason ?? null, now));
    await db('payment_order_events').where('id', event.id).whereNull('handled_at').update({ handled_at: now });
    return { handled: true, duplicate: false };
  }
  await deliverResult(deps, current, notice.status);
  await db('payment_order_events').where('id', event.id).whereNull('handled_at').update({ handled_at: now });
  return { handled: true, duplicate: false };
}

/**
 * Hands a final bank result to the process (it waits for it in 等待到账通知 or 国库处核实). A
 * settled order needs nothing; a process that is elsewhere (sending, querying) cannot take it
 * now: 503, and whoever brought the result tries again (the bank resends notices).
 */
async function deliverResult(deps: TreasuryDeps, order: OrderRow, result: Settlement): Promise<void> {
  if (isFinal(order.status as OrderStatus)) return;
  if (!order.process_instance_id) throw errors.unavailable('ORDER_NOT_STARTED', '支付凭证的流程尚未启动，请稍后再发');
  try {
    await deps.engine.retrying(() =>
      deps.engine.request('POST', '/message', {
        body: {
          messageName: BANK_RESULT_MESSAGE,
          processInstanceId: order.process_instance_id,
          processVariables: { bankResult: { value: result, type: 'String' } },
        },
      }),
    );
  } catch (err) {
    if (isEngineError(err) && !err.unreachable && err.status === 400) {
      const now = await mustOrder(deps.db, Number(order.id));
      if (isFinal(now.status as OrderStatus)) return;
      throw errors.unavailable('ORDER_BUSY', '支付凭证正在处理中，请稍后再发');
    }
    if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后再发');
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// 国库处 on the page: list, 查询, 重新发送, 核实处理

export interface OrderView {
  id: number;
  orderNo: string;
  source: { kind: string; id: number };
  quotaId: number;
  quotaNo: string;
  unitOrgId: number;
  unitName: string;
  amountFen: number;
  payeeName: string;
  payeeAccountMasked: string;
  payeeBank: string;
  purpose: string;
  paymentType: 'direct' | 'authorized';
  economicCode: string;
  status: OrderStatus;
  statusLabel: string;
  bankStatus: BankStatus | null;
  bankStatusLabel: string | null;
  bankRef: string | null;
  failureReason: string | null;
  sendAttempts: number;
  createdAt: Date;
  sentAt: Date | null;
  settledAt: Date | null;
  escalatedAt: Date | null;
  can: ReturnType<typeof orderFlags>;
}

export async function listOrders(deps: Pick<TreasuryDeps, 'db' | 'config'>, scope: Knex.QueryBuilder, q: z.infer<typeof orderListQuery>) {
  const { db } = deps;
  const base = db('payment_orders as o').whereIn('o.unit_org_id', scope);
  if (q.status) base.where('o.status', q.status);
  if (q.orderNo) base.where('o.order_no', 'like', `%${q.orderNo.replace(/[\\%_]/g, '')}%`);
  if (q.payeeAccount)
    base.where('o.payee_account_index', indexOf(fieldKeyring(deps.config), PAYEE_ACCOUNT, q.payeeAccount.replace(/[\s-]/g, '')));
  const [count] = await base.clone().count({ n: '*' });
  const [esc] = await db('payment_orders').whereIn('unit_org_id', scope.clone()).where('status', 'escalated').count({ n: '*' });
  const rows = (await base
    .clone()
    .join('quotas as q', 'q.id', 'o.quota_id')
    .join('organisations as u', 'u.id', 'o.unit_org_id')
    .orderBy('o.id', 'desc')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .select('o.*', 'q.quota_no', 'u.name as unit_name')) as Array<OrderRow & { quota_no: string; unit_name: string }>;
  return { items: rows.map(viewOf), total: Number(count?.n ?? 0), escalated: Number(esc?.n ?? 0), page: q.page, pageSize: q.pageSize };
}

/** An order inside the person's scope (its unit's), else 404. */
async function visibleOrder(db: Knex, scope: Knex.QueryBuilder, id: number): Promise<OrderRow & { quota_no: string; unit_name: string }> {
  const row = (await db('payment_orders as o')
    .join('quotas as q', 'q.id', 'o.quota_id')
    .join('organisations as u', 'u.id', 'o.unit_org_id')
    .where('o.id', id)
    .whereIn('o.unit_org_id', scope)
    .first('o.*', 'q.quota_no', 'u.name as unit_name')) as (OrderRow & { quota_no: string; unit_name: string }) | undefined;
  if (!row) throw errors.notFound(`支付凭证 #${id} 不存在`);
  return row;
}

export async function getOrder(deps: Pick<TreasuryDeps, 'db'>, scope: Knex.QueryBuilder, id: number) {
  const row = await visibleOrder(deps.db, scope, id);
  const events = (await deps.db('payment_order_events').where('order_id', id).orderBy('id').select('*')) as Array<{
    id: number;
    kind: string;
    bank_status: string | null;
    actor: string;
    detail: string | null;
    created_at: unknown;
  }>;
  return {
    ...viewOf(row),
    events: events.map((e) => ({
      id: Number(e.id),
      kind: e.kind,
      label: EVENT_LABELS[e.kind] ?? e.kind,
      bankStatus: e.bank_status,
      bankStatusLabel: e.bank_status ? (BANK_STATUS_LABELS[e.bank_status as BankStatus] ?? e.bank_status) : null,
      actor: e.actor,
      detail: e.detail ? (JSON.parse(e.detail) as Record<string, unknown>) : null,
      at: readInstant(e.created_at),
    })),
  };
}

const EVENT_LABELS: Record<string, string> = {
  created: '开具支付凭证',
  accepted: '银行已受理',
  rejected: '银行拒绝受理',
  'send-error': '发送失败（银行无法访问）',
  notice: '收到银行通知',
  query: '查询银行',
  escalated: '转国库处核实',
  resolved: '国库处核实处理',
  retry: '重新发送',
  settled: '办结',
  'late-result': '办结后银行的结果（待核对）',
  'refunded-after-paid': '到账后退票（已冲回支付）',
};

/** 查询 by a person: the bank's answer is recorded; a final one is handed to the process at once. */
export async function queryOrder(
  deps: TreasuryDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
): Promise<{ bankStatus: BankStatus; bankStatusLabel: string; delivered: boolean }> {
  const row = await visibleOrder(deps.db, scope, id);
  if (!orderFlags(row.status as OrderStatus).canQuery)
    throw errors.conflict('ORDER_NOT_QUERYABLE', `支付凭证${ORDER_STATUS_LABELS[row.status as OrderStatus]}，无需查询`);
  let answer: QueryAnswer;
  try {
    answer = await bankOf(deps).query(row.order_no);
  } catch (err) {
    if (err instanceof BankUnavailableError) throw errors.unavailable('BANK_UNAVAILABLE', '银行接口暂时无法访问，请稍后再查询');
    throw err;
  }
  const result = await deps.db.transaction((trx) => recordQuery(trx, id, answer, p.username));
  let delivered = false;
  if (result !== 'pending' && (row.status === 'sent' || row.status === 'escalated')) {
    await deliverResult(deps, row, result);
    delivered = true;
  }
  return { bankStatus: answer.status, bankStatusLabel: BANK_STATUS_LABELS[answer.status], delivered };
}

/** 重新发送: a send whose retries ran out while the bank was unreachable; the money is still frozen. */
export async function retrySend(deps: TreasuryDeps, p: Principal, scope: Knex.QueryBuilder, id: number): Promise<{ status: OrderStatus }> {
  const row = await visibleOrder(deps.db, scope, id);
  if (!orderFlags(row.status as OrderStatus).canRetry)
    throw errors.conflict('ORDER_NOT_RETRYABLE', `支付凭证${ORDER_STATUS_LABELS[row.status as OrderStatus]}，不能重新发送`);
  try {
    const tasks = await deps.engine.request<Array<{ id: string; activityId: string; retries: number | null }>>('GET', '/external-task', {
      query: { processInstanceId: row.process_instance_id ?? '-' },
    });
    const send = tasks.find((t) => t.activityId === 'SendOrder');
    if (!send) throw errors.conflict('ORDER_NOT_RETRYABLE', '该支付凭证当前没有待重发的发送步骤');
    // The last automatic attempt is still being reported: only a send with no retries left is ours to restart.
    if (send.retries !== 0) throw errors.conflict('ORDER_STILL_RETRYING', '系统仍在自动重试发送，请稍后再试');
    await deps.engine.request('PUT', `/external-task/${encodeURIComponent(send.id)}/retries`, { body: { retries: 3 } });
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后重试');
    throw err;
  }
  await deps.db.transaction(async (trx) => {
    await trx('payment_orders').where({ id, status: 'send_failed' }).update({ status: 'sending', updated_at: new Date() });
    await addEvent(trx, id, 'retry', p.username, {});
  });
  return { status: 'sending' };
}

/**
 * 核实处理 of an escalated order by 国库处 (sealed when the person has a seal): 已到账 (consume),
 * 未付款 (unfreeze), or 继续等待 the bank's notice.
 */
export async function resolveEscalation(
  deps: TreasuryDeps & { keyStore: KeyStore },
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
  input: z.infer<typeof resolveBody>,
): Promise<{ status: OrderStatus }> {
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '核实处理支付凭证');
  const row = await visibleOrder(deps.db, scope, id);
  if (!orderFlags(row.status as OrderStatus).canResolve)
    throw errors.conflict('ORDER_NOT_ESCALATED', `支付凭证${ORDER_STATUS_LABELS[row.status as OrderStatus]}，没有待核实的事项`);
  let task;
  try {
    task = (await deps.engine.tasks({ processInstanceId: row.process_instance_id ?? '-', taskDefinitionKey: 'ResolveEscalation' }))[0];
  } catch (err) {
    if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后重试');
    throw err;
  }
  // Escalated a moment ago: the engine reaches the step right after the query is recorded.
  if (!task) throw errors.unavailable('ESCALATION_NOT_READY', '核实事项正在生成，请稍后重试');
  const t = task;
  await deps.db.transaction(async (trx) => {
    if (input.decision === 'wait')
      await trx('payment_orders').where({ id, status: 'escalated' }).update({ status: 'sent', updated_at: new Date() });
    const decision = {
      orderId: id,
      orderNo: row.order_no,
      decision: input.decision,
      comment: input.comment ?? null,
      amountFen: Number(row.amount_fen),
    };
    const who = { userId: p.userId, username: p.username, displayName: p.displayName, orgId: p.orgId, orgName: p.orgName };
    const record = signer
      ? await seal(trx, signer, {
          what: 'treasury.resolve',
          who,
          processInstance: row.process_instance_id,
          element: 'ResolveEscalation',
          decision,
          subjectType: 'payment_order',
          subjectId: id,
        })
      : await appendAudit(trx, {
          kind: 'treasury.resolve',
          subjectType: 'payment_order',
          subjectId: id,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await addEvent(trx, id, 'resolved', p.username, {
      decision: input.decision,
      comment: input.comment ?? null,
      auditRecordId: record.id,
      sealed: Boolean(signer),
    });
    try {
      await deps.engine.retrying(() => deps.engine.setAssignee(t.id, String(p.userId)));
      await deps.engine.retrying(() =>
        deps.engine.completeTask(t.id, { resolution: input.decision, bankResult: input.decision === 'wait' ? 'pending' : input.decision }),
      );
    } catch (err) {
      if (err instanceof EngineError && err.notFound) throw errors.conflict('TASK_GONE', '该核实事项已处理');
      if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后重试');
      throw err;
    }
  });
  return { status: input.decision === 'wait' ? 'sent' : (row.status as OrderStatus) };
}

// ---------------------------------------------------------------------------------------------
// Rows

interface OrderRow {
  id: number;
  order_no: string;
  source_kind: string;
  source_id: number;
  quota_id: number;
  unit_org_id: number;
  amount_fen: number | string;
  freeze_key: string;
  payee_name: string;
  payee_account_cipher: string;
  payee_account_mask: string;
  payee_bank: string;
  purpose: string;
  payment_type: string;
  economic_code: string;
  status: string;
  bank_status: string | null;
  bank_ref: string | null;
  failure_reason: string | null;
  process_instance_id: string | null;
  send_attempts: number;
  created_at: unknown;
  sent_at: unknown;
  settled_at: unknown;
  escalated_at: unknown;
}

export async function orderById(db: Knex, id: number): Promise<OrderRow | undefined> {
  return (await db('payment_orders').where('id', id).first()) as OrderRow | undefined;
}

async function mustOrder(db: Knex, id: number): Promise<OrderRow> {
  const row = await orderById(db, id);
  if (!row) throw new Error(`payment order ${id} not found`);
  return row;
}

async function orderBySource(db: Knex, source: { kind: string; id: number }): Promise<OrderRow | undefined> {
  return (await db('payment_orders').where({ source_kind: source.kind, source_id: source.id }).first()) as OrderRow | undefined;
}

async function addEvent(
  trx: Knex,
  orderId: number,
  kind: string,
  actor: string,
  detail: Record<string, unknown>,
  bankStatus: string | null = null,
  noticeId: string | null = null,
): Promise<void> {
  await trx('payment_order_events').insert({
    order_id: orderId,
    kind,
    bank_status: bankStatus,
    notice_id: noticeId,
    actor: actor.slice(0, 100),
    detail: JSON.stringify(detail),
    created_at: new Date(),
  });
}

const at = (v: unknown): Date | null => (v ? readInstant(v) : null);

function viewOf(r: OrderRow & { quota_no: string; unit_name: string }): OrderView {
  const status = r.status as OrderStatus;
  const bankStatus = (r.bank_status as BankStatus | null) ?? null;
  return {
    id: Number(r.id),
    orderNo: r.order_no,
    source: { kind: r.source_kind, id: Number(r.source_id) },
    quotaId: Number(r.quota_id),
    quotaNo: r.quota_no,
    unitOrgId: Number(r.unit_org_id),
    unitName: r.unit_name,
    amountFen: Number(r.amount_fen),
    payeeName: r.payee_name,
    payeeAccountMasked: r.payee_account_mask,
    payeeBank: r.payee_bank,
    purpose: r.purpose,
    paymentType: r.payment_type as 'direct' | 'authorized',
    economicCode: r.economic_code,
    status,
    statusLabel: ORDER_STATUS_LABELS[status] ?? status,
    bankStatus,
    bankStatusLabel: bankStatus ? BANK_STATUS_LABELS[bankStatus] : null,
    bankRef: r.bank_ref,
    failureReason: r.failure_reason,
    sendAttempts: Number(r.send_attempts),
    createdAt: readInstant(r.created_at),
    sentAt: at(r.sent_at),
    settledAt: at(r.settled_at),
    escalatedAt: at(r.escalated_at),
    can: orderFlags(status),
  };
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
