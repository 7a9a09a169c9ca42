import { z } from 'zod';
import { instant } from './time';

/**
 * 登录与会话接口的应答（/api/auth/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/auth.ts）。
 * Built from server/auth/service.ts Principal and server/auth/second-factor.ts as
 * server/api/auth.ts sends them (times in Beijing time, +08:00). Objects are strict: a field the
 * server adds without declaring it here fails the contract.
 */
const beijingTime = instant.describe('北京时间 ISO 8601（+08:00）');

export const dataScope = z
  .enum(['own-org', 'org-subtree', 'region'])
  .describe('数据范围（各角色中最宽的）：own-org 本机构、org-subtree 本机构及下级、region 本地区');

/** 当前登录的人（登录、第二步、绑定确认与 GET /api/auth/me 的 user） */
export const currentUser = z.strictObject({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string().describe('姓名'),
  org: z.strictObject({ id: z.number().int(), name: z.string() }).describe('所属机构'),
  roles: z.array(z.strictObject({ code: z.string(), name: z.string().describe('角色名称') })),
  permissions: z.array(z.string()).describe('各角色权限的并集，按字母排序'),
  scope: dataScope,
  mustChangePassword: z.boolean().describe('由管理员设置的密码（或已过期）：修改之前只能修改密码、退出'),
  secondFactorEnrolmentRequired: z.boolean().describe('本人的角色须用动态验证码登录，但尚未绑定：除绑定外什么都不能做'),
  secondFactor: z
    .strictObject({
      required: z.boolean().describe('本人的角色须使用动态验证码'),
      enrolled: z.boolean().describe('已绑定'),
      enrolledAt: beijingTime.nullable().describe('绑定时间；未绑定为 null'),
      recoveryCodesLeft: z.number().int().describe('未用的恢复码个数'),
    })
    .describe('动态验证码（两步验证）'),
});

/** 带当前用户的应答：登录第二步、GET /api/auth/me */
export const userAnswer = z.strictObject({ user: currentUser });

/** 密码正确后：直接登录（设置会话 Cookie），或（已绑定动态验证码的人）还须第二步（不设会话） */
export const loginAnswer = z.union([
  userAnswer,
  z.strictObject({
    secondFactor: z.strictObject({
      challenge: z.string().describe('第二步用的一次性凭据'),
      expiresAt: beijingTime.describe('凭据何时失效（5 分钟后），北京时间 ISO 8601（+08:00）'),
      methods: z.array(z.enum(['totp', 'recovery'])).describe('totp 手机验证器上的 6 位验证码、recovery 一次性恢复码'),
    }),
  }),
]);

/** 绑定动态验证码的第一步：密钥与二维码 */
export const enrolmentStart = z.strictObject({
  otpauthUri: z.string().describe('otpauth:// 地址（二维码的内容）'),
  qrDataUrl: z.string().describe('二维码，SVG 的 data: 地址'),
  secret: z.string().describe('base32 密钥，每 4 位一组，供手工输入'),
  issuer: z.string(),
  account: z.string().describe('验证器中显示的账号（用户名）'),
});

/** 绑定确认：恢复码只在这一次答出 */
export const enrolmentConfirmed = z.strictObject({
  recoveryCodes: z.array(z.string()).describe('10 个一次性恢复码（库中只存摘要，不能再次查看）'),
  user: currentUser,
});

export type DataScope = z.infer<typeof dataScope>;
export type CurrentUser = z.infer<typeof currentUser>;
export type UserAnswer = z.infer<typeof userAnswer>;
export type LoginAnswer = z.infer<typeof loginAnswer>;
export type EnrolmentStart = z.infer<typeof enrolmentStart>;
export type EnrolmentConfirmed = z.infer<typeof enrolmentConfirmed>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/auth.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

export const loginBody = z.object({ username: z.string().trim().min(1).max(50), password: z.string().min(1).max(128) }).strict();
export const secondFactorLoginBody = z.object({ challenge: z.string().min(20).max(100), code: z.string().trim().min(6).max(20) }).strict();
export const enrolmentConfirmBody = z.object({ code: z.string().trim().min(6).max(20) }).strict();
export const passwordBody = z.object({ oldPassword: z.string().min(1).max(128), newPassword: z.string().min(1).max(128) }).strict();
