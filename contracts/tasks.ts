import { z } from 'zod';
import { projectDetail } from './projects';

/**
 * 待办与审批接口的应答（/api/tasks*、/api/projects/{id}/submit|withdraw|processes、/api/notifications）：
 * 路由按这些 schema 应答（测试中逐个核对，见 server/api/contracts.ts），OpenAPI 文档由它们生成，
 * 页面的类型由 z.infer 得出（web/src/api/tasks.ts、web/src/api/notifications.ts）。
 * 时间为带 +08:00 的 ISO 8601（项目全文中附件、疑似重复与专家评审的时间为 UTC 的 ISO 8601）。
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601');

export const taskStatus = z.enum(['open', 'completing', 'completed', 'canceled']);

export const taskSummary = z.strictObject({
  id: z.number().int(),
  name: z.string().describe('环节名称，如“主管部门审核”'),
  formKey: z.string(),
  processId: z.string(),
  processInstanceKey: z.string(),
  elementId: z.string().describe('BPMN 元素 id，如 DepartmentReview'),
  status: taskStatus,
  projectId: z.number().int(),
  projectName: z.string(),
  unitName: z.string(),
  assignee: z
    .strictObject({ id: z.number().int(), name: z.string() })
    .nullable()
    .describe('办理人；为空表示尚未签收，由候选人中任一人办理'),
  dueAt: shanghaiIso.nullable(),
  overdue: z.boolean(),
  decision: z.string().nullable(),
  decisionLabel: z.string(),
  createdAt: shanghaiIso,
  completedAt: shanghaiIso.nullable(),
});

/**
 * 待办中的业务事项：用款申请、国库支付核实、预算调整、预算分配、决算、绩效监控的一个待办理环节
 * （server/inbox/business.ts）。在其本页办理（link），不在待办页办理。
 */
export const businessTask = z.strictObject({
  kind: z.enum(['payment', 'treasury', 'adjustment', 'allocation', 'final-accounts', 'monitoring']),
  kindLabel: z.string().describe('事项类型，如“用款申请”“预算调整”'),
  processId: z.string(),
  elementId: z.string().describe('BPMN 元素 id，如 TreasuryReview'),
  step: z.string().describe('当前环节，如“国库处科室负责人审核”'),
  objectId: z.number().int().describe('业务对象编号（用款申请、调整申请、决算 … 的 id）'),
  reference: z.string().describe('单号或名称，如 YK2026-000042'),
  title: z.string().describe('事由摘要'),
  unitName: z.string(),
  link: z.string().describe('办理该环节的页面，如 /payments/42'),
  createdAt: shanghaiIso.describe('到达时间'),
  dueAt: shanghaiIso.nullable(),
  overdue: z.boolean(),
});

export const businessTodo = z.strictObject({
  items: z.array(businessTask).describe('按到达时间先后；至多 500 件'),
  total: z.number().int(),
  engineAway: z.boolean().describe('流程引擎未应答，业务事项暂不能列出（申报审核的待办照常）'),
});

export const taskPage = z.strictObject({
  items: z.array(taskSummary),
  total: z.number().int().describe('items 所分页的件数（申报审核等待办箱中的待办）'),
  page: z.number().int(),
  pageSize: z.number().int(),
  business: businessTodo
    .optional()
    .describe('仅待办箱：本人可办理的业务事项（不分页，同样按关键词、流程、逾期筛选）；待办总件数为 total + business.total'),
});

/** 任务事件：created 到达、claimed 签收、completed 办理… */
export const taskEvent = z.strictObject({
  id: z.number().int(),
  taskId: z.number().int(),
  step: z.string().describe('环节名称'),
  kind: z.string(),
  actor: z.string().describe('用户名'),
  actorName: z.string().describe('姓名'),
  decision: z.string().nullable(),
  decisionLabel: z.string(),
  comment: z.string().nullable(),
  data: z.unknown(),
  auditRecordId: z.number().int().nullable().describe('办结记录的审计记录编号'),
  sealed: z.boolean().describe('该审计记录是否带电子签章'),
  createdAt: shanghaiIso,
});

export const taskSigner = z.strictObject({
  userId: z.number().int(),
  name: z.string(),
  position: z.enum(['before', 'after']).describe('前加签 / 后加签'),
  status: z.string().describe('pending 待办理 | done 已办理'),
  decision: z.string().nullable(),
  comment: z.string().nullable(),
});

export const processStep = z.strictObject({
  id: z.string().describe('引擎的环节实例 id；本平台记录为 task:<待办编号> 或 job:<外部任务编号>'),
  elementId: z.string(),
  name: z.string(),
  type: z.string().describe('引擎的环节类型：userTask、serviceTask、startEvent…'),
  status: z.enum(['completed', 'active', 'canceled', 'failed']),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  actor: z.string().nullable().describe('办理人或“系统自动”'),
  actorUserId: z.number().int().nullable(),
  taskId: z.number().int().nullable(),
  decision: z.string().nullable(),
  decisionLabel: z.string(),
  comment: z.string().nullable(),
  auditRecordId: z.number().int().nullable(),
  sealed: z.boolean(),
  verificationCode: z.string().nullable(),
  incident: z.string().nullable().describe('出错环节的引擎事件信息'),
});

/** 流程进度（domain/process-progress.ts InstanceProgress） */
export const processProgress = z.strictObject({
  source: z.enum(['engine', 'platform']),
  notice: z.string().nullable().describe('按本平台记录显示的原因；来自引擎时为 null'),
  completed: z.array(z.string()),
  active: z.array(z.string()),
  failed: z.array(z.string()),
  steps: z.array(processStep),
});

/** 本人对该待办可做的操作 */
export const taskPermissions = z.strictObject({
  claim: z.boolean(),
  unclaim: z.boolean(),
  complete: z.boolean(),
  delegate: z.boolean(),
  copy: z.boolean(),
  remind: z.boolean(),
});

export const taskDetail = z.strictObject({
  task: taskSummary.extend({ formData: z.record(z.string(), z.unknown()).nullable(), comment: z.string().nullable() }),
  project: projectDetail.optional().describe('待办所属的项目（项目不存在时没有此项）'),
  history: z.array(taskEvent),
  signers: z.array(taskSigner),
  progress: processProgress,
  can: taskPermissions,
});

export const taskDone = z.strictObject({ ok: z.literal(true) });

export const completeOutcome = z
  .enum(['completed', 'signed', 'forwarded'])
  .describe('completed 流程已前进；signed 已记录加签意见；forwarded 转给下一位加签人');

export const completeResult = z.strictObject({
  taskId: z.number().int(),
  outcome: completeOutcome,
  seal: z
    .strictObject({ auditRecordId: z.number().int(), seq: z.number().int(), keyId: z.string(), verificationCode: z.string() })
    .nullable()
    .optional()
    .describe('办结记录上的电子签章；未开通签章时为 null'),
});

export const copiesAdded = z.strictObject({ added: z.number().int().describe('新抄送的人数') });
export const reminded = z.strictObject({ reminded: z.number().int().describe('收到催办通知的人数') });

export const batchResult = z.strictObject({
  results: z.array(
    z.strictObject({
      taskId: z.number().int(),
      ok: z.boolean(),
      outcome: completeOutcome.optional(),
      code: z.string().optional().describe('失败的错误代码'),
      message: z.string().optional(),
    }),
  ),
  completed: z.number().int(),
  failed: z.number().int(),
});

export const eligibleUser = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  orgName: z.string(),
  roles: z.array(z.string()),
  canTakeOver: z.boolean().describe('持有本环节的候选角色：可转办、加签给此人'),
});
export const eligibleUsers = z.strictObject({ items: z.array(eligibleUser) });

export const processInstanceView = z.strictObject({
  processInstanceKey: z.string(),
  processId: z.string(),
  processName: z.string(),
  status: z.string().describe('active | completed | canceled'),
  outcome: z.string().nullable(),
  startedAt: shanghaiIso,
  endedAt: shanghaiIso.nullable(),
  progress: processProgress,
  history: z.array(taskEvent),
  openTasks: z.array(z.strictObject({ id: z.number().int(), name: z.string(), assignee: z.string().nullable() })),
});
export const projectProcesses = z.strictObject({
  items: z.array(processInstanceView),
  inReview: z.boolean().describe('项目申报审核流程进行中'),
});

export const notification = z.strictObject({
  id: z.number().int(),
  kind: z.string(),
  title: z.string(),
  body: z.string(),
  link: z.string().nullable().describe('站内链接，如 /tasks/12'),
  createdAt: shanghaiIso,
  readAt: shanghaiIso.nullable(),
});
export const notificationPage = z.strictObject({
  items: z.array(notification),
  total: z.number().int(),
  unread: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

export type TaskStatus = z.infer<typeof taskStatus>;
export type TaskSummary = z.infer<typeof taskSummary>;
export type TaskPage = z.infer<typeof taskPage>;
export type BusinessTask = z.infer<typeof businessTask>;
export type BusinessTodo = z.infer<typeof businessTodo>;
export type TaskEvent = z.infer<typeof taskEvent>;
export type TaskSigner = z.infer<typeof taskSigner>;
export type TaskPermissions = z.infer<typeof taskPermissions>;
export type TaskDetail = z.infer<typeof taskDetail>;
export type CompleteResult = z.infer<typeof completeResult>;
export type BatchResult = z.infer<typeof batchResult>;
export type EligibleUser = z.infer<typeof eligibleUser>;
export type ProcessInstanceView = z.infer<typeof processInstanceView>;
export type ProjectProcesses = z.infer<typeof projectProcesses>;
export type Notification = z.infer<typeof notification>;
export type NotificationPage = z.infer<typeof notificationPage>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/tasks.ts），页面的请求类型由 z.input 得出（web/src/api/tasks.ts）。
 */

const userId = z.number().int().positive().max(2_147_483_647);
export const taskListQuery = z
  .object({
    box: z.enum(['todo', 'done', 'cc']).default('todo'),
    keyword: z.string().trim().min(1).max(50).optional(),
    processId: z.string().trim().min(1).max(100).optional(),
    formKey: z.string().trim().min(1).max(100).optional(),
    overdue: z.enum(['true', 'false']).optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
const signingPin = z.string().min(1).max(64);
export const completeBody = z.object({ data: z.record(z.string(), z.unknown()), signingPin: signingPin.optional() }).strict();
export const reassignBody = z.object({ userId, comment: z.string().trim().max(500).optional() }).strict();
export const signerBody = z
  .object({ userId, position: z.enum(['before', 'after']), comment: z.string().trim().max(500).optional() })
  .strict();
export const copyBody = z.object({ userIds: z.array(userId).min(1).max(20), comment: z.string().trim().max(500).optional() }).strict();
export const commentBody = z.object({ text: z.string().trim().min(1).max(500) }).strict();
export const batchBody = z
  .object({ taskIds: z.array(userId).min(1).max(50), data: z.record(z.string(), z.unknown()), signingPin: signingPin.optional() })
  .strict();
export const submitBody = z.object({ version: z.number().int().positive() }).strict();
export const withdrawBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
export const notificationsQuery = z
  .object({
    unread: z.enum(['true', 'false']).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
export const readBody = z.union([z.object({ ids: z.array(userId).min(1).max(200) }).strict(), z.object({ all: z.literal(true) }).strict()]);
