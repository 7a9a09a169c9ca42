import { z } from 'zod';
import type { Permission } from '../../domain/roles';

/**
 * What the catalogue says of a route (catalog.ts lists them; route.ts declares a route with its
 * handler as a RouteDoc plus the handler). Kept apart from catalog.ts so that routers may import
 * it without a cycle through the catalogue, which imports the routers.
 */

/**
 * A permission the route requires, or several of which any one will do; 'login': any live
 * session; 'public': no session needed.
 */
export type Access = Permission | readonly [Permission, ...Permission[]] | 'login' | 'public';

/** The permissions that each allow the route (empty for 'login' and 'public'). */
export function permissionsOf(access: Access): readonly Permission[] {
  if (access === 'login' || access === 'public') return [];
  return typeof access === 'string' ? [access] : access;
}

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
  /**
   * The success answer's body, from contracts/ (the SPA's types are z.infer of the same schema).
   * Checked on every answer under tests (server/api/contracts.ts) and written into the OpenAPI document.
   */
  response?: z.ZodType;
  /** Business refusals besides the ones every route may give (400/401/403/404 follow from the entry). */
  refusals?: Array<409 | 423 | 429 | 503>;
}

export const TAGS = {
  system: '系统',
  auth: '登录与会话',
  reference: '基础数据',
  quotas: '指标账',
  projects: '项目库',
  forms: '任务表单',
  inbox: '待办与审批',
  users: '用户管理',
  seals: '电子签章与审计',
  designer: '流程设计',
  experts: '专家评审',
  allocations: '预算编制与批复',
  payments: '用款申请',
  adjustments: '预算调整',
  finals: '决算与结转',
  performance: '绩效评价',
  monitoring: '绩效监控与执行监控',
  treasury: '国库支付',
} as const;
export type Tag = keyof typeof TAGS;

/**
 * Path ids. Routes declared with route.ts are parsed with these (a malformed id is a 404 like an
 * unknown one); routers not yet declared that way read them by hand and the schema documents
 * what they accept.
 */
/**
 * A numeric id in a path: decimal digits only (no `0x5`, `5.0`, `1e3` or spaces, which a bare
 * coercion would take for 5), 1 … 2^31−1. Anything else is a 404 from mountRoutes.
 */
export function pathId(description: string) {
  return z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number)
    .pipe(z.number().int().positive().max(2_147_483_647))
    .describe(description);
}
export const idParams = z.object({ id: pathId('编号') });
export const attachmentParams = idParams.extend({ attachmentId: pathId('附件编号') });
export const evidenceParams = idParams.extend({ evidenceId: pathId('佐证材料编号') });

/** The success answer of an Excel export route, and the note every export's description starts with. */
export const xlsxOk = { status: 200, description: 'Excel 文件（.xlsx）；超过导出上限时为 400 EXPORT_TOO_LARGE' } as const;
export const exportNote = '与列表相同的筛选、排序和数据范围，不分页。';
export const instanceKeyParams = z.object({
  key: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .describe('流程实例编号（引擎的流程实例 id，UUID）'),
});

/** "POST /api/quotas/{id}" — how a route is named in messages and tests. */
export function routeKey(r: { method: string; path: string }): string {
  return `${r.method.toUpperCase()} ${r.path}`;
}
