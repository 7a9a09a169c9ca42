import { request } from './request';
import type { DatabaseStatus, DeployedResource, EngineStatus, HealthReport, ServiceStatus } from '../../../contracts/system';

/** 应答的类型来自 contracts/system.ts（服务端按同一份 schema 应答，测试中逐个核对） */
export type { DeployedResource, HealthReport, ServiceStatus };
export type DatabaseHealth = DatabaseStatus;
export type EngineHealth = EngineStatus;

/**
 * GET /api/system/status（系统、安全、审计管理员）
 * 所有服务正常时返回 200；有依赖不可用时返回 503，但响应体结构相同，
 * 因此 503 作为正常数据返回而不是抛错。
 */
export function getHealth(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HealthReport> {
  return request<HealthReport>('/api/system/status', {
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 8000,
    acceptStatus: [503],
  });
}
