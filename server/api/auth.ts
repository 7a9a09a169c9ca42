import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ROLES } from '../../domain/roles';
import type { AppConfig } from '../config';
import type { Db } from '../db';
import { principalOf, requireLogin, SESSION_COOKIE, sessionToken } from '../auth/middleware';
import { beginLogin, changePassword, loadPrincipal, logout, type Principal } from '../auth/service';
import { confirmEnrolment, redeemChallenge, secondFactorStatus, startEnrolment, type SecondFactorPolicy } from '../auth/second-factor';
import { fieldKeyring } from '../crypto/keyring';
import { AppError } from '../errors';
import { toShanghaiIso } from '../../domain/time';
import { validate } from './validate';

export const loginBody = z.object({ username: z.string().trim().min(1).max(50), password: z.string().min(1).max(128) }).strict();
export const secondFactorLoginBody = z.object({ challenge: z.string().min(20).max(100), code: z.string().trim().min(6).max(20) }).strict();
export const enrolmentConfirmBody = z.object({ code: z.string().trim().min(6).max(20) }).strict();
export const passwordBody = z.object({ oldPassword: z.string().min(1).max(128), newPassword: z.string().min(1).max(128) }).strict();

export function principalView(p: Principal) {
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
async function userView(db: Db, policy: SecondFactorPolicy, p: Principal) {
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

/** /api/auth: login, logout, who am I, change password. */
export function authRouter(deps: { db: Db; config: AppConfig }): Router {
  const router = Router();
  const setCookie = (res: Response, token: string) =>
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.config.env === 'production',
      path: '/',
      // No maxAge: a browser session cookie; the server enforces idle and absolute expiry.
    });

  const policy: SecondFactorPolicy = { roles: deps.config.secondFactorRoles, ring: fieldKeyring(deps.config) };
  const meta = (req: Request) => ({ ip: req.ip, userAgent: req.get('user-agent') });

  router.post('/auth/login', validate({ body: loginBody }), async (req, res) => {
    const { username, password } = res.locals.body as z.infer<typeof loginBody>;
    const result = await beginLogin(deps.db, policy, username, password, meta(req));
    if (result.kind === 'second-factor') {
      res.json({
        secondFactor: { challenge: result.challenge, expiresAt: toShanghaiIso(result.expiresAt), methods: ['totp', 'recovery'] },
      });
      return;
    }
    setCookie(res, result.token);
    res.json({ user: await userView(deps.db, policy, result.principal) });
  });

  router.post('/auth/login/second-factor', validate({ body: secondFactorLoginBody }), async (req, res) => {
    const { challenge, code } = res.locals.body as z.infer<typeof secondFactorLoginBody>;
    const result = await redeemChallenge(deps.db, policy, challenge, code, meta(req));
    const principal = await loadPrincipal(deps.db, result.userId);
    if (!principal) throw new AppError(401, 'UNAUTHENTICATED', '请先登录');
    setCookie(res, result.token);
    res.json({ user: await userView(deps.db, policy, principal) });
  });

  router.post('/auth/second-factor/enrolment', requireLogin(deps.db), async (_req, res) => {
    const p = principalOf(res);
    res.json(await startEnrolment(deps.db, policy, { userId: p.userId, username: p.username }));
  });

  router.post('/auth/second-factor/confirm', requireLogin(deps.db), validate({ body: enrolmentConfirmBody }), async (req, res) => {
    const p = principalOf(res);
    const { code } = res.locals.body as z.infer<typeof enrolmentConfirmBody>;
    const { recoveryCodes } = await confirmEnrolment(deps.db, policy, { userId: p.userId, username: p.username }, sessionToken(req)!, code);
    res.json({ recoveryCodes, user: await userView(deps.db, policy, { ...p, secondFactorEnrolmentRequired: false }) });
  });

  router.post('/auth/logout', async (req, res) => {
    const token = sessionToken(req);
    if (token) await logout(deps.db, token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  router.get('/auth/me', requireLogin(deps.db), async (_req, res) => {
    res.json({ user: await userView(deps.db, policy, principalOf(res)) });
  });

  router.post('/auth/password', requireLogin(deps.db), validate({ body: passwordBody }), async (req, res) => {
    const { oldPassword, newPassword } = res.locals.body as z.infer<typeof passwordBody>;
    await changePassword(deps.db, principalOf(res), oldPassword, newPassword, new Date(), { ip: req.ip });
    res.status(204).end();
  });
  return router;
}
