import { PERMISSIONS } from '../../domain/roles';
import { permissionsOf, ROUTE_CATALOGUE, routeKey, type RouteDoc } from '../../server/api/catalog';
import { declarationOf } from '../../server/api/route';
import type { Db } from '../../server/db';
import { buildApp, startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * The route catalogue (server/api/catalog.ts) is honest: every route the real Express app mounts
 * was mounted from its declaration (route.ts), the catalogue lists exactly those routes, and the
 * OpenAPI document built from it is well-formed.
 */

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean>; stack: Layer[] };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

interface MountedRoute {
  /** "METHOD /api/path/{param}" as mounted */
  key: string;
  /** The declaration its final handler was made from (route.ts mountRoutes); undefined when mounted by hand. */
  declaration?: RouteDoc;
}

/**
 * Every route under /api in the app's router stack, with the declaration it was mounted from.
 * `middleware` collects the layers under /api that are neither a route nor a router but are
 * mounted at a path of their own (`api.use('/things', handler)`): an endpoint by hand.
 */
function mountedRoutes(stack: Layer[], prefix = '', middleware: string[] = []): MountedRoute[] {
  const found: MountedRoute[] = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        if (typeof path !== 'string') {
          // A RegExp route: fine for the SPA's fallback, undocumentable inside the API.
          if (prefix.startsWith('/api'))
            throw new Error(`a route under ${prefix} has a RegExp path (${String(path)}): it cannot be catalogued`);
          continue;
        }
        const full = (prefix + path).replace(/:(\w+)/g, '{$1}');
        if (!full.startsWith('/api/')) continue;
        const declaration = declarationOf(layer.route.stack.at(-1)?.handle);
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all'))
          found.push({ key: routeKey({ method, path: full }), declaration });
      }
    } else if (layer.handle.stack) {
      for (const mount of [layer.rawPath ?? '/'].flat()) {
        found.push(...mountedRoutes(layer.handle.stack, prefix + (mount === '/' ? '' : String(mount)), middleware));
      }
    } else {
      for (const mount of [layer.rawPath ?? '/'].flat()) {
        const full = prefix + (mount === '/' ? '' : String(mount));
        if (full.startsWith('/api/')) middleware.push(full);
      }
    }
  }
  return found;
}

describe('OpenAPI: the route catalogue and the document built from it', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let mounted: Set<string>;
  let routes: MountedRoute[];
  const middleware: string[] = [];

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    // The REST engine client holds no connection: nothing to close.
    const { app } = buildApp(db, fresh.database);
    routes = mountedRoutes((app as unknown as { router: { stack: Layer[] } }).router.stack, '', middleware);
    mounted = new Set(routes.map((r) => r.key));
    api = await startApi(db, fresh.database);
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  test('every mounted API route is in the catalogue, and every catalogued route is mounted', () => {
    const catalogued = new Set(ROUTE_CATALOGUE.map(routeKey));
    const undocumented = [...mounted].filter((r) => !catalogued.has(r)).sort();
    const notMounted = [...catalogued].filter((r) => !mounted.has(r)).sort();
    if (undocumented.length > 0 || notMounted.length > 0) {
      throw new Error(
        [
          undocumented.length
            ? `Mounted but missing from server/api/catalog.ts ROUTE_CATALOGUE (add one entry each):\n  ${undocumented.join('\n  ')}`
            : '',
          notMounted.length
            ? `In server/api/catalog.ts ROUTE_CATALOGUE but not mounted by createApp (remove or fix the entry):\n  ${notMounted.join('\n  ')}`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    }
    expect(mounted.size).toBeGreaterThan(20); // the walk found the routers at all
  });

  test('every mounted API route was mounted from its declaration (route.ts mountRoutes), none by hand', () => {
    const byHand = routes.filter((r) => r.declaration === undefined).map((r) => r.key);
    const elsewhere = routes.filter((r) => r.declaration && routeKey(r.declaration) !== r.key).map((r) => r.key);
    if (byHand.length > 0 || elsewhere.length > 0 || middleware.length > 0) {
      throw new Error(
        [
          byHand.length
            ? `Mounted by hand, not from a declaration (declare it with routesWith in its module and mount it with mountRoutes):\n  ${byHand.join('\n  ')}`
            : '',
          elsewhere.length ? `Mounted at another path than its declaration says:\n  ${elsewhere.join('\n  ')}` : '',
          middleware.length
            ? `A handler mounted at a path under /api with use() (an endpoint by hand; declare it as a route):\n  ${middleware.join('\n  ')}`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    }
    expect(routes.length).toBe(ROUTE_CATALOGUE.length);
  });

  test('the catalogue names each route once, with a permission that exists', () => {
    const keys = ROUTE_CATALOGUE.map(routeKey);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    for (const r of ROUTE_CATALOGUE) {
      for (const p of permissionsOf(r.access)) expect([routeKey(r), p, PERMISSIONS.includes(p)]).toEqual([routeKey(r), p, true]);
      if (r.access !== 'public' && r.access !== 'login') expect(permissionsOf(r.access).length).toBeGreaterThan(0);
      expect(r.summary).toMatch(/[\u4e00-\u9fa5]/);
    }
  });

  test('GET /api/openapi.json answers without a session: an OpenAPI 3.1 document whose every operation has responses, object bodies and declared path parameters', async () => {
    const res = await fetch(`${api.base}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toContain('预算');
    expect(doc.components.securitySchemes.session).toEqual(expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'budget_sid' }));

    const operations: string[] = [];
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const name = routeKey({ method, path });
        operations.push(name);
        const statuses = Object.keys(op.responses);
        expect([name, statuses.some((s) => /^2\d\d$/.test(s))]).toEqual([name, true]);
        if (op.security.length > 0) expect([name, statuses]).toEqual([name, expect.arrayContaining(['401'])]);
        if (op['x-permission']) expect([name, statuses]).toEqual([name, expect.arrayContaining(['401', '403'])]);
        if (op.requestBody) {
          const schema = op.requestBody.content['application/json'].schema;
          const objectShaped =
            schema.type === 'object' ||
            [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].every((s: { type?: string }) => s.type === 'object');
          expect([name, objectShaped, statuses.includes('400')]).toEqual([name, true, true]);
        }
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name);
        expect([name, declared]).toEqual([name, templated]);
      }
    }
    expect(operations.sort()).toEqual(ROUTE_CATALOGUE.map(routeKey).sort());

    // Every $ref points at something the document has.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) expect([r, r.split('/').reduce((node: any, key) => node?.[key], doc) !== undefined]).toEqual([r, true]);
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
    // Declared refusals are in the document: a locked account and the rate limits of the auth routes.
    expect(Object.keys(doc.paths['/api/auth/login'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '423', '429']));
    expect(doc.paths['/api/auth/login'].post.responses['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
    expect(Object.keys(doc.paths['/api/auth/password'].post.responses)).toEqual(expect.arrayContaining(['204', '429']));

    // The same zod schemas the routes parse with: a query parameter's bounds and a body's fields.
    const listParams = doc.paths['/api/quotas'].get.parameters;
    expect(listParams.find((p: { name: string }) => p.name === 'pageSize')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', maximum: 100 },
    });
    const carryOver = doc.paths['/api/quotas/{id}/carry-over'].post;
    expect(carryOver['x-permission']).toBe('quotas:issue');
    expect(carryOver.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['amountFen', 'reason', 'into'],
      additionalProperties: false,
    });
  });
});
