import type { Request, Response, Router } from 'express';
import { ROLES } from '../../domain/roles';
import type { AppConfig } from '../config';
import type { Db } from '../db';
import { SESSION_COOKIE, sessionToken } from '../auth/middleware';
import { beginLogin, changePassword, loadPrincipal, logout, type Principal } from '../auth/service';
import { confirmEnrolment, redeemChallenge, secondFactorStatus, startEnrolment, type SecondFactorPolicy } from '../auth/second-factor';
import { fieldKeyring } from '../crypto/keyring';
import { AppError } from '../errors';
import { toShanghaiIso } from '../../domain/time';
import * as contracts from '../../contracts/auth';
import { mountRoutes, routesWith } from './route';

export function principalView(p: Principal): Omit<contracts.CurrentUser, 'secondFactor'> {
  return {
    id: p.userId,
    username: p.username,
    displayName: p.displayName,
    org: { id: p.orgId, name: p.orgName },
    roles: p.roles.map((code) => ({ code, name: ROLES.find((r) => r.code === code)?.name ?? code })),
    permissions: [...p.permissions].sort(),
    scope: p.scope,
    mustChangePassword: p.mustChangePassword,
    secondFactorEnrolmentRequired: p.secondFactorEnrolmentRequired,
  };
}

/** The principal with its second-factor status (login answers, /auth/me). */
async function userView(db: Db, policy: SecondFactorPolicy, p: Principal): Promise<contracts.CurrentUser> {
  const s = await secondFactorStatus(db, policy, p.userId, p.roles);
  return {
    ...principalView(p),
    secondFactor: {
      required: s.required,
      enrolled: s.enrolled,
      enrolledAt: s.enrolledAt ? toShanghaiIso(s.enrolledAt) : null,
      recoveryCodesLeft: s.recoveryCodesLeft,
    },
  };
}

/** The session cookie: a browser session cookie (no maxAge); the server enforces idle and absolute expiry. */
function setSessionCookie(config: AppConfig, res: Response, token: string) {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: config.env === 'production', path: '/' });
}

const meta = (req: Request) => ({ ip: req.ip, userAgent: req.get('user-agent') });

/** policy: who needs a second factor, and the keyring its secrets are sealed with (from config, once). */
type AuthDeps = { db: Db; config: AppConfig; policy: SecondFactorPolicy };
const route = routesWith<AuthDeps>();

/**
 * /api/auth: login (and its second step), binding a second factor, logout, who am I, change
 * password. Login, its second step and logout need no session; the rest need one, and answer a
 * person whose second factor is not yet bound (requireLogin lets /api/auth through for them).
 * Rate limits, lockouts and the second factor's refusals are the services' (server/auth/).
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */
export const authRoutes = [
  route({
    method: 'post',
    path: '/api/auth/login',
    summary: '登录',
    tag: 'auth',
    access: 'public',
    body: contracts.loginBody,
    response: contracts.loginAnswer,
    refusals: [423, 429],
    description:
      '成功时设置会话 Cookie budget_sid。连续 5 次密码错误锁定 30 分钟。同一地址 15 分钟内失败 20 次、同一用户名失败 10 次后，先答 429 LOGIN_RATE_LIMITED（带 Retry-After），不再核对密码。',
    handle: async ({ deps: { db, config, policy }, body: { username, password }, req, res }): Promise<contracts.LoginAnswer> => {
      const result = await beginLogin(db, policy, username, password, meta(req));
      if (result.kind === 'second-factor')
        return { secondFactor: { challenge: result.challenge, expiresAt: toShanghaiIso(result.expiresAt), methods: ['totp', 'recovery'] } };
      setSessionCookie(config, res, result.token);
      return { user: await userView(db, policy, result.principal) };
    },
  }),
  route({
    method: 'post',
    path: '/api/auth/login/second-factor',
    summary: '登录第二步：动态验证码或恢复码',
    tag: 'auth',
    access: 'public',
    body: contracts.secondFactorLoginBody,
    response: contracts.userAnswer,
    refusals: [429],
    description:
      '须使用第二因素的角色（BUDGET_SECOND_FACTOR_ROLES）且已绑定验证器的人，密码正确时登录只答 secondFactor.challenge（5 分钟内有效，可试 5 次），不设会话；本接口以 challenge 和手机验证器上的 6 位验证码（或一次性恢复码）换取会话 Cookie。同一验证码不能用第二次；错误时 401 SECOND_FACTOR_FAILED，challenge 失效时 401 SECOND_FACTOR_CHALLENGE_EXPIRED，错误过多 429 SECOND_FACTOR_RATE_LIMITED。',
    handle: async ({ deps: { db, config, policy }, body: { challenge, code }, req, res }): Promise<contracts.UserAnswer> => {
      const result = await redeemChallenge(db, policy, challenge, code, meta(req));
      const principal = await loadPrincipal(db, result.userId);
      if (!principal) throw new AppError(401, 'UNAUTHENTICATED', '请先登录');
      setSessionCookie(config, res, result.token);
      return { user: await userView(db, policy, principal) };
    },
  }),
  route({
    method: 'post',
    path: '/api/auth/second-factor/enrolment',
    summary: '绑定动态验证码：生成密钥与二维码（otpauth://）',
    tag: 'auth',
    access: 'login',
    refusals: [409],
    response: contracts.enrolmentStart,
    description:
      '答 otpauthUri、qrDataUrl（SVG 二维码）和可手工输入的 secret；已绑定时 409 SECOND_FACTOR_ENROLLED（更换须由安全管理员重置）。',
    handle: ({ deps: { db, policy }, principal: p }): Promise<contracts.EnrolmentStart> =>
      startEnrolment(db, policy, { userId: p.userId, username: p.username }),
  }),
  route({
    method: 'post',
    path: '/api/auth/second-factor/confirm',
    summary: '绑定动态验证码：输入第一个验证码确认，取得一次性恢复码',
    tag: 'auth',
    access: 'login',
    body: contracts.enrolmentConfirmBody,
    refusals: [409],
    response: contracts.enrolmentConfirmed,
    description:
      '验证码正确即绑定，答 10 个恢复码（只显示这一次，库中只存摘要）；首次登录受限的会话随即可正常使用。验证码错误 400 SECOND_FACTOR_CODE_WRONG。',
    handle: async ({ deps: { db, policy }, principal: p, body: { code }, req }): Promise<contracts.EnrolmentConfirmed> => {
      const actor = { userId: p.userId, username: p.username };
      const { recoveryCodes } = await confirmEnrolment(db, policy, actor, sessionToken(req)!, code);
      return { recoveryCodes, user: await userView(db, policy, { ...p, secondFactorEnrolmentRequired: false }) };
    },
  }),
  route({
    method: 'post',
    path: '/api/auth/logout',
    summary: '退出登录',
    tag: 'auth',
    access: 'public',
    ok: { status: 204, description: '已退出' },
    handle: async ({ deps: { db }, req, res }) => {
      const token = sessionToken(req);
      if (token) await logout(db, token);
      res.clearCookie(SESSION_COOKIE, { path: '/' });
    },
  }),
  route({
    method: 'get',
    path: '/api/auth/me',
    summary: '当前用户、角色、权限与数据范围',
    tag: 'auth',
    access: 'login',
    response: contracts.userAnswer,
    handle: async ({ deps: { db, policy }, principal }): Promise<contracts.UserAnswer> => ({ user: await userView(db, policy, principal) }),
  }),
  route({
    method: 'post',
    path: '/api/auth/password',
    summary: '修改密码',
    tag: 'auth',
    access: 'login',
    body: contracts.passwordBody,
    ok: { status: 204, description: '已修改' },
    refusals: [429],
    description: '原密码错误计入登录的失败次数限制（429 LOGIN_RATE_LIMITED）。',
    handle: async ({ deps: { db }, principal, body: { oldPassword, newPassword }, req }) => {
      await changePassword(db, principal, oldPassword, newPassword, new Date(), { ip: req.ip });
    },
  }),
];

export function authRouter(deps: { db: Db; config: AppConfig }): Router {
  const policy: SecondFactorPolicy = { roles: deps.config.secondFactorRoles, ring: fieldKeyring(deps.config) };
  return mountRoutes(deps.db, { ...deps, policy }, authRoutes);
}
