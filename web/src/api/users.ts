import { downloadFile } from './download';
import type { RequestSignal, SortOrder } from './reference';
import { request } from './request';
import type { ManagedUser, SealReenrolment, UserPage, UserStatus } from '../../../contracts/users';

/** 应答的类型来自 contracts/users.ts（服务端按同一份 schema 应答，测试中逐个核对）。 */
export type { ManagedUser, SealReenrolment, UserStatus };

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
export function listUsers(query: UserQuery = {}, options: RequestSignal = {}): Promise<UserPage> {
  return request<UserPage>('/api/users', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
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
