import { Router, type Response } from 'express';
import { z } from 'zod';
import { ROLES } from '../../domain/roles';
import type { AppConfig } from '../config';
import type { Db } from '../db';
import { principalOf, requireLogin, SESSION_COOKIE, sessionToken } from '../auth/middleware';
import { changePassword, login, logout, type Principal } from '../auth/service';
import { validate } from './validate';

export const loginBody = z.object({ username: z.string().trim().min(1).max(50), password: z.string().min(1).max(128) }).strict();
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

  router.post('/auth/login', validate({ body: loginBody }), async (req, res) => {
    const { username, password } = res.locals.body as z.infer<typeof loginBody>;
    const result = await login(deps.db, username, password, { ip: req.ip, userAgent: req.get('user-agent') });
    setCookie(res, result.token);
    res.json({ user: principalView(result.principal) });
  });

  router.post('/auth/logout', async (req, res) => {
    const token = sessionToken(req);
    if (token) await logout(deps.db, token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  router.get('/auth/me', requireLogin(deps.db), (_req, res) => {
    res.json({ user: principalView(principalOf(res)) });
  });

  router.post('/auth/password', requireLogin(deps.db), validate({ body: passwordBody }), async (req, res) => {
    const { oldPassword, newPassword } = res.locals.body as z.infer<typeof passwordBody>;
    await changePassword(deps.db, principalOf(res), oldPassword, newPassword, new Date(), { ip: req.ip });
    res.status(204).end();
  });
  return router;
}
