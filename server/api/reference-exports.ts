import type { Router } from 'express';
import { DIVISION_TYPE_LABELS, ORGANISATION_KIND_LABELS } from '../../domain/organisation-labels';
import type { Db } from '../db';
import { scopeOrgIds } from '../auth/service';
import {
  COLUMNS,
  REQUIRED_COLUMNS,
  listEconomicCodeTable,
  listFunctionalCodeTable,
  listOrganisations,
  type CodeType,
  type EconomicCode,
  type FunctionalCode,
  type Organisation,
} from '../reference';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportColumn, type ExportLimits } from './excel-export';
import * as contracts from '../../contracts/reference';
import { mountRoutes, routesWith } from './route';
import { exportNote, xlsxOk } from './route-doc';

export { economicTableQuery, functionalTableQuery, organisationExportQuery, templateQuery } from '../../contracts/reference';

/**
 * Exports (导出) of the reference lists, the whole-year code tables behind the 科目代码 page, and
 * the code import templates. Mounted by app.ts before referenceRouter (so /organisations/export
 * is not taken for an organisation id) and behind the same login and reference:read.
 *
 * The organisation export takes the list's filters and its data scope (scopeOrgIds), like
 * GET /organisations in reference.ts.
 */

/** The SPA's tree table loads a year at once; a year holds a few thousand codes at most. */
export const CODE_TABLE_MAX_ROWS = 20_000;

const KIND_WORDS = { department: '部门', government: '政府' } as const;
const TABLE_NAMES: Record<CodeType, string> = { functional: '支出功能分类', economic: '支出经济分类' };

/**
 * The export's columns are the import's (same Chinese headers, 类型 as 部门/政府), so an exported
 * year can be edited in Excel and imported again, e.g. as next year's table.
 */
function codeColumns(type: CodeType): Array<ExportColumn<FunctionalCode & Partial<EconomicCode>>> {
  const values: Record<string, (c: FunctionalCode & Partial<EconomicCode>) => string | null> = {
    code: (c) => c.code,
    name: (c) => c.name,
    level: (c) => c.level,
    kind: (c) => (c.kind ? KIND_WORDS[c.kind] : null),
    governmentCode: (c) => c.governmentCode ?? null,
  };
  const widths: Record<string, number> = { code: 12, name: 40, level: 8, kind: 8, governmentCode: 14 };
  return REQUIRED_COLUMNS[type].map((column) => ({
    header: COLUMNS[column].label,
    width: widths[column]!,
    type: 'text',
    value: values[column]!,
  }));
}

const TEMPLATE_NOTES: Record<CodeType, string[]> = {
  functional: [
    '支出功能分类导入说明：',
    '1. 第一张工作表第 1 行为表头，请勿修改；从第 2 行起每行一个科目，空行会被忽略。',
    '2. 编码：类 3 位、款 5 位、项 7 位数字，请把单元格设为“文本”以免丢失前导零；上级编码为去掉末两位（如 2050203 的上级为 20502）。',
    '3. 名称：不超过 100 个字符。级次：类、款 或 项。',
    '4. 上级科目须在本文件中或已在该年度科目表中；已有编码会更新名称，文件中没有的已有科目保持不变。',
    '5. 任一行有错误时整个文件都不导入，系统会列出每处错误所在的行和列。',
  ],
  economic: [
    '支出经济分类导入说明：',
    '1. 第一张工作表第 1 行为表头，请勿修改；从第 2 行起每行一个科目，空行会被忽略。',
    '2. 编码：类 3 位、款 5 位数字，请把单元格设为“文本”。级次：类 或 款。',
    '3. 类型：部门（部门预算支出经济分类）或 政府（政府预算支出经济分类）。',
    '4. 政府经济分类：部门类型必须填写对应的政府经济分类编码（须在本文件中或已在该年度科目表中）；政府类型留空。',
    '5. 任一行有错误时整个文件都不导入，系统会列出每处错误所在的行和列。',
  ],
};

type ReferenceExportDeps = { db: Db; exportLimits: ExportLimits };
const route = routesWith<ReferenceExportDeps>();

export const referenceExportRoutes = [
  route({
    method: 'get',
    path: '/api/organisations/export',
    summary: '导出组织机构（Excel）',
    tag: 'reference',
    access: 'reference:read',
    query: contracts.organisationExportQuery,
    ok: xlsxOk,
    description: exportNote,
    handle: async ({ deps: { db, exportLimits }, principal, query: q, res }) => {
      const filters = {
        kind: q.kind,
        regionCode: q.region,
        nameContains: q.name,
        parentId: q.parent,
        withinId: q.within,
        scopeIds: scopeOrgIds(db, principal),
      };
      const names = { regions: new Map<string, string>(), organisations: new Map<number, string>() };
      const columns: Array<ExportColumn<Organisation>> = [
        { header: '机构编码', width: 24, type: 'text', value: (o) => o.code },
        { header: '机构名称', width: 36, type: 'text', value: (o) => o.name },
        { header: '机构类型', width: 14, type: 'text', value: (o) => ORGANISATION_KIND_LABELS[o.kind] },
        { header: '行政区划代码', width: 14, type: 'text', value: (o) => o.regionCode },
        { header: '行政区划', width: 20, type: 'text', value: (o) => names.regions.get(o.regionCode) ?? '' },
        {
          header: '上级机构',
          width: 36,
          type: 'text',
          value: (o) => (o.parentId === null ? '' : (names.organisations.get(o.parentId) ?? '')),
        },
        { header: '处室类型', width: 10, type: 'text', value: (o) => (o.divisionType ? DIVISION_TYPE_LABELS[o.divisionType] : '') },
        { header: '创建时间', width: 20, type: 'datetime', value: (o) => o.createdAt },
      ];
      await sendXlsxExport(
        res,
        {
          filename: '组织机构',
          asciiFilename: 'organisations',
          sheetName: '组织机构',
          columns,
          source: (page, pageSize) => listOrganisations(db, filters, { page, pageSize, sort: q.sort, order: q.order }),
          // Region and parent names for one page in two queries.
          preparePage: async (items) => {
            const regionCodes = [...new Set(items.map((o) => o.regionCode))];
            const parentIds = [...new Set(items.map((o) => o.parentId).filter((id): id is number => id !== null))];
            for (const r of (await db('regions').whereIn('code', regionCodes).select('code', 'name')) as Array<{
              code: string;
              name: string;
            }>)
              names.regions.set(r.code, r.name);
            for (const o of (await db('organisations').whereIn('id', parentIds).select('id', 'name')) as Array<{
              id: number;
              name: string;
            }>)
              names.organisations.set(Number(o.id), o.name);
          },
        },
        exportLimits,
      );
    },
  }),

  route({
    method: 'get',
    path: '/api/codes/functional/all',
    summary: '某年度全部功能分类科目（树序）',
    tag: 'reference',
    access: 'reference:read',
    query: contracts.functionalTableQuery,
    response: contracts.functionalCodeTable,
    handle: ({ deps: { db }, query: q }) => {
      return listFunctionalCodeTable(db, q, { page: 1, pageSize: CODE_TABLE_MAX_ROWS });
    },
  }),

  route({
    method: 'get',
    path: '/api/codes/economic/all',
    summary: '某年度全部经济分类科目（树序）',
    tag: 'reference',
    access: 'reference:read',
    query: contracts.economicTableQuery,
    response: contracts.economicCodeTable,
    handle: ({ deps: { db }, query: q }) => {
      return listEconomicCodeTable(db, q, { page: 1, pageSize: CODE_TABLE_MAX_ROWS });
    },
  }),

  route({
    method: 'get',
    path: '/api/codes/functional/export',
    summary: '导出功能分类科目（Excel，可直接再导入）',
    tag: 'reference',
    access: 'reference:read',
    query: contracts.functionalTableQuery,
    ok: xlsxOk,
    handle: async ({ deps: { db, exportLimits }, query: q, res }) => {
      await sendXlsxExport(
        res,
        {
          filename: `支出功能分类-${q.year}`,
          asciiFilename: `functional-codes-${q.year}`,
          sheetName: '支出功能分类',
          columns: codeColumns('functional'),
          source: (page, pageSize) => listFunctionalCodeTable(db, q, { page, pageSize }),
        },
        exportLimits,
      );
    },
  }),

  route({
    method: 'get',
    path: '/api/codes/economic/export',
    summary: '导出经济分类科目（Excel，可直接再导入）',
    tag: 'reference',
    access: 'reference:read',
    query: contracts.economicTableQuery,
    ok: xlsxOk,
    handle: async ({ deps: { db, exportLimits }, query: q, res }) => {
      const title = q.kind === 'department' ? '部门预算经济分类' : q.kind === 'government' ? '政府预算经济分类' : '支出经济分类';
      await sendXlsxExport(
        res,
        {
          filename: `${title}-${q.year}`,
          asciiFilename: `economic-codes-${q.kind ?? 'all'}-${q.year}`,
          sheetName: title,
          columns: codeColumns('economic'),
          source: (page, pageSize) => listEconomicCodeTable(db, q, { page, pageSize }),
        },
        exportLimits,
      );
    },
  }),

  // Served, not built in the SPA: the headers come from the dictionary the importer reads
  // (codes.ts COLUMNS), so the template cannot drift from the parser, and the SPA needs no exceljs.
  route({
    method: 'get',
    path: '/api/codes/template',
    summary: '科目导入模板（Excel）',
    tag: 'reference',
    access: 'reference:read',
    query: contracts.templateQuery,
    ok: { status: 200, description: 'Excel 模板' },
    handle: async ({ query: { type }, res }) => {
      await sendXlsxExport(res, {
        filename: `${TABLE_NAMES[type]}导入模板`,
        asciiFilename: `${type}-codes-template`,
        sheetName: TABLE_NAMES[type],
        columns: codeColumns(type),
        source: async () => ({ items: [], total: 0 }),
        notes: TEMPLATE_NOTES[type],
      });
    },
  }),
];

export function referenceExportsRouter({ db, exportLimits = DEFAULT_EXPORT_LIMITS }: { db: Db; exportLimits?: ExportLimits }): Router {
  return mountRoutes(db, { db, exportLimits }, referenceExportRoutes);
}
