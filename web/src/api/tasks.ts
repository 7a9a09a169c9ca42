import type { z } from 'zod';
import { downloadFile } from './download';
import { request } from './request';
import type { RequestSignal } from './reference';
import type {
  BatchResult,
  BusinessTask,
  CompleteResult,
  EligibleUser,
  ProcessInstanceView,
  ProjectProcesses,
  TaskDetail,
  TaskEvent,
  TaskPage,
  TaskPermissions,
  TaskSigner,
  TaskStatus,
  TaskSummary,
  batchBody,
  commentBody,
  completeBody,
  copyBody,
  reassignBody,
  signerBody,
  submitBody,
  taskListQuery,
  withdrawBody,
} from '../../../contracts/tasks';
import type { ProjectDetailAnswer } from '../../../contracts/projects';
import type { InstanceProgress as ProcessProgress, Step as ProcessStep } from '../../../domain/process-progress';

/**
 * 待办事项与项目审核流程接口（/api/tasks、/api/projects/:id/submit|withdraw|processes、/api/processes）。
 * 能否办理按每个事项判断（候选人、办理人、参与人），不按笼统的权限；时间为带 +08:00 的 ISO-8601。
 */

const READ_TIMEOUT_MS = 15_000;
const WRITE_TIMEOUT_MS = 30_000;

export type TaskBox = z.output<typeof taskListQuery>['box'];

/** 应答的类型来自 contracts/tasks.ts（服务端按同一份 schema 应答，测试中逐个核对）。 */
export type {
  BusinessTask,
  TaskStatus,
  TaskSummary,
  TaskEvent,
  TaskSigner,
  TaskPermissions,
  TaskDetail,
  EligibleUser,
  CompleteResult,
  BatchResult,
  ProcessInstanceView,
  ProjectProcesses,
};

/** 待办列表的查询条件（contracts/tasks.ts taskListQuery；服务端有默认值的可省） */
export type TaskQuery = Partial<z.output<typeof taskListQuery>>;

/** 流程的一个环节与流程进度：与服务端共用一处定义（domain/process-progress.ts） */
export type { ProcessProgress, ProcessStep };

/** GET /api/tasks：本人的待办 / 已办 / 抄送我的（服务端分页） */
export function listTasks(query: TaskQuery = {}, options: RequestSignal = {}): Promise<TaskPage> {
  return request<TaskPage>('/api/tasks', { query: { ...query }, signal: options.signal, timeoutMs: READ_TIMEOUT_MS });
}

/** GET /api/tasks/:id：事项、项目、办理记录、流程进度与本人可做的操作 */
export function getTask(id: number, options: RequestSignal = {}): Promise<TaskDetail> {
  return request<TaskDetail>(`/api/tasks/${id}`, { signal: options.signal, timeoutMs: READ_TIMEOUT_MS });
}

/** GET /api/tasks/:id/eligible-users：可转办、加签、会签、抄送的人 */
export function listEligibleUsers(id: number, options: RequestSignal = {}): Promise<{ items: EligibleUser[] }> {
  return request<{ items: EligibleUser[] }>(`/api/tasks/${id}/eligible-users`, { signal: options.signal, timeoutMs: READ_TIMEOUT_MS });
}

const post = <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });

/** 签收 */
export const claimTask = (id: number) => post<{ ok: true }>(`/api/tasks/${id}/claim`);
/** 退回签收（放回候选人的待办） */
export const unclaimTask = (id: number) => post<{ ok: true }>(`/api/tasks/${id}/unclaim`);
/**
 * 提交表单（办理）；字段错误为 400 VALIDATION_FAILED，details 的 field 指向表单字段。
 * 已开通电子签章者带签章密码（经 seals/useSealing 询问）：错误为 400 SEAL_PIN_WRONG，锁定为 423 SEAL_LOCKED
 */
export const completeTask = (id: number, data: Record<string, unknown>, signingPin?: string) =>
  post<CompleteResult>(`/api/tasks/${id}/complete`, { data, signingPin } satisfies z.input<typeof completeBody>);
/** 转办 */
export const reassignTask = (id: number, body: z.input<typeof reassignBody>) => post<{ ok: true }>(`/api/tasks/${id}/reassign`, body);
/** 加签（前加签：先由加签人发表意见再回到本人；后加签：本人办理后再由加签人办理） */
export const addSigner = (id: number, body: z.input<typeof signerBody>) => post<{ ok: true }>(`/api/tasks/${id}/signers`, body);
/** 抄送 */
export const copyTask = (id: number, body: z.input<typeof copyBody>) => post<{ added: number }>(`/api/tasks/${id}/copies`, body);
/** 催办：通知办理人或候选人；同一事项一小时内只催一次 */
export const remindTask = (id: number) => post<{ reminded: number }>(`/api/tasks/${id}/remind`);
/** 添加意见（不办理） */
export const commentTask = (id: number, text: string) =>
  post<{ ok: true }>(`/api/tasks/${id}/comments`, { text } satisfies z.input<typeof commentBody>);
/** 批量办理：同一份数据逐个提交，各自成功或失败 */
export const batchComplete = (taskIds: number[], data: Record<string, unknown>, signingPin?: string) =>
  post<BatchResult>('/api/tasks/batch-complete', { taskIds, data, signingPin } satisfies z.input<typeof batchBody>);

/** POST /api/projects/:id/submit：送审（草稿 → 已送审，启动项目申报审核流程）；流程引擎不可用为 503 */
export const submitProject = (id: number, version: number) =>
  post<ProjectDetailAnswer>(`/api/projects/${id}/submit`, { version } satisfies z.input<typeof submitBody>);
/** POST /api/projects/:id/withdraw：撤回（审核人员尚未办理时）；已办理为 409 ALREADY_ACTED */
export const withdrawProject = (id: number, reason: string) =>
  post<ProjectDetailAnswer>(`/api/projects/${id}/withdraw`, { reason } satisfies z.input<typeof withdrawBody>);

/** GET /api/projects/:id/processes：项目经历的流程，新的在前 */
export function listProjectProcesses(id: number, options: RequestSignal = {}): Promise<ProjectProcesses> {
  return request<ProjectProcesses>(`/api/projects/${id}/processes`, { signal: options.signal, timeoutMs: READ_TIMEOUT_MS });
}

/** GET /api/processes/:processId/diagram：流程图（BPMN XML）；给出实例编号时为该实例实际运行的版本 */
export async function getProcessDiagram(processId: string, options: RequestSignal & { instance?: string } = {}): Promise<string> {
  const query = options.instance ? `?instance=${encodeURIComponent(options.instance)}` : '';
  const res = await fetch(`/api/processes/${encodeURIComponent(processId)}/diagram${query}`, {
    credentials: 'same-origin',
    signal: options.signal,
  });
  if (!res.ok) throw new Error(res.status === 404 ? '流程图不存在' : `获取流程图失败（HTTP ${res.status}）`);
  return res.text();
}

/** GET /api/tasks/:id/document.pdf：已办结事项的审批单（红色电子签章、核验码与审计记录编号） */
export function downloadTaskApprovalSheet(id: number): Promise<string> {
  return downloadFile(`/api/tasks/${id}/document.pdf`);
}
