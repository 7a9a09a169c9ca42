import { z } from 'zod';
import { BANK_STATUSES, ORDER_STATUSES } from '../domain/treasury-status';
import { instant } from './time';

/**
 * 国库支付接口的应答（/api/treasury/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/treasury.ts）。
 * 金额一律为整数“分”；收款账号只以脱敏形式出现。Objects are strict: a field the server adds without
 * declaring it here fails the contract.
 */

export const orderStatus = z.enum(ORDER_STATUSES).describe('支付凭证状态');
export const bankStatus = z.enum(BANK_STATUSES).describe('银行所报的状态');

export const paymentOrder = z.strictObject({
  id: z.number().int(),
  orderNo: z.string().describe('支付凭证号（ZF年度-序号）'),
  source: z.strictObject({ kind: z.string().describe('来源，如 payment-request（用款申请）'), id: z.number().int() }),
  quotaId: z.number().int(),
  quotaNo: z.string(),
  unitOrgId: z.number().int(),
  unitName: z.string(),
  amountFen: z.number().int().describe('支付金额（分）'),
  payeeName: z.string(),
  payeeAccountMasked: z.string().describe('脱敏后的收款账号'),
  payeeBank: z.string(),
  purpose: z.string(),
  paymentType: z.enum(['direct', 'authorized']).describe('直接支付或授权支付'),
  economicCode: z.string(),
  status: orderStatus,
  statusLabel: z.string(),
  bankStatus: bankStatus.nullable(),
  bankStatusLabel: z.string().nullable(),
  bankRef: z.string().nullable().describe('银行受理编号'),
  failureReason: z.string().nullable(),
  sendAttempts: z.number().int().describe('已发送银行的次数'),
  createdAt: instant,
  sentAt: instant.nullable(),
  settledAt: instant.nullable(),
  escalatedAt: instant.nullable(),
  /** 服务端按状态给出（domain/treasury.ts orderFlags） */
  can: z.strictObject({
    canQuery: z.boolean().describe('可以查询银行'),
    canRetry: z.boolean().describe('可以重新发送'),
    canResolve: z.boolean().describe('可以核实处理'),
  }),
});

export const orderEvent = z.strictObject({
  id: z.number().int(),
  kind: z.string().describe('经过的类型：created、accepted、notice、query、escalated、resolved、settled 等'),
  label: z.string(),
  bankStatus: bankStatus.nullable(),
  bankStatusLabel: z.string().nullable(),
  actor: z.string(),
  detail: z.record(z.string(), z.unknown()).nullable().describe('经过的细节（银行答复、核实意见等）'),
  at: instant,
});

export const orderPage = z.strictObject({
  items: z.array(paymentOrder),
  total: z.number().int(),
  escalated: z.number().int().describe('本人数据范围内待国库处核实的凭证数'),
  page: z.number().int(),
  pageSize: z.number().int(),
});

export const orderDetail = paymentOrder.extend({ events: z.array(orderEvent) });

export const bankQueried = z.strictObject({
  bankStatus,
  bankStatusLabel: z.string(),
  delivered: z.boolean().describe('银行已有结果，已交流程办结'),
});

export const orderStatusAnswer = z.strictObject({ status: orderStatus });

export const noticeHandled = z.strictObject({
  handled: z.literal(true),
  duplicate: z.boolean().describe('同一通知编号此前已处理过'),
});

export type OrderStatus = z.infer<typeof orderStatus>;
export type PaymentOrder = z.infer<typeof paymentOrder>;
export type OrderEvent = z.infer<typeof orderEvent>;
export type OrderPage = z.infer<typeof orderPage>;
export type OrderDetail = z.infer<typeof orderDetail>;
export type BankQueried = z.infer<typeof bankQueried>;
export type OrderStatusAnswer = z.infer<typeof orderStatusAnswer>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/treasury.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

export const noticeBody = z
  .object({
    noticeId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    orderNo: z.string().min(1).max(40),
    bankRef: z.string().max(64).nullable().optional(),
    status: z.enum(['paid', 'refunded']),
    amountFen: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    reason: z.string().max(500).nullable().optional(),
    at: z.string().max(40).optional(),
  })
  .strict();

export const listQuery = z
  .object({
    status: z.enum(['created', 'sending', 'send_failed', 'sent', 'escalated', 'paid', 'failed', 'refunded']).optional(),
    orderNo: z.string().trim().max(40).optional(),
    payeeAccount: z
      .string()
      .regex(/^[0-9 -]{6,40}$/, '收款账号应为 6–40 位数字')
      .optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export const resolveBody = z
  .object({
    decision: z.enum(['paid', 'failed', 'wait']),
    comment: z.string().trim().max(500).optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => b.decision === 'wait' || (b.comment ?? '').length > 0, {
    message: '确认到账或确认失败时须说明核实情况',
    path: ['comment'],
  });
