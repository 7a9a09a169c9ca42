import { z } from 'zod';
import { DIVISION_TYPES, ORGANISATION_KINDS } from '../domain/organisation-labels';

/**
 * 基础数据接口的应答（/api/regions、/api/organisations*、/api/codes*）：路由按这些 schema 应答（测试中
 * 逐个核对，见 server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出
 * （web/src/api/reference.ts）。Objects are strict: a field the server adds without declaring it here
 * fails the contract.
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601（带 +08:00）');

export const organisationKind = z.enum(ORGANISATION_KINDS);
export const divisionType = z.enum(DIVISION_TYPES);

export const organisation = z.strictObject({
  id: z.number().int(),
  code: z.string().describe('机构编码'),
  name: z.string(),
  kind: organisationKind,
  regionCode: z.string().describe('GB/T 2260 六位行政区划代码'),
  parentId: z.number().int().nullable(),
  divisionType: divisionType.nullable().describe('财政内设处室的业务类型；其他机构为 null'),
  path: z.string().describe('物化路径，如 /1/5/12/'),
  createdAt: shanghaiIso,
});

export const organisationPage = z.strictObject({
  items: z.array(organisation),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

export const regionLevel = z.enum(['province', 'city', 'county', 'township']);
const regionFields = {
  code: z.string().describe('六位行政区划代码'),
  name: z.string(),
  level: regionLevel,
  parentCode: z.string().nullable(),
};
export const region = z.strictObject({ ...regionFields, hasChildren: z.boolean() });
export interface RegionNode {
  code: string;
  name: string;
  level: z.infer<typeof regionLevel>;
  parentCode: string | null;
  children: RegionNode[];
}
/**
 * A node of the region tree. Spelt out to the four GB/T 2260 levels (province → township) rather
 * than as a recursive schema, which the OpenAPI document could not reference.
 */
const regionNodeAt = (depth: number): z.ZodType =>
  z.strictObject({ ...regionFields, children: depth === 0 ? z.array(z.never()).max(0) : z.array(regionNodeAt(depth - 1)) });
export const regionNode = regionNodeAt(3) as z.ZodType<RegionNode>;
/** 直接下级（tree=false）或整树（tree=true） */
export const regionList = z.strictObject({ items: z.union([z.array(region), z.array(regionNode)]) });

export const codeLevel = z.enum(['类', '款', '项']);
export const economicKind = z.enum(['department', 'government']);
export const functionalCode = z.strictObject({
  code: z.string(),
  name: z.string(),
  level: codeLevel,
  parentCode: z.string().nullable(),
  hasChildren: z.boolean(),
});
export const economicCode = functionalCode.extend({
  kind: economicKind.describe('department 部门预算支出经济分类；government 政府预算支出经济分类'),
  governmentCode: z.string().nullable().describe('部门经济分类对应的政府经济分类编码'),
});
export const functionalCodeList = z.strictObject({ items: z.array(functionalCode) });
export const economicCodeList = z.strictObject({ items: z.array(economicCode) });
/** 全年度科目表，按树序 */
export const functionalCodeTable = z.strictObject({ items: z.array(functionalCode), total: z.number().int() });
export const economicCodeTable = z.strictObject({ items: z.array(economicCode), total: z.number().int() });

export const codeImportResult = z.strictObject({
  type: z.enum(['functional', 'economic']),
  year: z.number().int(),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
});

export type Organisation = z.infer<typeof organisation>;
export type OrganisationKind = z.infer<typeof organisationKind>;
export type DivisionType = z.infer<typeof divisionType>;
export type Region = z.infer<typeof region>;
export type RegionLevel = z.infer<typeof regionLevel>;
export type CodeLevel = z.infer<typeof codeLevel>;
export type EconomicKind = z.infer<typeof economicKind>;
export type FunctionalCode = z.infer<typeof functionalCode>;
export type EconomicCode = z.infer<typeof economicCode>;
export type CodeImportResult = z.infer<typeof codeImportResult>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/reference.ts、reference-exports.ts），页面的请求类型由 z.input 得出（web/src/api/reference.ts）。
 */

// Imported here, not above, so that this block merges apart from changes to the responses.
import { ORGANISATION_SORTS } from '../domain/organisation-labels';
import { CODE_TYPES, ECONOMIC_KINDS, type CodeType } from '../domain/reference-codes';

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

/** Exports and whole-year code tables (server/api/reference-exports.ts): the list's filters without paging or parent. */
export const organisationExportQuery = organisationsQuery.omit({ page: true, pageSize: true });
export const functionalTableQuery = functionalQuery.omit({ parent: true });
export const economicTableQuery = economicQuery.omit({ parent: true });
export const templateQuery = z.object({ type: z.enum(CODE_TYPES as [CodeType, ...CodeType[]]) }).strict();
