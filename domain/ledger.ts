import { fen, formatYuan, type Fen } from './money';
import type { Permission } from './roles';

/**
 * The quota ledger's rules (指标账), with no database in sight: a quota's balance and the entries
 * that move it. The service applies the same rules as conditional SQL updates; these functions
 * are the reference the SQL is tested against, and they word the refusals a clerk reads.
 *
 *     available (可用) = amount (额度) − used (已用) − frozen (冻结) ≥ 0
 */
export interface Balance {
  amount: Fen;
  used: Fen;
  frozen: Fen;
}

export const ENTRY_KINDS = ['issue', 'freeze', 'unfreeze', 'consume', 'adjust-in', 'adjust-out', 'carry-over', 'refund'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** An idempotency key (幂等键): 1–96 characters of the pattern (the service stores `${key}/in` for a transfer's second side). */
export const IDEMPOTENCY_KEY_MAX = 96;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/** The quota list's sort keys and the SQL each orders by. */
export const QUOTA_SORTS = {
  id: 'id',
  quotaNo: 'quota_no',
  fiscalYear: 'fiscal_year',
  amountFen: 'amount_fen',
  availableFen: 'amount_fen - used_fen - frozen_fen',
  createdAt: 'created_at',
} as const;

/** What a clerk calls each kind, in messages and on screen. */
export const ENTRY_KIND_LABELS: Record<EntryKind, string> = {
  issue: '下达',
  freeze: '冻结',
  unfreeze: '解冻',
  consume: '支付',
  'adjust-in': '调入',
  'adjust-out': '调出',
  'carry-over': '结转',
  refund: '退票冲回',
};

export interface Entry {
  kind: EntryKind;
  /** Always positive; the kind says which way it moves the balance. */
  amount: Fen;
}

export interface Delta {
  amount: number;
  used: number;
  frozen: number;
}

export const ZERO_BALANCE: Balance = { amount: fen(0), used: fen(0), frozen: fen(0) };

export type LedgerErrorCode =
  | 'INVALID_AMOUNT'
  | 'INSUFFICIENT_AVAILABLE'
  | 'INSUFFICIENT_FROZEN'
  | 'INSUFFICIENT_USED'
  | 'AMOUNT_OVERFLOW'
  // Raised by the service, not by applyEntry; one error type keeps the API mapping in one place.
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'DUPLICATE_QUOTA_NO'
  | 'INVALID_TRANSFER'
  | 'INVALID_CARRY_OVER'
  | 'UNKNOWN_REFERENCE';

/** A refused entry: a stable code for programs and a sentence a clerk understands. */
export class LedgerError extends Error {
  constructor(
    public readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

export type Applied = { ok: true; balance: Balance } | { ok: false; error: LedgerError };

export function available(b: Balance): Fen {
  return fen(b.amount - b.used - b.frozen);
}

/** How an entry moves the three columns; the journal stores exactly these deltas. */
export function deltaOf(entry: Entry): Delta {
  const x = entry.amount;
  switch (entry.kind) {
    case 'issue':
    case 'adjust-in':
      return { amount: x, used: 0, frozen: 0 };
    case 'adjust-out':
    case 'carry-over':
      return { amount: -x, used: 0, frozen: 0 };
    case 'freeze':
      return { amount: 0, used: 0, frozen: x };
    case 'unfreeze':
      return { amount: 0, used: 0, frozen: -x };
    case 'consume':
      // A payment consumes what its request froze: it never touches available.
      return { amount: 0, used: x, frozen: -x };
    case 'refund':
      // 退票 after a payment was consumed: the money came back, the payment is reversed (已用 − x).
      return { amount: 0, used: -x, frozen: 0 };
  }
}

/** INVALID_AMOUNT unless the amount is a positive safe integer (fen); checked before any balance. */
export function checkEntryAmount(entry: Entry): LedgerError | null {
  if (Number.isSafeInteger(entry.amount) && entry.amount > 0) return null;
  return new LedgerError('INVALID_AMOUNT', `${ENTRY_KIND_LABELS[entry.kind]}金额必须是大于零的整数分，收到 ${String(entry.amount)}`);
}

/** The new balance, or why the entry is refused. Never throws, never returns a negative column. */
export function applyEntry(balance: Balance, entry: Entry): Applied {
  const invalid = checkEntryAmount(entry);
  if (invalid) return { ok: false, error: invalid };
  const label = ENTRY_KIND_LABELS[entry.kind];
  const x = entry.amount;
  const avail = available(balance);
  switch (entry.kind) {
    case 'freeze':
    case 'adjust-out':
    case 'carry-over':
      if (avail < x) return refuse('INSUFFICIENT_AVAILABLE', `可用指标不足：可用 ${formatYuan(avail)}，申请${label} ${formatYuan(x)}`);
      break;
    case 'unfreeze':
    case 'consume':
      if (balance.frozen < x)
        return refuse('INSUFFICIENT_FROZEN', `冻结金额不足：已冻结 ${formatYuan(balance.frozen)}，申请${label} ${formatYuan(x)}`);
      break;
    case 'refund':
      if (balance.used < x)
        return refuse('INSUFFICIENT_USED', `已支付金额不足：已支付 ${formatYuan(balance.used)}，申请${label} ${formatYuan(x)}`);
      break;
    case 'issue':
    case 'adjust-in':
      // Amounts are JS numbers end to end; past 2^53 − 1 fen (about ¥90 万亿) they stop being exact.
      if (balance.amount > Number.MAX_SAFE_INTEGER - x)
        return refuse(
          'AMOUNT_OVERFLOW',
          `${label}后指标额度超出可记录的范围：现有 ${formatYuan(balance.amount)}，${label} ${formatYuan(x)}`,
        );
      break;
  }
  const d = deltaOf(entry);
  return {
    ok: true,
    balance: { amount: fen(balance.amount + d.amount), used: fen(balance.used + d.used), frozen: fen(balance.frozen + d.frozen) },
  };
}

/**
 * The balance a journal reproduces, from zero. An entry the rules refuse means the journal is
 * corrupt (it only ever holds accepted entries), so that throws rather than being skipped.
 */
export function replay(entries: Iterable<Entry>): Balance {
  let balance = ZERO_BALANCE;
  for (const entry of entries) {
    const r = applyEntry(balance, entry);
    if (!r.ok) throw r.error;
    balance = r.balance;
  }
  return balance;
}

function refuse(code: LedgerErrorCode, message: string): Applied {
  return { ok: false, error: new LedgerError(code, message) };
}

// ---------------------------------------------------------------------------------------------
// Who may move a quota (the server sends these as `can` with the quota list; the routes require
// the same permissions — they take them from here — so a page offers exactly what the server accepts)

/** The operations on quotas, as the page names them, and the permission each needs. */
export const QUOTA_ACTION_PERMISSIONS = {
  /** 下达（新指标） */
  issue: 'quotas:issue',
  freeze: 'quotas:freeze',
  unfreeze: 'quotas:freeze',
  consume: 'quotas:freeze',
  adjustIn: 'quotas:issue',
  adjustOut: 'quotas:issue',
  transfer: 'quotas:issue',
  carryOver: 'quotas:issue',
} as const satisfies Record<string, Permission>;
export type QuotaAction = keyof typeof QUOTA_ACTION_PERMISSIONS;
export type QuotaActions = Record<QuotaAction, boolean>;

/**
 * What a person may do with the quotas they can see (one outside their scope they cannot see at
 * all): 冻结 / 解冻 / 支付 are the paying side's (quotas:freeze); 下达 / 追加 / 调减 / 调剂 / 结转
 * the budget division's (quotas:issue). Whether the balance allows an amount the ledger decides
 * when asked (applyEntry), and says why not.
 */
export function quotaActions(permissions: ReadonlySet<Permission>): QuotaActions {
  const can = {} as QuotaActions;
  for (const [action, permission] of Object.entries(QUOTA_ACTION_PERMISSIONS)) can[action as QuotaAction] = permissions.has(permission);
  return can;
}
