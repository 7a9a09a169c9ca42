import crypto from 'node:crypto';
import type { Knex } from 'knex';
import {
  applyEntry,
  available,
  checkEntryAmount,
  deltaOf,
  IDEMPOTENCY_KEY_MAX,
  IDEMPOTENCY_KEY_PATTERN,
  LedgerError,
  QUOTA_SORTS,
  type Balance,
  type Entry,
  type EntryKind,
} from '../../domain/ledger';
import { fen, type Fen } from '../../domain/money';
import { readInstant, isMysql } from '../db';
import { appendAudit, type AppendedRecord } from '../audit/chain';
import type { Json } from '../../domain/canonical-json';
import type { KeyStore } from '../seals/key-store';
import { seal, signerFor, type Decision } from '../seals/seal';

/**
 * The quota ledger on the database (rules: domain/ledger.ts).
 *
 * Every function takes a knex instance or a transaction from the caller, so a payment request can
 * be saved and its amount frozen in one transaction of the caller's (ours then nests as a
 * savepoint). Concurrency: a balance is never read, modified and written back. Each entry is one
 * conditional UPDATE whose WHERE holds the rule (`amount − used − frozen ≥ x`), so the database
 * decides under its row lock; 0 rows affected means refused or not found, and only then do we read
 * to word the refusal. The journal row is inserted in the same transaction, with the balance read
 * back inside it.
 */

export interface Quota {
  id: number;
  quotaNo: string;
  fiscalYear: number;
  projectId: number | null;
  unitOrgId: number | null;
  /** The organisation that issued it: the owner while no unit is named (data scope). */
  issuerOrgId: number | null;
  functionalCode: string;
  economicCode: string;
  fundSource: string;
  documentNo: string;
  sourceQuotaId: number | null;
  amountFen: Fen;
  usedFen: Fen;
  frozenFen: Fen;
  availableFen: Fen;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface JournalEntry {
  id: number;
  quotaId: number;
  kind: EntryKind;
  amountFen: Fen;
  deltaAmountFen: number;
  deltaUsedFen: number;
  deltaFrozenFen: number;
  balanceAfter: { amountFen: Fen; usedFen: Fen; frozenFen: Fen; availableFen: Fen };
  counterpartQuotaId: number | null;
  referenceType: string | null;
  referenceId: string | null;
  idempotencyKey: string | null;
  /** The acting user's user name (system steps: their own name, e.g. system). */
  actor: string;
  /** The person's display name (王芳) when the actor is a user, else null; read by listJournal only. */
  actorName?: string | null;
  reason: string;
  createdAt: Date;
}

/** Who, why, and optionally what for and a key that makes a retried call harmless. */
export interface EntryMeta {
  /** 1–100 characters: the acting user's name. */
  actor: string;
  /** The acting user's id, for the audit chain (null or absent: the system). */
  actorUserId?: number | null;
  /** 1–500 characters. */
  reason: string;
  /**
   * A repeated call with the same key returns the original entry and changes nothing. Only
   * accepted entries are remembered: a refused call may be retried with the same key.
   * 1–96 characters of IDEMPOTENCY_KEY_PATTERN: a two-sided operation stores `${key}/in` on its
   * second row, and no caller's key can contain the slash.
   */
  idempotencyKey?: string;
  /** What the entry is for, e.g. { type: 'payment-request', id: '42' }. */
  reference?: { type: string; id: string };
}

export interface EntryInput extends EntryMeta {
  quotaId: number;
  amountFen: number;
}

export interface NewQuota {
  /**
   * 指标编号: generated from the year and the quota's id (ZB2026-000042, quotaNumber) unless given;
   * the API never takes one (a number is the ledger's, not typed by a person). Seeds and
   * migrations from an older ledger may give theirs.
   */
  quotaNo?: string;
  fiscalYear: number;
  projectId?: number | null;
  unitOrgId?: number | null;
  /** The issuing organisation (the issuer's own); owns the quota while it has no unit. */
  issuerOrgId?: number | null;
  functionalCode: string;
  economicCode: string;
  fundSource: string;
  documentNo: string;
  sourceQuotaId?: number | null;
}

export interface EntryResult {
  entry: JournalEntry;
  /** The quota right after the entry, read in its transaction (for a replay: as it is now). */
  quota: Quota;
  /** true when an idempotency key matched an earlier call: nothing was changed. */
  replayed: boolean;
}

export interface PairResult {
  /** The entry that takes money out (adjust-out / carry-over) and the one that puts it in. */
  out: JournalEntry;
  in: JournalEntry;
  from: Quota;
  to: Quota;
  replayed: boolean;
}

export class QuotaNotFoundError extends Error {
  constructor(public readonly quotaId: number) {
    super(`指标 #${quotaId} 不存在`);
    this.name = 'QuotaNotFoundError';
  }
}

export { IDEMPOTENCY_KEY_MAX, IDEMPOTENCY_KEY_PATTERN };
const SECOND_SIDE = '/in';

// ---------------------------------------------------------------------------------------------
// Entries on one quota

/** 下达: creates the quota and issues its amount (one journal row). */
export async function issueQuota(db: Knex, input: NewQuota & EntryMeta & { amountFen: number }): Promise<EntryResult> {
  const entry = checkedEntry('issue', input.amountFen, input);
  const { value, replayed } = await idempotent(
    db,
    input.idempotencyKey,
    async (reader, locking) => {
      const prior = await entryByKey(reader, input.idempotencyKey, locking);
      if (!prior) return undefined;
      const quota = await mustGetQuota(reader, prior.quotaId);
      assertSameRequest(
        prior,
        prior.kind === 'issue' &&
          prior.amountFen === entry.amount &&
          (input.quotaNo === undefined || quota.quotaNo === input.quotaNo) &&
          quota.fiscalYear === input.fiscalYear &&
          quota.documentNo === input.documentNo,
      );
      return { entry: prior, quota };
    },
    async (trx) => applyOnQuota(trx, await insertQuota(trx, input), entry, input),
  );
  return { ...value, replayed };
}

/**
 * 下达 is a decision: once the issuer has enrolled an SM2 key, the request must carry their
 * signing PIN and the issuance is sealed in its own transaction (no seal, no quota). Before
 * enrolment it is recorded in the audit chain unsealed, so issuing does not stop on the day
 * seals arrive; the SPA asks every signer to enrol. The PIN is checked before the transaction
 * opens (signerFor), so a wrong one is counted. A replayed issuance is not sealed again.
 */
export async function issueSealedQuota(
  db: Knex,
  keyStore: KeyStore,
  input: NewQuota & EntryMeta & { amountFen: number },
  sealing: { who: Decision['who']; signingPin: string | undefined; ip?: string; form: Json },
): Promise<EntryResult & { sealed: AppendedRecord | null }> {
  const signer = await signerFor(keyStore, sealing.who.userId, sealing.signingPin, '下达指标', { ip: sealing.ip });
  return db.transaction(async (trx) => {
    const r = await issueQuota(trx, input);
    if (!signer || r.replayed) return { ...r, sealed: null };
    const record = await seal(trx, signer, {
      what: 'quota.issue',
      who: sealing.who,
      decision: {
        quotaId: r.quota.id,
        quotaNo: r.quota.quotaNo,
        journalId: r.entry.id,
        amountFen: r.entry.amountFen,
        fiscalYear: r.quota.fiscalYear,
        documentNo: r.quota.documentNo,
      },
      form: sealing.form,
      subjectType: 'quota',
      subjectId: r.quota.id,
      projectId: r.quota.projectId,
    });
    return { ...r, sealed: record };
  });
}

/** 冻结: a payment request reserves its amount on submission. */
export const freeze = (db: Knex, input: EntryInput) => single(db, 'freeze', input);
/** 解冻: the request was rejected or cancelled; its frozen amount is available again. */
export const unfreeze = (db: Knex, input: EntryInput) => single(db, 'unfreeze', input);
/** 支付: the request was paid; what it froze becomes used. */
export const consume = (db: Knex, input: EntryInput) => single(db, 'consume', input);
/** 追加/调入 (approved elsewhere). */
/** 退票冲回: a consumed payment whose money the bank returned (已用 − amount), by the treasury only. */
export const refund = (db: Knex, input: EntryInput) => single(db, 'refund', input);

export const adjustIn = (db: Knex, input: EntryInput) => single(db, 'adjust-in', input);
/** 调减/调出 (approved elsewhere); only what is available can go. */
export const adjustOut = (db: Knex, input: EntryInput) => single(db, 'adjust-out', input);

async function single(db: Knex, kind: EntryKind, input: EntryInput): Promise<EntryResult> {
  const entry = checkedEntry(kind, input.amountFen, input);
  const { value, replayed } = await idempotent(
    db,
    input.idempotencyKey,
    async (reader, locking) => {
      const prior = await entryByKey(reader, input.idempotencyKey, locking);
      if (!prior) return undefined;
      assertSameRequest(prior, prior.quotaId === input.quotaId && prior.kind === kind && prior.amountFen === entry.amount);
      return { entry: prior, quota: await mustGetQuota(reader, prior.quotaId) };
    },
    (trx) => applyOnQuota(trx, input.quotaId, entry, input),
  );
  return { ...value, replayed };
}

// ---------------------------------------------------------------------------------------------
// Entries on two quotas, in one transaction: both happen or neither.

/** 调剂: adjust-out on one quota and adjust-in on another of the same fiscal year. */
export async function transfer(
  db: Knex,
  input: EntryMeta & { fromQuotaId: number; toQuotaId: number; amountFen: number },
): Promise<PairResult> {
  const out = checkedEntry('adjust-out', input.amountFen, input);
  return pair(
    db,
    input,
    (prior) =>
      prior.quotaId === input.fromQuotaId &&
      prior.kind === 'adjust-out' &&
      prior.amountFen === out.amount &&
      prior.counterpartQuotaId === input.toQuotaId,
    async (trx) => {
      if (input.fromQuotaId === input.toQuotaId) throw new LedgerError('INVALID_TRANSFER', '调出和调入不能是同一个指标');
      const [from, to] = [await mustGetQuota(trx, input.fromQuotaId), await mustGetQuota(trx, input.toQuotaId)];
      if (from.fiscalYear !== to.fiscalYear) {
        throw new LedgerError(
          'INVALID_TRANSFER',
          `调剂只能在同一预算年度的指标之间进行（${from.fiscalYear} 年 → ${to.fiscalYear} 年），跨年度请用结转`,
        );
      }
      return applyPair(trx, from.id, to.id, out, { kind: 'adjust-in', amount: out.amount }, input);
    },
  );
}

/**
 * 结转: moves (part of) what is still available on a quota into a later fiscal year, either into a
 * new quota (issued with its source quota set; descriptive fields default to the source's) or as
 * an adjust-in on an existing quota of a later year.
 */
export async function carryOver(
  db: Knex,
  input: EntryMeta & { quotaId: number; amountFen: number; into: { quotaId: number } | Partial<NewQuota> },
): Promise<PairResult> {
  const out = checkedEntry('carry-over', input.amountFen, input);
  const into = input.into;
  return pair(
    db,
    input,
    (prior) => prior.quotaId === input.quotaId && prior.kind === 'carry-over' && prior.amountFen === out.amount,
    async (trx) => {
      const source = await mustGetQuota(trx, input.quotaId);
      let targetId: number;
      if ('quotaId' in into) {
        const target = await mustGetQuota(trx, into.quotaId);
        if (target.fiscalYear <= source.fiscalYear) {
          throw new LedgerError(
            'INVALID_CARRY_OVER',
            `只能结转到以后年度的指标：来源 ${source.fiscalYear} 年，目标 ${target.fiscalYear} 年`,
          );
        }
        targetId = target.id;
      } else {
        const fiscalYear = into.fiscalYear ?? source.fiscalYear + 1;
        if (fiscalYear <= source.fiscalYear)
          throw new LedgerError('INVALID_CARRY_OVER', `只能结转到以后年度：来源 ${source.fiscalYear} 年，目标 ${fiscalYear} 年`);
        // Take the money out before inserting the new quota: that insert's foreign-key check takes a
        // shared lock on the source, and two carry-overs holding shared locks would deadlock upgrading.
        const from = await changeBalance(trx, source.id, out);
        const given = Object.fromEntries(Object.entries(into).filter(([, v]) => v !== undefined));
        targetId = await insertQuota(trx, { ...pick(source), ...given, quotaNo: into.quotaNo, fiscalYear, sourceQuotaId: source.id });
        const to = await changeBalance(trx, targetId, { kind: 'issue', amount: out.amount });
        return {
          out: await writeJournal(trx, out, from, input, { counterpart: targetId }),
          in: await writeJournal(trx, { kind: 'issue', amount: out.amount }, to, input, { counterpart: source.id, keySuffix: SECOND_SIDE }),
          from,
          to,
        };
      }
      return applyPair(trx, source.id, targetId, out, { kind: 'adjust-in', amount: out.amount }, input);
    },
  );
}

async function pair(
  db: Knex,
  meta: EntryMeta,
  matches: (prior: JournalEntry) => boolean,
  work: (trx: Knex.Transaction) => Promise<Omit<PairResult, 'replayed'>>,
): Promise<PairResult> {
  const { value, replayed } = await idempotent(
    db,
    meta.idempotencyKey,
    async (reader, locking) => {
      const out = await entryByKey(reader, meta.idempotencyKey, locking);
      if (!out) return undefined;
      assertSameRequest(out, matches(out));
      const into = await entryByKey(reader, `${meta.idempotencyKey}${SECOND_SIDE}`, locking);
      if (!into) throw new Error(`journal entry ${out.id} has no second side`); // both are written in one transaction
      return { out, in: into, from: await mustGetQuota(reader, out.quotaId), to: await mustGetQuota(reader, into.quotaId) };
    },
    work,
  );
  return { ...value, replayed };
}

/**
 * Both sides in one transaction; a refused side rolls back the other. Both balance rows are locked
 * (updated) in id order whichever way the money goes, and only then are the journal rows written:
 * their foreign keys take shared locks on the quotas, which must already be ours, or two transfers
 * into the same quota could deadlock upgrading shared locks.
 */
async function applyPair(
  trx: Knex.Transaction,
  fromId: number,
  toId: number,
  out: Entry,
  into: Entry,
  meta: EntryMeta,
): Promise<Omit<PairResult, 'replayed'>> {
  let from: Quota, to: Quota;
  if (fromId < toId) {
    from = await changeBalance(trx, fromId, out);
    to = await changeBalance(trx, toId, into);
  } else {
    to = await changeBalance(trx, toId, into);
    from = await changeBalance(trx, fromId, out);
  }
  return {
    out: await writeJournal(trx, out, from, meta, { counterpart: toId }),
    in: await writeJournal(trx, into, to, meta, { counterpart: fromId, keySuffix: SECOND_SIDE }),
    from,
    to,
  };
}

// ---------------------------------------------------------------------------------------------
// The one place a balance changes

async function applyOnQuota(trx: Knex.Transaction, quotaId: number, entry: Entry, meta: EntryMeta): Promise<Omit<EntryResult, 'replayed'>> {
  const quota = await changeBalance(trx, quotaId, entry);
  return { entry: await writeJournal(trx, entry, quota, meta, { counterpart: null }), quota };
}

/** One conditional UPDATE; returns the quota as it is after it, read inside the transaction. */
async function changeBalance(trx: Knex.Transaction, quotaId: number, entry: Entry): Promise<Quota> {
  // Normally one pass. A refusal is re-read under a row lock; if the rule is met by then (another
  // transaction released money between our UPDATE and the read), the lock we now hold makes the
  // next UPDATE succeed.
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await conditionalUpdate(trx, quotaId, entry, new Date())) === 1) return quotaFromRow(await lockedRow(trx, quotaId));
    const row = await lockedRow(trx, quotaId);
    if (!row) throw new QuotaNotFoundError(quotaId);
    const r = applyEntry(balanceOf(row), entry);
    if (!r.ok) throw r.error;
  }
  throw new Error(`quota ${quotaId}: conditional update kept failing although the rule holds`);
}

async function writeJournal(
  trx: Knex.Transaction,
  entry: Entry,
  after: Quota,
  meta: EntryMeta,
  side: { counterpart: number | null; keySuffix?: string },
): Promise<JournalEntry> {
  const d = deltaOf(entry);
  const row = {
    quota_id: after.id,
    kind: entry.kind,
    amount_fen: entry.amount,
    delta_amount_fen: d.amount,
    delta_used_fen: d.used,
    delta_frozen_fen: d.frozen,
    balance_after_amount_fen: after.amountFen,
    balance_after_used_fen: after.usedFen,
    balance_after_frozen_fen: after.frozenFen,
    counterpart_quota_id: side.counterpart,
    reference_type: meta.reference?.type ?? null,
    reference_id: meta.reference?.id ?? null,
    idempotency_key: meta.idempotencyKey ? meta.idempotencyKey + (side.keySuffix ?? '') : null,
    actor: meta.actor,
    reason: meta.reason,
    created_at: new Date(),
  };
  const [id] = await trx('quota_journal').insert(row);
  const journal = entryFromRow({ ...row, id: Number(id) });
  await appendAudit(trx, {
    kind: `quota.${entry.kind}`,
    subjectType: 'quota',
    subjectId: after.id,
    projectId: after.projectId,
    actor: { userId: meta.actorUserId ?? null, username: meta.actor },
    data: {
      journalId: journal.id,
      quotaNo: after.quotaNo,
      kind: entry.kind,
      amountFen: entry.amount,
      balanceAfter: journal.balanceAfter,
      counterpartQuotaId: side.counterpart,
      reference: meta.reference ?? null,
      reason: meta.reason,
    },
    at: row.created_at,
  });
  return journal;
}

/** The rule of each kind as a WHERE clause: the database checks it under its own row lock. */
function conditionalUpdate(trx: Knex.Transaction, quotaId: number, entry: Entry, now: Date): Promise<number> {
  const x = entry.amount;
  const d = deltaOf(entry);
  const q = trx('quotas').where('id', quotaId);
  switch (entry.kind) {
    case 'freeze':
    case 'adjust-out':
    case 'carry-over':
      q.whereRaw('amount_fen - used_fen - frozen_fen >= ?', [x]);
      break;
    case 'unfreeze':
    case 'consume':
      q.where('frozen_fen', '>=', x);
      break;
    case 'refund':
      q.where('used_fen', '>=', x);
      break;
    case 'issue':
    case 'adjust-in':
      q.where('amount_fen', '<=', Number.MAX_SAFE_INTEGER - x);
      break;
  }
  const set: Record<string, unknown> = { version: trx.raw('version + 1'), updated_at: now };
  if (d.amount) set.amount_fen = trx.raw('amount_fen + ?', [d.amount]);
  if (d.used) set.used_fen = trx.raw('used_fen + ?', [d.used]);
  if (d.frozen) set.frozen_fen = trx.raw('frozen_fen + ?', [d.frozen]);
  return q.update(set);
}

/** MySQL: FOR UPDATE reads the latest committed row (not the transaction's snapshot) and locks it. */
function lockedRow(trx: Knex.Transaction, quotaId: number): Promise<QuotaRow | undefined> {
  const q = trx<QuotaRow>('quotas').where('id', quotaId).first();
  return isMysql(trx) ? q.forUpdate() : q; // SQLite: one writer at a time already
}

/** 指标编号 the ledger gives: ZB, the fiscal year, the quota's id (ZB2026-000042), like the project numbers (XM2026-000001). */
export function quotaNumber(fiscalYear: number, id: number): string {
  return `ZB${fiscalYear}-${String(id).padStart(6, '0')}`;
}

async function insertQuota(trx: Knex.Transaction, q: NewQuota): Promise<number> {
  const now = new Date();
  try {
    const [rawId] = await trx('quotas').insert({
      // A placeholder until the id is known (unique like the number itself); replaced below.
      quota_no: q.quotaNo ?? `pending-${crypto.randomUUID().slice(0, 36)}`,
      fiscal_year: q.fiscalYear,
      project_id: q.projectId ?? null,
      unit_org_id: q.unitOrgId ?? null,
      issuer_org_id: q.issuerOrgId ?? null,
      functional_code: q.functionalCode,
      economic_code: q.economicCode,
      fund_source: q.fundSource,
      document_no: q.documentNo,
      source_quota_id: q.sourceQuotaId ?? null,
      created_at: now,
      updated_at: now,
    });
    const id = Number(rawId);
    if (q.quotaNo === undefined)
      await trx('quotas')
        .where('id', id)
        .update({ quota_no: quotaNumber(q.fiscalYear, id) });
    return id;
  } catch (err) {
    if (isUniqueViolation(err) && /quota_no/.test(String((err as Error).message))) {
      throw new LedgerError('DUPLICATE_QUOTA_NO', `指标编号 ${q.quotaNo ?? ''} 已存在`);
    }
    // Callers check project and unit first (the API words the refusal); this is the last defence.
    if (isForeignKeyViolation(err)) throw new LedgerError('UNKNOWN_REFERENCE', '指标所属的项目、预算单位或来源指标不存在');
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Idempotency

/**
 * Runs `work` in a transaction unless `replay` finds the key already used. After a failure the key
 * is looked up again: a concurrent call with the same key may have won, and whatever made ours
 * fail (the unique index on the key, or a balance the winner already took) its entry is the answer.
 */
async function idempotent<T>(
  db: Knex,
  key: string | undefined,
  replay: (reader: Knex, locking: boolean) => Promise<T | undefined>,
  work: (trx: Knex.Transaction) => Promise<T>,
): Promise<{ value: T; replayed: boolean }> {
  if (key) {
    const prior = await replay(db, false);
    if (prior) return { value: prior, replayed: true };
  }
  try {
    return { value: await db.transaction(work), replayed: false };
  } catch (err) {
    if (key) {
      const prior = await replay(db, true);
      if (prior) return { value: prior, replayed: true };
    }
    throw err;
  }
}

/**
 * `locking` after a failure only: inside a caller's MySQL transaction a plain read sees that
 * transaction's old snapshot, a locking read sees the winner. Not before: a shared lock on a key
 * that does not exist yet is a gap lock, and two such transactions then inserting would deadlock.
 */
async function entryByKey(db: Knex, key: string | undefined, locking: boolean): Promise<JournalEntry | undefined> {
  if (!key) return undefined;
  const q = db<JournalRow>('quota_journal').where('idempotency_key', key).first();
  const row = locking && isMysql(db) && db.isTransaction ? await q.forShare() : await q;
  return row ? entryFromRow(row) : undefined;
}

function assertSameRequest(prior: JournalEntry, same: boolean): void {
  if (!same) {
    // Not naming the earlier entry's quota: it may lie outside the caller's data scope.
    throw new LedgerError('IDEMPOTENCY_KEY_REUSED', `幂等键 ${String(prior.idempotencyKey)} 已用于另一笔记账，请勿用于不同的请求`);
  }
}

function checkedEntry(kind: EntryKind, amountFen: number, meta: EntryMeta): Entry {
  const entry = { kind, amount: amountFen as Fen };
  const invalid = checkEntryAmount(entry);
  if (invalid) throw invalid;
  // The API validates these for people; here they guard against programming errors.
  if (!meta.actor || meta.actor.length > 100) throw new TypeError('actor must be 1–100 characters');
  if (!meta.reason || meta.reason.length > 500) throw new TypeError('reason must be 1–500 characters');
  const key = meta.idempotencyKey;
  if (key !== undefined && (key.length > IDEMPOTENCY_KEY_MAX || !IDEMPOTENCY_KEY_PATTERN.test(key))) {
    throw new TypeError(`idempotencyKey must be 1–${IDEMPOTENCY_KEY_MAX} characters of ${String(IDEMPOTENCY_KEY_PATTERN)}`);
  }
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Reading

export async function getQuota(db: Knex, id: number): Promise<Quota | null> {
  const row = await db<QuotaRow>('quotas').where('id', id).first();
  return row ? quotaFromRow(row) : null;
}

/**
 * Whose a quota is, for data scope: its unit, or while it has none the organisation that issued
 * it (a quota issued to a bureau belongs to that bureau and its region). null: nobody's — an old
 * quota whose issuer could not be traced is visible to no one.
 */
export function quotaOwner(q: Pick<Quota, 'unitOrgId' | 'issuerOrgId'>): number | null {
  return q.unitOrgId ?? q.issuerOrgId;
}

async function mustGetQuota(db: Knex, id: number): Promise<Quota> {
  const quota = await getQuota(db, id);
  if (!quota) throw new QuotaNotFoundError(id);
  return quota;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export { QUOTA_SORTS };

export interface QuotaQuery {
  fiscalYear?: number;
  projectId?: number;
  /** Part of the quota number (a picker searching as the clerk types). */
  quotaNoContains?: string;
  page: number;
  pageSize: number;
  sort: keyof typeof QUOTA_SORTS;
  order: 'asc' | 'desc';
}

/**
 * `scope` limits the list to what a person may see: quotas whose owner (quotaOwner) is among the
 * organisations the subquery yields.
 */
export async function listQuotas(db: Knex, query: QuotaQuery, scope?: { orgIds: Knex.QueryBuilder }): Promise<Page<Quota>> {
  const base = db('quotas');
  if (scope) {
    base.where((w) => {
      w.whereIn('unit_org_id', scope.orgIds.clone()).orWhere((u) =>
        u.whereNull('unit_org_id').whereIn('issuer_org_id', scope.orgIds.clone()),
      );
    });
  }
  if (query.fiscalYear !== undefined) base.where('fiscal_year', query.fiscalYear);
  if (query.projectId !== undefined) base.where('project_id', query.projectId);
  if (query.quotaNoContains) {
    // ESCAPE spelled out: SQLite has no default escape character, MySQL's is '\'.
    base.whereRaw('quota_no like ? escape ?', [`%${query.quotaNoContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, '\\']);
  }
  const [count] = await base.clone().count({ n: '*' });
  // Sort expressions come from the whitelist above only, never from the request; id keeps pages stable.
  const rows = await base
    .clone()
    .select('*')
    .orderByRaw(`${QUOTA_SORTS[query.sort]} ${query.order === 'desc' ? 'desc' : 'asc'}, id ${query.order === 'desc' ? 'desc' : 'asc'}`)
    .limit(query.pageSize)
    .offset((query.page - 1) * query.pageSize);
  return { items: (rows as QuotaRow[]).map(quotaFromRow), total: Number(count?.n ?? 0), page: query.page, pageSize: query.pageSize };
}

export async function listJournal(
  db: Knex,
  quotaId: number,
  query: { page: number; pageSize: number; order: 'asc' | 'desc' },
): Promise<Page<JournalEntry>> {
  await mustGetQuota(db, quotaId);
  const [count] = await db('quota_journal').where('quota_id', quotaId).count({ n: '*' });
  // The journal keeps the user name that acted (what the audit chain sealed); people read names.
  const rows = (await db('quota_journal as j')
    .leftJoin('users as u', 'u.username', 'j.actor')
    .where('j.quota_id', quotaId)
    .orderBy('j.id', query.order)
    .limit(query.pageSize)
    .offset((query.page - 1) * query.pageSize)
    .select('j.*', 'u.display_name as actor_name')) as Array<JournalRow & { actor_name: string | null }>;
  return {
    items: rows.map((r) => ({ ...entryFromRow(r), actorName: r.actor_name ?? null })),
    total: Number(count?.n ?? 0),
    page: query.page,
    pageSize: query.pageSize,
  };
}

/** Quota numbers by id, for naming the counterpart of transfer and carry-over entries. */
export async function quotaNumbers(db: Knex, ids: readonly number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = (await db('quotas').whereIn('id', unique).select('id', 'quota_no')) as Array<{ id: number; quota_no: string }>;
  return new Map(rows.map((r) => [Number(r.id), r.quota_no]));
}

// ---------------------------------------------------------------------------------------------
// Rows

interface QuotaRow {
  id: number;
  quota_no: string;
  fiscal_year: number;
  project_id: number | null;
  unit_org_id: number | null;
  issuer_org_id: number | null;
  functional_code: string;
  economic_code: string;
  fund_source: string;
  document_no: string;
  source_quota_id: number | null;
  amount_fen: number | string;
  used_fen: number | string;
  frozen_fen: number | string;
  version: number;
  created_at: unknown;
  updated_at: unknown;
}

interface JournalRow {
  id: number;
  quota_id: number;
  kind: string;
  amount_fen: number | string;
  delta_amount_fen: number | string;
  delta_used_fen: number | string;
  delta_frozen_fen: number | string;
  balance_after_amount_fen: number | string;
  balance_after_used_fen: number | string;
  balance_after_frozen_fen: number | string;
  counterpart_quota_id: number | null;
  reference_type: string | null;
  reference_id: string | null;
  idempotency_key: string | null;
  actor: string;
  reason: string;
  created_at: unknown;
}

/** BIGINT comes back as a number (both drivers, within 2^53 − 1, which the rules keep it to). */
function toFen(v: number | string): Fen {
  return fen(Number(v));
}

function balanceOf(row: QuotaRow): Balance {
  return { amount: toFen(row.amount_fen), used: toFen(row.used_fen), frozen: toFen(row.frozen_fen) };
}

function quotaFromRow(r: QuotaRow | undefined): Quota {
  if (!r) throw new Error('quota row vanished inside its own transaction');
  const b = balanceOf(r);
  return {
    id: Number(r.id),
    quotaNo: r.quota_no,
    fiscalYear: Number(r.fiscal_year),
    projectId: r.project_id === null ? null : Number(r.project_id),
    unitOrgId: r.unit_org_id === null ? null : Number(r.unit_org_id),
    issuerOrgId: r.issuer_org_id === null || r.issuer_org_id === undefined ? null : Number(r.issuer_org_id),
    functionalCode: r.functional_code,
    economicCode: r.economic_code,
    fundSource: r.fund_source,
    documentNo: r.document_no,
    sourceQuotaId: r.source_quota_id === null ? null : Number(r.source_quota_id),
    amountFen: b.amount,
    usedFen: b.used,
    frozenFen: b.frozen,
    availableFen: available(b),
    version: Number(r.version),
    createdAt: readInstant(r.created_at),
    updatedAt: readInstant(r.updated_at),
  };
}

function entryFromRow(r: JournalRow): JournalEntry {
  const after = {
    amount: toFen(r.balance_after_amount_fen),
    used: toFen(r.balance_after_used_fen),
    frozen: toFen(r.balance_after_frozen_fen),
  };
  return {
    id: Number(r.id),
    quotaId: Number(r.quota_id),
    kind: r.kind as EntryKind,
    amountFen: toFen(r.amount_fen),
    deltaAmountFen: Number(r.delta_amount_fen),
    deltaUsedFen: Number(r.delta_used_fen),
    deltaFrozenFen: Number(r.delta_frozen_fen),
    balanceAfter: { amountFen: after.amount, usedFen: after.used, frozenFen: after.frozen, availableFen: available(after) },
    counterpartQuotaId: r.counterpart_quota_id === null ? null : Number(r.counterpart_quota_id),
    referenceType: r.reference_type,
    referenceId: r.reference_id,
    idempotencyKey: r.idempotency_key,
    actor: r.actor,
    reason: r.reason,
    createdAt: readInstant(r.created_at),
  };
}

function pick(q: Quota): NewQuota {
  return {
    quotaNo: q.quotaNo,
    fiscalYear: q.fiscalYear,
    projectId: q.projectId,
    unitOrgId: q.unitOrgId,
    issuerOrgId: q.issuerOrgId,
    functionalCode: q.functionalCode,
    economicCode: q.economicCode,
    fundSource: q.fundSource,
    documentNo: q.documentNo,
  };
}

function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ER_NO_REFERENCED_ROW_2' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
