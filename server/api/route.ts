import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Db } from '../db';
import type { Principal } from '../auth/service';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import { errors } from '../errors';
import { validate } from './validate';
import { permissionsOf, type RouteDoc } from './route-doc';

/**
 * A route declared once: its path, who may call it, the schemas of its input and answer, and the
 * handler — the same object the OpenAPI document, the authorization matrix test, the contract
 * check (contracts.ts) and the router read. `mountRoutes` turns a module's declarations into an
 * Express router: access first (401/403), then params (an id that cannot exist is a 404, like an id
 * that does not), query and body (400 VALIDATION_FAILED with every problem), then the handler.
 *
 * The handler returns the answer's body; mountRoutes sends it with the declared success status
 * (`ok.status`, 200 by default; 204 sends nothing). A handler that answers itself (a file, a
 * stream) sends through `res` and returns undefined.
 */
export interface RouteContext<D, P, Q, B> {
  deps: D;
  /** The logged-in person (throws on a 'public' route, which has none). */
  readonly principal: Principal;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface RouteDecl<D, P = unknown, Q = unknown, B = unknown> extends RouteDoc {
  /**
   * Middleware between access and parsing, e.g. express.raw for an upload; a function of the
   * module's deps when the middleware needs them (the bank notice's signature check needs the secret).
   */
  before?: RequestHandler[] | ((deps: D) => RequestHandler[]);
  /**
   * What a params failure is called in its 404: `${notFound}不存在` (default 请求的对象). On a route
   * with two ids, a label per parameter, so a malformed first id is named after its own object
   * ({ id: '项目', attachmentId: '附件' }); a parameter left out is 请求的对象.
   */
  notFound?: string | Readonly<Record<string, string>>;
  handle: (ctx: RouteContext<D, P, Q, B>) => unknown;
}

/**
 * The declaring function of a module whose handlers get deps of type D:
 * `const route = routesWith<PaymentDeps>();` then `route({ method, path, …, handle })` with the
 * handler's params, query and body typed from the declared schemas.
 */
export function routesWith<D>() {
  return function route<
    PS extends z.ZodObject | undefined = undefined,
    QS extends z.ZodType | undefined = undefined,
    BS extends z.ZodType | undefined = undefined,
  >(
    decl: Omit<RouteDecl<D>, 'params' | 'query' | 'body' | 'handle'> & {
      params?: PS;
      query?: QS;
      body?: BS;
      handle: (ctx: RouteContext<D, Infer<PS>, Infer<QS>, Infer<BS>>) => unknown;
    },
  ): RouteDecl<D> {
    return decl as unknown as RouteDecl<D>;
  };
}

type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;

/** The catalogue's part of a declaration (the handler and middleware left out). */
export function docOf<D>(decl: RouteDecl<D>): RouteDoc {
  const { handle: _handle, before: _before, notFound: _notFound, ...doc } = decl;
  return doc;
}

/** /api/seals/keys/{userId} → /seals/keys/:userId (routers are mounted under /api). */
export function expressPath(openApiPath: string): string {
  if (!openApiPath.startsWith('/api/')) throw new Error(`route path must start with /api/: ${openApiPath}`);
  return openApiPath.slice('/api'.length).replace(/\{(\w+)\}/g, ':$1');
}

export function accessGuards(db: Db, access: RouteDoc['access']): RequestHandler[] {
  if (access === 'public') return [];
  const login = requireLogin(db);
  if (access === 'login') return [login];
  const [first, ...rest] = permissionsOf(access);
  if (!first) throw new Error('a route with permissions names at least one');
  return [login, rest.length === 0 ? requirePermission(first) : requireAnyPermission(first, ...rest)];
}

/** The 404's name of the object whose parameter failed (see RouteDecl.notFound). */
export function notFoundLabel(notFound: RouteDecl<unknown>['notFound'], param: PropertyKey | undefined): string {
  if (typeof notFound === 'string') return notFound;
  return (typeof param === 'string' ? notFound?.[param] : undefined) ?? '请求的对象';
}

/** Each handler mountRoutes made, with the declaration it was made from. */
const MOUNTED_FROM = new WeakMap<object, RouteDoc>();

/**
 * The declaration a mounted route's final handler was made from by mountRoutes; undefined for a
 * handler mounted by hand (router.get(…)). test/database/openapi.test.ts walks the app with it.
 */
export function declarationOf(handler: unknown): RouteDoc | undefined {
  return typeof handler === 'function' ? MOUNTED_FROM.get(handler) : undefined;
}

export function mountRoutes<D>(db: Db, deps: D, decls: readonly RouteDecl<D>[], router: Router = Router()): Router {
  for (const decl of decls) {
    const parseParams: RequestHandler = (req, res, next) => {
      if (!decl.params) return next();
      const r = decl.params.safeParse(req.params);
      if (!r.success) return next(errors.notFound(`${notFoundLabel(decl.notFound, r.error.issues[0]?.path[0])}不存在`));
      res.locals.params = r.data;
      next();
    };
    const run: RequestHandler = async (req, res) => {
      const ctx: RouteContext<D, unknown, unknown, unknown> = {
        deps,
        get principal() {
          return principalOf(res);
        },
        params: res.locals.params,
        query: res.locals.query,
        body: res.locals.body,
        req,
        res,
      };
      const answer = await decl.handle(ctx);
      if (res.headersSent) return;
      const status = decl.ok?.status ?? 200;
      if (status === 204) res.status(204).end();
      else res.status(status).json(answer);
    };
    MOUNTED_FROM.set(run, docOf(decl));
    router[decl.method](
      expressPath(decl.path),
      ...accessGuards(db, decl.access),
      ...(typeof decl.before === 'function' ? decl.before(deps) : (decl.before ?? [])),
      parseParams,
      validate({ query: decl.query, body: decl.body }),
      run,
    );
  }
  return router;
}
