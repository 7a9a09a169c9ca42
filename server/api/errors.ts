import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log';

/**
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

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(errors.notFound(`接口不存在：${req.method} ${req.path}`));
};

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let appError: AppError;
    if (err instanceof AppError) {
      appError = err;
    } else if (err instanceof ZodError) {
      appError = errors.validation(issuesFromZod(err));
    } else if (isBodyParserError(err)) {
      appError =
        err.type === 'entity.too.large'
          ? new AppError(413, 'PAYLOAD_TOO_LARGE', '提交的内容过大')
          : errors.badRequest('INVALID_JSON', '请求内容不是有效的 JSON');
    } else if (isClientHttpError(err)) {
      // Express's own 4xx (e.g. a path parameter it cannot decode): the client's fault, not ours.
      appError = new AppError(err.status, 'BAD_REQUEST', '请求无效，请检查请求地址和内容');
    } else {
      const requestId = res.getHeader('x-request-id');
      log.error({ err, requestId, method: req.method, url: req.originalUrl }, 'unhandled error');
      appError = new AppError(500, 'INTERNAL', `系统内部错误，请稍后再试或联系管理员（请求编号 ${String(requestId ?? '-')}）`);
    }
    if (appError.status < 500) log.info({ code: appError.code, status: appError.status, url: req.originalUrl }, appError.message);
    if (appError.headers) res.set(appError.headers);
    res.status(appError.status).json({ error: { code: appError.code, message: appError.message, ...(appError.details ? { details: appError.details } : {}) } });
  };
}

function isBodyParserError(err: unknown): err is { type: string; status: number } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string' && typeof (err as { status?: unknown }).status === 'number';
}

function isClientHttpError(err: unknown): err is { status: number } {
  const status = (err as { status?: unknown } | null)?.status;
  // http-errors marks what it may show (expose); Express's router sets status 400 on the URIError of a path parameter it cannot decode.
  return typeof status === 'number' && status >= 400 && status < 500 && ((err as { expose?: unknown }).expose === true || err instanceof URIError);
}
