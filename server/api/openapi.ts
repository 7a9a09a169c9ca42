import { z } from 'zod';
import { SESSION_COOKIE } from '../auth/middleware';
import type { OpenApiDocument } from '../../contracts/system';
import { permissionsOf, ROUTE_CATALOGUE, TAGS, type RouteDoc } from './catalog';

/**
 * The OpenAPI 3.1 document, built from the route catalogue and the routers' own zod schemas, so it
 * cannot drift from what the routes accept. Served by GET /api/openapi.json (openapi-route.ts,
 * which app.ts hands the document built here).
 */

type JsonSchema = Record<string, unknown>;

/** What a client sends: defaults make a field optional, coercions show their target type. */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
}

/** What the server answers (contracts/): the output side of the schema. */
function outputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'query' | 'path') {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as JsonSchema & { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || (s.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const ERROR_RESPONSES = {
  400: {
    name: 'BadRequest',
    description:
      '输入有误：error.code 为 VALIDATION_FAILED（details 逐项列出字段与中文说明）或 INVALID_JSON；任何接口的路径、查询参数和 JSON 请求体中含不成对的代理字符、控制字符（\\t \\n \\r 除外）或 Unicode 非字符时为 INVALID_TEXT（details 指出字段），请求体不是 UTF-8 时为 INVALID_ENCODING，% 转义无效时为 INVALID_URL_ENCODING，嵌套超过 32 层时为 INPUT_TOO_DEEP，数字超出范围时为 INVALID_NUMBER；均在处理之前拒绝，不做任何改动',
  },
  401: { name: 'Unauthenticated', description: '未登录或会话已过期（UNAUTHENTICATED）' },
  403: {
    name: 'Forbidden',
    description: '没有所需权限（FORBIDDEN）；写操作（POST/PUT/PATCH/DELETE）由其他来源的页面发出时为 CSRF_REJECTED',
  },
  404: { name: 'NotFound', description: '不存在，或不在本人数据范围内（NOT_FOUND）' },
  409: { name: 'Conflict', description: '业务规则拒绝，error.code 为稳定代码，message 为中文说明' },
  423: { name: 'Locked', description: '已锁定（如连续输错密码的账号 ACCOUNT_LOCKED），message 说明何时解锁' },
  429: { name: 'TooManyRequests', description: '尝试过于频繁（error.code 如 LOGIN_RATE_LIMITED），带 Retry-After' },
  503: { name: 'Unavailable', description: '依赖的服务（如流程引擎）暂不可用' },
} as const;

const ref = (status: keyof typeof ERROR_RESPONSES) => ({ $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` });

function operation(r: RouteDoc) {
  const ok = r.ok ?? { status: 200, description: '成功' };
  const responses: Record<string, unknown> = {
    [ok.status]:
      ok.status === 204
        ? { description: ok.description }
        : { description: ok.description, content: { 'application/json': { schema: r.response ? outputSchema(r.response) : {} } } },
  };
  if (r.params || r.query || r.body) responses[400] = ref(400);
  if (r.access !== 'public') responses[401] = ref(401);
  if (r.access !== 'public' && r.access !== 'login') responses[403] = ref(403);
  if (r.params) responses[404] = ref(404);
  for (const status of r.refusals ?? []) responses[status] = ref(status);

  const access =
    r.access === 'public' ? '无需登录。' : r.access === 'login' ? '需要登录。' : `需要权限 ${permissionsOf(r.access).join(' 或 ')}。`;
  const params = [...parameters(r.params, 'path'), ...parameters(r.query, 'query')];
  return {
    operationId: `${r.method}${r.path
      .replace(/^\/api/, '')
      .replace(/[{}]/g, '')
      .replace(/[/.-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    summary: r.summary,
    description: [access, r.description].filter(Boolean).join(''),
    tags: [TAGS[r.tag]],
    security: r.access === 'public' ? [] : [{ session: [] }],
    ...(r.access === 'public' || r.access === 'login' ? {} : { 'x-permission': typeof r.access === 'string' ? r.access : [...r.access] }),
    ...(params.length ? { parameters: params } : {}),
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
    responses,
  };
}

export function buildOpenApiDocument(version: string): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTE_CATALOGUE) (paths[r.path] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: '预算项目全生命周期管理平台 API',
      version,
      description: '金额一律为整数“分”（…Fen）；时间为 ISO-8601，北京时间（+08:00）。错误一律为 { error: { code, message, details? } }。',
    },
    servers: [{ url: '/' }],
    tags: Object.values(TAGS).map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'POST /api/auth/login 设置的会话 Cookie' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', description: '稳定的错误代码' },
                message: { type: 'string', description: '中文说明' },
                details: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['field', 'message'],
                    properties: { field: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(({ name, description }) => [
          name,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}
