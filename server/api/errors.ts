import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { Logger } from '../log';
import { EngineError } from '../engine/client';
import { AppError, errors, issuesFromZod } from '../errors';

/** The API's side of errors: unknown routes, and the one handler that turns every error into a response. */
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
    } else if (err instanceof EngineError) {
      // An engine answer no route turned into a message of its own: the engine is the problem, never the request.
      log.warn({ err, method: req.method, url: req.originalUrl }, 'engine error reached the API');
      appError = errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂不可用，请稍后再试');
    } else if (isDatabaseBusy(err)) {
      // Contention, not a fault: the transaction was rolled back whole, so trying again is safe.
      log.warn({ err, method: req.method, url: req.originalUrl }, 'database busy');
      appError = errors.unavailable('DATABASE_BUSY', '系统繁忙（数据正被其他操作占用），本次操作未生效，请稍后重试');
      appError.headers = { 'Retry-After': '1' };
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
    res
      .status(appError.status)
      .json({ error: { code: appError.code, message: appError.message, ...(appError.details ? { details: appError.details } : {}) } });
  };
}

/** body-parser's errors: a status and a type such as entity.parse.failed, entity.too.large, encoding.unsupported. */
function isBodyParserError(err: unknown): err is { type: string; status: number } {
  const type = (err as { type?: unknown } | null)?.type;
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof type === 'string' &&
    /^(entity|encoding|charset|request)\./.test(type) &&
    typeof (err as { status?: unknown }).status === 'number'
  );
}

function isClientHttpError(err: unknown): err is { status: number } {
  const status = (err as { status?: unknown } | null)?.status;
  // http-errors marks what it may show (expose); Express's router sets status 400 on the URIError of a path parameter it cannot decode.
  return (
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    ((err as { expose?: unknown }).expose === true || err instanceof URIError)
  );
}

/**
 * The database refused for contention: SQLite busy or locked (a writer of another process held the
 * file past the busy timeout, or a read snapshot went stale before its write), MySQL/MariaDB
 * deadlock (1213) or lock wait timeout (1205). Both roll the transaction back.
 */
export function isDatabaseBusy(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) return true;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || errno === 1213 || errno === 1205;
}
