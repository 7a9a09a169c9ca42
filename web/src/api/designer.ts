import type { TrialChoice, TrialState, TrialSummary } from '../../../contracts/trials';
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

/** 决策表（processes/ 中的 DMN）及其版本 */
export interface DesignerDecision {
  decisionId: string;
  name: string;
  /** 新版本在前 */
  versions: ProcessVersion[];
}

export interface DecisionTableModel {
  decisionId: string;
  name: string;
  hitPolicy: string;
  inputs: Array<{ id: string; label: string; expression: string; typeRef: string }>;
  outputs: Array<{ id: string; label: string; name: string; typeRef: string }>;
  rules: Array<{ id: string; index: number; description: string; inputEntries: string[]; outputEntries: string[] }>;
}

export interface DecisionVersionDetail {
  decisionId: string;
  version: number;
  xml: string;
  table: DecisionTableModel | null;
}

export interface DecisionDeployResult {
  decisionId: string;
  definitionId: string;
  version: number;
  deploymentId: string;
  auditRecordId: number;
}

/** POST /api/designer/decisions/{id}/evaluate：引擎求值的输出与命中的规则 */
export interface DecisionEvaluation {
  decisionId: string;
  version: number;
  outputs: Array<Record<string, unknown>>;
  matchedRules: Array<{ id: string; index: number; description: string }>;
  rulesKnown: boolean;
}

export async function listDesignerDecisions(): Promise<DesignerDecision[]> {
  return (await request<{ items: DesignerDecision[] }>('/api/designer/decisions')).items;
}

export function getDecisionVersion(decisionId: string, version: number): Promise<DecisionVersionDetail> {
  return request<DecisionVersionDetail>(`/api/designer/decisions/${encodeURIComponent(decisionId)}/versions/${version}`);
}

/** 检查不通过时以 ApiError 抛出（code DECISION_INVALID，details 逐条列出） */
export function deployDecision(xml: string, reason: string): Promise<DecisionDeployResult> {
  return request<DecisionDeployResult>('/api/designer/decisions/deploy', { method: 'POST', body: { xml, reason }, timeoutMs: 60_000 });
}

export function evaluateDecision(
  decisionId: string,
  variables: Record<string, string | number | boolean | null>,
  version?: number,
): Promise<DecisionEvaluation> {
  return request<DecisionEvaluation>(`/api/designer/decisions/${encodeURIComponent(decisionId)}/evaluate`, {
    method: 'POST',
    body: version === undefined ? { variables } : { version, variables },
    timeoutMs: 30_000,
  });
}

/** 各版本运行中的实例数 */
export interface VersionInstances {
  version: number;
  definitionId: string;
  running: number;
}

/** 实例迁移预览（POST /api/designer/processes/{id}/migration/preview） */
export interface MigrationPreview {
  processId: string;
  fromVersion: number;
  toVersion: number;
  mappings: Array<{ sourceActivityId: string; sourceName: string; targetActivityId: string; targetName: string; failures: string[] }>;
  activities: Array<{
    activityId: string;
    name: string;
    instances: number;
    targetActivityId: string | null;
    targetName: string | null;
    blockedBy: string[];
  }>;
  running: number;
  movable: number;
  blocked: number;
}

export interface MigrationResult extends MigrationPreview {
  migrated: number;
  auditRecordId: number | null;
}

export async function getRunningPerVersion(processId: string): Promise<VersionInstances[]> {
  return (await request<{ versions: VersionInstances[] }>(`/api/designer/processes/${encodeURIComponent(processId)}/instances`)).versions;
}

export function previewMigration(processId: string, fromVersion: number, toVersion: number): Promise<MigrationPreview> {
  return request<MigrationPreview>(`/api/designer/processes/${encodeURIComponent(processId)}/migration/preview`, {
    method: 'POST',
    body: { fromVersion, toVersion },
    timeoutMs: 60_000,
  });
}

export function executeMigration(processId: string, fromVersion: number, toVersion: number, reason: string): Promise<MigrationResult> {
  return request<MigrationResult>(`/api/designer/processes/${encodeURIComponent(processId)}/migration`, {
    method: 'POST',
    body: { fromVersion, toVersion, reason },
    timeoutMs: 120_000,
  });
}

/** 试运行（沙箱实例）的应答：与服务端同一声明（contracts/trials.ts） */
export type { TrialChoice, TrialState, TrialSummary };

export type TrialVariables = Record<string, string | number | boolean | null>;

export async function getTrialVariables(processId: string): Promise<TrialVariables> {
  return (await request<{ variables: TrialVariables }>(`/api/designer/trials/variables/${encodeURIComponent(processId)}`)).variables;
}

/** 检查有错误时以 ApiError 抛出（code PROCESS_LINT_FAILED，与部署相同） */
export function startTrial(xml: string, variables: TrialVariables): Promise<TrialState> {
  return request<TrialState>('/api/designer/trials', { method: 'POST', body: { xml, variables }, timeoutMs: 60_000 });
}

export function getTrial(trialId: string): Promise<TrialState> {
  return request<TrialState>(`/api/designer/trials/${encodeURIComponent(trialId)}`);
}

export function completeTrialTask(
  trialId: string,
  taskId: string,
  input: { auto: true } | { values: Record<string, string> },
): Promise<TrialState> {
  return request<TrialState>(`/api/designer/trials/${encodeURIComponent(trialId)}/tasks/${encodeURIComponent(taskId)}/complete`, {
    method: 'POST',
    body: input,
    timeoutMs: 30_000,
  });
}

export function autoRunTrial(trialId: string): Promise<TrialState> {
  return request<TrialState>(`/api/designer/trials/${encodeURIComponent(trialId)}/auto`, { method: 'POST', timeoutMs: 120_000 });
}

export function endTrial(trialId: string): Promise<void> {
  return request<void>(`/api/designer/trials/${encodeURIComponent(trialId)}`, { method: 'DELETE' });
}
