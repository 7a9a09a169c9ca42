import type { Router } from 'express';
import { z } from 'zod';
import { toShanghaiIso } from '../../domain/time';
import type { Db } from '../db';
import { scopeOrgIds, type Principal } from '../auth/service';
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
import * as contracts from '../../contracts/reference';
import { mountRoutes, routesWith } from './route';
import { idParams } from './route-doc';

/**
 * Reference data over HTTP: regions, organisations, code tables and code imports, declared once
 * (route.ts). Reads are paginated and sorted in SQL; every input is parsed here, once. Reading
 * needs reference:read, importing codes:import; organisations are limited to the reader's data
 * scope (scopeOrgIds): one outside it answers 404, like one that does not exist. Regions and code
 * tables are public classifications, the same for everyone.
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

type ReferenceDeps = { db: Db };
const route = routesWith<ReferenceDeps>();

const scopeOf = (db: Db, p: Principal) => scopeOrgIds(db, p);
/** The organisation, when it exists and lies in the reader's scope; else 404. */
async function organisationInScope(db: Db, p: Principal, id: number): Promise<Organisation> {
  const org = (await scopeOf(db, p).where('id', id).first()) ? await getOrganisation(db, id) : undefined;
  if (!org) throw errors.notFound('组织机构不存在');
  return org;
}

function organisationJson(org: Organisation) {
  return { ...org, createdAt: toShanghaiIso(org.createdAt) };
}

export const referenceRoutes = [
  route({
    method: 'get',
    path: '/api/regions',
    summary: '行政区划（GB/T 2260），可按上级或整树',
    tag: 'reference',
    access: 'reference:read',
    query: regionsQuery,
    response: contracts.regionList,
    handle: async ({ deps, query: q }) => ({
      items: q.tree === 'true' ? await regionTree(deps.db, q.parent) : await listRegions(deps.db, { parent: q.parent }),
    }),
  }),
  route({
    method: 'get',
    path: '/api/organisations',
    summary: '组织机构列表，分页',
    tag: 'reference',
    access: 'reference:read',
    query: organisationsQuery,
    response: contracts.organisationPage,
    handle: async ({ deps: { db }, principal, query: q }) => {
      const filters = {
        kind: q.kind,
        regionCode: q.region,
        nameContains: q.name,
        parentId: q.parent,
        withinId: q.within,
        scopeIds: scopeOf(db, principal),
      };
      const page = await listOrganisations(db, filters, q);
      return { ...page, items: page.items.map(organisationJson) };
    },
  }),
  route({
    method: 'get',
    path: '/api/organisations/{id}',
    summary: '组织机构详情',
    tag: 'reference',
    access: 'reference:read',
    params: idParams,
    notFound: '组织机构',
    response: contracts.organisation,
    handle: async ({ deps, principal, params }) => organisationJson(await organisationInScope(deps.db, principal, params.id)),
  }),
  route({
    method: 'get',
    path: '/api/organisations/{id}/subtree',
    summary: '某机构及其全部下级，按树序分页',
    tag: 'reference',
    access: 'reference:read',
    params: idParams,
    notFound: '组织机构',
    query: subtreeQuery,
    response: contracts.organisationPage,
    handle: async ({ deps: { db }, principal, params, query: q }) => {
      const root = await organisationInScope(db, principal, params.id);
      const page = await listOrganisations(
        db,
        { kind: q.kind, regionCode: q.region, nameContains: q.name, withinId: root.id, scopeIds: scopeOf(db, principal) },
        q,
      );
      return { ...page, items: page.items.map(organisationJson) };
    },
  }),
  route({
    method: 'get',
    path: '/api/codes/functional',
    summary: '支出功能分类科目（某年度）',
    tag: 'reference',
    access: 'reference:read',
    query: functionalQuery,
    response: contracts.functionalCodeList,
    handle: async ({ deps, query }) => ({ items: await listFunctionalCodes(deps.db, query) }),
  }),
  route({
    method: 'get',
    path: '/api/codes/economic',
    summary: '支出经济分类科目（某年度）',
    tag: 'reference',
    access: 'reference:read',
    query: economicQuery,
    response: contracts.economicCodeList,
    handle: async ({ deps, query }) => ({ items: await listEconomicCodes(deps.db, query) }),
  }),
  // Multipart is not set up: the SPA sends the file's text (CSV) or its bytes in base64 (.xlsx).
  route({
    method: 'post',
    path: '/api/codes/import',
    summary: '导入某年度的分类科目（CSV 文本或 base64 编码的 .xlsx）',
    tag: 'reference',
    access: 'codes:import',
    query: importQuery,
    body: importBody,
    response: contracts.codeImportResult,
    handle: async ({ deps, query: q, body }) => {
      const file: CodeFile = body.format === 'csv' ? body : { format: 'xlsx', bytes: Buffer.from(body.base64, 'base64') };
      return importCodeFile(deps.db, { type: q.type, year: q.year, file });
    },
  }),
];

export function referenceRouter(deps: ReferenceDeps): Router {
  return mountRoutes(deps.db, deps, referenceRoutes);
}
