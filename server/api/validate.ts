import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { errors, issuesFromZod } from '../errors';

/**
 * Parses untrusted input once, at the edge. Handlers read the parsed values from res.locals,
 * never from req.body again.
 */
export function validate<B extends z.ZodType, Q extends z.ZodType>(schemas: { body?: B; query?: Q }): RequestHandler {
  return (req, res, next) => {
    const issues = [];
    if (schemas.body) {
      const r = schemas.body.safeParse(req.body ?? {});
      if (r.success) res.locals.body = r.data;
      else issues.push(...issuesFromZod(r.error, 'body'));
    }
    if (schemas.query) {
      const r = schemas.query.safeParse(req.query);
      if (r.success) res.locals.query = r.data;
      else issues.push(...issuesFromZod(r.error, 'query'));
    }
    if (issues.length > 0) return next(errors.validation(issues));
    next();
  };
}

export type Parsed<S extends z.ZodType> = z.infer<S>;
export type { Request };
