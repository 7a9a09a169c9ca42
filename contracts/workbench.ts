import { z } from 'zod';
import { PROJECT_CATEGORIES, PROJECT_STATUSES, PROJECT_SUB_TYPES } from '../domain/projects';

/**
 * 工作台接口的应答（GET /api/workbench）：路由按这个 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它生成，页面的类型由 z.infer 得出（web/src/api/workbench.ts）.
 * Built from server/workbench/summary.ts WorkbenchSummary, with server/inbox/tasks.ts taskSummary
 * and server/projects/service.ts ProjectSummary as server/api/workbench.ts sends them (times as
 * ISO strings). The task and project summaries are those of the task and project lists too: when
 * those routes get their contracts, they can take these. Money is integer fen.
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601（+08:00）');
const projectStatus = z.enum(PROJECT_STATUSES);

/** 待办列表中的一件（GET /api/tasks 的 items 与此相同） */
export const taskSummary = z.strictObject({
  id: z.number().int(),
  name: z.string().describe('环节名称，如“主管部门审核”'),
  formKey: z.string(),
  processId: z.string(),
  processInstanceKey: z.string(),
  elementId: z.string().describe('BPMN 元素 id，如 DepartmentReview'),
  status: z.enum(['open', 'completing', 'completed', 'canceled']),
  projectId: z.number().int(),
  projectName: z.string(),
  unitName: z.string().describe('申报单位'),
  assignee: z
    .strictObject({ id: z.number().int(), name: z.string() })
    .nullable()
    .describe('办理人；为空表示尚未签收，由候选人中任一人办理'),
  dueAt: shanghaiIso.nullable().describe('办理期限'),
  overdue: z.boolean(),
  decision: z.string().nullable().describe('审批结论（表单的结论字段的值）；未办理为 null'),
  decisionLabel: z.string().describe('审批结论的中文；未办理为空字符串'),
  createdAt: shanghaiIso,
  completedAt: shanghaiIso.nullable(),
});

/** 项目列表中的一项（GET /api/projects 的 items 与此相同） */
export const projectSummary = z.strictObject({
  id: z.number().int(),
  projectNo: z.string().describe('项目编号，如 XM2026-000012'),
  fiscalYear: z.number().int(),
  name: z.string(),
  unitOrgId: z.number().int(),
  unitName: z.string().describe('申报单位'),
  category: z.enum(PROJECT_CATEGORIES),
  categoryLabel: z.string(),
  subType: z.enum(PROJECT_SUB_TYPES).nullable(),
  subTypeLabel: z.string().nullable(),
  functionalCode: z.string().describe('支出功能分类科目（项，7 位）'),
  totalAmountFen: z.number().int().describe('申报总额（分）'),
  status: projectStatus,
  statusLabel: z.string(),
  returnedFrom: projectStatus.nullable().describe('已退回的项目是从哪一环节退回的；其他状态为 null'),
  duplicateCount: z.number().int().describe('与之疑似重复的项目数'),
  version: z.number().int(),
  createdAt: shanghaiIso,
  updatedAt: shanghaiIso,
});

export const workbenchWarning = z.strictObject({
  level: z.enum(['info', 'warning', 'danger']).describe('info 提示、warning 预警、danger 严重'),
  code: z.enum(['TASKS_OVERDUE', 'APPLICATIONS_RETURNED', 'DUPLICATES_FLAGGED', 'QUOTAS_LOW', 'SYSTEM_DEGRADED']),
  text: z.string(),
  link: z.string().describe('点击后去的页面（SPA 路径）'),
});

export const workbenchSummary = z.strictObject({
  tasks: z
    .strictObject({
      todo: z.number().int(),
      overdue: z.number().int(),
      copies: z.number().int().describe('抄送我的件数'),
      oldest: z.array(taskSummary).describe('最早到达的几件待办'),
    })
    .describe('我的待办'),
  projects: z
    .strictObject({
      total: z.number().int(),
      byStatus: z.array(z.strictObject({ status: projectStatus, label: z.string(), count: z.number().int() })),
      duplicates: z.number().int().describe('疑似重复的项目数'),
      recent: z.array(projectSummary).describe('最近更新的几个项目'),
    })
    .nullable()
    .describe('可见的项目（预算单位：本单位的申报，含草稿；审核人员：范围内已送审的项目）；无 projects:read 时为 null'),
  quotas: z
    .strictObject({
      count: z.number().int(),
      amountFen: z.number().int().describe('额度合计（分）'),
      availableFen: z.number().int().describe('可用合计（分）'),
      low: z.number().int().describe('可用不足额度 10% 的指标个数'),
    })
    .nullable()
    .describe('可见的指标；无 quotas:read 时为 null'),
  warnings: z.array(workbenchWarning),
});

export type TaskSummary = z.infer<typeof taskSummary>;
export type ProjectSummary = z.infer<typeof projectSummary>;
export type WorkbenchWarning = z.infer<typeof workbenchWarning>;
export type WorkbenchSummary = z.infer<typeof workbenchSummary>;
