import { z } from 'zod';
import { instant } from './time';
import { APPROVAL_CHAINS } from '../domain/allocation';
import { RISK_LEVELS, RISK_RULE_CODES, PAYEE_KINDS } from '../domain/payment-risk';
import { ATTACHMENT_KINDS, PAYMENT_DECISIONS, PAYMENT_LIST_STATUSES, PAYMENT_STATUSES, PAYMENT_TYPES } from '../domain/payments';
import { ORDER_STATUSES } from '../domain/treasury-status';

/**
 * 用款申请接口的应答（/api/payments/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/payments.ts）。
 * 金额一律为整数“分”。Objects are strict: a field the server adds without declaring it here fails the contract.
 */

const fen = z.number().int();
const id = z.number().int();

export const paymentSummary = z.strictObject({
  id,
  /** YK2026-000042 */
  requestNo: z.string().describe('用款申请号（YK年度-序号）'),
  fiscalYear: z.number().int(),
  unitOrgId: id,
  unitName: z.string(),
  quotaId: id,
  projectId: id.nullable(),
  amountFen: fen.describe('申请金额（分）'),
  payeeName: z.string(),
  payeeKind: z.enum(PAYEE_KINDS).describe('收款账户类型：单位账户或个人账户'),
  payeeKindLabel: z.string(),
  payeeAccountMasked: z.string().describe('脱敏后的收款账号（6222 **** **** 1234）'),
  payeeBank: z.string(),
  purpose: z.string(),
  economicCode: z.string().describe('支出经济分类编码'),
  paymentType: z.enum(PAYMENT_TYPES).describe('支付方式：直接支付或授权支付'),
  paymentTypeLabel: z.string(),
  majorDecision: z.boolean().describe('是否“三重一大”事项（须局长办公会会签）'),
  status: z
    .enum(PAYMENT_LIST_STATUSES)
    .describe('审批通过前为申请本身的状态，之后为其支付凭证所处阶段（支付中、已支付、已到账、支付失败、已退票）'),
  statusLabel: z.string(),
  approvalStatus: z.enum(PAYMENT_STATUSES).describe('申请本身的审批状态'),
  approvalChain: z.enum(APPROVAL_CHAINS).nullable().describe('决策表选定的审批链；风险核查之前为 null'),
  approvalChainLabel: z.string().nullable(),
  riskLevel: z.enum(RISK_LEVELS).nullable().describe('本轮风险预警的最高等级；无预警为 null'),
  currentSteps: z.array(z.string()).describe('审批中时当前所在的环节'),
  submittedAt: instant,
  approvedAt: instant.nullable(),
});

export const paymentPage = z.strictObject({
  items: z.array(paymentSummary),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  /** 本人在列表上可做的操作（domain/payments.ts paymentListActions）：页面只看它，不自行判断角色 */
  can: z.strictObject({ file: z.boolean().describe('可以新建用款申请') }),
});

export const riskHitView = z.strictObject({
  rule: z.enum(RISK_RULE_CODES),
  name: z.string(),
  level: z.enum(RISK_LEVELS),
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()).describe('命中依据（涉及的申请、日期、脱敏账号等）'),
  detectedAt: instant,
});

export const paymentDetail = paymentSummary.extend({
  payeeAccount: z.string().describe('收款账号：付款单位本单位经办人和国库处为全文，其他人为脱敏形式'),
  payeeAccountFull: z.boolean().describe('payeeAccount 是否为全文'),
  quota: z.strictObject({
    id,
    quotaNo: z.string(),
    fiscalYear: z.number().int(),
    economicCode: z.string(),
    functionalCode: z.string(),
    documentNo: z.string(),
    amountFen: fen,
    usedFen: fen,
    frozenFen: fen,
    availableFen: fen,
  }),
  project: z.strictObject({ id, projectNo: z.string(), name: z.string(), category: z.string(), budgetFen: fen }).nullable(),
  freezeKey: z.string().describe('本轮在指标账中冻结用款金额的幂等键'),
  round: z.number().int().describe('第几轮提交（退回后重新提交为第 2 轮……）'),
  returnComment: z.string().nullable(),
  chainSteps: z.array(z.string()).describe('审批链在国库处审核之后经过的环节'),
  risks: z.array(riskHitView),
  attachments: z.array(
    z.strictObject({
      id,
      kind: z.enum(ATTACHMENT_KINDS),
      kindLabel: z.string(),
      fileName: z.string(),
      contentType: z.string(),
      sizeBytes: z.number().int(),
      sm3: z.string().describe('附件内容的 SM3 摘要（十六进制）'),
      uploadedBy: z.string(),
      uploadedAt: instant,
    }),
  ),
  decisions: z.array(
    z.strictObject({
      elementId: z.string(),
      stepName: z.string(),
      decision: z
        .enum([...PAYMENT_DECISIONS, 'submit', 'resubmit', 'withdraw'])
        .describe('提交、重新提交、同意、退回、不予支付或申请人撤回'),
      decisionLabel: z.string(),
      comment: z.string().nullable(),
      userName: z.string(),
      sealed: z.boolean().describe('是否加盖电子签章'),
      auditRecordId: id.nullable(),
      decidedAt: instant,
    }),
  ),
  pending: z
    .array(z.strictObject({ elementId: z.string(), name: z.string(), assignee: z.string().nullable(), due: z.string().nullable() }))
    .describe('审批中时引擎里待办理的环节（引擎不可用时为空）'),
  engineAway: z.boolean().describe('流程引擎暂时无法访问，待办环节未能读取'),
  /** 本人可对该申请做的操作（domain/payments.ts paymentActions）：页面只看它，不自行判断状态 */
  can: z.strictObject({
    decide: z.boolean().describe('当前有由本人办理的审批环节'),
    resubmit: z.boolean().describe('已退回的申请，本人是提交单位的经办人：可以修改后重新提交'),
    withdraw: z.boolean().describe('审批中且本轮尚无审批人办理，本人是提交申请的经办人：可以撤回'),
  }),
  paymentOrder: z
    .strictObject({ orderNo: z.string(), status: z.enum(ORDER_STATUSES), statusLabel: z.string(), settledAt: instant.nullable() })
    .nullable()
    .describe('审批通过后由国库处开具的支付凭证及其银行状态；尚未开具为 null'),
  decisionsAllowed: z.array(z.enum(PAYMENT_DECISIONS)).describe('本环节可作的决定（会签只能同意或不同意）'),
});

export const payableQuota = z.strictObject({
  id,
  quotaNo: z.string(),
  fiscalYear: z.number().int(),
  economicCode: z.string(),
  functionalCode: z.string(),
  documentNo: z.string(),
  projectName: z.string().nullable(),
  projectNo: z.string().nullable(),
  amountFen: fen,
  usedFen: fen,
  frozenFen: fen,
  availableFen: fen,
});
export const payableQuotas = z.strictObject({ items: z.array(payableQuota) });

export const attachmentStored = z.strictObject({
  sm3: z.string().describe('附件内容的 SM3 摘要（十六进制），提交申请时引用'),
  sizeBytes: z.number().int(),
});

export const decided = z.strictObject({ step: z.string().describe('已办理的环节名称') });

export type PaymentSummary = z.infer<typeof paymentSummary>;
export type PaymentPage = z.infer<typeof paymentPage>;
export type RiskHitView = z.infer<typeof riskHitView>;
export type PaymentDetail = z.infer<typeof paymentDetail>;
export type PayableQuota = z.infer<typeof payableQuota>;
export type PayableQuotas = z.infer<typeof payableQuotas>;
export type AttachmentStored = z.infer<typeof attachmentStored>;
export type Decided = z.infer<typeof decided>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/payments.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

// Imported here, not above, so that this block merges apart from changes to the responses.
import { BANK_ACCOUNT_PATTERN } from '../domain/payments';

/** An idInput in a body or a query (a quota); path ids are idParams / attachmentParams. */
const idInput = z.coerce.number().int().positive().max(2_147_483_647);
const fenInput = z.number().int('金额应为整数（分）').positive('金额须大于零').max(Number.MAX_SAFE_INTEGER);
const text = (max: number, label: string) => z.string().trim().min(1, `请填写${label}`).max(max, `${label}不能超过 ${max} 个字`);
const sm3 = z.string().regex(/^[0-9a-f]{64}$/, '附件摘要应为 64 位 SM3 十六进制');
const account = z.string().trim().regex(BANK_ACCOUNT_PATTERN, '收款账号应为 8–32 位数字（可用空格或短横线分组）');

export const attachmentRef = z
  .object({
    kind: z.enum(ATTACHMENT_KINDS),
    fileName: text(200, '文件名'),
    contentType: z.string().trim().min(1).max(100).default('application/octet-stream'),
    sm3,
  })
  .strict();
export const createBody = z
  .object({
    quotaId: idInput,
    amountFen: fenInput,
    payeeName: text(200, '收款人名称'),
    payeeKind: z.enum(PAYEE_KINDS),
    payeeAccount: account,
    payeeBank: text(200, '开户银行'),
    purpose: text(500, '用途'),
    economicCode: z.string().regex(/^\d{3}(\d{2})?$/, '支出经济分类应为 3 位（类）或 5 位（款）编码'),
    paymentType: z.enum(PAYMENT_TYPES),
    majorDecision: z.boolean().default(false),
    attachments: z.array(attachmentRef).max(20).default([]),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();
export const listQuery = z
  .object({
    status: z.enum(PAYMENT_LIST_STATUSES).optional(),
    payeeAccount: account.optional(),
    quotaId: idInput.optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(20),
  })
  .strict();
export const resubmitBody = createBody
  .omit({ quotaId: true })
  .extend({ comment: z.string().trim().max(500, '说明不能超过 500 个字').optional() })
  .strict();
export const decideBody = z
  .object({
    decision: z.enum(PAYMENT_DECISIONS),
    comment: z.string().trim().max(500).optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => b.decision === 'approve' || (b.comment ?? '').length > 0, { message: '退回或不予支付时须说明理由', path: ['comment'] });
export const withdrawBody = z
  .object({
    reason: z.string().trim().max(500, '撤回说明不能超过 500 个字').optional(),
  })
  .strict();
