import type { Knex } from 'knex';
import { LOCK_MINUTES, MAX_FAILED_LOGINS, passwordExpired, passwordProblems, SESSION_IDLE_MINUTES } from '../../domain/password';
import {
  permissionsOf,
  regionPrefix,
  roleByCode,
  violatesSeparationOfDuties,
  widestScope,
  type DataScope,
  type Permission,
} from '../../domain/roles';
import { sm3Hex } from '../../domain/digest';
import { DEFAULT_SECOND_FACTOR_ROLES } from '../config';
import { toShanghaiIso } from '../../domain/time';
import { AppError, errors } from '../errors';
import { readInstant, type Db } from '../db';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';
import { appendAudit } from '../audit/chain';
import type { Json } from '../../domain/canonical-json';
import { assertUnderLimits, RATE_LIMITS, recordFailures, type LimitedKey } from './rate-limit';
import {
  hasConfirmedFactor,
  insertChallenge,
  insertSession,
  requiresSecondFactor,
  type SecondFactorPolicy,
  type SessionFactor,
} from './second-factor';

/** The rate limits a password check counts against: the client's address and the user name. */
function passwordLimits(username: string, ip: string | undefined): LimitedKey[] {
  return [
    { limit: RATE_LIMITS.loginPerAddress, key: ip },
    { limit: RATE_LIMITS.loginPerAccount, key: username.trim().toLowerCase() },
  ];
}
const LOGIN_REFUSAL = { code: 'LOGIN_RATE_LIMITED', what: '登录' };

/** Who is acting: resolved once per request from the session. */
export interface Principal {
  userId: number;
  username: string;
  displayName: string;
  orgId: number;
  orgName: string;
  orgPath: string;
  orgRegionCode: string;
  roles: string[];
  permissions: Set<Permission>;
  /** The widest data scope among the roles (domain/roles.ts). */
  scope: DataScope;
  mustChangePassword: boolean;
  /**
   * A privileged person (second-factor roles) logged in without a factor yet: nothing but
   * /api/auth (enrolment, logout) until one is confirmed (server/auth/second-factor.ts).
   */
  secondFactorEnrolmentRequired: boolean;
}

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  org_id: number;
  password_hash: string;
  password_changed_at: unknown;
  failed_logins: number;
  locked_until: unknown;
  status: string;
}

export interface NewUser {
  username: string;
  displayName: string;
  orgId: number;
  password: string;
  roles: string[];
  /** An administrator set this password: the person must replace it at first login. */
  mustChangePassword?: boolean;
}

export async function createUser(db: Db, u: NewUser, now = new Date()): Promise<number> {
  const problems = passwordProblems(u.password, u.username);
  if (problems.length) throw errors.validation(problems.map((message) => ({ field: 'password', message })));
  for (const r of u.roles) if (!roleByCode(r)) throw errors.validation([{ field: 'roles', message: `未知角色：${r}` }]);
  if (violatesSeparationOfDuties(u.roles))
    throw errors.validation([{ field: 'roles', message: '三员分立：系统管理员、安全管理员、审计管理员不能由同一人兼任' }]);
  const passwordHash = await hashPassword(u.password);
  return db.transaction(async (trx) => {
    const [id] = await trx('users').insert({
      username: u.username,
      display_name: u.displayName,
      org_id: u.orgId,
      password_hash: passwordHash,
      password_changed_at: now,
      must_change_password: u.mustChangePassword ?? false,
      failed_logins: 0,
      status: 'active',
      created_at: now,
      updated_at: now,
    });
    const userId = Number(id);
    if (u.roles.length) await trx('user_roles').insert(u.roles.map((role) => ({ user_id: userId, role })));
    return userId;
  });
}

/** A session (token for the cookie), or — for a person with a second factor — the challenge of the second step. */
export type LoginResult =
  { kind: 'session'; token: string; principal: Principal } | { kind: 'second-factor'; challenge: string; expiresAt: Date };

/**
 * Checks a password. Five failures in a row lock the account for 30 minutes; the answer to a
 * wrong user name and to a wrong password is the same sentence, so accounts cannot be probed.
 * Before any of it, the rate limits (rate-limit.ts): too many failures from the address or on
 * the user name are a 429 LOGIN_RATE_LIMITED, the password unchecked.
 */
export async function beginLogin(
  db: Db,
  policy: Pick<SecondFactorPolicy, 'roles'>,
  username: string,
  password: string,
  meta: { ip?: string; userAgent?: string },
  now = new Date(),
): Promise<LoginResult> {
  const limits = passwordLimits(username, meta.ip);
  await assertUnderLimits(db, limits, LOGIN_REFUSAL, { userId: null, username, ip: meta.ip }, now);
  const user = (await db('users').where({ username }).first()) as UserRow | undefined;
  const wrong = new AppError(401, 'LOGIN_FAILED', '用户名或密码错误');
  const audit = (kind: string, actor: { userId: number | null; username: string }, data: Json) => ({
    kind,
    subjectType: 'user',
    subjectId: actor.userId,
    actor,
    data: { ip: meta.ip?.slice(0, 64) ?? null, ...(data as object) },
    at: now,
  });
  if (!user) {
    await verifyPassword(password, await dummyPasswordHash());
    await db.transaction((trx) =>
      appendAudit(trx, audit('auth.login_failed', { userId: null, username: username.slice(0, 100) }, { reason: 'unknown_user' })),
    );
    await recordFailures(db, limits, now);
    throw wrong;
  }
  if (user.status !== 'active') throw new AppError(403, 'ACCOUNT_DISABLED', '账号已停用，请联系系统管理员');
  const lockedUntil = user.locked_until ? readInstant(user.locked_until) : undefined;
  if (lockedUntil && lockedUntil > now) {
    throw new AppError(
      423,
      'ACCOUNT_LOCKED',
      `连续登录失败次数过多，账号已锁定，请于 ${toShanghaiIso(lockedUntil).slice(11, 16)} 后重试或联系安全管理员`,
    );
  }
  if (!(await verifyPassword(password, user.password_hash))) {
    // One conditional statement: concurrent wrong guesses cannot undercount.
    const after = await db.transaction(async (trx) => {
      await trx('users')
        .where({ id: user.id })
        .update({
          // locked_until first: MySQL/MariaDB evaluate SET left to right, so a CASE after the
          // increment would read the new count and lock at the fourth failure (SQLite reads the old).
          locked_until: trx.raw('CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END', [
            MAX_FAILED_LOGINS,
            new Date(now.getTime() + LOCK_MINUTES * 60_000),
          ]),
          failed_logins: trx.raw('failed_logins + 1'),
          updated_at: now,
        });
      const counted = (await trx('users').where({ id: user.id }).first('failed_logins')) as { failed_logins: number };
      await appendAudit(
        trx,
        audit(
          'auth.login_failed',
          { userId: user.id, username: user.username },
          { reason: 'wrong_password', failedLogins: Number(counted.failed_logins) },
        ),
      );
      return counted;
    });
    await recordFailures(db, limits, now);
    if (after.failed_logins >= MAX_FAILED_LOGINS) {
      throw new AppError(423, 'ACCOUNT_LOCKED', `连续 ${MAX_FAILED_LOGINS} 次登录失败，账号已锁定 ${LOCK_MINUTES} 分钟`);
    }
    throw new AppError(401, 'LOGIN_FAILED', `用户名或密码错误（再失败 ${MAX_FAILED_LOGINS - after.failed_logins} 次将锁定账号）`);
  }
  const roles = ((await db('user_roles').where({ user_id: user.id }).select('role')) as Array<{ role: string }>).map((r) => r.role);
  const enrolled = await hasConfirmedFactor(db, user.id);
  const factor: SessionFactor = enrolled ? 'verified' : requiresSecondFactor(policy, roles) ? 'enrolment' : 'none';
  const actor = { userId: user.id, username: user.username };
  if (enrolled) {
    // The password was right; the session waits for the code (POST /api/auth/login/second-factor).
    const challenge = await db.transaction(async (trx) => {
      await trx('users').where({ id: user.id }).update({ failed_logins: 0, locked_until: null, updated_at: now });
      const c = await insertChallenge(trx, user.id, meta, now);
      await appendAudit(trx, audit('auth.second_factor_challenged', actor, {}));
      return c;
    });
    return { kind: 'second-factor', ...challenge };
  }
  const token = await db.transaction(async (trx) => {
    await trx('users').where({ id: user.id }).update({ failed_logins: 0, locked_until: null, updated_at: now });
    const t = await insertSession(trx, user.id, meta, factor, now);
    await appendAudit(trx, audit('auth.login', actor, factor === 'enrolment' ? { secondFactor: 'enrolment-required' } : {}));
    return t;
  });
  const principal = await loadPrincipal(db, user.id, now);
  if (!principal) throw wrong;
  return { kind: 'session', token, principal: { ...principal, secondFactorEnrolmentRequired: factor === 'enrolment' } };
}

/**
 * A password login that must end in a session (scripts, tests of password rules): a person with
 * a second factor is refused (401 SECOND_FACTOR_REQUIRED) — the HTTP login's second step is the
 * only way in for them. A privileged person without one gets the restricted enrolment session.
 */
export async function login(
  db: Db,
  username: string,
  password: string,
  meta: { ip?: string; userAgent?: string },
  now = new Date(),
  policy: Pick<SecondFactorPolicy, 'roles'> = { roles: DEFAULT_SECOND_FACTOR_ROLES },
): Promise<{ token: string; principal: Principal }> {
  const result = await beginLogin(db, policy, username, password, meta, now);
  if (result.kind === 'second-factor') throw new AppError(401, 'SECOND_FACTOR_REQUIRED', '请输入手机验证器上的动态验证码');
  return result;
}

export async function logout(db: Db, token: string, now = new Date()): Promise<void> {
  await db.transaction(async (trx) => {
    const session = (await trx('sessions as s')
      .join('users as u', 'u.id', 's.user_id')
      .where('s.token_digest', sm3Hex(token))
      .whereNull('s.revoked_at')
      .first('u.id', 'u.username')) as { id: number; username: string } | undefined;
    if (!session) return;
    await trx('sessions')
      .where({ token_digest: sm3Hex(token) })
      .whereNull('revoked_at')
      .update({ revoked_at: now });
    await appendAudit(trx, {
      kind: 'auth.logout',
      subjectType: 'user',
      subjectId: session.id,
      actor: { userId: Number(session.id), username: session.username },
      data: null,
      at: now,
    });
  });
}

/**
 * Resolves a session token to its principal. An idle session (15 minutes), a revoked one or
 * one past its absolute lifetime is refused; activity moves last_seen_at at most once a minute.
 */
export async function authenticate(db: Db, token: string, now = new Date()): Promise<Principal> {
  // The session with its person and organisation in one statement (every request pays it).
  const row = (await db('sessions as s')
    .leftJoin('users as u', function () {
      this.on('u.id', '=', 's.user_id').andOnVal('u.status', '=', 'active');
    })
    .leftJoin('organisations as o', 'o.id', 'u.org_id')
    .where('s.token_digest', sm3Hex(token))
    .first(
      's.token_digest',
      's.last_seen_at',
      's.expires_at',
      's.revoked_at',
      's.second_factor',
      ...principalColumns(db).map((c) => (c === 'u.id' ? 'u.id as principal_id' : c)),
    )) as
    | ({
        token_digest: string;
        last_seen_at: unknown;
        expires_at: unknown;
        revoked_at: unknown;
        second_factor: SessionFactor;
        principal_id: number | null;
      } & PrincipalRow)
    | undefined;
  if (!row || row.revoked_at) throw new AppError(401, 'UNAUTHENTICATED', '请先登录');
  const lastSeen = readInstant(row.last_seen_at);
  if (now.getTime() - lastSeen.getTime() > SESSION_IDLE_MINUTES * 60_000 || readInstant(row.expires_at) <= now) {
    await db('sessions').where({ token_digest: row.token_digest }).update({ revoked_at: now });
    throw new AppError(401, 'SESSION_EXPIRED', `超过 ${SESSION_IDLE_MINUTES} 分钟未操作，登录已失效，请重新登录`);
  }
  if (now.getTime() - lastSeen.getTime() > 60_000) {
    await db('sessions').where({ token_digest: row.token_digest }).update({ last_seen_at: now });
  }
  if (row.principal_id === null || row.principal_id === undefined) throw new AppError(401, 'UNAUTHENTICATED', '请先登录');
  if (row.second_factor === 'stepup') {
    // A role that needs the second factor was granted during this session (admin.ts setRoles).
    await db('sessions').where({ token_digest: row.token_digest }).whereNull('revoked_at').update({ revoked_at: now });
    throw new AppError(401, 'SECOND_FACTOR_STEP_UP', '您的角色已变更，须使用动态验证码登录，请重新登录并完成验证');
  }
  const principal = principalOf({ ...row, id: row.principal_id }, now);
  return { ...principal, secondFactorEnrolmentRequired: row.second_factor === 'enrolment' };
}

const PRINCIPAL_COLUMNS = [
  'u.id',
  'u.username',
  'u.display_name',
  'u.org_id',
  'u.password_changed_at',
  'u.must_change_password',
  'o.name as org_name',
  'o.path as org_path',
  'o.region_code as org_region_code',
];
/**
 * A principal's columns, its roles among them as one comma-joined list (group_concat on SQLite and
 * MySQL/MariaDB alike; role codes hold no commas): the person comes in one statement, not two.
 */
function principalColumns(db: Db): Array<string | Knex.Raw> {
  return [...PRINCIPAL_COLUMNS, db.raw('(select group_concat(ur.role) from user_roles ur where ur.user_id = u.id) as role_list')];
}
interface PrincipalRow {
  id: number;
  username: string;
  display_name: string;
  org_id: number;
  password_changed_at: unknown;
  must_change_password: unknown;
  org_name: string;
  org_path: string;
  org_region_code: string;
  role_list: string | null;
}

export async function loadPrincipal(db: Db, userId: number, now = new Date()): Promise<Principal | undefined> {
  const row = (await db('users as u')
    .join('organisations as o', 'o.id', 'u.org_id')
    .where('u.id', userId)
    .andWhere('u.status', 'active')
    .first(...principalColumns(db))) as PrincipalRow | undefined;
  return row ? principalOf(row, now) : undefined;
}

/** The active people among `userIds` (missing and inactive ones left out), each in one statement for all. */
export async function loadPrincipals(db: Db, userIds: readonly number[], now = new Date()): Promise<Principal[]> {
  if (userIds.length === 0) return [];
  const rows = (await db('users as u')
    .join('organisations as o', 'o.id', 'u.org_id')
    .whereIn('u.id', [...new Set(userIds)])
    .andWhere('u.status', 'active')
    .orderBy('u.id')
    .select(...principalColumns(db))) as PrincipalRow[];
  return rows.map((row) => principalOf(row, now));
}

function principalOf(row: PrincipalRow, now: Date): Principal {
  const roles = (row.role_list ? String(row.role_list).split(',') : []).sort();
  return {
    userId: Number(row.id),
    username: row.username,
    displayName: row.display_name,
    orgId: Number(row.org_id),
    orgName: row.org_name,
    orgPath: row.org_path,
    orgRegionCode: row.org_region_code,
    roles,
    permissions: permissionsOf(roles),
    scope: widestScope(roles),
    mustChangePassword: Boolean(row.must_change_password) || passwordExpired(readInstant(row.password_changed_at), now),
    secondFactorEnrolmentRequired: false,
  };
}

/** The old password is a password check like a login's: it counts against the same limits. */
export async function changePassword(
  db: Db,
  principal: Principal,
  oldPassword: string,
  newPassword: string,
  now = new Date(),
  meta: { ip?: string } = {},
): Promise<void> {
  const limits = passwordLimits(principal.username, meta.ip);
  await assertUnderLimits(db, limits, LOGIN_REFUSAL, { userId: principal.userId, username: principal.username, ip: meta.ip }, now);
  const user = (await db('users').where({ id: principal.userId }).first()) as UserRow;
  if (!(await verifyPassword(oldPassword, user.password_hash))) {
    await recordFailures(db, limits, now);
    throw new AppError(400, 'OLD_PASSWORD_WRONG', '原密码不正确');
  }
  const problems = passwordProblems(newPassword, principal.username);
  if (oldPassword === newPassword) problems.push('新密码不能与原密码相同');
  if (problems.length) throw errors.validation(problems.map((message) => ({ field: 'newPassword', message })));
  await db('users')
    .where({ id: principal.userId })
    .update({ password_hash: await hashPassword(newPassword), password_changed_at: now, must_change_password: false, updated_at: now });
}

/** Ends every live session of a user (disabled account, password reset by an administrator). */
export async function revokeSessions(db: Db, userId: number, now = new Date()): Promise<number> {
  return db('sessions').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: now });
}

/**
 * The organisations whose data the principal may see, as a subquery for `whereIn(column, …)`:
 * its own organisation; its organisation and everything beneath it (materialised path); or
 * every organisation in its region and the regions beneath (GB/T 2260 prefix).
 */
export function scopeOrgIds(db: Db, principal: Principal) {
  const q = db('organisations').select('id');
  if (principal.scope === 'own-org') return q.where('id', principal.orgId);
  if (principal.scope === 'org-subtree') return q.where('path', 'like', `${principal.orgPath}%`);
  return q.where('region_code', 'like', `${regionPrefix(principal.orgRegionCode)}%`);
}

/**
 * scopeOrgIds's rule in memory, for an organisation row already loaded: whether it lies in the
 * principal's data scope. For checking many people against one organisation without a statement each.
 */
export function orgInScope(
  principal: Pick<Principal, 'scope' | 'orgId' | 'orgPath' | 'orgRegionCode'>,
  org: { id: number; path: string; region_code: string },
): boolean {
  if (principal.scope === 'own-org') return Number(org.id) === Number(principal.orgId);
  if (principal.scope === 'org-subtree') return org.path.startsWith(principal.orgPath);
  return org.region_code.startsWith(regionPrefix(principal.orgRegionCode));
}

/** Whether the organisation lies in the principal's data scope: the one scope check (scopeOrgIds for lists). */
export async function canSee(db: Db, principal: Principal, orgId: number | null | undefined): Promise<boolean> {
  if (orgId === null || orgId === undefined) return false;
  return ((await scopeOrgIds(db, principal).where('id', orgId).first('id')) as unknown) !== undefined;
}
