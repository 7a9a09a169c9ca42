import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Permission } from '../../domain/roles';
import { AppError } from '../errors';
import type { Db } from '../db';
import { authenticate, type Principal } from './service';

export const SESSION_COOKIE = 'budget_sid';

export function sessionToken(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

const enrolmentRequired = () => new AppError(403, 'SECOND_FACTOR_ENROLMENT_REQUIRED', '您的角色须使用动态验证码登录，请先绑定手机验证器');

/** The principal of an authenticated request (set by requireLogin). */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new AppError(401, 'UNAUTHENTICATED', '请先登录');
  return p;
}

/** Every route behind this answers 401 without a live session. */
export function requireLogin(db: Db): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const token = sessionToken(req);
    if (!token) return next(new AppError(401, 'UNAUTHENTICATED', '请先登录'));
    authenticate(db, token).then((principal) => {
      res.locals.principal = principal;
      // A privileged person's first session before a second factor is bound: only /api/auth.
      if (principal.secondFactorEnrolmentRequired && !req.originalUrl.startsWith('/api/auth/')) return next(enrolmentRequired());
      next();
    }, next);
  };
}

/** 403 unless the principal holds the permission through one of its roles. */
export function requirePermission(permission: Permission): RequestHandler {
  return requireAnyPermission(permission);
}

/**
 * 403 unless the principal holds at least one of the permissions (the user list serves both the
 * system admin and the security admin). A person whose password was set by an administrator or
 * has expired gets nothing but /api/auth (me, password, logout) until it is changed: the SPA's
 * dialog is not the only guard.
 */
export function requireAnyPermission(...permissions: [Permission, ...Permission[]]): RequestHandler {
  return (_req, res, next) => {
    const p = principalOf(res);
    if (!permissions.some((permission) => p.permissions.has(permission)))
      return next(new AppError(403, 'FORBIDDEN', '您没有执行此操作的权限'));
    if (p.mustChangePassword) return next(new AppError(403, 'PASSWORD_CHANGE_REQUIRED', '请先修改密码后再继续操作'));
    if (p.secondFactorEnrolmentRequired) return next(enrolmentRequired());
    next();
  };
}
