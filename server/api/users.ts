import { DEFAULT_SECOND_FACTOR_ROLES } from '../config';
import type { Router } from 'express';
import { toShanghaiIso } from '../../domain/time';
import type { Db } from '../db';
import * as admin from '../auth/admin';
import { errors } from '../errors';
import * as contracts from '../../contracts/users';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportColumn, type ExportLimits } from './excel-export';
import { mountRoutes, routesWith } from './route';
import { exportNote, idParams, xlsxOk } from './route-doc';

/**
 * 用户管理 over HTTP. Listing and reading serve both admins (users:manage or security:manage);
 * creating and editing accounts is the system admin's (users:manage), roles, unlocking and
 * password resets the security admin's (security:manage) — 三员分立. Every user outside the
 * admin's data scope answers 404, and so does an id that cannot name one (idParams).
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 * Mounted by server/api/app.ts.
 */

const EXPORT_COLUMNS: Array<ExportColumn<admin.ManagedUser>> = [
  { header: '用户名', width: 18, type: 'text', value: (u) => u.username },
  { header: '姓名', width: 12, type: 'text', value: (u) => u.displayName },
  { header: '所属机构', width: 32, type: 'text', value: (u) => u.org.name },
  { header: '角色', width: 30, type: 'text', value: (u) => u.roles.map((r) => r.name).join('、') },
  { header: '状态', width: 8, type: 'text', value: (u) => (u.status === 'active' ? '启用' : '停用') },
  { header: '已锁定', width: 8, type: 'text', value: (u) => (u.locked ? '是' : '否') },
  { header: '须修改密码', width: 10, type: 'text', value: (u) => (u.mustChangePassword ? '是' : '否') },
  { header: '最近改密', width: 20, type: 'datetime', value: (u) => u.passwordChangedAt },
  { header: '创建时间', width: 20, type: 'datetime', value: (u) => u.createdAt },
];

/** secondFactorRoles: the configured roles that need the second factor (a grant of one steps live sessions up). */
type UserDeps = { db: Db; exportLimits: ExportLimits; secondFactorRoles: readonly string[] };
const route = routesWith<UserDeps>();
const userAdmins = ['users:manage', 'security:manage'] as const;

export const userRoutes = [
  route({
    method: 'get',
    path: '/api/users',
    summary: '用户列表（本人数据范围内），分页',
    tag: 'users',
    access: userAdmins,
    query: contracts.listQuery,
    response: contracts.userPage,
    handle: async ({ deps, principal, query }) => {
      const { keyword, orgId, role, status, locked, ...page } = query;
      const result = await admin.listUsers(
        deps.db,
        principal,
        { keyword, orgId, role, status, locked: locked === undefined ? undefined : locked === 'true' },
        page,
      );
      return { ...result, items: result.items.map(userJson) };
    },
  }),
  // Before /users/{id}, which would take "export" for an id.
  route({
    method: 'get',
    path: '/api/users/export',
    summary: '导出用户（Excel）',
    tag: 'users',
    access: userAdmins,
    query: contracts.exportQuery,
    ok: xlsxOk,
    description: exportNote,
    handle: async ({ deps: { db, exportLimits }, principal: actor, query, res }) => {
      const { keyword, orgId, role, status, locked, sort, order } = query;
      const filters = { keyword, orgId, role, status, locked: locked === undefined ? undefined : locked === 'true' };
      await sendXlsxExport(
        res,
        {
          filename: '用户',
          asciiFilename: 'users',
          sheetName: '用户',
          columns: EXPORT_COLUMNS,
          source: (page, pageSize) => admin.listUsers(db, actor, filters, { page, pageSize, sort, order }),
        },
        exportLimits,
      );
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/users/{id}',
    summary: '用户详情',
    tag: 'users',
    access: userAdmins,
    params: idParams,
    notFound: '用户',
    response: contracts.managedUser,
    handle: async ({ deps, principal, params: { id } }) => {
      const user = await admin.getUser(deps.db, principal, id);
      if (!user) throw errors.notFound(`用户 #${id} 不存在`);
      return userJson(user);
    },
  }),
  route({
    method: 'post',
    path: '/api/users',
    summary: '新建账号（首次登录须修改密码；角色由安全管理员分配）',
    tag: 'users',
    access: 'users:manage',
    body: contracts.createBody,
    ok: { status: 201, description: '已创建' },
    response: contracts.managedUser,
    refusals: [409],
    handle: async ({ deps, principal, body }) => userJson(await admin.createAccount(deps.db, principal, body)),
  }),
  route({
    method: 'patch',
    path: '/api/users/{id}',
    summary: '修改姓名、所属机构或停用/启用（停用即注销其会话）',
    tag: 'users',
    access: 'users:manage',
    params: idParams,
    notFound: '用户',
    body: contracts.updateBody,
    response: contracts.managedUser,
    handle: async ({ deps, principal, params: { id }, body }) => userJson(await admin.updateUser(deps.db, principal, id, body)),
  }),
  route({
    method: 'put',
    path: '/api/users/{id}/roles',
    summary: '分配角色（三员分立）',
    tag: 'users',
    access: 'security:manage',
    params: idParams,
    notFound: '用户',
    body: contracts.rolesBody,
    response: contracts.managedUser,
    handle: async ({ deps, principal, params: { id }, body }) =>
      userJson(await admin.setRoles(deps.db, principal, id, body.roles, deps.secondFactorRoles)),
  }),
  route({
    method: 'post',
    path: '/api/users/{id}/second-factor/reset',
    summary: '重置动态验证码（手机丢失；不能重置自己的）',
    tag: 'users',
    access: 'security:manage',
    params: idParams,
    notFound: '用户',
    response: contracts.managedUser,
    refusals: [409],
    description:
      '删除其验证器与恢复码并注销其会话；下次登录时重新绑定。未绑定时 409 SECOND_FACTOR_NOT_ENROLLED；为自己重置 403 CANNOT_RESET_OWN_SECOND_FACTOR。',
    handle: async ({ deps, principal, params: { id } }) => userJson(await admin.resetSecondFactor(deps.db, principal, id)),
  }),
  route({
    method: 'post',
    path: '/api/users/{id}/unlock',
    summary: '解锁账号',
    tag: 'users',
    access: 'security:manage',
    params: idParams,
    notFound: '用户',
    response: contracts.managedUser,
    handle: async ({ deps, principal, params: { id } }) => userJson(await admin.unlockUser(deps.db, principal, id)),
  }),
  route({
    method: 'post',
    path: '/api/users/{id}/reset-password',
    summary: '重置密码（下次登录须修改）',
    tag: 'users',
    access: 'security:manage',
    params: idParams,
    notFound: '用户',
    body: contracts.resetBody,
    response: contracts.managedUser,
    handle: async ({ deps, principal, params: { id }, body }) => userJson(await admin.resetPassword(deps.db, principal, id, body.password)),
  }),
  /** 201 when an authorisation was made now, 200 when one was already open: the handler answers itself. */
  route({
    method: 'post',
    path: '/api/users/{id}/seal-reenrolment',
    summary: '授权重新开通电子签章（遗忘签章密码时，三员分立由安全管理员授权）',
    tag: 'users',
    access: 'security:manage',
    params: idParams,
    notFound: '用户',
    body: contracts.reenrolBody,
    ok: { status: 201, description: '已授权：本人可设置新签章密码并生成新密钥，旧密钥随之吊销' },
    response: contracts.sealReenrolment,
    refusals: [409],
    description:
      '已有未使用的授权时答 200，created 为 false，不重复授权；对方尚未开通为 409 SEAL_NOT_ENROLLED；不能为自己授权（400 CANNOT_REENROL_OWN_SEAL）。',
    handle: async ({ deps, principal, params: { id }, body, res }) => {
      const r = await admin.authoriseSealReenrolment(deps.db, principal, id, body.reason);
      res.status(r.created ? 201 : 200).json({ ...userJson(r.user), created: r.created });
      return undefined;
    },
  }),
];

export function usersRouter({
  db,
  exportLimits = DEFAULT_EXPORT_LIMITS,
  secondFactorRoles = DEFAULT_SECOND_FACTOR_ROLES,
}: {
  db: Db;
  exportLimits?: ExportLimits;
  secondFactorRoles?: readonly string[];
}): Router {
  return mountRoutes(db, { db, exportLimits, secondFactorRoles }, userRoutes);
}

function userJson(u: admin.ManagedUser): contracts.ManagedUser {
  return {
    ...u,
    lockedUntil: u.lockedUntil ? toShanghaiIso(u.lockedUntil) : null,
    passwordChangedAt: toShanghaiIso(u.passwordChangedAt),
    createdAt: toShanghaiIso(u.createdAt),
  };
}
