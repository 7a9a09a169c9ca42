import { ZodError } from 'zod';

/**
 * The errors every layer below the API throws (services, workers' helpers, documents): one type
 * with a stable code, an HTTP status and a message in plain Chinese. The API's error handler
 * (server/api/errors.ts) turns them into responses; nothing here knows about Express.
 *
 * One error type, one middleware. Every error a user sees has a stable code, an HTTP status and
 * a message in plain Chinese; anything unexpected becomes a 500 that says nothing internal.
 */
export interface FieldIssue {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: FieldIssue[],
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** Response headers the refusal needs (Retry-After of a 429). */
  headers?: Record<string, string>;
}

export const errors = {
  badRequest: (code: string, message: string, details?: FieldIssue[]) => new AppError(400, code, message, details),
  validation: (details: FieldIssue[]) => new AppError(400, 'VALIDATION_FAILED', '提交的数据有误，请按提示修改后重试', details),
  notFound: (message = '请求的资源不存在') => new AppError(404, 'NOT_FOUND', message),
  conflict: (code: string, message: string) => new AppError(409, code, message),
  unauthenticated: (code = 'UNAUTHENTICATED', message = '请先登录') => new AppError(401, code, message),
  forbidden: (code: string, message: string) => new AppError(403, code, message),
  locked: (code: string, message: string) => new AppError(423, code, message),
  tooMany: (code: string, message: string, retryAfterSeconds?: number) => {
    const err = new AppError(429, code, message);
    if (retryAfterSeconds !== undefined) err.headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
    return err;
  },
  unavailable: (code: string, message: string) => new AppError(503, code, message),
};

const WRITTEN_IN_CHINESE = /[\u4e00-\u9fff]/;

/**
 * Turns zod's issues into field paths and Chinese messages a clerk can act on. A message the
 * schema spells out itself (in Chinese: '至少填写一条预算金额') is kept; zod's English defaults
 * are translated.
 */
export function issuesFromZod(err: ZodError, prefix = ''): FieldIssue[] {
  return err.issues.map((issue) => {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    let message: string;
    if (WRITTEN_IN_CHINESE.test(issue.message)) return { field: field || '(请求)', message: issue.message };
    switch (issue.code) {
      case 'invalid_type':
        // zod 4 leaves `input` out of issues; its message names what it received.
        message = /received undefined/.test(issue.message) ? '必填项' : '类型不正确';
        break;
      case 'too_small':
        message = issue.origin === 'string' ? `至少 ${String(issue.minimum)} 个字符` : `不能小于 ${String(issue.minimum)}`;
        break;
      case 'too_big':
        message = issue.origin === 'string' ? `不能超过 ${String(issue.maximum)} 个字符` : `不能大于 ${String(issue.maximum)}`;
        break;
      case 'unrecognized_keys':
        message = `不认识的字段：${issue.keys.join('、')}`;
        break;
      case 'invalid_value':
        message = '取值不在允许范围内';
        break;
      case 'invalid_format':
        message = '格式不正确';
        break;
      default:
        message = issue.message;
    }
    return { field: field || '(请求)', message };
  });
}
