import { z } from 'zod';

/**
 * 平台自检接口的应答（POST /api/engine/smoke-checks）：路由按这个 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它生成，页面的类型由 z.infer 得出（web/src/api/engine.ts）。
 */
export const smokeCheckResult = z.strictObject({
  processInstanceKey: z.string().describe('流程实例编号（引擎的流程实例 id）'),
  processVersion: z.number().int().describe('运行的流程模型版本'),
  recordedAt: z.string().describe('作业处理器写入数据库的时间，北京时间 ISO 8601（+08:00）'),
  databaseClient: z.enum(['mysql', 'sqlite']).describe('作业处理器写入的数据库类型'),
  durationMs: z.number().int().describe('从发起到流程结束的耗时（毫秒，服务端计时）'),
});

export type SmokeCheckResult = z.infer<typeof smokeCheckResult>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/engine.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

/** Nothing to send: who asks comes from the session. */
export const smokeCheckBody = z.object({}).strict();
