import { z } from 'zod';
import { instant } from './time';

/**
 * 系统接口的应答（GET /api/health、/api/system/status、/api/openapi.json）：路由按这些 schema 应答
 * （测试中逐个核对，见 server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出
 * （web/src/api/health.ts）。server/api/health.ts 的 HealthReport 即此处的类型。
 * The 503 of the two health routes has the same body as the 200 (only the status differs).
 */
const beijingTime = instant.describe('北京时间 ISO 8601（+08:00）');

export const serviceStatus = z.enum(['up', 'starting', 'down']).describe('up 正常、starting 启动中、down 不可用');
export const overallStatus = z.enum(['ok', 'degraded']).describe('ok 数据库与引擎均正常；degraded 有一项不正常（HTTP 503）');

export const databaseStatus = z.strictObject({
  status: z.enum(['up', 'down']),
  client: z.enum(['mysql', 'sqlite']).describe('数据库类型'),
  serverVersion: z.string().optional().describe('数据库服务端版本'),
  latencyMs: z.number().optional().describe('一次往返的耗时（毫秒）'),
  message: z.string().optional().describe('不可用时的中文说明'),
});

export const deployedResource = z.strictObject({
  name: z.string().describe('模型文件名'),
  kind: z.enum(['bpmn', 'dmn']),
  id: z.string().describe('流程或决策的标识（key，带本系统的命名空间）'),
  key: z.string().describe('引擎中的定义 ID'),
  version: z.number().int().describe('引擎中的版本'),
});

export const engineStatus = z.strictObject({
  status: serviceStatus.describe('starting：引擎已应答，正在部署流程模型、启动外部任务处理器'),
  mode: z.enum(['local', 'external']).describe('local 平台自带的引擎、external 外部引擎'),
  address: z.string().describe('引擎 REST 接口地址'),
  product: z.literal('Operaton'),
  version: z.string().optional().describe('引擎自报的版本（GET /engine-rest/version）'),
  engines: z.array(z.string()).optional().describe('REST 接口提供的流程引擎（通常为 default）'),
  deployedResources: z.array(deployedResource).optional().describe('已部署的流程与决策模型（各取最新版本）'),
  message: z.string().optional().describe('不可用或启动中时的中文说明'),
  lastCheckedAt: beijingTime.describe('检查时间'),
});

/** GET /api/system/status：系统状态详情（系统、安全、审计管理员） */
export const healthReport = z.strictObject({
  status: overallStatus,
  time: beijingTime,
  version: z.string().describe('平台版本'),
  database: databaseStatus,
  engine: engineStatus,
});

/** GET /api/health：只有状态，不含地址、版本等内部信息（供负载均衡、探针） */
export const publicHealth = z.strictObject({
  status: overallStatus,
  time: beijingTime,
  database: z.strictObject({ status: databaseStatus.shape.status }),
  engine: z.strictObject({ status: serviceStatus }),
});

/** GET /api/openapi.json：OpenAPI 3.1 文档（各路径、组件的内容按 OpenAPI 规范，不逐项约束） */
export const openApiDocument = z.strictObject({
  openapi: z.literal('3.1.0'),
  info: z.strictObject({ title: z.string(), version: z.string(), description: z.string() }),
  servers: z.array(z.strictObject({ url: z.string() })),
  tags: z.array(z.strictObject({ name: z.string() })),
  paths: z.record(z.string(), z.partialRecord(z.enum(['get', 'post', 'put', 'patch', 'delete']), z.record(z.string(), z.unknown()))),
  components: z.strictObject({
    securitySchemes: z.record(z.string(), z.record(z.string(), z.unknown())),
    schemas: z.record(z.string(), z.record(z.string(), z.unknown())),
    responses: z.record(z.string(), z.record(z.string(), z.unknown())),
  }),
});

export type ServiceStatus = z.infer<typeof serviceStatus>;
export type DatabaseStatus = z.infer<typeof databaseStatus>;
export type DeployedResource = z.infer<typeof deployedResource>;
export type EngineStatus = z.infer<typeof engineStatus>;
export type HealthReport = z.infer<typeof healthReport>;
export type PublicHealth = z.infer<typeof publicHealth>;
export type OpenApiDocument = z.infer<typeof openApiDocument>;
