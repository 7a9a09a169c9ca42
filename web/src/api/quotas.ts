import type { z } from 'zod';
import { downloadFile } from './download';
import { request } from './request';
import type { RequestSignal } from './reference';
import type {
  EntryResult,
  IssueResult,
  JournalEntry,
  JournalItem,
  JournalPage,
  PairResult,
  Quota,
  QuotaPage,
  carryOverBody,
  entryBody,
  exportQuery,
  issueBody,
  journalExportQuery,
  journalQuery,
  listQuery,
  transferBody,
} from '../../../contracts/quotas';

export type { EntryResult, IssueResult, JournalEntry, JournalItem, PairResult, Quota, QuotaPage };

/**
 * 指标账接口。金额一律为整数“分”（…Fen），显示与换算见 utils/money.ts。
 * 记账类接口成功时返回记账流水与记账后的指标；记账被拒绝时以 ApiError 抛出
 * （409，如 INSUFFICIENT_AVAILABLE「可用指标不足：…」）。
 * 应答的类型来自 contracts/quotas.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

export type EntryKind = JournalEntry['kind'];
/** 记账类接口的应答；调剂、结转：调出（结转）一笔与调入（下达）一笔，及两个指标变动后的余额 */
export type TransferResult = PairResult;

/** 请求体与查询参数的类型来自路由解析用的同一份 schema（contracts/quotas.ts，z.input：客户端发送的一侧）。 */
export type QuotaSort = z.output<typeof listQuery>['sort'];
/** 查询参数：服务端补默认值（page、pageSize、sort、order），页面可省略任何一项。 */
export type QuotaQuery = Partial<z.output<typeof listQuery>>;
export type QuotaExportQuery = Partial<z.output<typeof exportQuery>>;
export type JournalQuery = Partial<z.output<typeof journalQuery>>;
export type JournalExportQuery = Partial<z.output<typeof journalExportQuery>>;

/** 每笔记账共有的字段：金额（分，正整数）、事由 1–500 字、幂等键（同一键重复提交只记一次账）、来源单据 */
export type EntryRequest = z.input<typeof entryBody>;

/** 下达指标：指标编号由服务端生成（ZB + 年度 + 序号），不由经办人填写；signingPin 为已开通电子签章者的签章密码（经 seals/useSealing 询问） */
export type IssueQuotaRequest = z.input<typeof issueBody>;
export type TransferRequest = z.input<typeof transferBody>;

/** GET /api/quotas：本人数据范围内的指标，分页（quotas:read） */
export function listQuotas(query: QuotaQuery = {}, options: RequestSignal = {}): Promise<QuotaPage> {
  return request<QuotaPage>('/api/quotas', { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

/** GET /api/quotas/:id */
export function getQuota(id: number, options: RequestSignal = {}): Promise<Quota> {
  return request<Quota>(`/api/quotas/${id}`, { signal: options.signal, timeoutMs: 15_000 });
}

/** GET /api/quotas/:id/journal：指标流水，分页 */
export function listQuotaJournal(id: number, query: JournalQuery = {}, options: RequestSignal = {}): Promise<JournalPage> {
  return request<JournalPage>(`/api/quotas/${id}/journal`, { query: { ...query }, signal: options.signal, timeoutMs: 15_000 });
}

/** GET /api/quotas/export：按当前条件导出指标台账（Excel，数据范围同列表） */
export function exportQuotas(query: QuotaExportQuery): Promise<string> {
  return downloadFile('/api/quotas/export', { ...query });
}

/** GET /api/quotas/:id/journal/export：导出某指标的全部流水 */
export function exportQuotaJournal(id: number, query: JournalExportQuery = {}): Promise<string> {
  return downloadFile(`/api/quotas/${id}/journal/export`, { ...query });
}

const WRITE_TIMEOUT_MS = 20_000;

/** POST /api/quotas：下达指标（quotas:issue） */
export function issueQuota(body: IssueQuotaRequest): Promise<IssueResult> {
  return request<IssueResult>('/api/quotas', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}

function entry(path: string) {
  return (id: number, body: EntryRequest): Promise<EntryResult> =>
    request<EntryResult>(`/api/quotas/${id}/${path}`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}

/** POST /api/quotas/:id/freeze：冻结（quotas:freeze） */
export const freezeQuota = entry('freeze');
/** POST /api/quotas/:id/unfreeze：解冻（quotas:freeze） */
export const unfreezeQuota = entry('unfreeze');
/** POST /api/quotas/:id/consume：支付，冻结转已用（quotas:freeze） */
export const consumeQuota = entry('consume');
/** POST /api/quotas/:id/adjust-in：追加（quotas:issue） */
export const adjustInQuota = entry('adjust-in');
/** POST /api/quotas/:id/adjust-out：调减，仅可调减可用部分（quotas:issue） */
export const adjustOutQuota = entry('adjust-out');

/** POST /api/quota-transfers：同年度指标间调剂（quotas:issue） */
export function transferQuota(body: TransferRequest): Promise<TransferResult> {
  return request<TransferResult>('/api/quota-transfers', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}

/** 结转：into 为已有的以后年度指标 { quotaId }，或新建一个指标 */
export type CarryOverRequest = z.input<typeof carryOverBody>;
/** 结转到新指标时可填写的字段；未填写的沿用原指标（年度默认下一年），编号由服务端生成 */
export type CarryOverNewQuota = Exclude<CarryOverRequest['into'], { quotaId: number }>;

/** POST /api/quotas/:id/carry-over：结转到以后年度（quotas:issue） */
export function carryOverQuota(id: number, body: CarryOverRequest): Promise<TransferResult> {
  return request<TransferResult>(`/api/quotas/${id}/carry-over`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
