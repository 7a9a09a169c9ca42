import { z } from 'zod';
import type { Permission } from '../../domain/roles';
import * as auth from './auth';
import * as engine from './engine';
import * as quotas from './quotas';
import * as reference from './reference';

/**
 * Every API route, once: what it is called, who may call it and the zod schemas its input is
 * parsed with (the very schemas the routers validate with, exported from their modules). The
 * OpenAPI document (openapi.ts) is built from this list, and test/database/openapi.test.ts walks
 * the real Express app to check that the list and the mounted routes are the same set — a new
 * route is one entry here. test/database/authorization.test.ts calls every route declared with a
 * permission (or 'login') as every role.
 */

/** A permission the route requires; 'login': any live session; 'public': no session needed. */
export type Access = Permission | 'login' | 'public';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDoc {
  method: HttpMethod;
  /** OpenAPI form, with the /api prefix: /api/quotas/{id} */
  path: string;
  /** 中文摘要 */
  summary: string;
  tag: Tag;
  access: Access;
  /** Notes beyond the summary (rules, what a refusal means), in Chinese. */
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success answer; 200 by default. */
  ok?: { status: 200 | 201 | 204; description: string };
  /** Business refusals besides the ones every route may give (400/401/403/404 follow from the entry). */
  refusals?: Array<409 | 503>;
}

export const TAGS = {
  system: '系统',
  auth: '登录与会话',
  reference: '基础数据',
  quotas: '指标账',
} as const;
export type Tag = keyof typeof TAGS;

/**
 * Path ids. The routers read them by hand (a malformed id is a 404 like an unknown one), so this
 * schema documents what they accept rather than parses it.
 */
const idParams = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647).describe('编号') });

const ledgerRefusal = '记账被拒绝时为 409，error.code 为账本的稳定代码（如 INSUFFICIENT_AVAILABLE 可用指标不足、IDEMPOTENCY_KEY_REUSED）。';
const entryOk = { status: 201, description: '已记账：记账流水与记账后的指标；幂等键命中之前的记账时为 200（replayed: true，未做任何改动）' } as const;
const pairOk = { status: 201, description: '已记账：调出与调入两笔流水及两个指标记账后的余额；幂等键命中时为 200（replayed: true）' } as const;

const entry = (path: string, summary: string, access: Permission): RouteDoc => ({
  method: 'post',
  path: `/api/quotas/{id}/${path}`,
  summary,
  tag: 'quotas',
  access,
  params: idParams,
  body: quotas.entryBody,
  ok: entryOk,
  refusals: [409],
  description: ledgerRefusal,
});

export const ROUTE_CATALOGUE: readonly RouteDoc[] = [
  // 系统
  { method: 'get', path: '/api/health', summary: '系统状态（数据库与流程引擎）', tag: 'system', access: 'public', ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' }, refusals: [503] },
  { method: 'get', path: '/api/openapi.json', summary: '接口文档（OpenAPI 3.1）', tag: 'system', access: 'public' },
  {
    method: 'post',
    path: '/api/engine/smoke-checks',
    summary: '平台自检：运行自检流程并等待其结束',
    tag: 'system',
    access: 'system:smoke-check',
    body: engine.smokeCheckBody,
    ok: { status: 201, description: '自检流程已运行结束' },
    refusals: [503],
  },

  // 登录与会话
  { method: 'post', path: '/api/auth/login', summary: '登录', tag: 'auth', access: 'public', body: auth.loginBody, description: '成功时设置会话 Cookie budget_sid。连续 5 次密码错误锁定 30 分钟。' },
  { method: 'post', path: '/api/auth/logout', summary: '退出登录', tag: 'auth', access: 'public', ok: { status: 204, description: '已退出' } },
  { method: 'get', path: '/api/auth/me', summary: '当前用户、角色、权限与数据范围', tag: 'auth', access: 'login' },
  { method: 'post', path: '/api/auth/password', summary: '修改密码', tag: 'auth', access: 'login', body: auth.passwordBody, ok: { status: 204, description: '已修改' } },

  // 基础数据
  { method: 'get', path: '/api/regions', summary: '行政区划（GB/T 2260），可按上级或整树', tag: 'reference', access: 'reference:read', query: reference.regionsQuery },
  { method: 'get', path: '/api/organisations', summary: '组织机构列表，分页', tag: 'reference', access: 'reference:read', query: reference.organisationsQuery },
  { method: 'get', path: '/api/organisations/{id}', summary: '组织机构详情', tag: 'reference', access: 'reference:read', params: idParams },
  { method: 'get', path: '/api/organisations/{id}/subtree', summary: '某机构及其全部下级，按树序分页', tag: 'reference', access: 'reference:read', params: idParams, query: reference.subtreeQuery },
  { method: 'get', path: '/api/codes/functional', summary: '支出功能分类科目（某年度）', tag: 'reference', access: 'reference:read', query: reference.functionalQuery },
  { method: 'get', path: '/api/codes/economic', summary: '支出经济分类科目（某年度）', tag: 'reference', access: 'reference:read', query: reference.economicQuery },
  {
    method: 'post',
    path: '/api/codes/import',
    summary: '导入某年度的分类科目（CSV 文本或 base64 编码的 .xlsx）',
    tag: 'reference',
    access: 'codes:import',
    query: reference.importQuery,
    body: reference.importBody,
  },

  // 指标账
  { method: 'get', path: '/api/quotas', summary: '指标列表（本人数据范围内），分页', tag: 'quotas', access: 'quotas:read', query: quotas.listQuery },
  { method: 'post', path: '/api/quotas', summary: '下达指标', tag: 'quotas', access: 'quotas:issue', body: quotas.issueBody, ok: entryOk, refusals: [409], description: ledgerRefusal },
  { method: 'get', path: '/api/quotas/{id}', summary: '指标详情与余额', tag: 'quotas', access: 'quotas:read', params: idParams, description: '数据范围外的指标与不存在的指标一样答 404。' },
  { method: 'get', path: '/api/quotas/{id}/journal', summary: '指标流水，分页（含对方指标编号）', tag: 'quotas', access: 'quotas:read', params: idParams, query: quotas.journalQuery },
  entry('freeze', '冻结（支付申请提交时）', 'quotas:freeze'),
  entry('unfreeze', '解冻（支付申请退回或撤销）', 'quotas:freeze'),
  entry('consume', '支付（冻结转为已用）', 'quotas:freeze'),
  entry('adjust-in', '追加', 'quotas:issue'),
  entry('adjust-out', '调减（仅可用部分）', 'quotas:issue'),
  {
    method: 'post',
    path: '/api/quota-transfers',
    summary: '调剂：同一预算年度的两个指标之间',
    tag: 'quotas',
    access: 'quotas:issue',
    body: quotas.transferBody,
    ok: pairOk,
    refusals: [409],
    description: `两笔流水在同一事务中，要么都记，要么都不记。${ledgerRefusal}`,
  },
  {
    method: 'post',
    path: '/api/quotas/{id}/carry-over',
    summary: '结转：可用部分结转到以后年度（新建指标或调入已有指标）',
    tag: 'quotas',
    access: 'quotas:issue',
    params: idParams,
    body: quotas.carryOverBody,
    ok: pairOk,
    refusals: [409],
    description: `新指标沿用原指标的项目、单位、科目和资金来源（未填写时），年度默认下一年。目标指标在数据范围外时为 404。${ledgerRefusal}`,
  },
];

/** "POST /api/quotas/{id}" — how a route is named in messages and tests. */
export function routeKey(r: { method: string; path: string }): string {
  return `${r.method.toUpperCase()} ${r.path}`;
}
