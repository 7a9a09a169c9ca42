import { z } from 'zod';

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/audit.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

export const recordsQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
    subjectType: z.string().trim().min(1).max(30).optional(),
    subjectId: z.string().trim().min(1).max(64).optional(),
    projectId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    projectNo: z.string().trim().min(1).max(40).optional(),
    kind: z.string().trim().min(1).max(60).optional(),
    kindPrefix: z.string().trim().min(1).max(60).optional(),
    sealed: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();
