import { downloadFile } from './download';
import type { Page, RequestSignal, SortOrder } from './reference';
import { request } from './request';

export type UserStatus = 'active' | 'disabled';

/** 用户管理列表中的一个账号（GET /api/users） */
export interface ManagedUser {
  id: number;
  username: string;
  displayName: string;
  org: { id: number; name: string };
  roles: Array<{ code: string; name: string }>;
  status: UserStatus;
  /** 连续登录失败被锁定，且尚未到期 */
  locked: boolean;
  /** ISO-8601，带 +08:00；未锁定过为 null */
  lockedUntil: string | null;
  failedLogins: number;
  /** 由管理员设置的密码（或已过期），下次登录须修改 */
  mustChangePassword: boolean;
  passwordChangedAt: string;
  createdAt: string;
  /** 电子签章：未开通、已开通、已授权重新开通（本人尚未设置新签章密码） */
  seal: 'none' | 'active' | 'reenrolment';
  /** 已绑定动态验证码（两步验证） */
  secondFactor: boolean;
}

export type UserSort = 'username' | 'displayName' | 'createdAt' | 'passwordChangedAt';

export interface UserQuery {
  page?: number;
  pageSize?: number;
  sort?: UserSort;
  order?: SortOrder;
  /** 用户名或姓名包含 */
  keyword?: string;
  /** 该机构及其下级机构的用户 */
  orgId?: number;
  role?: string;
  status?: UserStatus;
  locked?: boolean;
}

/** GET /api/users：本人数据范围内的用户（users:manage 或 security:manage） */
export function listUsers(query: UserQuery = {}, options: RequestSignal = {}): Promise<Page<ManagedUser>> {
  return request<Page<ManagedUser>>('/api/users', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

/** GET /api/users/export：按当前查询条件导出 Excel，返回文件名 */
export function exportUsers(query: Omit<UserQuery, 'page' | 'pageSize'>): Promise<string> {
  return downloadFile('/api/users/export', { ...query });
}

export interface NewUser {
  username: string;
  displayName: string;
  orgId: number;
  /** 初始密码：用户首次登录须修改 */
  password: string;
}

/** POST /api/users：新增用户（系统管理员；角色由安全管理员分配） */
export function createUser(body: NewUser): Promise<ManagedUser> {
  return request<ManagedUser>('/api/users', { method: 'POST', body, timeoutMs: 15_000 });
}

export interface UserChanges {
  displayName?: string;
  orgId?: number;
  status?: UserStatus;
}

/** PATCH /api/users/:id：编辑、停用、启用（系统管理员） */
export function updateUser(id: number, body: UserChanges): Promise<ManagedUser> {
  return request<ManagedUser>(`/api/users/${id}`, { method: 'PATCH', body, timeoutMs: 15_000 });
}

/** PUT /api/users/:id/roles：分配角色，整体替换（安全管理员） */
export function setUserRoles(id: number, roles: string[]): Promise<ManagedUser> {
  return request<ManagedUser>(`/api/users/${id}/roles`, { method: 'PUT', body: { roles }, timeoutMs: 15_000 });
}

/** POST /api/users/:id/unlock：解锁（安全管理员） */
export function unlockUser(id: number): Promise<ManagedUser> {
  return request<ManagedUser>(`/api/users/${id}/unlock`, { method: 'POST', timeoutMs: 15_000 });
}

/** POST /api/users/:id/second-factor/reset：重置动态验证码（手机丢失），下次登录重新绑定（安全管理员，不能为自己） */
export function resetSecondFactor(id: number): Promise<ManagedUser> {
  return request<ManagedUser>(`/api/users/${id}/second-factor/reset`, { method: 'POST', timeoutMs: 15_000 });
}

/** POST /api/users/:id/reset-password：重置密码，用户下次登录须修改（安全管理员） */
export function resetUserPassword(id: number, password: string): Promise<ManagedUser> {
  return request<ManagedUser>(`/api/users/${id}/reset-password`, { method: 'POST', body: { password }, timeoutMs: 15_000 });
}
