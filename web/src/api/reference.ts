import { request } from './request';
import { downloadFile } from './download';
import type { z } from 'zod';
import type {
  CodeImportResult,
  CodeLevel,
  DivisionType,
  EconomicCode,
  EconomicKind,
  FunctionalCode,
  Organisation,
  OrganisationKind,
  Region,
  RegionLevel,
  importBody,
  importQuery,
  organisationExportQuery,
  organisationsQuery,
  subtreeQuery,
} from '../../../contracts/reference';

/** 应答的类型来自 contracts/reference.ts（服务端按同一份 schema 应答，测试中逐个核对） */
export type {
  CodeImportResult,
  CodeLevel,
  DivisionType,
  EconomicCode,
  EconomicKind,
  FunctionalCode,
  Organisation,
  OrganisationKind,
  Region,
  RegionLevel,
};

/** 分页响应（服务端 SQL 分页） */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type SortOrder = 'asc' | 'desc';

/** 机构类型：domain/organisation-labels.ts 中字典的键（服务端与页面共用这一份） */
export { ORGANISATION_KINDS } from '../../../domain/organisation-labels';

/** 查询参数的类型来自路由解析用的同一份 schema（contracts/reference.ts）；服务端补默认值（page、pageSize、sort、order），页面可省略任何一项。 */
export type OrganisationQuery = Partial<z.output<typeof organisationsQuery>>;
export type OrganisationSort = NonNullable<OrganisationQuery['sort']>;
export type OrganisationExportQuery = Partial<z.output<typeof organisationExportQuery>>;

export interface RequestSignal {
  signal?: AbortSignal;
}

/** GET /api/organisations：按条件分页查询组织机构（reference:read） */
export function listOrganisations(query: OrganisationQuery = {}, options: RequestSignal = {}): Promise<Page<Organisation>> {
  return request<Page<Organisation>>('/api/organisations', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

export type SubtreeQuery = Partial<z.output<typeof subtreeQuery>>;

/** GET /api/organisations/:id/subtree：该机构及其全部下级（默认按树序） */
export function listOrganisationSubtree(id: number, query: SubtreeQuery = {}, options: RequestSignal = {}): Promise<Page<Organisation>> {
  return request<Page<Organisation>>(`/api/organisations/${id}/subtree`, {
    query: { ...query },
    signal: options.signal,
    timeoutMs: 15_000,
  });
}

/** GET /api/regions?parent=：某区划的直接下级；不传 parent 时返回省级 */
export function listRegions(parent?: string, options: RequestSignal = {}): Promise<{ items: Region[] }> {
  return request<{ items: Region[] }>('/api/regions', { query: { parent }, signal: options.signal, timeoutMs: 15_000 });
}

/** GET /api/codes/functional?year=&parent=：支出功能分类科目（类 3 位 → 款 5 位 → 项 7 位） */
export function listFunctionalCodes(year: number, parent?: string, options: RequestSignal = {}): Promise<{ items: FunctionalCode[] }> {
  return request<{ items: FunctionalCode[] }>('/api/codes/functional', {
    query: { year, parent },
    signal: options.signal,
    timeoutMs: 15_000,
  });
}

/** GET /api/codes/economic?year=&kind=&parent=：支出经济分类科目（类 3 位 → 款 5 位） */
export function listEconomicCodes(
  year: number,
  filters: { kind?: EconomicKind; parent?: string } = {},
  options: RequestSignal = {},
): Promise<{ items: EconomicCode[] }> {
  return request<{ items: EconomicCode[] }>('/api/codes/economic', {
    query: { year, kind: filters.kind, parent: filters.parent },
    signal: options.signal,
    timeoutMs: 15_000,
  });
}

/** 全年度科目表（按树序：类、其下的款、项……），供科目代码页的树形表格与搜索 */
export interface CodeTable<T> {
  items: T[];
  total: number;
}

/** GET /api/codes/functional/all?year=：某年度全部支出功能分类 */
export function listFunctionalCodeTable(year: number, options: RequestSignal = {}): Promise<CodeTable<FunctionalCode>> {
  return request<CodeTable<FunctionalCode>>('/api/codes/functional/all', { query: { year }, signal: options.signal, timeoutMs: 30_000 });
}

/** GET /api/codes/economic/all?year=&kind=：某年度全部支出经济分类（不传 kind 时两类都有） */
export function listEconomicCodeTable(year: number, kind?: EconomicKind, options: RequestSignal = {}): Promise<CodeTable<EconomicCode>> {
  return request<CodeTable<EconomicCode>>('/api/codes/economic/all', { query: { year, kind }, signal: options.signal, timeoutMs: 30_000 });
}

export type CodeType = z.output<typeof importQuery>['type'];

/** 导入文件：CSV 传文本，.xlsx 传 base64 */
export type CodeImportFile = z.input<typeof importBody>;

/**
 * POST /api/codes/import?year=&type=（codes:import）。任一行有误时整个文件都不导入：
 * 抛出 ApiError（CODE_IMPORT_INVALID），details 中逐项给出行号、列名和说明。
 */
export function importCodes(year: number, type: CodeType, file: CodeImportFile): Promise<CodeImportResult> {
  return request<CodeImportResult>('/api/codes/import', { method: 'POST', query: { year, type }, body: file, timeoutMs: 60_000 });
}

/** GET /api/organisations/export：按当前条件导出组织机构（Excel） */
export function exportOrganisations(query: OrganisationExportQuery): Promise<string> {
  return downloadFile('/api/organisations/export', { ...query });
}

/** GET /api/codes/functional/export?year= 与 /api/codes/economic/export?year=&kind=：导出科目表（列与导入模板相同） */
export function exportCodes(type: CodeType, year: number, kind?: EconomicKind): Promise<string> {
  return downloadFile(`/api/codes/${type}/export`, type === 'economic' ? { year, kind } : { year });
}

/** GET /api/codes/template?type=：导入模板（.xlsx，含填写说明） */
export function downloadCodeTemplate(type: CodeType): Promise<string> {
  return downloadFile('/api/codes/template', { type });
}
