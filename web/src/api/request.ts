/**
 * 统一的 HTTP 请求封装：基于 fetch，解析 JSON，
 * 并把后端错误体 `{ error: { code, message } }` 转换为 ApiError 抛出。
 */

export const NETWORK_ERROR_MESSAGE = '无法连接服务器，请检查网络或稍后再试';

/** 一项字段级错误；科目导入（CODE_IMPORT_INVALID）的逐行错误另带行号（0 表示整个文件）与列名 */
export interface ErrorDetail {
  field: string;
  message: string;
  row?: number;
  column?: string;
}

/** 后端约定的错误响应体 */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    /** 字段级错误（如 VALIDATION_FAILED） */
    details?: ErrorDetail[];
  };
}

/** 会话失效（401）时的统一处理：由应用注册（跳转登录页），登录接口本身除外 */
let onUnauthenticated: ((error: ApiError) => void) | undefined;
export function setUnauthenticatedHandler(handler: (error: ApiError) => void): void {
  onUnauthenticated = handler;
}

export class ApiError extends Error {
  /** 业务错误码；网络故障为 'NETWORK'，超时为 'TIMEOUT'，取消为 'ABORTED' */
  readonly code: string;
  /** HTTP 状态码；未收到响应时为 0 */
  readonly status: number;
  /** 字段级错误，供表单逐项提示 */
  details: ErrorDetail[] = [];

  constructor(code: string, message: string, status = 0, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }

  get isNetworkError(): boolean {
    return this.code === 'NETWORK';
  }
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: HttpMethod;
  /** 查询参数；值为 null/undefined 的项会被忽略 */
  query?: Record<string, QueryValue>;
  /** 请求体，会以 JSON 发送 */
  body?: unknown;
  /** 原样发送的请求体（如上传的文件），Content-Type 由 headers 指定；与 body 二选一 */
  rawBody?: Blob;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** 超时时间（毫秒），0 或不填表示不限制 */
  timeoutMs?: number;
  /**
   * 除 2xx 外，按正常数据返回（不抛错）的状态码。
   * 例如健康检查接口在依赖异常时返回 503，但响应体仍是正常的检查报告。
   */
  acceptStatus?: readonly number[];
}

export interface ApiResponse<T> {
  status: number;
  data: T;
}

function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/**
 * 非 2xx 响应转换为 ApiError（401 时通知会话失效处理）；文件下载（api/download.ts）共用。
 */
export function errorFromBody(path: string, status: number, body: unknown): ApiError {
  if (isApiErrorBody(body)) {
    const error = new ApiError(body.error.code, body.error.message, status);
    error.details = body.error.details ?? [];
    if (status === 401 && !path.startsWith('/api/auth/login')) onUnauthenticated?.(error);
    return error;
  }
  return new ApiError(`HTTP_${status}`, fallbackHttpMessage(status), status);
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    params.append(key, String(value));
  }
  const qs = params.toString();
  if (!qs) return path;
  return path + (path.includes('?') ? '&' : '?') + qs;
}

function fallbackHttpMessage(status: number): string {
  if (status === 401) return '登录已失效，请重新登录';
  if (status === 403) return '没有权限执行此操作';
  if (status === 404) return '请求的资源不存在';
  if (status === 502 || status === 503 || status === 504) return '服务暂时不可用，请稍后再试';
  if (status >= 500) return `服务器内部错误（HTTP ${status}）`;
  return `请求失败（HTTP ${status}）`;
}

async function readBody(response: Response): Promise<{ parsed: boolean; value: unknown }> {
  const text = await response.text();
  if (text.trim() === '') return { parsed: true, value: undefined };
  try {
    return { parsed: true, value: JSON.parse(text) as unknown };
  } catch {
    return { parsed: false, value: text };
  }
}

/**
 * 发送请求并返回状态码与解析后的 JSON 数据。
 * 非 2xx（且不在 acceptStatus 中）时抛出 ApiError。
 */
export async function requestRaw<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const { method = 'GET', query, body, rawBody, headers, signal, timeoutMs, acceptStatus = [] } = options;

  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onOuterAbort = () => controller.abort();
  if (signal) {
    if (signal.aborted) controller.abort();
    else signal.addEventListener('abort', onOuterAbort, { once: true });
  }
  if (timeoutMs && timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  }

  const init: RequestInit = {
    method,
    headers: {
      Accept: 'application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    signal: controller.signal,
    credentials: 'same-origin',
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  else if (rawBody !== undefined) init.body = rawBody;

  try {
    let response: Response;
    try {
      response = await fetch(buildUrl(path, query), init);
    } catch (cause) {
      if (timedOut) throw new ApiError('TIMEOUT', '请求超时，请稍后再试', 0, { cause });
      if (controller.signal.aborted) throw new ApiError('ABORTED', '请求已取消', 0, { cause });
      throw new ApiError('NETWORK', NETWORK_ERROR_MESSAGE, 0, { cause });
    }

    let result: { parsed: boolean; value: unknown };
    try {
      result = await readBody(response);
    } catch (cause) {
      if (timedOut) throw new ApiError('TIMEOUT', '请求超时，请稍后再试', response.status, { cause });
      if (controller.signal.aborted) throw new ApiError('ABORTED', '请求已取消', response.status, { cause });
      throw new ApiError('NETWORK', NETWORK_ERROR_MESSAGE, response.status, { cause });
    }

    const accepted = response.ok || acceptStatus.includes(response.status);
    if (!accepted) throw errorFromBody(path, response.status, result.value);
    if (!result.parsed) {
      throw new ApiError('INVALID_RESPONSE', '服务器返回了无法识别的数据', response.status);
    }
    return { status: response.status, data: result.value as T };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onOuterAbort);
  }
}

/** 发送请求并直接返回解析后的 JSON 数据 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { data } = await requestRaw<T>(path, options);
  return data;
}
