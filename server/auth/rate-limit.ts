import type { Knex } from 'knex';
import { toShanghaiIso } from '../../domain/time';
import { appendAudit } from '../audit/chain';
import { AppError } from '../errors';

/**
 * Rate limits on the checks that guess a secret: passwords (login, password change) and signing
 * PINs. They stand beside the per-account locks (five wrong in a row lock the account or the seal
 * for 30 minutes), which an attacker spreading guesses over many accounts, or over names that are
 * no account, never trips:
 * - per address: failures from one client address, whatever the account;
 * - per account: failures on one user name (login) or one signer (PIN), from any address — this
 *   also covers the time after an unlock and names that do not exist.
 * Counted in the database (every node sees the same counts) over a sliding window: the current
 * window's failures plus the previous window's, weighted by how much of it still lies inside.
 * A refused attempt is refused before the secret is checked, so it costs no scrypt or PBKDF2 and
 * reveals nothing.
 *
 * Refusals are audited (auth.rate_limited: the account tried, the address, the limit, until when),
 * throttled to one record per bucket and window: the first refusal of a bucket in a window
 * writes a marker row `refused:<bucket>` in rate_limit_counters (unique with its window) and the
 * record in one transaction; later refusals of that bucket and window only count on the marker
 * (hits). A bucket is refused only after `max` failures, each of which is itself audited
 * (auth.login_failed …), so the refusal records are at most one per `max` failure records: an
 * attack that is refused a million times writes one record per bucket per 15 minutes.
 */
export interface RateLimit {
  /** Bucket prefix, e.g. login:address */
  name: string;
  /** Failures allowed inside the window; the next attempt is refused. */
  max: number;
  windowMinutes: number;
}

export const RATE_LIMITS = {
  loginPerAddress: { name: 'login:address', max: 20, windowMinutes: 15 },
  loginPerAccount: { name: 'login:account', max: 10, windowMinutes: 15 },
  pinPerAddress: { name: 'pin:address', max: 10, windowMinutes: 15 },
  pinPerAccount: { name: 'pin:account', max: 10, windowMinutes: 15 },
  /** Wrong TOTP / recovery codes of one person (server/auth/second-factor.ts), beside the 5 per challenge. */
  secondFactorPerAccount: { name: '2fa:account', max: 10, windowMinutes: 15 },
} as const satisfies Record<string, RateLimit>;

const bucketOf = (limit: RateLimit, key: string) => `${limit.name}:${key}`.slice(0, 150);
const windowOf = (limit: RateLimit, now: Date) => Math.floor(now.getTime() / 60_000 / limit.windowMinutes) * limit.windowMinutes;

/** Failures counted against the key now (sliding window), and when the count falls below max again at the latest. */
export async function failures(db: Knex, limit: RateLimit, key: string, now = new Date()): Promise<{ count: number; until: Date }> {
  const current = windowOf(limit, now);
  const previous = current - limit.windowMinutes;
  const rows = (await db('rate_limit_counters')
    .where('bucket', bucketOf(limit, key))
    .whereIn('window_start', [current, previous])
    .select('window_start', 'hits')) as Array<{ window_start: number | string; hits: number }>;
  const hits = (w: number) => Number(rows.find((r) => Number(r.window_start) === w)?.hits ?? 0);
  const elapsed = (now.getTime() / 60_000 - current) / limit.windowMinutes; // 0 … 1 into the current window
  return { count: hits(current) + hits(previous) * (1 - elapsed), until: new Date((current + 2 * limit.windowMinutes) * 60_000) };
}

/** Counts one failure against the key. */
export async function recordFailure(db: Knex, limit: RateLimit, key: string, now = new Date()): Promise<void> {
  const bucket = bucketOf(limit, key);
  const window = windowOf(limit, now);
  await db('rate_limit_counters')
    .insert({ bucket, window_start: window, hits: 1 })
    .onConflict(['bucket', 'window_start'])
    .merge({ hits: db.raw('?? + 1', ['rate_limit_counters.hits']) });
  await db('rate_limit_counters')
    .where('bucket', bucket)
    .where('window_start', '<', window - limit.windowMinutes)
    .delete();
}

export interface LimitedKey {
  limit: RateLimit;
  /** undefined: nothing to count by (no client address known). */
  key: string | undefined;
}

/**
 * 429 when any of the keys has used up its failures; `refusal` words it. The answer carries
 * Retry-After (seconds) and says in Beijing time when to try again.
 */
export async function assertUnderLimits(
  db: Knex,
  keys: readonly LimitedKey[],
  refusal: { code: string; what: string },
  who: RefusedParty,
  now = new Date(),
): Promise<void> {
  for (const { limit, key } of keys) {
    if (key === undefined) continue;
    const f = await failures(db, limit, key, now);
    if (f.count >= limit.max) {
      await auditRefusal(db, limit, key, refusal.code, who, f.until, now);
      const err = new AppError(429, refusal.code, `${refusal.what}尝试次数过多，请于 ${toShanghaiIso(f.until).slice(11, 16)} 后再试`);
      err.headers = { 'retry-after': String(Math.max(1, Math.ceil((f.until.getTime() - now.getTime()) / 1000))) };
      throw err;
    }
  }
}

/** Whom a refused attempt was for and where it came from (the audit record's actor and address). */
export interface RefusedParty {
  userId: number | null;
  /** The name tried (login), or unset: looked up by userId. */
  username?: string;
  ip?: string;
}

/** The throttled audit record of a refusal (see the header): written at most once per bucket and window. */
async function auditRefusal(
  db: Knex,
  limit: RateLimit,
  key: string,
  code: string,
  who: RefusedParty,
  until: Date,
  now: Date,
): Promise<void> {
  const marker = `refused:${bucketOf(limit, key)}`.slice(0, 150);
  const window = windowOf(limit, now);
  const counted = await db('rate_limit_counters')
    .where({ bucket: marker, window_start: window })
    .update({ hits: db.raw('?? + 1', ['rate_limit_counters.hits']) });
  if (counted > 0) return; // this window's refusal of the bucket is on record already
  let username = who.username;
  if (username === undefined && who.userId !== null)
    username = ((await db('users').where('id', who.userId).first('username')) as { username: string } | undefined)?.username;
  try {
    await db.transaction(async (trx) => {
      await trx('rate_limit_counters').insert({ bucket: marker, window_start: window, hits: 1 });
      await appendAudit(trx, {
        kind: 'auth.rate_limited',
        subjectType: who.userId === null ? null : 'user',
        subjectId: who.userId,
        actor: { userId: who.userId, username: (username ?? '').slice(0, 100) },
        data: {
          code,
          limit: limit.name,
          max: limit.max,
          windowMinutes: limit.windowMinutes,
          ip: who.ip?.slice(0, 64) ?? null,
          until: toShanghaiIso(until),
        },
        at: now,
      });
    });
  } catch (err) {
    // Another node (or request) wrote the marker first: its record stands for this one.
    const again = await db('rate_limit_counters')
      .where({ bucket: marker, window_start: window })
      .update({ hits: db.raw('?? + 1', ['rate_limit_counters.hits']) });
    if (again === 0) throw err;
  }
}

/** Deletes the windows no limit reads any more (the running system calls it every minute). */
export async function pruneRateLimitCounters(db: Knex, now = new Date()): Promise<number> {
  const longest = Math.max(...Object.values(RATE_LIMITS).map((l) => l.windowMinutes));
  return db('rate_limit_counters')
    .where('window_start', '<', Math.floor(now.getTime() / 60_000) - 2 * longest)
    .delete();
}

export async function recordFailures(db: Knex, keys: readonly LimitedKey[], now = new Date()): Promise<void> {
  for (const { limit, key } of keys) if (key !== undefined) await recordFailure(db, limit, key, now);
}
