import { z } from 'zod';
import { DIRECTIONS, PROJECT_CATEGORIES, PROJECT_STATUSES, PROJECT_SUB_TYPES } from '../domain/projects';

/**
 * 项目库的应答对象（server/projects/service.ts 的 ProjectSummary / ProjectDetail 按接口序列化后的样子）。
 * 待办详情与送审、撤回的应答带项目全文（contracts/tasks.ts）；金额为整数“分”。
 * Objects are strict: a field the server adds without declaring it here fails the contract.
 */
const time = z.string().describe('ISO 8601 时间');
const fen = z.number().int().describe('金额（分）');

export const projectCategory = z.enum(PROJECT_CATEGORIES);
export const projectStatus = z.enum(PROJECT_STATUSES);
export const projectSubType = z.enum(PROJECT_SUB_TYPES);

export const projectSummary = z.strictObject({
  id: z.number().int(),
  /** 项目编号，如 XM2026-000012 */
  projectNo: z.string().describe('项目编号'),
  fiscalYear: z.number().int(),
  name: z.string(),
  unitOrgId: z.number().int().describe('申报单位编号'),
  unitName: z.string().describe('申报单位'),
  category: projectCategory,
  categoryLabel: z.string(),
  subType: projectSubType.nullable(),
  subTypeLabel: z.string().nullable(),
  functionalCode: z.string().describe('支出功能分类科目（项，7 位）'),
  totalAmountFen: fen,
  status: projectStatus,
  statusLabel: z.string(),
  returnedFrom: projectStatus.nullable().describe('已退回的项目是从哪一环节退回的；其他状态为 null'),
  duplicateCount: z.number().int().describe('与之疑似重复的项目数'),
  version: z.number().int(),
  createdAt: time,
  updatedAt: time,
  /** 本人可对该项目做的操作（domain/projects.ts projectActions）：页面只看它，不自行判断状态 */
  can: z.strictObject({
    edit: z.boolean(),
    submit: z.boolean(),
    rework: z.boolean(),
    withdraw: z.boolean(),
    void: z.boolean(),
    approvalSheet: z.boolean(),
  }),
});

export const amountLine = z.strictObject({
  economicCode: z.string().describe('部门预算支出经济分类（款，5 位）'),
  amountFen: fen,
  note: z.string().nullable(),
  economicName: z.string().optional(),
});

export const performanceTarget = z.strictObject({
  level1: z.string().describe('一级指标'),
  level2: z.string().describe('二级指标'),
  name: z.string().describe('三级指标'),
  direction: z.enum(DIRECTIONS),
  targetValue: z.string().describe('指标值（定量为十进制数字文本，定性为描述）'),
  unit: z.string().describe('计量单位；定性指标为空'),
});

export const projectAttachment = z.strictObject({
  id: z.number().int(),
  fileName: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sm3: z.string().describe('文件内容的 SM3 摘要（64 位十六进制）'),
  uploadedBy: z.string(),
  uploadedAt: time,
});

export const duplicateFlag = z.strictObject({
  projectId: z.number().int(),
  projectNo: z.string(),
  name: z.string(),
  status: projectStatus,
  basis: z.array(z.enum(['name', 'content'])).describe('疑似重复的依据：名称相近、内容相近'),
  nameSimilarity: z.number().describe('名称相似度 0..1'),
  contentSimilarity: z.number().describe('内容相似度 0..1'),
  detectedAt: time,
});

export const projectDetail = projectSummary.extend({
  description: z.string().describe('项目概述'),
  basis: z.string().nullable().describe('立项依据'),
  startDate: z.string().nullable(),
  endDate: z.string().nullable(),
  functionalName: z.string().nullable(),
  amounts: z.array(amountLine),
  targets: z.array(performanceTarget),
  attachments: z.array(projectAttachment),
  duplicates: z.array(duplicateFlag),
  smartProblems: z.array(z.string()).describe('事前审核 SMART 检查会指出的问题；为空表示通过'),
  expertReview: z
    .strictObject({
      score: z.number().nullable(),
      band: z.string().nullable(),
      bandLabel: z.string(),
      batchId: z.number().int(),
      scoredAt: time,
    })
    .nullable()
    .describe('已确认的专家评审：得分（两位小数）与结论；尚未评审为 null'),
});

export const projectPage = z.strictObject({
  items: z.array(projectSummary),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

export const projectEvent = z.strictObject({
  id: z.number().int(),
  kind: z.string().describe('事件类型（created、updated、submitted、voided、attachment_added……）'),
  fromStatus: projectStatus.nullable(),
  toStatus: projectStatus.nullable(),
  actor: z.string().describe('办理人账号；系统为 system'),
  actorName: z.string(),
  note: z.string().nullable(),
  data: z.unknown().describe('事件的明细（如修改了哪些字段）'),
  createdAt: time,
  auditRecordId: z.number().int().nullable().describe('同时写入的审计记录；审计链之前的事件为 null'),
  sealed: z.boolean().describe('该事件的审计记录带电子签章'),
});
export const projectEventList = z.strictObject({ items: z.array(projectEvent) });

export const projectImportResult = z.strictObject({
  created: z.array(
    z.strictObject({
      row: z.number().int().describe('来自“项目”工作表的第几行'),
      id: z.number().int(),
      projectNo: z.string(),
      name: z.string(),
      totalAmountFen: fen,
      duplicates: z.number().int().describe('为它标出的疑似重复数'),
    }),
  ),
});

export type ProjectSummaryAnswer = z.infer<typeof projectSummary>;
export type ProjectDetailAnswer = z.infer<typeof projectDetail>;
export type ProjectPageAnswer = z.infer<typeof projectPage>;
export type ProjectEventAnswer = z.infer<typeof projectEvent>;
export type ImportedProjectAnswer = z.infer<typeof projectImportResult>['created'][number];
