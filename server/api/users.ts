import { Router, type Response } from 'express';
import { z } from 'zod';
import { ROLES } from '../../domain/roles';
import { toShanghaiIso } from '../../domain/time';
import type { Db } from '../db';
import * as admin from '../auth/admin';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import { errors } from '../errors';
import { validate } from './validate';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportColumn, type ExportLimits } from './excel-export';

/**
 * 用户管理 over HTTP. Listing and reading serve both admins (users:manage or security:manage);
 * creating and editing accounts is the system admin's (users:manage), roles, unlocking and
 * password resets the security admin's (security:manage) — 三员分立. Every user outside the
 * admin's data scope answers 404. Mounted by server/api/app.ts.
 */

const positiveId = z.number().int().positive().max(2_147_483_647);
const displayName = z.string().trim().min(1).max(50);
const password = z.string().min(1).max(128);

const sorts = Object.keys(admin.USER_SORTS) as [keyof typeof admin.USER_SORTS, ...Array<keyof typeof admin.USER_SORTS>];
export const listQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    sort: z.enum(sorts).default('username'),
    order: z.enum(['asc', 'desc']).default('asc'),
    keyword: z.string().trim().min(1).max(50).optional(),
    orgId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    role: z.enum(ROLES.map((r) => r.code) as [string, ...string[]]).optional(),
    status: z.enum(admin.USER_STATUSES).optional(),
    locked: z.enum(['true', 'false']).optional(),
  })
  .strict();

export const reenrolBody = z.object({ reason: z.string().trim().min(1, '请填写授权原因').max(500) }).strict();

export const createBody = z
  .object({
    username: z.string().trim().regex(admin.USERNAME_PATTERN, '应为 3–50 位字母、数字或 _ . -'),
    displayName,
    orgId: positiveId,
    password,
  })
  .strict();

export const updateBody = z
  .object({ displayName: displayName.optional(), orgId: positiveId.optional(), status: z.enum(admin.USER_STATUSES).optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的内容' });

export const rolesBody = z.object({ roles: z.array(z.string().min(1).max(40)).max(ROLES.length) }).strict();
export const resetBody = z.object({ password }).strict();

/** An export takes the list's filters and sort, without paging. */
export const exportQuery = listQuery.omit({ page: true, pageSize: true });

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

export function usersRouter({ db, exportLimits = DEFAULT_EXPORT_LIMITS }: { db: Db; exportLimits?: ExportLimits }): Router {
  const router = Router();
  const login = requireLogin(db);
  const reader = requireAnyPermission('users:manage', 'security:manage');

  router.get('/users', login, reader, validate({ query: listQuery }), async (_req, res) => {
    const { keyword, orgId, role, status, locked, ...page } = res.locals.query as z.infer<typeof listQuery>;
    const result = await admin.listUsers(db, principalOf(res), { keyword, orgId, role, status, locked: locked === undefined ? undefined : locked === 'true' }, page);
    res.json({ ...result, items: result.items.map(userJson) });
  });

  // Before /users/:id, which would take "export" for an id.
  router.get('/users/export', login, reader, validate({ query: exportQuery }), async (_req, res) => {
    const { keyword, orgId, role, status, locked, sort, order } = res.locals.query as z.infer<typeof exportQuery>;
    const filters = { keyword, orgId, role, status, locked: locked === undefined ? undefined : locked === 'true' };
    const actor = principalOf(res);
    await sendXlsxExport(
      res,
      { filename: '用户', asciiFilename: 'users', sheetName: '用户', columns: EXPORT_COLUMNS, source: (page, pageSize) => admin.listUsers(db, actor, filters, { page, pageSize, sort, order }) },
      exportLimits,
    );
  });

  router.get('/users/:id', login, reader, async (req, res) => {
    const id = userId(req.params.id);
    const user = await admin.getUser(db, principalOf(res), id);
    if (!user) throw errors.notFound(`用户 #${id} 不存在`);
    res.json(userJson(user));
  });

  router.post('/users', login, requirePermission('users:manage'), validate({ body: createBody }), async (_req, res) => {
    const body = res.locals.body as z.infer<typeof createBody>;
    res.status(201).json(userJson(await admin.createAccount(db, principalOf(res), body)));
  });

  router.patch('/users/:id', login, requirePermission('users:manage'), validate({ body: updateBody }), async (req, res) => {
    const body = res.locals.body as z.infer<typeof updateBody>;
    send(res, await admin.updateUser(db, principalOf(res), userId(req.params.id), body));
  });

  router.put('/users/:id/roles', login, requirePermission('security:manage'), validate({ body: rolesBody }), async (req, res) => {
    const { roles } = res.locals.body as z.infer<typeof rolesBody>;
    send(res, await admin.setRoles(db, principalOf(res), userId(req.params.id), roles));
  });

  router.post('/users/:id/unlock', login, requirePermission('security:manage'), async (req, res) => {
    send(res, await admin.unlockUser(db, principalOf(res), userId(req.params.id)));
  });

  router.post('/users/:id/reset-password', login, requirePermission('security:manage'), validate({ body: resetBody }), async (req, res) => {
    const body = res.locals.body as z.infer<typeof resetBody>;
    send(res, await admin.resetPassword(db, principalOf(res), userId(req.params.id), body.password));
  });

  router.post('/users/:id/second-factor/reset', login, requirePermission('security:manage'), async (req, res) => {
    send(res, await admin.resetSecondFactor(db, principalOf(res), userId(req.params.id)));
  });

  router.post('/users/:id/seal-reenrolment', login, requirePermission('security:manage'), validate({ body: reenrolBody }), async (req, res) => {
    const { reason } = res.locals.body as z.infer<typeof reenrolBody>;
    const r = await admin.authoriseSealReenrolment(db, principalOf(res), userId(req.params.id), reason);
    res.status(r.created ? 201 : 200).json({ ...userJson(r.user), created: r.created });
  });

  return router;
}

/** A malformed id names no user: 404, like an id that does not exist or lies outside the scope. */
function userId(raw: unknown): number {
  const n = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (n < 1 || n > 2_147_483_647) throw errors.notFound(`用户 #${String(raw)} 不存在`);
  return n;
}

function send(res: Response, user: admin.ManagedUser): void {
  res.json(userJson(user));
}

function userJson(u: admin.ManagedUser) {
  return {
    ...u,
    lockedUntil: u.lockedUntil ? toShanghaiIso(u.lockedUntil) : null,
    passwordChangedAt: toShanghaiIso(u.passwordChangedAt),
    createdAt: toShanghaiIso(u.createdAt),
  };
}
