import crypto from 'node:crypto';
import QRCode from 'qrcode';
import type { Knex } from 'knex';
import type { FieldKeyring } from '../../domain/field-cipher';
import { blindIndex } from '../../domain/field-cipher';
import { sm3Hex } from '../../domain/digest';
import {
  base32Encode,
  looksLikeRecoveryCode,
  looksLikeTotp,
  newRecoveryCodes,
  newTotpSecret,
  normaliseRecoveryCode,
  otpauthUri,
  verifyTotp,
} from '../../domain/totp';
import { openValue, registerSensitiveColumn, sealValue } from '../crypto/keyring';
import { AppError, errors } from '../errors';
import { readInstant, type Db } from '../db';
import { appendAudit } from '../audit/chain';
import type { Json } from '../../domain/canonical-json';
import { assertUnderLimits, RATE_LIMITS, recordFailures, type LimitedKey } from './rate-limit';

/**
 * Second factor at login (等保 三级: two factors for the privileged): TOTP (RFC 6238, any
 * authenticator app) with ten one-time recovery codes.
 *
 * - Whose: the holders of the configured roles (BUDGET_SECOND_FACTOR_ROLES; by default the three
 *   admins, 局长/分管局长, 预算处, 国库处), and anyone who enrolled of their own accord.
 * - Login: a right password of such a person who has a factor makes no session, only a challenge
 *   (5 minutes, 5 attempts) that POST /api/auth/login/second-factor redeems with a code.
 * - First login of a privileged person without a factor (the demo accounts, a new 预算处 clerk, a
 *   person whose factor the security admin reset): a session restricted like the must-change-
 *   password one — nothing but /api/auth (enrolment, logout) until a first code confirms the new
 *   factor. (Whoever knows such a person's password can enrol in their place; the same holds for
 *   the initial password an admin hands out, and both are closed by the first login.)
 * - A code is accepted once: the accepted step is stored and only later steps count, ±1 step of
 *   clock drift. A recovery code is spent by a conditional update, so two requests cannot both use it.
 * - Reset only by the security administrator, never for oneself (server/auth/admin.ts).
 * - Every step goes into the audit chain.
 */

/** The TOTP secret at rest: SM4 under the field keys, re-sealed by `npm run keys:rotate`. */
export const TOTP_SECRET_COLUMN = registerSensitiveColumn({
  table: 'user_second_factors',
  idColumn: 'user_id',
  cipherColumn: 'secret_cipher',
});

export const CHALLENGE_MINUTES = 5;
export const CHALLENGE_ATTEMPTS = 5;
export const TOTP_ISSUER = '预算项目管理平台';

export interface SecondFactorPolicy {
  /** Role codes that require a second factor. */
  roles: readonly string[];
  ring: FieldKeyring;
}

/**
 * none: no factor was asked (the person's roles did not need one at login); verified; enrolment:
 * the restricted first session before binding; stepup: a role needing a factor was granted while
 * the session (none) was live — its next request ends it (401 SECOND_FACTOR_STEP_UP) and the login
 * asks for the factor.
 */
export type SessionFactor = 'none' | 'verified' | 'enrolment' | 'stepup';

export function requiresSecondFactor(policy: Pick<SecondFactorPolicy, 'roles'>, roles: readonly string[]): boolean {
  return roles.some((r) => policy.roles.includes(r));
}

interface FactorRow {
  user_id: number;
  secret_cipher: string;
  confirmed_at: unknown;
  last_used_step: number | string | null;
}

export interface SecondFactorStatus {
  /** A role of this person requires a second factor. */
  required: boolean;
  /** A confirmed factor exists. */
  enrolled: boolean;
  enrolledAt: Date | null;
  recoveryCodesLeft: number;
}

export async function secondFactorStatus(
  db: Knex,
  policy: Pick<SecondFactorPolicy, 'roles'>,
  userId: number,
  roles: readonly string[],
): Promise<SecondFactorStatus> {
  const row = (await db('user_second_factors').where({ user_id: userId }).whereNotNull('confirmed_at').first('confirmed_at')) as
    { confirmed_at: unknown } | undefined;
  const left = row
    ? Number(
        (
          (await db('user_recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' })) as Array<{
            n: number | string;
          }>
        )[0]!.n,
      )
    : 0;
  return {
    required: requiresSecondFactor(policy, roles),
    enrolled: Boolean(row),
    enrolledAt: row ? readInstant(row.confirmed_at) : null,
    recoveryCodesLeft: left,
  };
}

export async function hasConfirmedFactor(db: Knex, userId: number): Promise<boolean> {
  return Boolean(await db('user_second_factors').where({ user_id: userId }).whereNotNull('confirmed_at').first('user_id'));
}

export interface SessionMeta {
  ip?: string;
  userAgent?: string;
}

const SESSION_ABSOLUTE_HOURS = 12;

/** A new session (inside the caller's transaction); answers the token for the cookie. */
export async function insertSession(trx: Knex, userId: number, meta: SessionMeta, factor: SessionFactor, now: Date): Promise<string> {
  const token = crypto.randomBytes(32).toString('base64url');
  await trx('sessions').insert({
    token_digest: sm3Hex(token),
    user_id: userId,
    created_at: now,
    last_seen_at: now,
    expires_at: new Date(now.getTime() + SESSION_ABSOLUTE_HOURS * 3600_000),
    ip: meta.ip?.slice(0, 64) ?? null,
    user_agent: meta.userAgent?.slice(0, 300) ?? null,
    second_factor: factor,
  });
  return token;
}

/** After a right password: the challenge the second step redeems (the table keeps only its digest). */
export async function insertChallenge(
  trx: Knex,
  userId: number,
  meta: SessionMeta,
  now: Date,
): Promise<{ challenge: string; expiresAt: Date }> {
  const challenge = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + CHALLENGE_MINUTES * 60_000);
  await trx('login_challenges').where('user_id', userId).where('expires_at', '<', now).delete();
  await trx('login_challenges').insert({
    token_digest: sm3Hex(challenge),
    user_id: userId,
    created_at: now,
    expires_at: expiresAt,
    attempts: 0,
    ip: meta.ip?.slice(0, 64) ?? null,
  });
  return { challenge, expiresAt };
}

const challengeGone = () => new AppError(401, 'SECOND_FACTOR_CHALLENGE_EXPIRED', '验证已超时或已失效，请重新输入用户名和密码登录');
const wrongCode = (left: number) =>
  new AppError(
    401,
    'SECOND_FACTOR_FAILED',
    left > 0 ? `动态验证码或恢复码不正确（还可尝试 ${left} 次）` : '动态验证码或恢复码不正确，请重新输入用户名和密码登录',
  );
const SECOND_FACTOR_REFUSAL = { code: 'SECOND_FACTOR_RATE_LIMITED', what: '动态验证码' };

function secondFactorLimits(userId: number, ip: string | undefined): LimitedKey[] {
  return [
    { limit: RATE_LIMITS.loginPerAddress, key: ip },
    { limit: RATE_LIMITS.secondFactorPerAccount, key: String(userId) },
  ];
}

type Actor = { userId: number; username: string };
const auditEvent = (kind: string, actor: Actor, data: Json, now: Date) => ({
  kind,
  subjectType: 'user',
  subjectId: actor.userId,
  actor,
  data,
  at: now,
});

function recoveryDigest(ring: FieldKeyring, userId: number, code: string): string {
  return blindIndex(normaliseRecoveryCode(code), `recovery-code:${userId}`, ring);
}

/**
 * Second step of a login: the challenge and a TOTP code (6 digits) or a recovery code. A right
 * code makes the session (answers its token); a wrong one counts against the challenge (5) and
 * the rate limits; a used code, an old one or a spent recovery code is wrong.
 */
export async function redeemChallenge(
  db: Db,
  policy: SecondFactorPolicy,
  challenge: string,
  code: string,
  meta: SessionMeta,
  now = new Date(),
): Promise<{ token: string; userId: number; method: 'totp' | 'recovery' }> {
  const digest = sm3Hex(challenge);
  const row = (await db('login_challenges as c')
    .join('users as u', 'u.id', 'c.user_id')
    .where('c.token_digest', digest)
    .first('c.user_id', 'c.expires_at', 'c.attempts', 'c.used_at', 'u.username', 'u.status')) as
    { user_id: number; expires_at: unknown; attempts: number; used_at: unknown; username: string; status: string } | undefined;
  if (!row || row.used_at || readInstant(row.expires_at) <= now || Number(row.attempts) >= CHALLENGE_ATTEMPTS) throw challengeGone();
  if (row.status !== 'active') throw new AppError(403, 'ACCOUNT_DISABLED', '账号已停用，请联系系统管理员');
  const userId = Number(row.user_id);
  const actor = { userId, username: row.username };
  const limits = secondFactorLimits(userId, meta.ip);
  await assertUnderLimits(db, limits, SECOND_FACTOR_REFUSAL, { ...actor, ip: meta.ip }, now);

  const outcome = await db.transaction(async (trx) => {
    const method = await checkCode(trx, policy.ring, userId, code, now);
    if (!method) {
      await trx('login_challenges')
        .where({ token_digest: digest })
        .update({ attempts: trx.raw('attempts + 1') });
      const after = Number(
        ((await trx('login_challenges').where({ token_digest: digest }).first('attempts')) as { attempts: number }).attempts,
      );
      await appendAudit(trx, auditEvent('auth.second_factor_failed', actor, { ip: meta.ip?.slice(0, 64) ?? null, attempts: after }, now));
      return { ok: false as const, attempts: after };
    }
    // One redemption even under concurrency: the loser's transaction rolls back (its code unspent).
    const claimed = await trx('login_challenges')
      .where({ token_digest: digest })
      .whereNull('used_at')
      .where('attempts', '<', CHALLENGE_ATTEMPTS)
      .update({ used_at: now });
    if (!claimed) throw challengeGone();
    const token = await insertSession(trx, userId, meta, 'verified', now);
    await trx('users').where({ id: userId }).update({ failed_logins: 0, locked_until: null, updated_at: now });
    await appendAudit(trx, auditEvent('auth.login', actor, { ip: meta.ip?.slice(0, 64) ?? null, secondFactor: method }, now));
    return { ok: true as const, token, method };
  });
  if (outcome.ok) return { token: outcome.token, userId, method: outcome.method };
  const attempts = outcome.attempts;
  await recordFailures(db, limits, now);
  throw wrongCode(CHALLENGE_ATTEMPTS - attempts);
}

/**
 * Checks a TOTP or recovery code of a confirmed factor and spends it (inside the caller's
 * transaction): answers which kind matched, or null. The step/used_at updates are conditional,
 * so a code raced by two requests is accepted by one.
 */
async function checkCode(trx: Knex, ring: FieldKeyring, userId: number, code: string, now: Date): Promise<'totp' | 'recovery' | null> {
  if (looksLikeTotp(code)) {
    const factor = (await trx('user_second_factors').where({ user_id: userId }).whereNotNull('confirmed_at').first()) as
      FactorRow | undefined;
    if (!factor) return null;
    const secret = Buffer.from(openValue(ring, TOTP_SECRET_COLUMN, factor.secret_cipher)!, 'hex');
    const last = factor.last_used_step === null ? null : Number(factor.last_used_step);
    const step = verifyTotp(secret, code, now.getTime(), last);
    if (step === null) return null;
    const moved = await trx('user_second_factors')
      .where({ user_id: userId })
      .andWhere((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
      .update({ last_used_step: step, last_used_at: now });
    return moved ? 'totp' : null;
  }
  if (looksLikeRecoveryCode(code)) {
    const spent = await trx('user_recovery_codes')
      .where({ user_id: userId, code_digest: recoveryDigest(ring, userId, code) })
      .whereNull('used_at')
      .update({ used_at: now });
    if (!spent) return null;
    const left = Number(
      (
        (await trx('user_recovery_codes').where({ user_id: userId }).whereNull('used_at').count({ n: '*' })) as Array<{
          n: number | string;
        }>
      )[0]!.n,
    );
    const user = (await trx('users').where({ id: userId }).first('username')) as { username: string };
    await appendAudit(trx, auditEvent('auth.recovery_code_used', { userId, username: user.username }, { recoveryCodesLeft: left }, now));
    return 'recovery';
  }
  return null;
}

export interface EnrolmentStart {
  /** otpauth:// URI (what the QR code holds). */
  otpauthUri: string;
  /** The QR code as an SVG data URL (data:image/svg+xml;base64,…). */
  qrDataUrl: string;
  /** The secret in base32, for typing into an app by hand, grouped by four. */
  secret: string;
  issuer: string;
  account: string;
}

/**
 * Starts (or restarts) an enrolment: a new secret, pending until confirmed. A person with a
 * confirmed factor cannot replace it (a stolen session must not move the factor to another
 * phone): the security admin resets it first.
 */
export async function startEnrolment(db: Db, policy: SecondFactorPolicy, actor: Actor, now = new Date()): Promise<EnrolmentStart> {
  const secret = newTotpSecret();
  const sealed = sealValue(policy.ring, TOTP_SECRET_COLUMN, secret.toString('hex'));
  await db.transaction(async (trx) => {
    const existing = (await trx('user_second_factors').where({ user_id: actor.userId }).first('confirmed_at')) as
      { confirmed_at: unknown } | undefined;
    if (existing?.confirmed_at)
      throw errors.conflict('SECOND_FACTOR_ENROLLED', '已绑定动态验证码；如需更换手机，请联系安全管理员重置后重新绑定');
    if (existing)
      await trx('user_second_factors')
        .where({ user_id: actor.userId })
        .update({ secret_cipher: sealed.cipher, created_at: now, last_used_step: null, last_used_at: null });
    else await trx('user_second_factors').insert({ user_id: actor.userId, method: 'totp', secret_cipher: sealed.cipher, created_at: now });
    await appendAudit(trx, auditEvent('auth.second_factor_enrolment_started', actor, null, now));
  });
  const uri = otpauthUri(secret, actor.username, TOTP_ISSUER);
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  return {
    otpauthUri: uri,
    qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`,
    secret: base32Encode(secret).replace(/(.{4})(?=.)/g, '$1 '),
    issuer: TOTP_ISSUER,
    account: actor.username,
  };
}

/**
 * Confirms the pending enrolment with a first code: the factor counts from now on, ten recovery
 * codes are made (answered once, stored as HMAC-SM3 digests), and the session that confirmed it
 * counts as verified (a restricted first-login session becomes a full one).
 */
export async function confirmEnrolment(
  db: Db,
  policy: SecondFactorPolicy,
  actor: Actor,
  sessionToken: string,
  code: string,
  now = new Date(),
): Promise<{ recoveryCodes: string[] }> {
  const limits = secondFactorLimits(actor.userId, undefined);
  await assertUnderLimits(db, limits, SECOND_FACTOR_REFUSAL, { userId: actor.userId, username: actor.username }, now);
  const result = await db.transaction(async (trx) => {
    const factor = (await trx('user_second_factors').where({ user_id: actor.userId }).first()) as FactorRow | undefined;
    if (!factor) throw errors.conflict('SECOND_FACTOR_NOT_STARTED', '请先生成二维码，再输入手机上显示的验证码');
    if (factor.confirmed_at) throw errors.conflict('SECOND_FACTOR_ENROLLED', '已绑定动态验证码');
    const secret = Buffer.from(openValue(policy.ring, TOTP_SECRET_COLUMN, factor.secret_cipher)!, 'hex');
    const step = looksLikeTotp(code) ? verifyTotp(secret, code, now.getTime(), null) : null;
    if (step === null) return null;
    const moved = await trx('user_second_factors')
      .where({ user_id: actor.userId })
      .whereNull('confirmed_at')
      .update({ confirmed_at: now, last_used_step: step, last_used_at: now });
    if (!moved) throw errors.conflict('SECOND_FACTOR_ENROLLED', '已绑定动态验证码');
    const codes = newRecoveryCodes();
    await trx('user_recovery_codes').where({ user_id: actor.userId }).delete();
    await trx('user_recovery_codes').insert(
      codes.map((c) => ({ user_id: actor.userId, code_digest: recoveryDigest(policy.ring, actor.userId, c), created_at: now })),
    );
    await trx('sessions')
      .where({ token_digest: sm3Hex(sessionToken) })
      .update({ second_factor: 'verified' });
    await appendAudit(trx, auditEvent('auth.second_factor_enrolled', actor, { method: 'totp', recoveryCodes: codes.length }, now));
    return codes;
  });
  if (!result) {
    await db.transaction((trx) => appendAudit(trx, auditEvent('auth.second_factor_failed', actor, { during: 'enrolment' }, now)));
    await recordFailures(db, limits, now);
    throw errors.badRequest('SECOND_FACTOR_CODE_WRONG', '验证码不正确：请输入手机验证器当前显示的 6 位数字（并确认手机时间准确）', [
      { field: 'code', message: '验证码不正确' },
    ]);
  }
  return { recoveryCodes: result };
}

/** Deletes the challenges past their lifetime (the running system calls it every minute). */
export async function pruneLoginChallenges(db: Knex, now = new Date()): Promise<number> {
  return db('login_challenges').where('expires_at', '<', now).delete();
}

/** Removes a person's factor, recovery codes and open challenges (inside the caller's transaction). */
export async function deleteSecondFactor(trx: Knex, userId: number): Promise<boolean> {
  const had = Boolean(await trx('user_second_factors').where({ user_id: userId }).whereNotNull('confirmed_at').first('user_id'));
  await trx('login_challenges').where({ user_id: userId }).delete();
  await trx('user_recovery_codes').where({ user_id: userId }).delete();
  await trx('user_second_factors').where({ user_id: userId }).delete();
  return had;
}
