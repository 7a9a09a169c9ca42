import { request } from './request';

export type ServiceStatus = 'up' | 'starting' | 'down';

export interface DatabaseHealth {
  status: ServiceStatus;
  client: 'mysql' | 'sqlite';
  serverVersion?: string;
  latencyMs?: number;
  message?: string;
}

export interface DeployedResource {
  name: string;
  kind: 'bpmn' | 'dmn';
  /** 流程或决策的标识（key） */
  id?: string;
  /** 引擎中的定义 ID */
  key?: string;
  version?: number;
}

export interface EngineHealth {
  status: ServiceStatus;
  mode: 'local' | 'external';
  /** 引擎 REST 接口地址，例如 http://127.0.0.1:8480/engine-rest */
  address: string;
  /** 引擎产品：Operaton（Camunda 7 的 Apache-2.0 后继） */
  product?: 'Operaton';
  /** 引擎版本，例如 1.0.3 */
  version?: string;
  /** REST 接口提供的流程引擎（通常为 default） */
  engines?: string[];
  deployedResources?: DeployedResource[];
  /** 引擎不可用时的中文说明 */
  message?: string;
  lastCheckedAt?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** ISO-8601，带 +08:00 偏移（Asia/Shanghai） */
  time: string;
  version: string;
  database: DatabaseHealth;
  engine: EngineHealth;
}

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
