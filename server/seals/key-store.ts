import type { Knex } from 'knex';
import { canonicalJson } from '../../domain/canonical-json';
import { keyIdOf, type KeyRecord, type SignedKeyRecord } from '../../domain/audit-chain';
import { unwrapSecretAsync, wrapSecret, type WrappedKey } from '../../domain/key-wrap';
import { pinProblem } from '../../domain/seal-pin';
import { LOCK_MINUTES, MAX_FAILED_LOGINS } from '../../domain/password';
import { generateSm2KeyPair, sm2Sign, SM2_USER_ID } from '../../domain/sm-crypto';
import { toShanghaiIso } from '../../domain/time';
import { AppError, errors } from '../errors';
import { readInstant } from '../db';
import { appendAudit } from '../audit/chain';
import { pinPepper, platformKey, platformSign } from './platform-key';
import { assertUnderLimits, RATE_LIMITS, recordFailures } from '../auth/rate-limit';
import { UnlockedKeys } from './unlocked-keys';

/**
 * Where signing keys live. The database implementation below keeps each private key only
 * SM4-encrypted under the signer's PIN (domain/key-wrap.ts); a signing server or an HSM can
 * implement the same interface later (unlock = a PIN login on the device; the key never leaves it).
 */
export interface KeyStore {
  /** Generates the user's key pair and publishes its key record; one active key per user. */
  enrol(userId: number, pin: string): Promise<SignedKeyRecord>;
  /**
   * Checks the PIN (counting failures, locking after five; rate-limited per signer and per client
   * address, server/auth/rate-limit.ts) and returns a signer for this use.
   */
  unlock(userId: number, pin: string, from?: { ip?: string }): Promise<Signer>;
  sign(userId: number, pin: string, data: Uint8Array): Promise<{ keyId: string; signature: string }>;
  /** The user's active key record, or null when they have not enrolled. */
  publicKey(userId: number): Promise<SignedKeyRecord | null>;
  /** Any key record by id (superseded keys stay verifiable). */
  keyRecord(keyId: string): Promise<SignedKeyRecord | null>;
  /** What the person's own seal page shows: the active key, its lock, an open re-enrolment, revoked keys. */
  status(userId: number, now?: Date): Promise<SealStatus>;
}

export interface SealStatus {
  enrolled: boolean;
  key: SignedKeyRecord | null;
  /** Five wrong PINs lock the seal until then (Asia/Shanghai ISO); null when not locked. */
  lockedUntil: string | null;
  /** Wrong PINs since the last right one. */
  failedPins: number;
  /** The security administrator has authorised a re-enrolment that the person has not used yet. */
  reenrolment: { id: number; authorisedBy: string; reason: string; authorisedAt: string } | null;
  /** Earlier keys of this person, newest first: their seals still verify. */
  revokedKeys: Array<{ keyId: string; createdAt: string; revokedAt: string }>;
}

export interface Signer {
  keyId: string;
  userId: number;
  publicKey: string;
  sign(data: Uint8Array): string;
}

export const sealErrors = {
  notEnrolled: () => errors.conflict('SEAL_NOT_ENROLLED', '您尚未开通电子签章，请先在“电子签章”中设置签章密码'),
  alreadyEnrolled: () => errors.conflict('SEAL_ALREADY_ENROLLED', '您已开通电子签章；如遗忘签章密码，请联系安全管理员授权重新开通'),
  wrongPin: (left: number) =>
    errors.badRequest('SEAL_PIN_WRONG', `签章密码错误（再错 ${left} 次将锁定签章）`, [{ field: 'pin', message: '签章密码错误' }]),
  locked: (until: Date) =>
    new AppError(423, 'SEAL_LOCKED', `签章密码连续错误次数过多，签章已锁定，请于 ${toShanghaiIso(until).slice(11, 16)} 后重试`),
};

interface SealKeyRow {
  id: number;
  key_id: string;
  user_id: number;
  public_key: string;
  wrapped_private_key: string;
  record: string;
  record_signature: string;
  failed_pins: number;
  locked_until: unknown;
}

const contextOf = (userId: number, keyId: string) => `seal-key:${userId}:${keyId}`;

export class DatabaseKeyStore implements KeyStore {
  private readonly pepper: Buffer;
  private readonly unlocked: UnlockedKeys;

  /** `unlockMinutes`: how long an opened seal is kept for the same PIN (server/seals/unlocked-keys.ts); 0 = every seal opens the key. */
  constructor(
    private readonly db: Knex,
    private readonly secret: string,
    options: { unlockMinutes?: number } = {},
  ) {
    this.pepper = pinPepper(secret);
    this.unlocked = new UnlockedKeys((options.unlockMinutes ?? 0) * 60_000);
  }

  async enrol(userId: number, pin: string): Promise<SignedKeyRecord> {
    const problem = pinProblem(pin);
    if (problem) throw errors.validation([{ field: 'pin', message: problem }]);
    const platform = await platformKey(this.db, this.secret);
    const user = (await this.db('users as u')
      .join('organisations as o', 'o.id', 'u.org_id')
      .where('u.id', userId)
      .first('u.id', 'u.username', 'u.display_name', 'u.org_id', 'o.name as org_name')) as
      { id: number; username: string; display_name: string; org_id: number; org_name: string } | undefined;
    if (!user) throw errors.notFound(`用户 #${userId} 不存在`);
    const previous = await this.activeRow(this.db, userId);
    const reenrolment = previous ? await openReenrolment(this.db, userId) : undefined;
    if (previous && !reenrolment) throw sealErrors.alreadyEnrolled();
    const kp = generateSm2KeyPair();
    const keyId = keyIdOf(kp.publicKey);
    const now = new Date();
    const record: KeyRecord = {
      v: 1,
      keyId,
      userId,
      username: user.username,
      displayName: user.display_name,
      orgId: Number(user.org_id),
      orgName: user.org_name,
      algorithm: 'SM2-SM3',
      distinguishingId: SM2_USER_ID,
      publicKey: kp.publicKey,
      createdAt: now.toISOString(),
      platformKeyId: platform.keyId,
    };
    const signed: SignedKeyRecord = { record, signature: platformSign(platform, record) };
    const wrapped = wrapSecret(Buffer.from(kp.privateKey, 'hex'), pin, contextOf(userId, keyId), this.pepper);
    await this.db.transaction(async (trx) => {
      if (previous && reenrolment) {
        // The authorisation is consumed once (a second, concurrent enrolment finds it used) and the
        // old key stops being active before the new one takes the user's unique active slot.
        const used = await trx('seal_reenrolments')
          .where({ id: reenrolment.id })
          .whereNull('used_at')
          .update({ used_at: now, new_key_id: keyId, pending_user_id: null });
        if (used !== 1) throw sealErrors.alreadyEnrolled();
        await trx('seal_keys').where({ id: previous.id }).update({ active_user_id: null, revoked_at: now });
        await appendAudit(trx, {
          kind: 'seal.revoke',
          subjectType: 'user',
          subjectId: userId,
          actor: { userId, username: user.username },
          data: {
            keyId: previous.key_id,
            reenrolmentId: reenrolment.id,
            authorisedBy: Number(reenrolment.authorised_by),
            replacedBy: keyId,
          },
          at: now,
        });
      }
      try {
        await trx('seal_keys').insert({
          key_id: keyId,
          user_id: userId,
          active_user_id: userId,
          public_key: kp.publicKey,
          wrapped_private_key: JSON.stringify(wrapped),
          record: canonicalJson(record),
          record_signature: signed.signature,
          failed_pins: 0,
          created_at: now,
        });
      } catch (err) {
        if (/unique|duplicate/i.test(String((err as Error).message))) throw sealErrors.alreadyEnrolled(); // a concurrent enrolment won
        throw err;
      }
      await appendAudit(trx, {
        kind: 'seal.enrol',
        subjectType: 'user',
        subjectId: userId,
        actor: { userId, username: user.username },
        data: { keyId, publicKey: kp.publicKey },
        at: now,
      });
    });
    return signed;
  }

  async unlock(userId: number, pin: string, from: { ip?: string } = {}, now = new Date()): Promise<Signer> {
    const row = await this.activeRow(this.db, userId);
    if (!row) throw sealErrors.notEnrolled();
    const lockedUntil = row.locked_until ? readInstant(row.locked_until) : undefined;
    if (lockedUntil && lockedUntil > now) throw sealErrors.locked(lockedUntil);
    const limits = [
      { limit: RATE_LIMITS.pinPerAddress, key: from.ip },
      { limit: RATE_LIMITS.pinPerAccount, key: String(userId) },
    ];
    const signerOf = (privateKey: string): Signer => ({
      keyId: row.key_id,
      userId,
      publicKey: row.public_key,
      sign: (data) => sm2Sign(data, privateKey, row.public_key),
    });
    // A held seal only while no wrong PIN was counted since (on any node): after one, every try
    // takes the slow, rate-limited path until the right PIN is checked there again.
    const held = Number(row.failed_pins) > 0 ? null : this.unlocked.take(row.id, row.key_id, pin, now.getTime());
    if (held) return signerOf(held);
    await assertUnderLimits(this.db, limits, { code: 'SEAL_PIN_RATE_LIMITED', what: '签章密码' }, { userId, ip: from.ip }, now);
    const secret = await unwrapSecretAsync(
      JSON.parse(row.wrapped_private_key) as WrappedKey,
      pin,
      contextOf(userId, row.key_id),
      this.pepper,
    );
    if (!secret) {
      this.unlocked.forget(row.id);
      await recordFailures(this.db, limits, now);
      // One conditional statement, as for logins: concurrent wrong guesses cannot undercount.
      await this.db('seal_keys')
        .where('id', row.id)
        .update({
          locked_until: this.db.raw('CASE WHEN failed_pins + 1 >= ? THEN ? ELSE locked_until END', [
            MAX_FAILED_LOGINS,
            new Date(now.getTime() + LOCK_MINUTES * 60_000),
          ]),
          failed_pins: this.db.raw('failed_pins + 1'),
        });
      const after = (await this.db('seal_keys').where('id', row.id).first('failed_pins', 'locked_until')) as {
        failed_pins: number;
        locked_until: unknown;
      };
      if (after.failed_pins >= MAX_FAILED_LOGINS) throw sealErrors.locked(readInstant(after.locked_until));
      throw sealErrors.wrongPin(MAX_FAILED_LOGINS - after.failed_pins);
    }
    if (row.failed_pins > 0 || row.locked_until)
      await this.db('seal_keys').where('id', row.id).update({ failed_pins: 0, locked_until: null });
    const privateKey = secret.toString('hex');
    this.unlocked.remember(row.id, row.key_id, pin, privateKey, now.getTime());
    return signerOf(privateKey);
  }

  async sign(userId: number, pin: string, data: Uint8Array): Promise<{ keyId: string; signature: string }> {
    const signer = await this.unlock(userId, pin);
    return { keyId: signer.keyId, signature: signer.sign(data) };
  }

  async publicKey(userId: number): Promise<SignedKeyRecord | null> {
    const row = await this.activeRow(this.db, userId);
    return row ? signedRecordOf(row) : null;
  }

  async status(userId: number, now = new Date()): Promise<SealStatus> {
    const row = await this.activeRow(this.db, userId);
    const lockedUntil = row?.locked_until ? readInstant(row.locked_until) : undefined;
    const open = row ? await openReenrolment(this.db, userId) : undefined;
    const by = open
      ? ((await this.db('users').where('id', open.authorised_by).first('display_name')) as { display_name: string } | undefined)
      : undefined;
    const revoked = (await this.db('seal_keys')
      .where('user_id', userId)
      .whereNull('active_user_id')
      .orderBy('id', 'desc')
      .select('key_id', 'created_at', 'revoked_at')) as Array<{ key_id: string; created_at: unknown; revoked_at: unknown }>;
    return {
      enrolled: row !== undefined,
      key: row ? signedRecordOf(row) : null,
      lockedUntil: lockedUntil && lockedUntil > now ? toShanghaiIso(lockedUntil) : null,
      failedPins: row ? Number(row.failed_pins) : 0,
      reenrolment: open
        ? {
            id: open.id,
            authorisedBy: by?.display_name ?? `#${open.authorised_by}`,
            reason: open.reason,
            authorisedAt: toShanghaiIso(readInstant(open.authorised_at)),
          }
        : null,
      revokedKeys: revoked.map((k) => ({
        keyId: k.key_id,
        createdAt: toShanghaiIso(readInstant(k.created_at)),
        revokedAt: k.revoked_at ? toShanghaiIso(readInstant(k.revoked_at)) : '',
      })),
    };
  }

  async keyRecord(keyId: string): Promise<SignedKeyRecord | null> {
    const row = (await this.db('seal_keys').where('key_id', keyId).first()) as SealKeyRow | undefined;
    return row ? signedRecordOf(row) : null;
  }

  private async activeRow(db: Knex, userId: number): Promise<SealKeyRow | undefined> {
    return (await db('seal_keys').where('active_user_id', userId).first()) as SealKeyRow | undefined;
  }
}

interface ReenrolmentRow {
  id: number;
  user_id: number;
  old_key_id: string;
  authorised_by: number;
  reason: string;
  authorised_at: unknown;
}

async function openReenrolment(db: Knex, userId: number): Promise<ReenrolmentRow | undefined> {
  return (await db('seal_reenrolments').where('pending_user_id', userId).first()) as ReenrolmentRow | undefined;
}

export function signedRecordOf(row: { record: string; record_signature: string }): SignedKeyRecord {
  return { record: JSON.parse(row.record) as KeyRecord, signature: row.record_signature };
}

/** Key records by id, for verifying many seals (one query). */
export async function keyRecordsByIds(db: Knex, keyIds: readonly string[]): Promise<SignedKeyRecord[]> {
  if (keyIds.length === 0) return [];
  const rows = (await db('seal_keys')
    .whereIn('key_id', [...new Set(keyIds)])
    .select('record', 'record_signature')) as Array<{ record: string; record_signature: string }>;
  return rows.map(signedRecordOf);
}
