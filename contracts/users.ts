import { z } from 'zod';

/**
 * 用户管理接口的应答（/api/users/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/users.ts）。
 * Built from server/auth/admin.ts ManagedUser as server/api/users.ts sends it (times as ISO
 * strings). Objects are strict: a field the server adds without declaring it here fails the contract.
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601（+08:00）');

export const userStatus = z.enum(['active', 'disabled']).describe('active 启用、disabled 停用');

export const managedUser = z.strictObject({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string().describe('姓名'),
  org: z.strictObject({ id: z.number().int(), name: z.string() }).describe('所属机构'),
  roles: z.array(z.strictObject({ code: z.string(), name: z.string().describe('角色名称') })),
  status: userStatus,
  locked: z.boolean().describe('连续登录失败被锁定，且尚未到期'),
  lockedUntil: shanghaiIso.nullable().describe('锁定到何时；未锁定过为 null'),
  failedLogins: z.number().int().describe('连续登录失败次数'),
  mustChangePassword: z.boolean().describe('由管理员设置的密码（或已过期），下次登录须修改'),
  passwordChangedAt: shanghaiIso,
  createdAt: shanghaiIso,
  seal: z.enum(['none', 'active', 'reenrolment']).describe('电子签章：未开通、已开通、已授权重新开通（本人尚未设置新签章密码）'),
  secondFactor: z.boolean().describe('已绑定动态验证码（两步验证）'),
});

export const userPage = z.strictObject({
  items: z.array(managedUser),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

/** 授权重新开通电子签章的应答：该账号，以及这次是否新建了授权（已有未使用的授权时为 false）。 */
export const sealReenrolment = managedUser.extend({ created: z.boolean().describe('本次新建了授权；已有未使用的授权时为 false') });

export type UserStatus = z.infer<typeof userStatus>;
export type ManagedUser = z.infer<typeof managedUser>;
export type UserPage = z.infer<typeof userPage>;
export type SealReenrolment = z.infer<typeof sealReenrolment>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/users.ts），页面的请求类型由 z.input 得出（web/src/api/users.ts）。
 */

// Imported here, not above, so that this block merges apart from changes to the responses.
import { ROLES } from '../domain/roles';
import { USER_SORT_KEYS, USER_STATUSES, USERNAME_PATTERN } from '../domain/users';

const positiveId = z.number().int().positive().max(2_147_483_647);
const displayName = z.string().trim().min(1).max(50);
const password = z.string().min(1).max(128);

export const listQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    sort: z.enum(USER_SORT_KEYS).default('username'),
    order: z.enum(['asc', 'desc']).default('asc'),
    keyword: z.string().trim().min(1).max(50).optional(),
    orgId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    role: z.enum(ROLES.map((r) => r.code) as [string, ...string[]]).optional(),
    status: z.enum(USER_STATUSES).optional(),
    locked: z.enum(['true', 'false']).optional(),
  })
  .strict();

export const reenrolBody = z.object({ reason: z.string().trim().min(1, '请填写授权原因').max(500) }).strict();

export const createBody = z
  .object({
    username: z.string().trim().regex(USERNAME_PATTERN, '应为 3–50 位字母、数字或 _ . -'),
    displayName,
    orgId: positiveId,
    password,
  })
  .strict();

export const updateBody = z
  .object({ displayName: displayName.optional(), orgId: positiveId.optional(), status: z.enum(USER_STATUSES).optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: '没有要修改的内容' });

export const rolesBody = z.object({ roles: z.array(z.string().min(1).max(40)).max(ROLES.length) }).strict();
export const resetBody = z.object({ password }).strict();

/** An export takes the list's filters and sort, without paging. */
export const exportQuery = listQuery.omit({ page: true, pageSize: true });
