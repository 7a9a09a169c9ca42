import { z } from 'zod';

/**
 * 时刻：服务端从数据库读出为 Date（server/db readInstant），应答 JSON 中为 UTC 的 ISO 8601 字符串
 * （Date.toISOString，如 2026-12-03T01:30:00.000Z）。The contract check (server/api/contracts.ts)
 * parses the answer before it is serialised, so a Date is taken and stands for its ISO string; a
 * string (an answer already serialised) must be an ISO date-time. z.infer gives string, which is
 * what the SPA receives.
 */
export const instant = z
  .union([z.date(), z.string()])
  .transform((v) => (typeof v === 'string' ? v : v.toISOString()))
  .pipe(z.iso.datetime({ offset: true }))
  .describe('UTC ISO 8601 时刻');
