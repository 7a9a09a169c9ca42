import type { z } from 'zod';
import type {
  DecisionDeployResult,
  DecisionEvaluation,
  DecisionTableModel,
  DecisionVersionDetail,
  DeployResult,
  DesignerCatalogue,
  DesignerDecision,
  DesignerProcess,
  DecisionList,
  LintProblem,
  LintResult,
  MigrationPreview,
  MigrationResult,
  ProcessList,
  ProcessVersion,
  ProcessVersionXml,
  RunningInstances,
  VersionInstances,
  deployBody,
  evaluateBody,
  lintBody,
  migrationBody,
  migrationPreviewBody,
  trialBody,
  trialCompleteBody,
} from '../../../contracts/designer';

/** 请求体的类型来自路由解析用的同一份 schema（contracts/designer.ts，z.input：客户端发送的一侧）。 */
type LintInput = z.input<typeof lintBody>;
type DeployInput = z.input<typeof deployBody>;
type EvaluateInput = z.input<typeof evaluateBody>;
type MigrationPreviewInput = z.input<typeof migrationPreviewBody>;
type MigrationInput = z.input<typeof migrationBody>;
type TrialInput = z.input<typeof trialBody>;
export type TrialCompletion = z.input<typeof trialCompleteBody>;
import type {
  TrialChoice,
  TrialStartVariables,
  TrialState,
  TrialSummary,
  TrialTimerFired,
  TrialVariables,
} from '../../../contracts/trials';
import { request } from './request';

/**
 * 流程设计接口（/api/designer）：应答的类型来自 contracts/designer.ts 与 contracts/trials.ts（服务端按同一份
 * schema 应答，测试中逐个核对）。
 */
export type {
  DecisionDeployResult,
  DecisionEvaluation,
  DecisionTableModel,
  DecisionVersionDetail,
  DeployResult,
  DesignerCatalogue,
  DesignerDecision,
  DesignerProcess,
  LintProblem,
  MigrationPreview,
  MigrationResult,
  ProcessVersion,
  VersionInstances,
};

export function getDesignerCatalogue(): Promise<DesignerCatalogue> {
  return request<DesignerCatalogue>('/api/designer/catalogue');
}

export async function listDesignerProcesses(): Promise<DesignerProcess[]> {
  return (await request<ProcessList>('/api/designer/processes')).items;
}

export async function getProcessVersionXml(processId: string, version: number): Promise<string> {
  return (await request<ProcessVersionXml>(`/api/designer/processes/${encodeURIComponent(processId)}/versions/${version}/xml`)).xml;
}

export async function lintModel(xml: string): Promise<LintProblem[]> {
  return (await request<LintResult>('/api/designer/lint', { method: 'POST', body: { xml } satisfies LintInput, timeoutMs: 30_000 }))
    .problems;
}

/** 模型检查有错误时以 ApiError 抛出（code PROCESS_LINT_FAILED，details 的 field 为元素编号） */
export function deployModel(xml: string, reason: string): Promise<DeployResult> {
  return request<DeployResult>('/api/designer/deploy', { method: 'POST', body: { xml, reason } satisfies DeployInput, timeoutMs: 60_000 });
}

export async function listDesignerDecisions(): Promise<DesignerDecision[]> {
  return (await request<DecisionList>('/api/designer/decisions')).items;
}

export function getDecisionVersion(decisionId: string, version: number): Promise<DecisionVersionDetail> {
  return request<DecisionVersionDetail>(`/api/designer/decisions/${encodeURIComponent(decisionId)}/versions/${version}`);
}

/** 检查不通过时以 ApiError 抛出（code DECISION_INVALID，details 逐条列出） */
export function deployDecision(xml: string, reason: string): Promise<DecisionDeployResult> {
  return request<DecisionDeployResult>('/api/designer/decisions/deploy', {
    method: 'POST',
    body: { xml, reason } satisfies DeployInput,
    timeoutMs: 60_000,
  });
}

export function evaluateDecision(
  decisionId: string,
  variables: Record<string, string | number | boolean | null>,
  version?: number,
): Promise<DecisionEvaluation> {
  return request<DecisionEvaluation>(`/api/designer/decisions/${encodeURIComponent(decisionId)}/evaluate`, {
    method: 'POST',
    body: (version === undefined ? { variables } : { version, variables }) satisfies EvaluateInput,
    timeoutMs: 30_000,
  });
}

export async function getRunningPerVersion(processId: string): Promise<VersionInstances[]> {
  return (await request<RunningInstances>(`/api/designer/processes/${encodeURIComponent(processId)}/instances`)).versions;
}

export function previewMigration(processId: string, fromVersion: number, toVersion: number): Promise<MigrationPreview> {
  return request<MigrationPreview>(`/api/designer/processes/${encodeURIComponent(processId)}/migration/preview`, {
    method: 'POST',
    body: { fromVersion, toVersion } satisfies MigrationPreviewInput,
    timeoutMs: 60_000,
  });
}

export function executeMigration(processId: string, fromVersion: number, toVersion: number, reason: string): Promise<MigrationResult> {
  return request<MigrationResult>(`/api/designer/processes/${encodeURIComponent(processId)}/migration`, {
    method: 'POST',
    body: { fromVersion, toVersion, reason } satisfies MigrationInput,
    timeoutMs: 120_000,
  });
}

/** 试运行（沙箱实例）的应答：与服务端同一声明（contracts/trials.ts） */
export type { TrialChoice, TrialState, TrialSummary, TrialTimerFired, TrialVariables };

export async function getTrialVariables(processId: string): Promise<TrialVariables> {
  return (await request<TrialStartVariables>(`/api/designer/trials/variables/${encodeURIComponent(processId)}`)).variables;
}

/** 检查有错误时以 ApiError 抛出（code PROCESS_LINT_FAILED，与部署相同） */
export function startTrial(xml: string, variables: TrialVariables): Promise<TrialState> {
  return request<TrialState>('/api/designer/trials', { method: 'POST', body: { xml, variables } satisfies TrialInput, timeoutMs: 60_000 });
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
    body: input satisfies TrialCompletion,
    timeoutMs: 30_000,
  });
}

export function autoRunTrial(trialId: string): Promise<TrialState> {
  return request<TrialState>(`/api/designer/trials/${encodeURIComponent(trialId)}/auto`, { method: 'POST', timeoutMs: 120_000 });
}

/** 触发定时器：立即执行试运行实例等待的定时器，答触发后的状态与令牌到达的环节 */
export function fireTrialTimer(trialId: string, jobId: string): Promise<TrialTimerFired> {
  return request<TrialTimerFired>(`/api/designer/trials/${encodeURIComponent(trialId)}/timers/${encodeURIComponent(jobId)}/fire`, {
    method: 'POST',
    timeoutMs: 60_000,
  });
}

export function endTrial(trialId: string): Promise<void> {
  return request<void>(`/api/designer/trials/${encodeURIComponent(trialId)}`, { method: 'DELETE' });
}
