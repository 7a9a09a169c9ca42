import type { DatabaseHealth, DeployedResource, EngineHealth, ServiceStatus } from '../../api/health';

type TagType = 'success' | 'warning' | 'info' | 'primary' | 'danger';

export const NOT_AVAILABLE = '—';

export function serviceStatusLabel(status: ServiceStatus): string {
  return status === 'up' ? '正常' : '异常';
}

export function serviceStatusTagType(status: ServiceStatus): TagType {
  return status === 'up' ? 'success' : 'danger';
}

export function databaseClientLabel(client: DatabaseHealth['client']): string {
  return client === 'mysql' ? 'MySQL' : client === 'sqlite' ? 'SQLite' : String(client);
}

export function engineModeLabel(mode: EngineHealth['mode']): string {
  return mode === 'local' ? '本地' : mode === 'external' ? '外部集群' : String(mode);
}

const ROLE_LABELS: Record<string, string> = {
  leader: '领导者',
  follower: '跟随者',
  inactive: '未激活',
};

export function partitionRoleLabel(role: string): string {
  return ROLE_LABELS[role.toLowerCase()] ?? role;
}

export function partitionRoleTagType(role: string): TagType {
  return role.toLowerCase() === 'leader' ? 'primary' : 'info';
}

const HEALTH_LABELS: Record<string, string> = {
  healthy: '健康',
  unhealthy: '不健康',
  dead: '失效',
};

export function partitionHealthLabel(health: string): string {
  return HEALTH_LABELS[health.toLowerCase()] ?? health;
}

export function partitionHealthTagType(health: string): TagType {
  const key = health.toLowerCase();
  if (key === 'healthy') return 'success';
  if (key === 'unhealthy') return 'warning';
  if (key === 'dead') return 'danger';
  return 'info';
}

const RESOURCE_KIND_LABELS: Record<DeployedResource['kind'], string> = {
  bpmn: 'BPMN 流程',
  dmn: 'DMN 决策',
  form: '表单',
};

export function resourceKindLabel(kind: DeployedResource['kind']): string {
  return RESOURCE_KIND_LABELS[kind] ?? String(kind);
}

export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? NOT_AVAILABLE : String(value);
}
