import { z } from 'zod';
import { ENTRY_KINDS, IDEMPOTENCY_KEY_MAX, IDEMPOTENCY_KEY_PATTERN, QUOTA_SORTS } from '../domain/ledger';

/**
 * 指标账接口的应答（/api/quotas*、/api/quota-transfers）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/quotas.ts）。
 * 金额一律为整数“分”；时间为北京时间 ISO 8601（带 +08:00）。
 * Objects are strict: a field the server adds without declaring it here fails the contract.
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601（带 +08:00）');
const fen = z.number().int().min(0);
const id = z.number().int();

export const quota = z.strictObject({
  id,
  quotaNo: z.string().describe('指标编号（ZB + 年度 + 序号，如 ZB2026-000042）'),
  fiscalYear: z.number().int().describe('预算年度'),
  projectId: id.nullable().describe('项目编号；未关联项目时为 null'),
  unitOrgId: id.nullable().describe('预算单位；尚未落到单位时为 null'),
  issuerOrgId: id.nullable().describe('下达机构：尚未落到单位的指标属于它及其所在区划（数据范围）'),
  functionalCode: z.string().describe('支出功能分类科目（3/5/7 位）'),
  economicCode: z.string().describe('支出经济分类科目（3/5 位）'),
  fundSource: z.string().describe('资金来源'),
  documentNo: z.string().describe('指标文号'),
  sourceQuotaId: id.nullable().describe('结转来源指标'),
  amountFen: fen.describe('额度（分）'),
  usedFen: fen.describe('已用（已支付，分）'),
  frozenFen: fen.describe('冻结（分）'),
  availableFen: fen.describe('可用 = 额度 − 已用 − 冻结（分）'),
  version: z.number().int(),
  createdAt: shanghaiIso,
  updatedAt: shanghaiIso,
});

export const journalEntry = z.strictObject({
  id,
  quotaId: id,
  kind: z.enum(ENTRY_KINDS),
  kindLabel: z.string().describe('中文类型名：下达、冻结、解冻、支付、调入、调出、结转、退票冲回'),
  amountFen: fen.describe('金额（分，正整数）'),
  deltaAmountFen: z.number().int().describe('额度的变动（分，可为负）'),
  deltaUsedFen: z.number().int().describe('已用的变动（分，可为负）'),
  deltaFrozenFen: z.number().int().describe('冻结的变动（分，可为负）'),
  balanceAfter: z.strictObject({ amountFen: fen, usedFen: fen, frozenFen: fen, availableFen: fen }).describe('记账后的余额'),
  counterpartQuotaId: id.nullable().describe('调剂、结转的对方指标'),
  referenceType: z.string().nullable().describe('业务类型（如 payment-request）'),
  referenceId: z.string().nullable().describe('业务编号'),
  idempotencyKey: z.string().nullable(),
  actor: z.string().describe('经办人（用户名）'),
  actorName: z.string().nullable().optional().describe('经办人姓名（仅流水列表接口返回；系统记账时为 null）'),
  reason: z.string().describe('事由'),
  createdAt: shanghaiIso,
});

/** A row of GET /api/quotas/{id}/journal: the entry with its counterpart's number and the actor's name. */
export const journalItem = journalEntry.extend({
  counterpartQuotaNo: z.string().nullable().describe('对方指标的编号'),
  actorName: z.string().nullable().describe('经办人姓名；系统记账时为 null'),
});

const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

export const quotaPage = page(quota).extend({
  can: z
    .strictObject({
      issue: z.boolean().describe('下达指标'),
      freeze: z.boolean().describe('冻结'),
      unfreeze: z.boolean().describe('解冻'),
      consume: z.boolean().describe('支付'),
      adjustIn: z.boolean().describe('追加'),
      adjustOut: z.boolean().describe('调减'),
      transfer: z.boolean().describe('调剂'),
      carryOver: z.boolean().describe('结转'),
    })
    .describe('本人对列表中的指标可做的事（domain/ledger.ts quotaActions）；余额是否够由记账时判断'),
});
export const journalPage = page(journalItem);

const replayed = z.boolean().describe('true：幂等键命中之前的记账，本次未做任何改动');

/** One entry on one quota (冻结、解冻、支付、追加、调减). */
export const entryResult = z.strictObject({ entry: journalEntry, quota: quota.describe('记账后的指标'), replayed });

/** 下达: the entry, the new quota and the issuer's seal (null before they have enrolled, and on a replay). */
export const issueResult = entryResult.extend({
  seal: z
    .strictObject({
      auditRecordId: id,
      seq: z.number().int().describe('审计链序号'),
      keyId: z.string(),
      signature: z.string().describe('SM2 签名'),
      verificationCode: z.string().describe('核验码'),
    })
    .nullable()
    .describe('下达的电子签章；未开通签章或幂等重放时为 null'),
});

/** 调剂、结转: the entry out, the entry in, both quotas after them. */
export const pairResult = z.strictObject({
  out: journalEntry.describe('调出（结转）的流水'),
  in: journalEntry.describe('调入（下达）的流水'),
  from: quota.describe('调出的指标记账后'),
  to: quota.describe('调入的指标记账后'),
  replayed,
});

export type Quota = z.infer<typeof quota>;
export type JournalEntry = z.infer<typeof journalEntry>;
export type JournalItem = z.infer<typeof journalItem>;
export type QuotaPage = z.infer<typeof quotaPage>;
export type JournalPage = z.infer<typeof journalPage>;
export type EntryResult = z.infer<typeof entryResult>;
export type IssueResult = z.infer<typeof issueResult>;
export type PairResult = z.infer<typeof pairResult>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/quotas.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

const amountFen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const idInput = z.number().int().positive().max(2_147_483_647);

const entryMeta = {
  amountFen,
  reason: z.string().trim().min(1).max(500),
  idempotencyKey: z.string().min(1).max(IDEMPOTENCY_KEY_MAX).regex(IDEMPOTENCY_KEY_PATTERN, '只能包含字母、数字和 _ . : -').optional(),
  referenceType: z.string().trim().min(1).max(50).optional(),
  referenceId: z.string().trim().min(1).max(100).optional(),
};
const bothOrNeither = (b: { referenceType?: string; referenceId?: string }) =>
  (b.referenceType === undefined) === (b.referenceId === undefined);
const referenceIssue = { message: 'referenceType 与 referenceId 须同时填写', path: ['referenceId'] };

export const entryBody = z.object(entryMeta).strict().refine(bothOrNeither, referenceIssue);

export const issueBody = z
  .object({
    ...entryMeta,
    // No quotaNo: the ledger numbers quotas itself (ZB2026-000042); a number is never typed.
    fiscalYear: z.number().int().min(2000).max(2100),
    projectId: idInput.nullish(),
    unitOrgId: idInput.nullish(),
    functionalCode: z.string().regex(/^\d{3}(\d{2}){0,2}$/, '功能分类科目应为 3、5 或 7 位数字'),
    economicCode: z.string().regex(/^\d{3}(\d{2})?$/, '经济分类科目应为 3 或 5 位数字'),
    fundSource: z.string().trim().min(1).max(50),
    documentNo: z.string().trim().min(1).max(100),
    /** The issuer's signing PIN: seals the issuance (required once the issuer has enrolled). */
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine(bothOrNeither, referenceIssue);

export const transferBody = z
  .object({ ...entryMeta, fromQuotaId: idInput, toQuotaId: idInput })
  .strict()
  .refine(bothOrNeither, referenceIssue);

/**
 * 结转 into an existing quota of a later year, or into a new one. The new quota keeps the source's
 * project and unit (the money stays the project's, and so in the same data scope); its year
 * defaults to the next, its codes, fund source and document number to the source's.
 */
const carryOverInto = z.union(
  [
    z.object({ quotaId: idInput }).strict(),
    z
      .object({
        fiscalYear: z.number().int().min(2000).max(2100).optional(),
        functionalCode: z
          .string()
          .regex(/^\d{3}(\d{2}){0,2}$/, '功能分类科目应为 3、5 或 7 位数字')
          .optional(),
        economicCode: z
          .string()
          .regex(/^\d{3}(\d{2})?$/, '经济分类科目应为 3 或 5 位数字')
          .optional(),
        fundSource: z.string().trim().min(1).max(50).optional(),
        documentNo: z.string().trim().min(1).max(100).optional(),
      })
      .strict(),
  ],
  { error: '结转目标应为已有指标 { quotaId } 或新指标 { fiscalYear?, documentNo?, … }（新指标编号由系统生成）' },
);
export const carryOverBody = z
  .object({ ...entryMeta, into: carryOverInto })
  .strict()
  .refine(bothOrNeither, referenceIssue);

const pageQuery = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('asc'),
};
export const listQuery = z
  .object({
    ...pageQuery,
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    projectId: z.coerce.number().int().positive().optional(),
    quotaNo: z.string().trim().min(1).max(50).optional(),
    sort: z.enum(Object.keys(QUOTA_SORTS) as [keyof typeof QUOTA_SORTS]).default('id'),
  })
  .strict();
export const journalQuery = z.object(pageQuery).strict();
// An export takes the list's filters and sort, without paging: it holds every matching row.
export const exportQuery = listQuery.omit({ page: true, pageSize: true });
export const journalExportQuery = journalQuery.omit({ page: true, pageSize: true });
