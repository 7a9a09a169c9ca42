import { Router, type Response } from 'express';
import { z } from 'zod';
import { toShanghaiIso } from '../../domain/time';
import type { Db } from '../db';
import { principalOf } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import {
  CODE_TYPES,
  ECONOMIC_KINDS,
  getOrganisation,
  importCodeFile,
  listEconomicCodes,
  listFunctionalCodes,
  listOrganisations,
  listRegions,
  ORGANISATION_KINDS,
  ORGANISATION_SORTS,
  regionTree,
  type CodeFile,
  type CodeType,
  type Organisation,
} from '../reference';
import { errors } from '../errors';
import { validate } from './validate';

/**
 * Reference data over HTTP: regions, organisations, code tables and code imports. Reads are
 * paginated and sorted in SQL; every input is parsed here, once. app.ts puts login and
 * reference:read in front; organisations are limited to the reader's data scope (scopeOrgIds):
 * one outside it answers 404, like one that does not exist. Regions and code tables are public
 * classifications, the same for everyone.
 */

// The app's JSON parser (1 MB) usually stops a body first; these bound what reaches the parsers.
export const MAX_CSV_CHARS = 1_000_000;
export const MAX_XLSX_BASE64_CHARS = 1_400_000; // about 1 MB of .xlsx

const year = z.coerce.number().int().min(2000).max(2100);
const regionCode = z.string().regex(/^\d{6}$/, '应为 6 位行政区划代码');
const positiveId = z.coerce.number().int().positive().max(2_147_483_647);

export const regionsQuery = z.object({ parent: regionCode.optional(), tree: z.enum(['true', 'false']).optional() }).strict();

const pageFields = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('asc'),
};
const organisationFilters = {
  kind: z.enum(ORGANISATION_KINDS).optional(),
  region: regionCode.optional(),
  name: z.string().trim().min(1).max(50).optional(),
};
const sorts = Object.keys(ORGANISATION_SORTS) as [keyof typeof ORGANISATION_SORTS, ...Array<keyof typeof ORGANISATION_SORTS>];
export const organisationsQuery = z
  .object({
    ...organisationFilters,
    ...pageFields,
    parent: positiveId.optional(),
    within: positiveId.optional(),
    sort: z.enum(sorts).default('code'),
  })
  .strict();
// A subtree reads best in tree order: the path sorts every parent before its children.
export const subtreeQuery = z.object({ ...organisationFilters, ...pageFields, sort: z.enum(sorts).default('path') }).strict();

export const functionalQuery = z
  .object({
    year,
    parent: z
      .string()
      .regex(/^(\d{3}|\d{5})$/, '应为 3 或 5 位编码')
      .optional(),
  })
  .strict();
export const economicQuery = z
  .object({
    year,
    kind: z.enum(ECONOMIC_KINDS).optional(),
    parent: z
      .string()
      .regex(/^\d{3}$/, '应为 3 位编码')
      .optional(),
  })
  .strict();

export const importQuery = z.object({ year, type: z.enum(CODE_TYPES as [CodeType, ...CodeType[]]) }).strict();
export const importBody = z.discriminatedUnion(
  'format',
  [
    z.object({ format: z.literal('csv'), content: z.string().min(1).max(MAX_CSV_CHARS) }).strict(),
    z
      .object({
        format: z.literal('xlsx'),
        base64: z
          .string()
          .min(1)
          .max(MAX_XLSX_BASE64_CHARS)
          .regex(/^[A-Za-z0-9+/]+={0,2}$/, '不是有效的 base64'),
      })
      .strict(),
  ],
  { error: 'format 应为 csv 或 xlsx' },
);

export function referenceRouter(deps: { db: Db }): Router {
  const { db } = deps;
  const router = Router();

  router.get('/regions', validate({ query: regionsQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof regionsQuery>;
    res.json({ items: q.tree === 'true' ? await regionTree(db, q.parent) : await listRegions(db, { parent: q.parent }) });
  });

  const scopeOf = (res: Response) => scopeOrgIds(db, principalOf(res));
  /** The organisation, when it exists and lies in the reader's scope; else 404. */
  const organisationInScope = async (res: Response, raw: string | string[] | undefined): Promise<Organisation> => {
    const id = parseId(raw);
    const org = (await scopeOf(res).where('id', id).first()) ? await getOrganisation(db, id) : undefined;
    if (!org) throw errors.notFound('组织机构不存在');
    return org;
  };

  router.get('/organisations', validate({ query: organisationsQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof organisationsQuery>;
    const filters = {
      kind: q.kind,
      regionCode: q.region,
      nameContains: q.name,
      parentId: q.parent,
      withinId: q.within,
      scopeIds: scopeOf(res),
    };
    const page = await listOrganisations(db, filters, q);
    res.json({ ...page, items: page.items.map(organisationJson) });
  });

  router.get('/organisations/:id', async (req, res) => {
    res.json(organisationJson(await organisationInScope(res, req.params.id)));
  });

  router.get('/organisations/:id/subtree', validate({ query: subtreeQuery }), async (req, res) => {
    const q = res.locals.query as z.infer<typeof subtreeQuery>;
    const root = await organisationInScope(res, req.params.id);
    const page = await listOrganisations(
      db,
      { kind: q.kind, regionCode: q.region, nameContains: q.name, withinId: root.id, scopeIds: scopeOf(res) },
      q,
    );
    res.json({ ...page, items: page.items.map(organisationJson) });
  });

  router.get('/codes/functional', validate({ query: functionalQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof functionalQuery>;
    res.json({ items: await listFunctionalCodes(db, q) });
  });

  router.get('/codes/economic', validate({ query: economicQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof economicQuery>;
    res.json({ items: await listEconomicCodes(db, q) });
  });

  // Multipart is not set up: the SPA sends the file's text (CSV) or its bytes in base64 (.xlsx).
  router.post('/codes/import', validate({ query: importQuery, body: importBody }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof importQuery>;
    const body = res.locals.body as z.infer<typeof importBody>;
    const file: CodeFile = body.format === 'csv' ? body : { format: 'xlsx', bytes: Buffer.from(body.base64, 'base64') };
    res.json(await importCodeFile(db, { type: q.type, year: q.year, file }));
  });

  return router;
}

function parseId(raw: string | string[] | undefined): number {
  const r = positiveId.safeParse(raw);
  if (!r.success) throw errors.validation([{ field: 'id', message: '应为正整数' }]);
  return r.data;
}

function organisationJson(org: Organisation) {
  return { ...org, createdAt: toShanghaiIso(org.createdAt) };
}
