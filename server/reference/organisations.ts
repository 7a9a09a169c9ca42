import type { Knex } from 'knex';
import { z } from 'zod';
import { errors, issuesFromZod } from '../errors';
import { readInstant } from '../db';
import { inTransaction } from './transaction';
import {
  DIVISION_TYPES,
  ORGANISATION_KINDS,
  ORGANISATION_SORTS,
  type DivisionType,
  type OrganisationKind,
} from '../../domain/organisation-labels';

/**
 * Organisations as one tree: finance bureaus (财政厅/局) with their divisions (处/科), the review
 * centre and expert pool, supervising departments (主管部门) and the budget units (预算单位) they
 * supervise. A user's data scope is an organisation and, where the role allows, its subtree —
 * found by the materialised path (see the migration 20261123B).
 */

/**
 * The kinds, and what a finance division does independent of its name (预算处 at a province, 预算科
 * at a city: roles are granted by this, not by parsing names) — the keys of their label
 * dictionaries in domain/organisation-labels.ts.
 */
export { DIVISION_TYPES, ORGANISATION_KINDS, type DivisionType, type OrganisationKind } from '../../domain/organisation-labels';

export interface Organisation {
  id: number;
  code: string;
  name: string;
  kind: OrganisationKind;
  regionCode: string;
  parentId: number | null;
  divisionType: DivisionType | null;
  path: string;
  createdAt: Date;
}

/** Codes are stable keys other data (users, seeds) refer to: upper-case letters, digits, '-'. */
export const ORGANISATION_CODE = /^[0-9A-Z]+(?:-[0-9A-Z]+)*$/;

export const newOrganisation = z
  .object({
    code: z.string().trim().max(40).regex(ORGANISATION_CODE, '应为大写字母、数字，可用 - 分段'),
    name: z.string().trim().min(1).max(200),
    kind: z.enum(ORGANISATION_KINDS),
    regionCode: z.string().regex(/^\d{6}$/, '应为 6 位行政区划代码'),
    parentId: z.number().int().positive().nullable().default(null),
    divisionType: z.enum(DIVISION_TYPES).nullable().default(null),
  })
  .strict()
  .refine((o) => o.divisionType === null || o.kind === 'finance_division', {
    path: ['divisionType'],
    message: '只有财政业务处室可以填写处室类型',
  });
export type NewOrganisation = z.input<typeof newOrganisation>;

export interface OrganisationFilters {
  kind?: OrganisationKind;
  regionCode?: string;
  nameContains?: string;
  parentId?: number;
  /** Only this organisation and everything beneath it (a data scope). */
  withinId?: number;
  /** Only organisations whose ids this subquery selects: the reader's data scope (scopeOrgIds). */
  scopeIds?: Knex.QueryBuilder;
}

export { ORGANISATION_SORTS };
export interface PageRequest {
  page: number;
  pageSize: number;
  sort: keyof typeof ORGANISATION_SORTS;
  order: 'asc' | 'desc';
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/**
 * Creates an organisation under `parentId`; its path is the parent's path plus its own id, set in
 * the same transaction as the insert (the id is only known after it).
 */
export async function createOrganisation(db: Knex, input: NewOrganisation): Promise<Organisation> {
  const parsed = newOrganisation.safeParse(input);
  if (!parsed.success) throw errors.validation(issuesFromZod(parsed.error));
  const org = parsed.data;
  return inTransaction(db, async (trx) => {
    const parent = org.parentId === null ? null : await trx('organisations').where('id', org.parentId).first('path');
    if (org.parentId !== null && !parent) throw errors.badRequest('ORG_PARENT_NOT_FOUND', `上级组织（编号 ${org.parentId}）不存在`);
    if (!(await trx('regions').where('code', org.regionCode).first('code')))
      throw errors.badRequest('REGION_NOT_FOUND', `行政区划 ${org.regionCode} 不存在`);
    if (await trx('organisations').where('code', org.code).first('id'))
      throw errors.conflict('ORG_CODE_TAKEN', `组织编码 ${org.code} 已被使用`);

    const [id] = (await trx('organisations').insert({
      code: org.code,
      name: org.name,
      kind: org.kind,
      region_code: org.regionCode,
      parent_id: org.parentId,
      division_type: org.divisionType,
      path: '', // set below, once the id is known
      created_at: new Date(),
    })) as number[];
    const path = `${(parent as { path: string } | null)?.path ?? '/'}${id}/`;
    await trx('organisations').where('id', id).update({ path });
    return (await getOrganisation(trx, Number(id)))!;
  });
}

export async function getOrganisation(db: Knex, id: number): Promise<Organisation | undefined> {
  const row = await db('organisations').where('id', id).first();
  return row ? toOrganisation(row) : undefined;
}

export async function getOrganisationByCode(db: Knex, code: string): Promise<Organisation | undefined> {
  const row = await db('organisations').where('code', code).first();
  return row ? toOrganisation(row) : undefined;
}

/**
 * Ids of the organisation and everything beneath it, in one indexed prefix query. The path ends
 * with '/', so /1/ never matches /12/; paths hold only digits and '/', so nothing needs escaping.
 */
export async function getSubtreeIds(db: Knex, orgId: number): Promise<number[]> {
  const root = await db('organisations').where('id', orgId).first('path');
  if (!root) throw errors.notFound('组织机构不存在');
  const rows = (await db('organisations').where('path', 'like', `${root.path}%`).orderBy('path').select('id')) as Array<{ id: number }>;
  return rows.map((r) => Number(r.id));
}

/** Filtered, sorted and paginated in SQL; `id` breaks ties so pages never overlap. */
export async function listOrganisations(db: Knex, filters: OrganisationFilters, page: PageRequest): Promise<Page<Organisation>> {
  const query = db('organisations');
  if (filters.kind) query.where('kind', filters.kind);
  if (filters.regionCode) query.where('region_code', filters.regionCode);
  if (filters.parentId !== undefined) query.where('parent_id', filters.parentId);
  if (filters.scopeIds) query.whereIn('id', filters.scopeIds);
  if (filters.nameContains) {
    // ESCAPE spelled out: SQLite has no default escape character, MySQL's is '\'.
    query.whereRaw('name like ? escape ?', [`%${filters.nameContains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, '\\']);
  }
  if (filters.withinId !== undefined) {
    const root = await db('organisations').where('id', filters.withinId).first('path');
    if (!root) return { items: [], total: 0, page: page.page, pageSize: page.pageSize };
    query.where('path', 'like', `${root.path}%`);
  }
  const counted = (await query.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const rows = await query
    .select('*')
    .orderBy([
      { column: ORGANISATION_SORTS[page.sort], order: page.order },
      { column: 'id', order: page.order },
    ])
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
  return { items: rows.map(toOrganisation), total: Number(counted?.n ?? 0), page: page.page, pageSize: page.pageSize };
}

interface OrganisationRow {
  id: number;
  code: string;
  name: string;
  kind: OrganisationKind;
  region_code: string;
  parent_id: number | null;
  division_type: DivisionType | null;
  path: string;
  created_at: unknown;
}

function toOrganisation(r: OrganisationRow): Organisation {
  return {
    id: Number(r.id),
    code: r.code,
    name: r.name,
    kind: r.kind,
    regionCode: r.region_code,
    parentId: r.parent_id === null ? null : Number(r.parent_id),
    divisionType: r.division_type,
    path: r.path,
    createdAt: readInstant(r.created_at),
  };
}
