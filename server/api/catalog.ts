import type { RouteDoc } from './route-doc';
import * as auth from './auth';
import { projectRoutes } from './projects';
import { projectImportRoutes } from './project-import';
import { quotaRoutes } from './quotas';
import { referenceRoutes } from './reference';
import { referenceExportRoutes } from './reference-exports';
import { taskRoutes } from './tasks';
import { auditRoutes } from './audit';
import { sealRoutes } from './seals';
import { userRoutes } from './users';
import { workbenchRoutes } from './workbench';
import { formRoutes } from './forms';
import { engineRoutes } from './engine';
import { docOf } from './route';
import { designerRoutes } from './designer';
import { expertReviewRoutes } from './expert-review';
import { allocationRoutes } from './allocation';
import { paymentRoutes } from './payments';
import { adjustmentRoutes } from './adjustments';
import { finalAccountRoutes } from './final-accounts';
import { performanceRoutes } from './performance';
import { monitoringRoutes } from './monitoring';
import { treasuryRoutes } from './treasury';

export { TAGS, permissionsOf, routeKey, type Access, type HttpMethod, type RouteDoc, type Tag } from './route-doc';

/**
 * Every API route, once: what it is called, who may call it and the zod schemas its input is
 * parsed with (the very schemas the routers validate with, exported from their modules). The
 * OpenAPI document (openapi.ts) is built from this list, and test/database/openapi.test.ts walks
 * the real Express app to check that the list and the mounted routes are the same set — a new
 * route is one entry here. test/database/authorization.test.ts calls every route declared with a
 * permission (or 'login') as every role.
 */

/** The routes declared with their handlers (route.ts), module by module. */
const DECLARED: readonly RouteDoc[] = [
  ...sealRoutes.map(docOf),
  ...auditRoutes.map(docOf),
  ...expertReviewRoutes.map(docOf),
  ...userRoutes.map(docOf),
  ...workbenchRoutes.map(docOf),
  ...formRoutes.map(docOf),
  ...engineRoutes.map(docOf),
  ...monitoringRoutes.map(docOf),
  ...performanceRoutes.map(docOf),
  ...paymentRoutes.map(docOf),
  ...treasuryRoutes.map(docOf),
  ...taskRoutes.map(docOf),
  ...adjustmentRoutes.map(docOf),
  ...finalAccountRoutes.map(docOf),
  ...referenceRoutes.map(docOf),
  ...projectImportRoutes.map(docOf),
  ...projectRoutes.map(docOf),
  ...referenceExportRoutes.map(docOf),
  ...quotaRoutes.map(docOf),
  ...allocationRoutes.map(docOf),
  ...designerRoutes.map(docOf),
];

export const ROUTE_CATALOGUE: readonly RouteDoc[] = [
  ...DECLARED,
  // 系统
  {
    method: 'get',
    path: '/api/health',
    summary: '健康检查：数据库与流程引擎是否可用（只有状态，不含地址、版本等内部信息）',
    tag: 'system',
    access: 'public',
    ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' },
    refusals: [503],
  },
  {
    method: 'get',
    path: '/api/system/status',
    summary: '系统状态详情：数据库、流程引擎（版本、地址、已部署的模型）',
    tag: 'system',
    access: 'system:health',
    ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' },
    refusals: [503],
    description: '仅系统、安全、审计管理员（system:health）可查看：含内部地址与版本。',
  },
  { method: 'get', path: '/api/openapi.json', summary: '接口文档（OpenAPI 3.1）', tag: 'system', access: 'public' },

  // 登录与会话
  {
    method: 'post',
    path: '/api/auth/login',
    summary: '登录',
    tag: 'auth',
    access: 'public',
    body: auth.loginBody,
    description:
      '成功时设置会话 Cookie budget_sid。连续 5 次密码错误锁定 30 分钟。同一地址 15 分钟内失败 20 次、同一用户名失败 10 次后，先答 429 LOGIN_RATE_LIMITED（带 Retry-After），不再核对密码。',
  },
  {
    method: 'post',
    path: '/api/auth/login/second-factor',
    summary: '登录第二步：动态验证码或恢复码',
    tag: 'auth',
    access: 'public',
    body: auth.secondFactorLoginBody,
    description:
      '须使用第二因素的角色（BUDGET_SECOND_FACTOR_ROLES）且已绑定验证器的人，密码正确时登录只答 secondFactor.challenge（5 分钟内有效，可试 5 次），不设会话；本接口以 challenge 和手机验证器上的 6 位验证码（或一次性恢复码）换取会话 Cookie。同一验证码不能用第二次；错误时 401 SECOND_FACTOR_FAILED，challenge 失效时 401 SECOND_FACTOR_CHALLENGE_EXPIRED，错误过多 429 SECOND_FACTOR_RATE_LIMITED。',
  },
  {
    method: 'post',
    path: '/api/auth/second-factor/enrolment',
    summary: '绑定动态验证码：生成密钥与二维码（otpauth://）',
    tag: 'auth',
    access: 'login',
    refusals: [409],
    description:
      '答 otpauthUri、qrDataUrl（SVG 二维码）和可手工输入的 secret；已绑定时 409 SECOND_FACTOR_ENROLLED（更换须由安全管理员重置）。',
  },
  {
    method: 'post',
    path: '/api/auth/second-factor/confirm',
    summary: '绑定动态验证码：输入第一个验证码确认，取得一次性恢复码',
    tag: 'auth',
    access: 'login',
    body: auth.enrolmentConfirmBody,
    refusals: [409],
    description:
      '验证码正确即绑定，答 10 个恢复码（只显示这一次，库中只存摘要）；首次登录受限的会话随即可正常使用。验证码错误 400 SECOND_FACTOR_CODE_WRONG。',
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    summary: '退出登录',
    tag: 'auth',
    access: 'public',
    ok: { status: 204, description: '已退出' },
  },
  { method: 'get', path: '/api/auth/me', summary: '当前用户、角色、权限与数据范围', tag: 'auth', access: 'login' },
  {
    method: 'post',
    path: '/api/auth/password',
    summary: '修改密码',
    tag: 'auth',
    access: 'login',
    body: auth.passwordBody,
    ok: { status: 204, description: '已修改' },
    description: '原密码错误计入登录的失败次数限制（429 LOGIN_RATE_LIMITED）。',
  },

  // 待办与审批（每个待办由候选人、办理人、参与人或数据范围决定能做什么）

  // 专家评审（专家库、评审批次由绩效处/评审中心维护；专家只能看到本人的评审任务）
  // 电子签章与审计
  // 流程设计
];
