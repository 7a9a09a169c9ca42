import type { Router } from 'express';
import { toShanghaiIso } from '../../domain/time';
import type { Db } from '../db';
import { scopeOrgIds, type Principal } from '../auth/service';
import {
  getOrganisation,
  importCodeFile,
  listEconomicCodes,
  listFunctionalCodes,
  listOrganisations,
  listRegions,
  regionTree,
  type CodeFile,
  type Organisation,
} from '../reference';
import { errors } from '../errors';
import * as contracts from '../../contracts/reference';
import { mountRoutes, routesWith } from './route';
import { idParams } from './route-doc';

export {
  MAX_CSV_CHARS,
  MAX_XLSX_BASE64_CHARS,
  regionsQuery,
  organisationsQuery,
  subtreeQuery,
  functionalQuery,
  economicQuery,
  importQuery,
  importBody,
} from '../../contracts/reference';

/**
 * Reference data over HTTP: regions, organisations, code tables and code imports, declared once
 * (route.ts). Reads are paginated and sorted in SQL; every input is parsed here, once. Reading
 * needs reference:read, importing codes:import; organisations are limited to the reader's data
 * scope (scopeOrgIds): one outside it answers 404, like one that does not exist. Regions and code
 * tables are public classifications, the same for everyone.
 */

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
    query: contracts.regionsQuery,
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
    query: contracts.organisationsQuery,
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
    query: contracts.subtreeQuery,
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
    query: contracts.functionalQuery,
    response: contracts.functionalCodeList,
    handle: async ({ deps, query }) => ({ items: await listFunctionalCodes(deps.db, query) }),
  }),
  route({
    method: 'get',
    path: '/api/codes/economic',
    summary: '支出经济分类科目（某年度）',
    tag: 'reference',
    access: 'reference:read',
    query: contracts.economicQuery,
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
    query: contracts.importQuery,
    body: contracts.importBody,
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
