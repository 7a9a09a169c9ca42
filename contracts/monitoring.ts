import { z } from 'zod';
import { instant } from './time';
import { DEVIATION_LEVELS } from '../domain/execution';
import { REPORT_STATUSES } from '../domain/monitoring';

/**
 * 绩效监控与执行监控接口的应答（/api/monitoring/*、/api/execution/*）：路由按这些 schema 应答（测试中
 * 逐个核对，见 server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出
 * （web/src/api/monitoring.ts）。金额为整数“分”，百分比保留两位小数。
 * Objects are strict: a field the server adds without declaring it here fails the contract.
 */

const date = z.string().describe('日期 YYYY-MM-DD');
const fen = z.number().int();
const page = { total: z.number().int().describe('符合条件的总数'), page: z.number().int(), pageSize: z.number().int() };

export const deviationLevel = z.enum(DEVIATION_LEVELS).describe('偏差级别：none 正常、notice 提示、warning 预警、severe 严重');
export const reportStatus = z.enum(REPORT_STATUSES).describe('待填报、评估中、已填报、偏差待处理、整改中、已整改、已认可');

/** 执行情况：取自指标账（本年度、关联项目的指标）。 */
export const executionFigures = z.strictObject({
  budgetFen: fen.describe('预算（下达并调整后的金额，分）'),
  frozenFen: fen.describe('冻结（分）'),
  paidFen: fen.describe('已支付（分）'),
  availableFen: fen.describe('可用（分）'),
  executionPercent: z.number().nullable().describe('预算执行率（%，两位小数，向下取整）；没有预算时为 null'),
  timePercent: z.number().describe('时间进度（%）'),
  gapPoints: z.number().nullable().describe('时间进度减执行率（百分点，正数为滞后）；没有预算时为 null'),
  level: deviationLevel,
  levelLabel: z.string(),
});

// ---------------------------------------------------------------------------------------------
// 绩效监控

export const round = z.strictObject({
  id: z.number().int(),
  fiscalYear: z.number().int(),
  quarter: z.number().int(),
  scopeKey: z.string().describe('监控范围：地区编码前缀，定时发起的为 all'),
  reportCount: z.number().int().describe('本季度本范围的报告数'),
  processInstanceKey: z.string().nullable().describe('季度监控流程实例编号'),
  startedAt: instant,
  created: z.boolean().describe('false：本季度本范围已开展过，未重复建报告'),
});

export const reportSummary = z.strictObject({
  id: z.number().int(),
  projectId: z.number().int(),
  projectNo: z.string(),
  projectName: z.string(),
  unitOrgId: z.number().int(),
  unitName: z.string(),
  fiscalYear: z.number().int(),
  quarter: z.number().int(),
  status: reportStatus,
  statusLabel: z.string(),
  asOf: date.nullable().describe('执行情况的截止日期（季度末或填报日）；未填报为 null'),
  figures: executionFigures.nullable().describe('填报时取自指标账的执行情况；未填报为 null'),
  deviationLevel: deviationLevel.nullable().describe('报告的偏差级别（有风险的目标会提高级别）；未评估为 null'),
  deviationLabel: z.string().nullable(),
  deviationReasons: z.array(z.string()).describe('偏差原因'),
  rectificationDue: date.nullable().describe('整改期限'),
  submittedAt: instant.nullable().describe('填报时间'),
});

export const reportTarget = z.strictObject({
  targetId: z.number().int(),
  level1: z.string().describe('一级指标'),
  level2: z.string().describe('二级指标'),
  name: z.string().describe('三级指标'),
  direction: z.string().describe('指标方向（>=、<=、=、qualitative）'),
  targetValue: z.string(),
  unit: z.string(),
  actualValue: z.string().nullable().describe('目前的完成值；未填报为 null'),
  note: z.string().nullable(),
  atRisk: z.boolean().describe('单位认为该目标有完不成的风险'),
});

export const reportDetail = reportSummary.extend({
  progressNote: z.string().nullable().describe('总体进展说明'),
  targets: z.array(reportTarget),
  rectificationRequest: z.string().nullable().describe('整改要求'),
  rectificationAnswer: z.string().nullable().describe('单位的整改答复'),
  reviewComment: z.string().nullable().describe('偏差处理意见'),
  can: z
    .strictObject({ report: z.boolean(), review: z.boolean(), answer: z.boolean() })
    .describe('本人此刻可做的事：填报、偏差处理、整改答复（domain/monitoring.ts reportActions）'),
});

export const reportPage = z.strictObject({
  items: z.array(reportSummary),
  ...page,
  can: z
    .strictObject({ startQuarter: z.boolean().describe('开展本季度监控（绩效处）') })
    .describe('本人可做的事（domain/monitoring.ts monitoringListActions）'),
});

// ---------------------------------------------------------------------------------------------
// 执行监控

const executionPage = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item),
    ...page,
    asOf: date.describe('统计日期（北京时间的今天）'),
    timePercent: z.number().describe('时间进度（%）'),
  });

export const projectExecution = executionFigures.extend({
  projectId: z.number().int(),
  projectNo: z.string(),
  name: z.string(),
  unitOrgId: z.number().int(),
  unitName: z.string(),
});
export const unitExecution = executionFigures.extend({
  unitOrgId: z.number().int(),
  unitName: z.string(),
  regionCode: z.string(),
  projectCount: z.number().int(),
});
export const regionExecution = executionFigures.extend({
  regionCode: z.string(),
  regionName: z.string(),
  unitCount: z.number().int(),
  projectCount: z.number().int(),
});

export const projectExecutionPage = executionPage(projectExecution);
export const unitExecutionPage = executionPage(unitExecution);
export const regionExecutionPage = executionPage(regionExecution);

export type DeviationLevel = z.infer<typeof deviationLevel>;
export type ReportStatus = z.infer<typeof reportStatus>;
export type ExecutionFigures = z.infer<typeof executionFigures>;
export type Round = z.infer<typeof round>;
export type ReportSummary = z.infer<typeof reportSummary>;
export type ReportTarget = z.infer<typeof reportTarget>;
export type ReportDetail = z.infer<typeof reportDetail>;
export type ReportPage = z.infer<typeof reportPage>;
export type ProjectExecution = z.infer<typeof projectExecution>;
export type UnitExecution = z.infer<typeof unitExecution>;
export type RegionExecution = z.infer<typeof regionExecution>;
export type ProjectExecutionPage = z.infer<typeof projectExecutionPage>;
export type UnitExecutionPage = z.infer<typeof unitExecutionPage>;
export type RegionExecutionPage = z.infer<typeof regionExecutionPage>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/monitoring.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

const year = z.coerce.number().int().min(2000).max(2100);
const quarter = z.coerce.number().int().min(1, '季度应为 1–4').max(4, '季度应为 1–4');
const pageInput = z.coerce.number().int().min(1).max(100_000).default(1);
const pageSize = z.coerce.number().int().min(1).max(200).default(20);
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const startBody = z
  .object({ fiscalYear: z.number().int().min(2000).max(2100), quarter: z.number().int().min(1, '季度应为 1–4').max(4, '季度应为 1–4') })
  .strict();
export const reportListQuery = z
  .object({
    fiscalYear: year.optional(),
    quarter: quarter.optional(),
    status: z.enum(REPORT_STATUSES).optional(),
    deviation: flag.optional(),
    page: pageInput,
    pageSize,
  })
  .strict();
export const reportExportQuery = reportListQuery.omit({ page: true, pageSize: true });
export const reportBody = z
  .object({
    progressNote: z.string().max(2000),
    targets: z
      .array(
        z
          .object({
            targetId: z.coerce.number().int().positive().max(2_147_483_647),
            actualValue: z.string().trim().min(1, '请填写目前的完成值').max(200),
            note: z.string().trim().max(500).optional(),
            atRisk: z.boolean(),
          })
          .strict(),
      )
      .min(1, '请按每项绩效目标填报')
      .max(200),
  })
  .strict();
export const reviewBody = z
  .object({
    decision: z.enum(['rectify', 'accept']),
    dueDate: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD')
      .optional(),
    comment: z.string().max(1000),
  })
  .strict();
export const answerBody = z.object({ answer: z.string().max(2000) }).strict();
export const executionQuery = z
  .object({
    fiscalYear: year,
    minLevel: z.enum(['notice', 'warning', 'severe']).optional(),
    keyword: z.string().trim().max(100).optional(),
    page: pageInput,
    pageSize,
  })
  .strict();
