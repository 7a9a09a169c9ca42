import { z } from 'zod';
import { instant } from './time';
import { AGGREGATION_METHODS, TIE_KINDS } from '../domain/expert-review';

/**
 * 专家评审接口的应答（/api/experts*、/api/expert-batches*、/api/my-reviews*）：路由按这些 schema
 * 应答（测试中逐个核对，见 server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer
 * 得出（web/src/api/experts.ts）。Objects are strict: a field the server adds without declaring it
 * here fails the contract. Money is integer fen; scores are points with at most two decimals.
 */

const id = z.number().int();
const isoDay = z.string().describe('日期 YYYY-MM-DD');

const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

// --- 专家库 ---------------------------------------------------------------------------------

const expertFields = {
  id,
  /** 专家编号 */
  code: z.string(),
  name: z.string(),
  organisationName: z.string().describe('工作单位'),
  orgId: id.nullable().describe('工作单位在本平台的组织机构编号；平台外单位为 null'),
  title: z.string().describe('职称'),
  available: z.boolean().describe('可参评'),
  specialties: z.array(z.string()).describe('专业领域：支出功能分类类编码（3 位）'),
  username: z.string().nullable().describe('专家评分所用的登录账号'),
  tieCount: z.number().int().describe('回避关系数'),
};

/** 专家库列表中的一位专家（联系方式已脱敏） */
export const expertSummary = z.strictObject({
  ...expertFields,
  phone: z.string().nullable().describe('联系电话（脱敏，如 138****5678）'),
  email: z.string().nullable().describe('电子邮箱（脱敏）'),
});

export const expertTie = z.strictObject({
  id,
  kind: z.enum(TIE_KINDS).describe('回避关系类型'),
  kindLabel: z.string(),
  orgId: id,
  orgName: z.string(),
  relative: z.boolean().describe('近亲属（而非本人）的关系'),
  startedOn: isoDay.nullable(),
  endedOn: isoDay.nullable(),
  projectId: id.nullable().describe('参与编制的项目'),
  note: z.string().nullable(),
});

/** 专家详情：完整联系方式与回避关系 */
export const expertDetail = z.strictObject({
  ...expertFields,
  phone: z.string().nullable().describe('联系电话（完整）'),
  email: z.string().nullable().describe('电子邮箱（完整）'),
  userId: id.nullable().describe('关联账号的用户编号'),
  note: z.string().nullable(),
  updatedAt: instant,
  ties: z.array(expertTie),
});

export const expertPage = page(expertSummary);
export const expertImportResult = z.strictObject({
  created: z.number().int().describe('新增人数'),
  updated: z.number().int().describe('更新人数'),
});

// --- 评审批次 -------------------------------------------------------------------------------

const batchStatus = z.enum(['reviewing', 'awaiting_confirmation', 'confirmed']).describe('评审中 / 待确认 / 已确认');
const assignmentStatus = z
  .enum(['invited', 'accepted', 'declined', 'timed_out', 'submitting', 'submitted'])
  .describe('待答复 / 评分中 / 已谢绝 / 逾期未答复 / 评分提交中 / 已提交评分');

const batchFields = {
  id,
  name: z.string(),
  fiscalYear: z.number().int(),
  sector: z.string().nullable().describe('功能分类类编码；不限为 null'),
  panelSize: z.number().int().describe('每个项目的专家人数'),
  status: batchStatus,
  statusLabel: z.string(),
  openedAt: instant,
  openedBy: z.string().describe('开启人姓名'),
  confirmedAt: instant.nullable(),
};

export const batchSummary = z.strictObject({
  ...batchFields,
  projectCount: z.number().int(),
  scoredCount: z.number().int().describe('已评审完毕的项目数'),
});
export const batchPage = page(batchSummary);

/** 某个项目的一个专家席位（一轮抽取；谢绝或逾期后补抽为下一轮） */
export const batchExpert = z.strictObject({
  assignmentId: id,
  seat: z.number().int().describe('席位（从 1 起）'),
  round: z.number().int().describe('该席位的第几轮抽取'),
  expertName: z.string(),
  expertCode: z.string(),
  organisationName: z.string(),
  status: assignmentStatus,
  statusLabel: z.string(),
  declineReason: z.string().nullable(),
  invitedAt: instant.nullable(),
  respondedAt: instant.nullable(),
  submittedAt: instant.nullable(),
  remindedAt: instant.nullable(),
  total: z.number().nullable().describe('该专家的总分；项目评审完毕前为 null'),
  sealed: z.boolean().nullable().describe('评分已签章；未提交为 null'),
  auditRecordId: id.nullable(),
});

export const batchProject = z.strictObject({
  reviewId: id,
  projectId: id,
  projectName: z.string(),
  projectNo: z.string(),
  unitName: z.string(),
  functionalCode: z.string(),
  totalAmountFen: z.number().int().describe('项目总金额（分）'),
  status: z.enum(['reviewing', 'scored', 'confirmed']).describe('评审中 / 已评审 / 已确认'),
  scoreCount: z.number().int().nullable().describe('计入得分的评分表数'),
  aggregationMethod: z.enum(AGGREGATION_METHODS).nullable(),
  aggregationLabel: z.string().nullable(),
  score: z.number().nullable().describe('项目得分'),
  band: z.string().nullable().describe('评审结论（support / adjust / reject）'),
  bandLabel: z.string().nullable(),
  drawAuditRecordId: id.nullable().describe('抽取结果的审计记录'),
  experts: z.array(batchExpert),
});

export const batchDetail = z.strictObject({
  ...batchFields,
  seed: z.string().describe('抽取所用的随机种子（32 位十六进制）'),
  respondWithin: z.string().describe('答复期限（ISO 8601 时长）'),
  scoreWithin: z.string().describe('评分期限（ISO 8601 时长）'),
  processInstanceId: z.string().nullable(),
  confirmComment: z.string().nullable(),
  canConfirm: z.boolean(),
  projects: z.array(batchProject),
});

export const batchOpened = z.strictObject({ id, seed: z.string(), processInstanceId: z.string(), batch: batchDetail });
export const batchReminded = z.strictObject({ reminded: z.number().int().describe('已提醒的专家席位数') });

// --- 我的评审（专家本人） ---------------------------------------------------------------------

export const myAssignment = z.strictObject({
  id,
  batchName: z.string(),
  projectName: z.string(),
  projectNo: z.string(),
  unitName: z.string(),
  fiscalYear: z.number().int(),
  functionalCode: z.string(),
  totalAmountFen: z.number().int().describe('项目总金额（分）'),
  status: assignmentStatus,
  statusLabel: z.string(),
  invitedAt: instant,
  dueAt: instant.nullable().describe('答复或评分的期限；已答复完毕为 null'),
});
export const myAssignments = z.strictObject({ items: z.array(myAssignment) });

export const criterion = z.strictObject({ key: z.string(), label: z.string(), max: z.number().describe('该项满分') });

export const myAssignmentDetail = z.strictObject({
  ...myAssignment.shape,
  project: z
    .strictObject({
      description: z.string(),
      basis: z.string().nullable().describe('立项依据'),
      startDate: isoDay.nullable(),
      endDate: isoDay.nullable(),
      amounts: z.array(z.strictObject({ economicCode: z.string(), amountFen: z.number().int() })),
      targets: z.array(
        z.strictObject({
          level1: z.string(),
          level2: z.string(),
          name: z.string(),
          direction: z.string(),
          targetValue: z.string(),
          unit: z.string(),
        }),
      ),
    })
    .nullable()
    .describe('项目内容；专家已谢绝或逾期时为 null'),
  criteria: z.array(criterion),
  canRespond: z.boolean(),
  canScore: z.boolean(),
  mySheet: z
    .strictObject({
      scores: z.record(z.string(), z.number()).describe('各项得分'),
      total: z.number(),
      comment: z.string(),
      sealed: z.boolean(),
      auditRecordId: id.nullable(),
      submittedAt: instant,
    })
    .nullable()
    .describe('本人已提交的评分'),
});

export const scoreSubmitted = z.strictObject({
  auditRecordId: id,
  sealed: z.boolean(),
  total: z.number(),
  assignment: myAssignmentDetail,
});

export type ExpertSummary = z.infer<typeof expertSummary>;
export type ExpertTie = z.infer<typeof expertTie>;
export type ExpertDetail = z.infer<typeof expertDetail>;
export type ExpertImportResult = z.infer<typeof expertImportResult>;
export type BatchSummary = z.infer<typeof batchSummary>;
export type BatchExpert = z.infer<typeof batchExpert>;
export type BatchProject = z.infer<typeof batchProject>;
export type BatchDetail = z.infer<typeof batchDetail>;
export type BatchOpened = z.infer<typeof batchOpened>;
export type BatchReminded = z.infer<typeof batchReminded>;
export type MyAssignment = z.infer<typeof myAssignment>;
export type Criterion = z.infer<typeof criterion>;
export type MyAssignmentDetail = z.infer<typeof myAssignmentDetail>;
export type ScoreSubmitted = z.infer<typeof scoreSubmitted>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/expert-review.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

/** An id in a JSON body (orgId, projectId, projectIds). */
const idInput = z.coerce.number().int().positive().max(2_147_483_647);
const specialty = z.string().regex(/^\d{3}$/, '专业领域应为 3 位功能分类类编码');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD');
const duration = z.string().regex(/^P[0-9DTHMS]+$/, '期限应为 ISO 8601 时长（如 P3D）');

export const expertListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    keyword: z.string().trim().min(1).max(50).optional(),
    specialty: specialty.optional(),
    available: z.enum(['true', 'false']).optional(),
  })
  .strict();
export const expertExportQuery = expertListQuery.omit({ page: true, pageSize: true });

export const expertBody = z
  .object({
    code: z
      .string()
      .trim()
      .min(1)
      .max(30)
      .regex(/^[A-Za-z0-9_-]+$/, '专家编号只能包含字母、数字、下划线和连字符'),
    name: z.string().trim().min(1).max(50),
    organisationName: z.string().trim().min(1).max(200),
    orgId: idInput.nullable().optional(),
    title: z.string().trim().min(1).max(50),
    phone: z
      .string()
      .trim()
      .regex(/^[0-9+\-() ]{5,30}$/, '联系电话格式不正确')
      .nullable()
      .optional(),
    email: z.string().trim().email('电子邮箱格式不正确').max(100).nullable().optional(),
    available: z.boolean(),
    specialties: z.array(specialty).min(1, '至少选择一个专业领域').max(30),
    username: z.string().trim().min(1).max(50).nullable().optional(),
    note: z.string().trim().max(500).nullable().optional(),
  })
  .strict();

export const tieBody = z
  .object({
    kind: z.enum(TIE_KINDS),
    orgId: idInput,
    relative: z.boolean().default(false),
    startedOn: isoDate.nullable().optional(),
    endedOn: isoDate.nullable().optional(),
    projectId: idInput.nullable().optional(),
    note: z.string().trim().max(500).nullable().optional(),
  })
  .strict();

export const expertImportBody = z
  .object({
    format: z.literal('xlsx', { error: 'format 应为 xlsx' }),
    base64: z
      .string()
      .min(1)
      .max(1_000_000, '文件不能超过 750 KB，请分批导入')
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, '不是有效的 base64'),
  })
  .strict();

export const batchBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    fiscalYear: z.number().int().min(2000).max(2100),
    sector: specialty.nullable().optional(),
    projectIds: z.array(idInput).min(1, '至少选择一个项目').max(2000),
    panelSize: z.number().int().min(1).max(15).default(5),
    respondWithin: duration.default('P3D'),
    scoreWithin: duration.default('P7D'),
    seed: z
      .string()
      .regex(/^[0-9a-f]{32}$/, '随机种子应为 32 位十六进制数')
      .optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();

export const batchListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    status: z.enum(['reviewing', 'awaiting_confirmation', 'confirmed']).optional(),
  })
  .strict();

export const confirmBody = z
  .object({ comment: z.string().trim().max(500).optional(), signingPin: z.string().min(1).max(64).optional() })
  .strict();
export const respondBody = z.object({ decision: z.enum(['accept', 'decline']), reason: z.string().trim().max(500).optional() }).strict();
export const scoreBody = z
  .object({
    scores: z.record(z.string(), z.number()),
    comment: z.string(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();
