import { z } from 'zod';
import {
  DIRECTIONS,
  PROJECT_CATEGORIES,
  PROJECT_STATUSES,
  PROJECT_SUB_TYPES,
  targetProblems,
  MAX_IMPORT_FILE_BYTES,
} from '../domain/projects';

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

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/projects.ts），Excel 导入逐行也用它们（server/projects/import.ts），页面的请求类型由 z.input 得出（web/src/api/projects.ts）。
 * What a project application may contain, as zod schemas: parsed once at the API's edge, and by
 * the Excel import for each row, so both refuse the same things with the same words.
 */

export const MAX_AMOUNT_LINES = 50;
export const MAX_TARGETS = 100;
export const MAX_DESCRIPTION = 4000;

const amountFen = z.number().int('金额须为整数分').positive('金额须大于 0').max(Number.MAX_SAFE_INTEGER);
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), '不是有效的日期');

export const amountLineInput = z
  .object({
    economicCode: z.string().regex(/^\d{5}$/, '经济分类科目应为 5 位（款）'),
    amountFen,
    note: z.string().trim().max(200).optional(),
  })
  .strict();

export const targetSchema = z
  .object({
    level1: z.string().trim().min(1).max(10),
    level2: z.string().trim().min(1).max(20),
    name: z.string().trim().min(1).max(200),
    direction: z.enum(DIRECTIONS),
    targetValue: z.string().trim().min(1).max(200),
    unit: z.string().trim().max(20).default(''),
  })
  .strict();

const projectFields = {
  name: z.string().trim().min(2, '项目名称至少 2 个字').max(200),
  category: z.enum(PROJECT_CATEGORIES),
  subType: z.enum(PROJECT_SUB_TYPES).nullable().default(null),
  functionalCode: z.string().regex(/^\d{7}$/, '功能分类科目应为 7 位（项）'),
  description: z.string().trim().min(1).max(MAX_DESCRIPTION),
  basis: z.string().trim().max(MAX_DESCRIPTION).nullable().default(null),
  startDate: isoDate.nullable().default(null),
  endDate: isoDate.nullable().default(null),
  amounts: z.array(amountLineInput).min(1, '至少填写一条预算金额').max(MAX_AMOUNT_LINES),
  targets: z.array(targetSchema).max(MAX_TARGETS).default([]),
};

type Fields = {
  startDate: string | null;
  endDate: string | null;
  amounts: Array<{ economicCode: string }>;
  targets: Array<z.infer<typeof targetSchema>>;
};

/** Rules across fields: dates in order, one line per economic code, targets in the framework. */
function crossFieldRules(p: Fields, ctx: z.RefinementCtx): void {
  if (p.startDate && p.endDate && p.endDate < p.startDate)
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: '结束日期不能早于开始日期' });
  const seen = new Set<string>();
  p.amounts.forEach((a, i) => {
    if (seen.has(a.economicCode))
      ctx.addIssue({ code: 'custom', path: ['amounts', i, 'economicCode'], message: `经济分类 ${a.economicCode} 重复，请合并为一行` });
    seen.add(a.economicCode);
  });
  for (const problem of targetProblems(p.targets)) {
    ctx.addIssue({
      code: 'custom',
      path: problem.index === null ? ['targets'] : ['targets', problem.index, problem.field ?? 'name'],
      message: problem.message,
    });
  }
}

export const newProjectSchema = z
  .object({
    ...projectFields,
    fiscalYear: z.number().int().min(2000).max(2100),
    /** Defaults to the applicant's own organisation. */
    unitOrgId: z.number().int().positive().max(2_147_483_647).optional(),
  })
  .strict()
  .superRefine(crossFieldRules);
export type NewProject = z.infer<typeof newProjectSchema>;

/** An edit replaces every editable field; `version` is the one the editor read. */
export const projectEditSchema = z
  .object({ ...projectFields, version: z.number().int().positive() })
  .strict()
  .superRefine(crossFieldRules);
export type ProjectEdit = z.infer<typeof projectEditSchema>;

export const PROJECT_SORTS = {
  id: 'p.id',
  projectNo: 'p.project_no',
  name: 'p.name',
  fiscalYear: 'p.fiscal_year',
  totalAmountFen: 'p.total_amount_fen',
  createdAt: 'p.created_at',
  updatedAt: 'p.updated_at',
} as const;

export const projectListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
    sort: z.enum(Object.keys(PROJECT_SORTS) as [keyof typeof PROJECT_SORTS]).default('id'),
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    unitOrgId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    category: z.enum(PROJECT_CATEGORIES).optional(),
    status: z.enum(PROJECT_STATUSES).optional(),
    functionalCode: z
      .string()
      .regex(/^\d{3}(\d{2}){0,2}$/, '功能分类科目应为 3、5 或 7 位数字')
      .optional(),
    keyword: z.string().trim().min(1).max(50).optional(),
    duplicates: z.enum(['true', 'false']).optional(),
  })
  .strict();
export type ProjectListQuery = z.infer<typeof projectListQuery>;

export const voidBody = z.object({ reason: z.string().trim().min(1).max(500), version: z.number().int().positive() }).strict();

/** An export takes the list's filters and sort, without paging: it holds every matching row. */
export const projectExportQuery = projectListQuery.omit({ page: true, pageSize: true });

/** 项目批量导入（POST /api/projects/import，server/api/project-import.ts）。 */
const MAX_BASE64_CHARS = Math.ceil(MAX_IMPORT_FILE_BYTES / 3) * 4;
export const projectImportBody = z
  .object({
    format: z.literal('xlsx', { error: 'format 应为 xlsx' }),
    base64: z
      .string()
      .min(1)
      .max(MAX_BASE64_CHARS, `文件不能超过 ${MAX_IMPORT_FILE_BYTES / 1024} KB，请分批导入`)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, '不是有效的 base64'),
    /** Shown on each imported project's timeline. */
    fileName: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
