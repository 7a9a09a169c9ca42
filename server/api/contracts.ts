import type { RequestHandler } from 'express';
import type { AppConfig } from '../config';
import type { Logger } from '../log';
import { ROUTE_CATALOGUE, routeKey, type RouteDoc } from './catalog';

/**
 * Holds every route to the response contract its catalogue entry declares (`response`, a zod
 * schema from contracts/): a success answer that does not parse is a bug of ours, not of the
 * client. Under tests the answer becomes a 500 CONTRACT_VIOLATION naming the fields, so every API
 * and browser test doubles as a contract test; in development it is logged; in production the
 * check is off (it costs a parse per answer).
 */
export function responseContracts(
  config: Pick<AppConfig, 'env'>,
  log: Logger,
  catalogue: readonly RouteDoc[] = ROUTE_CATALOGUE,
): RequestHandler {
  const declared = new Map<string, NonNullable<RouteDoc['response']>>();
  for (const r of catalogue) if (r.response) declared.set(routeKey(r), r.response);
  if (config.env === 'production' || declared.size === 0) return (_req, _res, next) => next();
  return (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 200 && res.statusCode < 300 && req.route) {
        const key = routeKey({ method: req.method, path: openApiPath(req.baseUrl + String(req.route.path)) });
        const schema = declared.get(key);
        const parsed = schema?.safeParse(body);
        if (parsed && !parsed.success) {
          const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(应答)'}: ${i.message}`);
          log.error({ route: key, problems }, 'response does not match its contract');
          if (config.env === 'test') {
            res.status(500);
            return json({ error: { code: 'CONTRACT_VIOLATION', message: `${key} 的应答不符合接口约定：${problems.join('；')}` } });
          }
        }
      }
      return json(body);
    };
    next();
  };
}

/** Express's /api/seals/keys/:userId → the catalogue's /api/seals/keys/{userId}. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}
