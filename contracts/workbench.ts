import { z } from 'zod';
import { projectStatus, projectSummary } from './projects';
import { businessTask, taskSummary } from './tasks';

/**
 * 工作台接口的应答（GET /api/workbench）：路由按这个 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它生成，页面的类型由 z.infer 得出（web/src/api/workbench.ts）.
 * Built from server/workbench/summary.ts WorkbenchSummary as server/api/workbench.ts sends it. The
 * oldest tasks and the recent projects are the items of the task and project lists (GET /api/tasks,
 * GET /api/projects): the same contracts (contracts/tasks.ts, contracts/projects.ts), the projects
 * with their can flags (server/api/project-json.ts). Money is integer fen.
 */
export const workbenchWarning = z.strictObject({
  level: z.enum(['info', 'warning', 'danger']).describe('info 提示、warning 预警、danger 严重'),
  code: z.enum(['TASKS_OVERDUE', 'APPLICATIONS_RETURNED', 'DUPLICATES_FLAGGED', 'QUOTAS_LOW', 'SYSTEM_DEGRADED']),
  text: z.string(),
  link: z.string().describe('点击后去的页面（SPA 路径）'),
});

export const workbenchSummary = z.strictObject({
  tasks: z
    .strictObject({
      todo: z.number().int().describe('待办件数，含业务事项'),
      overdue: z.number().int(),
      copies: z.number().int().describe('抄送我的件数'),
      oldest: z.array(taskSummary).describe('最早到达的几件待办'),
      business: z.array(businessTask).describe('最早到达的几件业务事项待办（用款申请、预算调整、决算 …；todo、overdue 已计入）'),
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

export type WorkbenchWarning = z.infer<typeof workbenchWarning>;
export type WorkbenchSummary = z.infer<typeof workbenchSummary>;
