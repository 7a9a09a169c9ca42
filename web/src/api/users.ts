import { downloadFile } from './download';
import type { RequestSignal } from './reference';
import { request } from './request';
import type { z } from 'zod';
import type {
  createBody,
  exportQuery,
  listQuery,
  ManagedUser,
  resetBody,
  rolesBody,
  SealReenrolment,
  updateBody,
  UserPage,
  UserStatus,
} from '../../../contracts/users';

/** 应答的类型来自 contracts/users.ts（服务端按同一份 schema 应答，测试中逐个核对）。 */
export type { ManagedUser, SealReenrolment, UserStatus };

export type UserSort = z.output<typeof listQuery>['sort'];

/**
 * 用户列表的查询条件（contracts/users.ts listQuery；服务端有默认值的页码、排序可省）。locked 在页面里是
 * 真假，发送时由 request 写成服务端接受的 'true' / 'false'。
 */
export type UserQuery = Omit<Partial<z.output<typeof listQuery>>, 'locked'> & { locked?: boolean };
export type UserExportQuery = Omit<Partial<z.output<typeof exportQuery>>, 'locked'> & { locked?: boolean };

/** GET /api/users：本人数据范围内的用户（users:manage 或 security:manage） */
export function listUsers(query: UserQuery = {}, options: RequestSignal = {}): Promise<UserPage> {
  return request<UserPage>('/api/users', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

/** GET /api/users/export：按当前查询条件导出 Excel，返回文件名 */
export function exportUsers(query: UserExportQuery): Promise<string> {
  return downloadFile('/api/users/export', { ...query });
}

/** 新增用户：初始密码由用户首次登录时修改（contracts/users.ts createBody） */
export type NewUser = z.input<typeof createBody>;

/** POST /api/users：新增用户（系统管理员；角色由安全管理员分配） */
export function createUser(body: NewUser): Promise<ManagedUser> {
  return request<ManagedUser>('/api/users', { method: 'POST', body, timeoutMs: 15_000 });
}

export type UserChanges = z.input<typeof updateBody>;

/** PATCH /api/users/:id：编辑、停用、启用（系统管理员） */
export function updateUser(id: number, body: UserChanges): Promise<ManagedUser> {
  return request<ManagedUser>(`/api/users/${id}`, { method: 'PATCH', body, timeoutMs: 15_000 });
}

/** PUT /api/users/:id/roles：分配角色，整体替换（安全管理员） */
export function setUserRoles(id: number, roles: string[]): Promise<ManagedUser> {
  return request<ManagedUser>(`/api/users/${id}/roles`, {
    method: 'PUT',
    body: { roles } satisfies z.input<typeof rolesBody>,
    timeoutMs: 15_000,
  });
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
  return request<ManagedUser>(`/api/users/${id}/reset-password`, {
    method: 'POST',
    body: { password } satisfies z.input<typeof resetBody>,
    timeoutMs: 15_000,
  });
}
