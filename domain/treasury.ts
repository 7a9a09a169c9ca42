import { hmacSm3 } from './sm-crypto';
import type { OrderStatus } from './treasury-status';

/**
 * 国库集中支付: the payment order (支付凭证) and what the bank says about it, with no database,
 * engine or HTTP in sight. The service applies these rules as conditional updates; the page reads
 * the `can` flags derived here.
 *
 *   created → sending → sent ──(到账通知 / 查询: paid)──────────► paid
 *                 │        │ └─(退票 / 查询: failed|refunded)──► failed | refunded
 *                 │        └─(no notice, 查询 pending)─► escalated ─(国库处 核实)─► paid | failed | sent
 *                 ├─(bank refuses the order)──────────────────► failed
 *                 └─(bank unreachable, retries spent)─► send_failed ─(重新发送)─► sending
 *   paid ─(退票 after 到账: the consume reversed in the ledger)─► refunded
 */

/** The status lists live apart from the signatures below (treasury-status.ts), for contracts/ and the SPA. */
export {
  BANK_STATUS_LABELS,
  BANK_STATUSES,
  ORDER_STATUS_LABELS,
  ORDER_STATUSES,
  type BankStatus,
  type OrderStatus,
} from './treasury-status';

export const FINAL_STATUSES: readonly OrderStatus[] = ['paid', 'failed', 'refunded'];
export const isFinal = (s: OrderStatus): boolean => FINAL_STATUSES.includes(s);

/** The outcome the process settles an order with. */
export type Settlement = 'paid' | 'failed' | 'refunded';

/** The statuses from which a settlement may be written (a conditional UPDATE holds to these). */
export const SETTLEABLE: readonly OrderStatus[] = ['sending', 'sent', 'escalated'];

export interface OrderFlags {
  /** 查询: ask the bank, while the order is out there. */
  canQuery: boolean;
  /** 重新发送: only a send that never reached the bank (the money is still frozen). */
  canRetry: boolean;
  /** 核实处理: the escalation step is open. */
  canResolve: boolean;
}

export function orderFlags(status: OrderStatus): OrderFlags {
  return {
    canQuery: status === 'sent' || status === 'escalated' || status === 'send_failed',
    canRetry: status === 'send_failed',
    canResolve: status === 'escalated',
  };
}

/** 支付凭证号: ZF, the fiscal year, the order's id (ZF2026-000042), like the quota numbers. */
export function orderNumber(fiscalYear: number, id: number): string {
  return `ZF${fiscalYear}-${String(id).padStart(6, '0')}`;
}

export const ORDER_NO_PATTERN = /^ZF\d{4}-\d{6,}$/;

/** ISO-8601 durations the engine's timers take, limited to what a configuration needs (PT30S, PT10M, PT2H, P1D). */
export const ISO_DURATION = /^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/;

export function isIsoDuration(s: string): boolean {
  return ISO_DURATION.test(s) && s !== 'P' && !s.endsWith('T');
}

// ---------------------------------------------------------------------------------------------
// Signatures between the platform and the bank: HMAC-SM3 over the timestamp and the exact body

export const SIGNATURE_HEADER = 'x-bank-signature';
export const TIMESTAMP_HEADER = 'x-bank-timestamp';
/** A signed message older or newer than this is refused (a replayed capture). */
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export function signBankMessage(secret: string, timestamp: string, body: string | Uint8Array): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return hmacSm3(Buffer.from(secret, 'utf8'), Buffer.concat([Buffer.from(`${timestamp}\n`, 'utf8'), bytes])).toString('hex');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

/** Constant-time comparison; the timestamp is milliseconds since the epoch. */
export function checkBankSignature(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: Uint8Array,
  now: number,
): SignatureCheck {
  if (!timestamp || !signature || !/^\d{1,16}$/.test(timestamp) || !/^[0-9a-f]{64}$/i.test(signature))
    return { ok: false, reason: 'missing' };
  if (Math.abs(now - Number(timestamp)) > SIGNATURE_TOLERANCE_MS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signBankMessage(secret, timestamp, body), 'hex');
  const given = Buffer.from(signature, 'hex');
  let diff = expected.length ^ given.length;
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ (given[i] ?? 0);
  return diff === 0 ? { ok: true } : { ok: false, reason: 'mismatch' };
}
