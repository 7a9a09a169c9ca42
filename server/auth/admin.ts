import type { UserSortKey, UserStatus } from '../../domain/users';
import type { Knex } from 'knex';
import { passwordExpired, passwordProblems } from '../../domain/password';
import { roleByCode, ROLES, violatesSeparationOfDuties } from '../../domain/roles';
import { AppError, errors } from '../errors';
import { readInstant, type Db, isMysql } from '../db';
import { inTransaction } from '../reference/transaction';
import { appendAudit } from '../audit/chain';
import type { Json } from '../../domain/canonical-json';
import { hashPassword } from './passwords';
import { canSee, createUser, revokeSessions, scopeOrgIds, type Principal } from './service';
import { deleteSecondFactor, requiresSecondFactor, type SessionFactor } from './second-factor';

/**
 * User administration (三员分立): the system admin (users:manage) creates accounts, edits them
 * and disables them; the security admin (security:manage) grants roles, unlocks accounts and
 * resets passwords. Every function acts for a principal and sees only the users of
 * organisations in its data scope: a user outside it does not exist (404), so ids cannot be
 * guessed into. Each write is one transaction.
 *
 * Roles load per request (loadPrincipal), so a changed role set takes effect on the person's
 * next request without ending their sessions; a disabled account or a reset password does end
 * them.
 */

export { USER_STATUSES, USERNAME_PATTERN, type UserStatus } from '../../domain/users';

export interface ManagedUser {
  id: number;
  username: string;
  displayName: string;
  org: { id: number; name: string };
  roles: Array<{ code: string; name: string }>;
  status: UserStatus;
  /** lockedUntil lies in the future (five wrong passwords). */
  locked: boolean;
  lockedUntil: Date | null;
  failedLogins: number;
  /** The password was set by an administrator (or has expired) and must be changed at login. */
  mustChangePassword: boolean;
  passwordChangedAt: Date;
  createdAt: Date;
  /** 电子签章: not enrolled, an active key, or a re-enrolment authorised and not used yet. */
  seal: 'none' | 'active' | 'reenrolment';
  /** A confirmed second factor (TOTP) is bound. */
  secondFactor: boolean;
}

export interface UserFilters {
  /** User name or display name contains. */
  keyword?: string;
  /** Users of this organisation and the organisations beneath it. */
  orgId?: number;
  role?: string;
  status?: UserStatus;
  locked?: boolean;
}

export const USER_SORTS: Readonly<Record<UserSortKey, string>> = {
  username: 'u.username',
  displayName: 'u.display_name',
  createdAt: 'u.created_at',
  passwordChangedAt: 'u.password_changed_at',
};
export interface UserPageRequest {
  page: number;
  pageSize: number;
  sort: keyof typeof USER_SORTS;
  order: 'asc' | 'desc';
}

const SEPARATION_MESSAGE = '三员分立：系统管理员、安全管理员、审计管理员不能由同一人兼任';
const ORG_NOT_FOUND_MESSAGE = '所属机构不存在或不在您的管理范围内';

const notFound = (id: number) => errors.notFound(`用户 #${id} 不存在`);

/** Filtered, sorted and paginated in SQL, within the principal's scope. */
export async function listUsers(db: Db, actor: Principal, filters: UserFilters, page: UserPageRequest, now = new Date()) {
  const query = db('users as u').join('organisations as o', 'o.id', 'u.org_id').whereIn('u.org_id', scopeOrgIds(db, actor));
  if (filters.keyword) {
    // ESCAPE spelled out: SQLite has no default escape character, MySQL's is '\'.
    const like = `%${filters.keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query.where((w) => w.whereRaw('u.username like ? escape ?', [like, '\\']).orWhereRaw('u.display_name like ? escape ?', [like, '\\']));
  }
  if (filters.orgId !== undefined) {
    const root = (await db('organisations').where('id', filters.orgId).first('path')) as { path: string } | undefined;
    if (!root) return { items: [] as ManagedUser[], total: 0, page: page.page, pageSize: page.pageSize };
    query.where('o.path', 'like', `${root.path}%`);
  }
  if (filters.role)
    query.whereExists(db('user_roles as r').select(db.raw('1')).whereRaw('r.user_id = u.id').andWhere('r.role', filters.role));
  if (filters.status) query.where('u.status', filters.status);
  if (filters.locked === true) query.where('u.locked_until', '>', now);
  if (filters.locked === false) query.where((w) => w.whereNull('u.locked_until').orWhere('u.locked_until', '<=', now));

  const counted = (await query.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const rows = (await query
    .select(USER_COLUMNS)
    .orderBy([
      { column: USER_SORTS[page.sort], order: page.order },
      { column: 'u.id', order: page.order },
    ])
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize)) as UserRow[];
  return { items: await withRoles(db, rows, now), total: Number(counted?.n ?? 0), page: page.page, pageSize: page.pageSize };
}

/** The user, when it lies in the principal's scope. */
export async function getUser(db: Db, actor: Principal, id: number, now = new Date()): Promise<ManagedUser | undefined> {
  const row = (await scopedUser(db, actor, id).first(USER_COLUMNS)) as UserRow | undefined;
  return row ? (await withRoles(db, [row], now))[0] : undefined;
}

export interface NewAccount {
  username: string;
  displayName: string;
  orgId: number;
  /** The initial password; the person must change it at first login. */
  password: string;
}

/**
 * 新增用户 (system admin): an account with no roles in an organisation of the admin's scope.
 * Roles are granted by the security admin afterwards (三员分立: who creates accounts does not
 * decide what they may do).
 */
export async function createAccount(db: Db, actor: Principal, input: NewAccount, now = new Date()): Promise<ManagedUser> {
  checkPassword(input.password, input.username);
  const id = await inTransaction(db, async (trx) => {
    await assertOrgInScope(trx, actor, input.orgId);
    if (await trx('users').where('username', input.username).first('id')) throw usernameTaken(input.username);
    try {
      const created = await createUser(trx, { ...input, roles: [], mustChangePassword: true }, now);
      await auditAdmin(
        trx,
        actor,
        'create',
        created,
        { username: input.username, displayName: input.displayName, orgId: input.orgId },
        now,
      );
      return created;
    } catch (err) {
      if (isUniqueViolation(err)) throw usernameTaken(input.username); // a concurrent create won
      throw err;
    }
  });
  return (await getUser(db, actor, id, now))!;
}

export interface UserChanges {
  displayName?: string;
  orgId?: number;
  status?: UserStatus;
}

/** 编辑 / 停用 / 启用 (system admin). Disabling ends the person's sessions; nobody disables themselves. */
export async function updateUser(db: Db, actor: Principal, id: number, changes: UserChanges, now = new Date()): Promise<ManagedUser> {
  await inTransaction(db, async (trx) => {
    await lockScopedUser(trx, actor, id);
    if (changes.status === 'disabled' && id === actor.userId)
      throw errors.badRequest('CANNOT_DISABLE_SELF', '不能停用自己的账号', [{ field: 'status', message: '不能停用自己的账号' }]);
    if (changes.orgId !== undefined) await assertOrgInScope(trx, actor, changes.orgId);
    const update: Record<string, unknown> = { updated_at: now };
    if (changes.displayName !== undefined) update.display_name = changes.displayName;
    if (changes.orgId !== undefined) update.org_id = changes.orgId;
    if (changes.status !== undefined) update.status = changes.status;
    await trx('users').where('id', id).update(update);
    if (changes.status === 'disabled') await revokeSessions(trx, id, now);
    await auditAdmin(
      trx,
      actor,
      'update',
      id,
      { displayName: changes.displayName ?? null, orgId: changes.orgId ?? null, status: changes.status ?? null },
      now,
    );
  });
  return (await getUser(db, actor, id, now))!;
}

/**
 * 分配角色 (security admin): replaces the role set. Unknown roles and two of the three admin
 * roles are refused; nobody changes their own roles (a security admin cannot widen their own
 * rights). Sessions stay: roles are read on every request.
 */
/**
 * 分配角色 (security admin). When the new roles need the second factor (secondFactorRoles, the
 * configured list), the person's live sessions that were opened without one are marked stepup:
 * their next request ends them with 401 SECOND_FACTOR_STEP_UP, and the next login asks for the
 * factor (or its binding) — a granted role does not wait for the next login.
 */
export async function setRoles(
  db: Db,
  actor: Principal,
  id: number,
  roles: string[],
  secondFactorRoles: readonly string[],
  now = new Date(),
): Promise<ManagedUser> {
  const unknown = roles.filter((r) => !roleByCode(r));
  if (unknown.length) throw errors.validation(unknown.map((r) => ({ field: 'roles', message: `未知角色：${r}` })));
  if (violatesSeparationOfDuties(roles))
    throw errors.badRequest('SEPARATION_OF_DUTIES', SEPARATION_MESSAGE, [{ field: 'roles', message: SEPARATION_MESSAGE }]);
  const wanted = [...new Set(roles)];
  await inTransaction(db, async (trx) => {
    await lockScopedUser(trx, actor, id);
    if (id === actor.userId)
      throw errors.badRequest('CANNOT_CHANGE_OWN_ROLES', '不能修改自己的角色', [{ field: 'roles', message: '不能修改自己的角色' }]);
    await trx('user_roles').where('user_id', id).delete();
    if (wanted.length) await trx('user_roles').insert(wanted.map((role) => ({ user_id: id, role })));
    await trx('users').where('id', id).update({ updated_at: now });
    const stepUp = requiresSecondFactor({ roles: secondFactorRoles }, wanted)
      ? await trx('sessions')
          .where({ user_id: id, second_factor: 'none' })
          .whereNull('revoked_at')
          .update({ second_factor: 'stepup' satisfies SessionFactor })
      : 0;
    await auditAdmin(trx, actor, 'roles', id, stepUp ? { roles: wanted, sessionsToStepUp: stepUp } : { roles: wanted }, now);
  });
  return (await getUser(db, actor, id, now))!;
}

/** 解锁 (security admin): clears the failed-login counter and the lock. */
export async function unlockUser(db: Db, actor: Principal, id: number, now = new Date()): Promise<ManagedUser> {
  await inTransaction(db, async (trx) => {
    await lockScopedUser(trx, actor, id);
    await trx('users').where('id', id).update({ failed_logins: 0, locked_until: null, updated_at: now });
    await auditAdmin(trx, actor, 'unlock', id, null, now);
  });
  return (await getUser(db, actor, id, now))!;
}

/**
 * 重置密码 (security admin): sets the password the admin chose (policy checked); the person must
 * change it at the next login, every session of theirs ends, and the lock goes (the guesses that
 * caused it were against the old password). One's own password is changed with the old one.
 */
export async function resetPassword(db: Db, actor: Principal, id: number, password: string, now = new Date()): Promise<ManagedUser> {
  const target = await getUser(db, actor, id, now);
  if (!target) throw notFound(id);
  if (id === actor.userId)
    throw errors.badRequest('CANNOT_RESET_OWN_PASSWORD', '不能重置自己的密码，请使用“修改密码”', [
      { field: 'password', message: '不能重置自己的密码，请使用“修改密码”' },
    ]);
  checkPassword(password, target.username);
  const hash = await hashPassword(password); // slow on purpose: outside the transaction
  await inTransaction(db, async (trx) => {
    await lockScopedUser(trx, actor, id);
    await trx('users').where('id', id).update({
      password_hash: hash,
      password_changed_at: now,
      must_change_password: true,
      failed_logins: 0,
      locked_until: null,
      updated_at: now,
    });
    await revokeSessions(trx, id, now);
    await auditAdmin(trx, actor, 'reset_password', id, null, now);
  });
  return (await getUser(db, actor, id, now))!;
}

/**
 * 授权重新开通电子签章 (security admin, 三员分立): for a person who forgot their signing PIN. The
 * person then sets a new PIN and gets a fresh key (server/seals/key-store.ts enrol); only then is
 * the old key revoked, and the seals made with it still verify. Not for oneself; only for a person
 * with an active key; a second authorisation while one is open changes nothing (created: false).
 */
export async function authoriseSealReenrolment(
  db: Db,
  actor: Principal,
  id: number,
  reason: string,
  now = new Date(),
): Promise<{ user: ManagedUser; created: boolean }> {
  if (id === actor.userId) throw errors.badRequest('CANNOT_REENROL_OWN_SEAL', '不能为自己授权重新开通签章，请由另一位安全管理员办理');
  let created = false;
  await inTransaction(db, async (trx) => {
    await lockScopedUser(trx, actor, id);
    const key = (await trx('seal_keys').where('active_user_id', id).first('key_id')) as { key_id: string } | undefined;
    if (!key) throw errors.conflict('SEAL_NOT_ENROLLED', '该用户尚未开通电子签章，可直接开通，无需授权');
    if (await trx('seal_reenrolments').where('pending_user_id', id).first('id')) return;
    await trx('seal_reenrolments').insert({
      user_id: id,
      pending_user_id: id,
      old_key_id: key.key_id,
      authorised_by: actor.userId,
      reason,
      authorised_at: now,
    });
    await auditAdmin(trx, actor, 'authorise_seal_reenrolment', id, { reason, oldKeyId: key.key_id }, now);
    created = true;
  });
  return { user: (await getUser(db, actor, id, now))!, created };
}

/**
 * 重置动态验证码 (security admin, 三员分立): for a person who lost their phone. Removes the
 * factor and its recovery codes and ends every session: at the next login a privileged person
 * binds a new one. Not for oneself (another security admin does it); 409 when there is none.
 */
export async function resetSecondFactor(db: Db, actor: Principal, id: number, now = new Date()): Promise<ManagedUser> {
  if (id === actor.userId) throw errors.forbidden('CANNOT_RESET_OWN_SECOND_FACTOR', '不能重置自己的动态验证码，请由另一位安全管理员办理');
  await inTransaction(db, async (trx) => {
    await lockScopedUser(trx, actor, id);
    if (!(await deleteSecondFactor(trx, id))) throw errors.conflict('SECOND_FACTOR_NOT_ENROLLED', '该用户尚未绑定动态验证码，无需重置');
    await revokeSessions(trx, id, now);
    await auditAdmin(trx, actor, 'reset_second_factor', id, null, now);
  });
  return (await getUser(db, actor, id, now))!;
}

// ---------------------------------------------------------------------------------------------

const USER_COLUMNS = [
  'u.id',
  'u.username',
  'u.display_name',
  'u.org_id',
  'o.name as org_name',
  'u.status',
  'u.locked_until',
  'u.failed_logins',
  'u.must_change_password',
  'u.password_changed_at',
  'u.created_at',
];

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  org_id: number;
  org_name: string;
  status: UserStatus;
  locked_until: unknown;
  failed_logins: number;
  must_change_password: unknown;
  password_changed_at: unknown;
  created_at: unknown;
}

function scopedUser(db: Knex, actor: Principal, id: number) {
  return db('users as u').join('organisations as o', 'o.id', 'u.org_id').where('u.id', id).whereIn('u.org_id', scopeOrgIds(db, actor));
}

/** The user's row, locked for the rest of the transaction (MySQL); 404 outside the scope. */
async function lockScopedUser(trx: Knex, actor: Principal, id: number): Promise<void> {
  const q = trx('users').where('id', id).whereIn('org_id', scopeOrgIds(trx, actor));
  const row = await (isMysql(trx) ? q.forUpdate() : q).first('id');
  if (!row) throw notFound(id);
}

async function assertOrgInScope(db: Knex, actor: Principal, orgId: number): Promise<void> {
  if (!(await canSee(db, actor, orgId)))
    throw errors.badRequest('ORG_NOT_FOUND', ORG_NOT_FOUND_MESSAGE, [{ field: 'orgId', message: ORG_NOT_FOUND_MESSAGE }]);
}

function checkPassword(password: string, username: string): void {
  const problems = passwordProblems(password, username);
  if (problems.length) throw errors.validation(problems.map((message) => ({ field: 'password', message })));
}

function usernameTaken(username: string): AppError {
  return errors.conflict('USERNAME_TAKEN', `用户名 ${username} 已被使用`);
}

async function withRoles(db: Knex, rows: UserRow[], now: Date): Promise<ManagedUser[]> {
  const ids = rows.map((r) => Number(r.id));
  const roleRows = ids.length
    ? ((await db('user_roles').whereIn('user_id', ids).select('user_id', 'role')) as Array<{ user_id: number; role: string }>)
    : [];
  const sealed = new Set(
    ids.length ? ((await db('seal_keys').whereIn('active_user_id', ids).pluck('active_user_id')) as number[]).map(Number) : [],
  );
  const twoFactor = new Set(
    ids.length
      ? ((await db('user_second_factors').whereIn('user_id', ids).whereNotNull('confirmed_at').pluck('user_id')) as number[]).map(Number)
      : [],
  );
  const reenrolling = new Set(
    ids.length ? ((await db('seal_reenrolments').whereIn('pending_user_id', ids).pluck('pending_user_id')) as number[]).map(Number) : [],
  );
  return rows.map((r) => {
    const lockedUntil = r.locked_until ? readInstant(r.locked_until) : null;
    const passwordChangedAt = readInstant(r.password_changed_at);
    const codes = roleRows.filter((x) => Number(x.user_id) === Number(r.id)).map((x) => x.role);
    return {
      id: Number(r.id),
      username: r.username,
      displayName: r.display_name,
      org: { id: Number(r.org_id), name: r.org_name },
      // In the order of domain/roles.ts, so every list shows them alike.
      roles: ROLES.filter((role) => codes.includes(role.code)).map(({ code, name }) => ({ code, name })),
      status: r.status,
      locked: lockedUntil !== null && lockedUntil > now,
      lockedUntil,
      failedLogins: Number(r.failed_logins),
      mustChangePassword: Boolean(r.must_change_password) || passwordExpired(passwordChangedAt, now),
      passwordChangedAt,
      createdAt: readInstant(r.created_at),
      seal: reenrolling.has(Number(r.id)) ? 'reenrolment' : sealed.has(Number(r.id)) ? 'active' : 'none',
      secondFactor: twoFactor.has(Number(r.id)),
    };
  });
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** User administration goes into the audit chain with the administrator as actor (passwords never). */
function auditAdmin(trx: Knex, actor: Principal, action: string, userId: number, data: Json, now: Date) {
  return appendAudit(trx, {
    kind: `user.${action}`,
    subjectType: 'user',
    subjectId: userId,
    actor: { userId: actor.userId, username: actor.username },
    data,
    at: now,
  });
}
