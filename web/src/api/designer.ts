import { request } from './request';

/** GET /api/designer/catalogue：模型可引用的内容（流程设计页的下拉选项） */
export interface DesignerCatalogue {
  /** forms/ 中的表单 */
  forms: string[];
  /** 已注册工作者的外部任务主题 */
  topics: string[];
  /** 角色代码 */
  roles: string[];
  /** 角色代码 → 中文名 */
  roleNames: Record<string, string>;
  /** 已部署的决策表 */
  decisions: string[];
}

/** 模型检查的一条问题（POST /api/designer/lint） */
export interface LintProblem {
  elementId: string | null;
  rule: string;
  message: string;
  severity: 'error' | 'warning';
}

/** 引擎中的一个流程版本；启动时由 processes/ 部署的版本没有部署人与原因 */
export interface ProcessVersion {
  version: number;
  definitionId: string;
  /** ISO-8601 带 +08:00 */
  deployedAt: string | null;
  actorName: string | null;
  username: string | null;
  reason: string | null;
  auditRecordId: number | null;
}

export interface DesignerProcess {
  processId: string;
  name: string;
  /** 新版本在前 */
  versions: ProcessVersion[];
}

/** POST /api/designer/deploy 成功（201） */
export interface DeployResult {
  processId: string;
  definitionId: string;
  version: number;
  deploymentId: string;
  auditRecordId: number;
  warnings: LintProblem[];
}

export function getDesignerCatalogue(): Promise<DesignerCatalogue> {
  return request<DesignerCatalogue>('/api/designer/catalogue');
}

export async function listDesignerProcesses(): Promise<DesignerProcess[]> {
  return (await request<{ items: DesignerProcess[] }>('/api/designer/processes')).items;
}

export async function getProcessVersionXml(processId: string, version: number): Promise<string> {
  return (await request<{ xml: string }>(`/api/designer/processes/${encodeURIComponent(processId)}/versions/${version}/xml`)).xml;
}

export async function lintModel(xml: string): Promise<LintProblem[]> {
  return (await request<{ problems: LintProblem[] }>('/api/designer/lint', { method: 'POST', body: { xml }, timeoutMs: 30_000 })).problems;
}

/** 模型检查有错误时以 ApiError 抛出（code PROCESS_LINT_FAILED，details 的 field 为元素编号） */
export function deployModel(xml: string, reason: string): Promise<DeployResult> {
  return request<DeployResult>('/api/designer/deploy', { method: 'POST', body: { xml, reason }, timeoutMs: 60_000 });
}
