import { request } from './request';

export type ServiceStatus = 'up' | 'down';

export interface DatabaseHealth {
  status: ServiceStatus;
  client: 'mysql' | 'sqlite';
  serverVersion?: string;
  latencyMs?: number;
  message?: string;
}

export interface BrokerPartition {
  partitionId: number;
  role: string;
  health: string;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  version: string;
  partitions: BrokerPartition[];
}

export interface DeployedResource {
  name: string;
  kind: 'bpmn' | 'dmn' | 'form';
  key?: string;
  version?: number;
}

export interface EngineHealth {
  status: ServiceStatus;
  mode: 'local' | 'external';
  /** gRPC 地址，例如 localhost:26500 */
  address: string;
  gatewayVersion?: string;
  clusterSize?: number;
  partitionsCount?: number;
  replicationFactor?: number;
  brokers?: BrokerInfo[];
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
 * GET /api/health
 * 所有服务正常时返回 200；有依赖不可用时返回 503，但响应体结构相同，
 * 因此 503 作为正常数据返回而不是抛错。
 */
export function getHealth(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HealthReport> {
  return request<HealthReport>('/api/health', {
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 8000,
    acceptStatus: [503],
  });
}
