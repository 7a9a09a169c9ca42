import type { z } from 'zod';
import { request } from './request';
import type { SmokeCheckResult, smokeCheckBody } from '../../../contracts/engine';

/** POST /api/engine/smoke-checks 成功（HTTP 201）时的响应体：类型来自 contracts/engine.ts（服务端按同一份 schema 应答，测试中逐个核对） */
export type { SmokeCheckResult };
/** 请求体：类型来自路由解析用的同一份 schema（contracts/engine.ts，z.input），为空对象 */
export type SmokeCheckRequest = z.input<typeof smokeCheckBody>;

/**
 * POST /api/engine/smoke-checks
 * 启动一次平台自检流程（引擎 → 作业处理器 → 数据库）并等待其结束。请求体为空对象：发起人取自会话
 * （服务端的请求体严格为 {}，多出的字段是 400）。
 * 服务端最多等待 15 秒，引擎不可用或超时返回 503 ENGINE_UNAVAILABLE（以 ApiError 抛出）。
 */
export function runSmokeCheck(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<SmokeCheckResult> {
  const body: SmokeCheckRequest = {};
  return request<SmokeCheckResult>('/api/engine/smoke-checks', {
    method: 'POST',
    body,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
}
