import { request } from './request';

/** POST /api/engine/smoke-checks 成功（HTTP 201）时的响应体 */
export interface SmokeCheckResult {
  /** 流程实例编号（十进制字符串，超出 JS 安全整数范围，故不用 number） */
  processInstanceKey: string;
  /** 运行的流程模型版本 */
  processVersion: number;
  /** 作业处理器写入数据库的时间，ISO-8601 带 +08:00 偏移；流程未返回时为 null */
  recordedAt: string | null;
  databaseClient: 'mysql' | 'sqlite' | null;
  /** 从发起到流程结束的耗时（毫秒，服务端计时） */
  durationMs: number;
}

/** 请求体；requestedBy 不填时由服务端取默认值 */
export interface SmokeCheckRequest {
  requestedBy?: string;
}

/**
 * POST /api/engine/smoke-checks
 * 启动一次平台自检流程（引擎 → 作业处理器 → 数据库）并等待其结束。
 * 服务端最多等待 15 秒，引擎不可用或超时返回 503 ENGINE_UNAVAILABLE（以 ApiError 抛出）。
 */
export function runSmokeCheck(
  body: SmokeCheckRequest = {},
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<SmokeCheckResult> {
  return request<SmokeCheckResult>('/api/engine/smoke-checks', {
    method: 'POST',
    body,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
}
