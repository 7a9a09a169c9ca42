import type { DatabaseHealth, DeployedResource, EngineHealth, ServiceStatus } from '../../api/health';

type TagType = 'success' | 'warning' | 'info' | 'primary' | 'danger';

export const NOT_AVAILABLE = '—';

export function serviceStatusLabel(status: ServiceStatus): string {
  return status === 'up' ? '正常' : status === 'starting' ? '启动中' : '异常';
}

export function serviceStatusTagType(status: ServiceStatus): TagType {
  return status === 'up' ? 'success' : status === 'starting' ? 'warning' : 'danger';
}

export function databaseClientLabel(client: DatabaseHealth['client']): string {
  return client === 'mysql' ? 'MySQL' : client === 'sqlite' ? 'SQLite' : String(client);
}

export function engineModeLabel(mode: EngineHealth['mode']): string {
  return mode === 'local' ? '本地' : mode === 'external' ? '外部引擎（ENGINE_URL）' : String(mode);
}

const RESOURCE_KIND_LABELS: Record<DeployedResource['kind'], string> = {
  bpmn: 'BPMN 流程',
  dmn: 'DMN 决策',
};

export function resourceKindLabel(kind: DeployedResource['kind']): string {
  return RESOURCE_KIND_LABELS[kind] ?? String(kind);
}

export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? NOT_AVAILABLE : String(value);
}
