import { z } from 'zod';
import { ENTRY_KINDS } from '../domain/ledger';

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
