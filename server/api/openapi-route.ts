import type { Router } from 'express';
import type { Db } from '../db';
import * as contracts from '../../contracts/system';
import { mountRoutes, routesWith } from './route';

/**
 * GET /api/openapi.json, declared here rather than in openapi.ts: the document is built from the
 * catalogue (catalog.ts), which collects this declaration, so the declaration cannot import the
 * builder. app.ts builds the document once (the catalogue does not change while the process runs)
 * and hands it in. Served without a session: it describes the interface (which the SPA's public
 * bundle reveals anyway) and no data, and partner systems can read it before they have an account.
 */
type OpenApiDeps = { db: Db; document: contracts.OpenApiDocument };
const route = routesWith<OpenApiDeps>();

export const openApiRoutes = [
  route({
    method: 'get',
    path: '/api/openapi.json',
    summary: '接口文档（OpenAPI 3.1）',
    tag: 'system',
    access: 'public',
    response: contracts.openApiDocument,
    handle: ({ deps }): contracts.OpenApiDocument => deps.document,
  }),
];

export function openApiRouter(deps: OpenApiDeps): Router {
  return mountRoutes(deps.db, deps, openApiRoutes);
}
