import { z } from 'zod';
import { ADJUSTMENT_CHAINS, ADJUSTMENT_KINDS, ADJUSTMENT_STATUSES } from '../domain/adjustments';
import { instant } from './time';

/**
 * 预算调整申请接口的应答（/api/adjustments/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/adjustments.ts）。
 * Built from server/adjustments/service.ts (summaryOf, getAdjustment, listAdjustments, decide).
 * Money is integer fen. Objects are strict: a field the server adds without declaring it here fails the contract.
 */
const fen = z.number().int().describe('金额（分）');
const int = z.number().int();

export const adjustmentKind = z.enum(ADJUSTMENT_KINDS).describe('transfer 调剂、increase 追加、decrease 调减');
export const adjustmentStatus = z
  .enum(ADJUSTMENT_STATUSES)
  .describe('approving 审批中、posted 已批准并记账、rejected 未通过、failed 记账失败、withdrawn 已撤回');

export const adjustmentSummary = z.strictObject({
  id: int,
  kind: adjustmentKind,
  kindLabel: z.string().describe('类型名称：调剂、追加、调减'),
  formal: z.boolean().describe('改变预算总额（追加、调减）：属于预算调整，须有批复文件'),
  fiscalYear: int,
  orgId: int.describe('提出申请的单位'),
  orgName: z.string(),
  fromQuotaId: int.nullable().describe('调出指标；追加为 null'),
  toQuotaId: int.nullable().describe('调入指标；调减为 null'),
  fromQuotaNo: z.string().nullable(),
  toQuotaNo: z.string().nullable(),
  amountFen: fen,
  reason: z.string().describe('调整理由'),
  documentNo: z.string().nullable().describe('调整批复文号；未登记为 null'),
  status: adjustmentStatus,
  statusLabel: z.string(),
  approvalChain: z
    .enum(ADJUSTMENT_CHAINS)
    .nullable()
    .describe('审批链（决策表 budget-adjustment-chain 选定）：section 科室负责人、deputy 至分管局长、director 至局长；尚未选定为 null'),
  currentElement: z.string().nullable().describe('当前等待的 BPMN 环节编号'),
  whereItIs: z.string().describe('当前所在环节，或办结结果'),
  outcomeComment: z.string().nullable().describe('办结说明（退回理由、记账失败原因）'),
  requestedAt: instant,
  postedAt: instant.nullable(),
  version: int,
});

/** 指标的当前余额 */
export const quotaBalance = z.strictObject({
  id: int,
  quotaNo: z.string(),
  fiscalYear: int,
  functionalCode: z.string().describe('功能分类科目'),
  economicCode: z.string().describe('经济分类科目'),
  documentNo: z.string().describe('指标文号'),
  amountFen: fen.describe('指标金额（分）'),
  usedFen: fen.describe('已支付（分）'),
  frozenFen: fen.describe('冻结（分）'),
  availableFen: fen.describe('可用（分）'),
});

export const adjustmentDecision = z.strictObject({
  elementId: z.string().describe('环节编号；提出申请为 AdjustmentFiled'),
  stepName: z.string(),
  decision: z.string().describe('submit 提出、approve 同意、reject 不同意、withdraw 申请人撤回'),
  comment: z.string().nullable(),
  userName: z.string(),
  sealed: z.boolean().describe('已加盖电子签章'),
  auditRecordId: int.nullable().describe('审计链记录编号'),
  decidedAt: instant,
});

export const adjustment = adjustmentSummary.extend({
  requesterName: z.string().nullable(),
  frozenFen: fen.describe('本申请在调出指标上冻结中的金额（调剂、调减提交即冻结，未通过、撤回或记账时解冻）；没有为 0'),
  fromQuota: quotaBalance.nullable(),
  toQuota: quotaBalance.nullable(),
  documentTitle: z.string().nullable(),
  documentFileName: z.string().nullable().describe('批复文件扫描件的文件名；未上传为 null'),
  documentSm3: z.string().nullable().describe('批复文件的 SM3 摘要（十六进制）'),
  documentSize: int.nullable().describe('批复文件字节数'),
  documentMissing: z.boolean().describe('预算调整（追加、调减）尚未登记批复文号：此时不能同意'),
  chainSteps: z.array(z.string()).describe('审批链各环节名称，依次'),
  pending: z.array(z.strictObject({ elementId: z.string(), name: z.string() })).describe('流程引擎中当前待办的环节；引擎不可用时为空'),
  /** 本人可对该申请做的操作（domain/adjustments.ts adjustmentActions）：页面只看它，不自行判断状态 */
  can: z.strictObject({
    decide: z.boolean().describe('本人可以审批当前环节'),
    recordDocument: z.boolean().describe('本人可以登记批复文件（申请人或预算处，且审批中）'),
    withdraw: z.boolean().describe('本人可以撤回（申请人本人，审批中且尚无审批人办理）'),
  }),
  decisions: z.array(adjustmentDecision),
  journal: z
    .array(
      z.strictObject({ id: int, quotaId: int, kind: z.string().describe('指标账流水类型'), amountFen: fen, idempotencyKey: z.string() }),
    )
    .describe('记账后的指标账流水（调出、调入）；未记账为空'),
});

export const adjustmentList = z.strictObject({
  items: z.array(adjustmentSummary),
  total: int,
  page: int,
  pageSize: int,
  /** 本人在列表上可做的操作（domain/adjustments.ts adjustmentListActions）：页面只看它，不自行判断角色 */
  can: z.strictObject({
    file: z.boolean().describe('本人的角色可以提出预算调整申请'),
    review: z.boolean().describe('本人审批调整申请（可筛选“待我审批”）'),
  }),
});

export const adjustmentDecided = z.strictObject({
  step: z.string().describe('刚办理的环节名称'),
  next: z.string().nullable().describe('下一个审批环节名称；没有（最后一个环节或不同意）为 null'),
});

export type AdjustmentKind = z.infer<typeof adjustmentKind>;
export type AdjustmentStatus = z.infer<typeof adjustmentStatus>;
export type AdjustmentSummary = z.infer<typeof adjustmentSummary>;
export type QuotaBalance = z.infer<typeof quotaBalance>;
export type Adjustment = z.infer<typeof adjustment>;
export type AdjustmentList = z.infer<typeof adjustmentList>;
export type AdjustmentDecided = z.infer<typeof adjustmentDecided>;

// Request bodies

/**
 * 请求体与查询参数（路由按这些 schema 解析，server/api/adjustments.ts；页面的请求类型由 z.input 得出，web/src/api/adjustments.ts）。
 */

// Imported here, not above, so that this block merges apart from changes to the responses.
import { MAX_DOCUMENT_BYTES } from '../domain/adjustments';

const idInput = z.number().int().positive().max(2_147_483_647);
const amountInput = z.number().int('金额应为整数（分）').positive('调整金额必须大于零').max(Number.MAX_SAFE_INTEGER);

export const documentBody = z
  .object({
    documentNo: z.string().trim().min(1, '请填写调整批复文号').max(100),
    title: z.string().trim().max(200).optional(),
    fileName: z.string().trim().min(1).max(200).optional(),
    contentBase64: z
      .string()
      .min(1)
      .max(Math.ceil((MAX_DOCUMENT_BYTES * 4) / 3) + 4)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, '文件内容应为 base64')
      .optional(),
  })
  .strict();

export const fileBody = z
  .object({
    kind: z.enum(ADJUSTMENT_KINDS),
    fromQuotaId: idInput.optional(),
    toQuotaId: idInput.optional(),
    amountFen: amountInput,
    reason: z.string().trim().min(1, '请说明调整理由').max(500),
    document: documentBody.optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();

export const listQuery = z
  .object({
    status: z.enum(ADJUSTMENT_STATUSES).optional(),
    kind: z.enum(ADJUSTMENT_KINDS).optional(),
    todo: z.enum(['true', 'false']).optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export const decideBody = z
  .object({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().trim().max(500).optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => b.decision !== 'reject' || (b.comment ?? '').length > 0, { message: '不同意时须说明理由', path: ['comment'] });

export const withdrawBody = z
  .object({
    reason: z.string().trim().max(500, '撤回说明不能超过 500 个字').optional(),
  })
  .strict();
