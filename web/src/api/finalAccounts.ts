import type { z } from 'zod';
import type {
  FinalAccount,
  FinalAccountDecided,
  FinalAccountItem,
  FinalAccountLine,
  FinalAccountList,
  FinalAccountSubmitted,
  FinalAccountSummary,
  FinalAccountVersion,
  FinalAccountsStartedAll,
  decideBody,
  exportQuery,
  itemsBody,
  listQuery,
  submitBody,
} from '../../../contracts/final-accounts';
import { downloadFile } from './download';
import { request } from './request';

export type {
  FinalAccount,
  FinalAccountDecided,
  FinalAccountItem,
  FinalAccountLine,
  FinalAccountList,
  FinalAccountSubmitted,
  FinalAccountSummary,
  FinalAccountVersion,
  FinalAccountsStartedAll,
};

/**
 * 决算接口（server/api/final-accounts.ts）。金额一律为整数“分”。尚有冻结未解除时提交和办结以 ApiError 抛出
 * （409 FINAL_ACCOUNT_OPEN_FREEZES，message 与 details 逐笔列出冻结的指标、项目、金额和来源）。
 * 应答的类型来自 contracts/final-accounts.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

const WRITE_TIMEOUT_MS = 30_000;

/**
 * 请求体的类型来自路由解析用的同一份 schema（contracts/final-accounts.ts）。说明项的 itemId 由服务端转换为数字
 * （z.coerce，其输入类型为 unknown），所以取解析后的一侧（z.output）：页面发送的正是服务端读到的形状。
 */
export type FinalAccountItems = z.output<typeof itemsBody>;
export type ItemInput = FinalAccountItems['items'][number];
export type FinalAccountSubmission = z.output<typeof submitBody>;
export type FinalAccountDecision = z.input<typeof decideBody>;
/** 查询参数：服务端补默认值（page、pageSize），页面可省略任何一项。 */
export type FinalAccountListQuery = Partial<z.output<typeof listQuery>>;
export type FinalAccountExportQuery = z.output<typeof exportQuery>;

export function listFinalAccounts(query: FinalAccountListQuery = {}): Promise<FinalAccountList> {
  return request<FinalAccountList>('/api/final-accounts', { query });
}
export function getFinalAccount(id: number): Promise<FinalAccount> {
  return request<FinalAccount>(`/api/final-accounts/${id}`);
}
export function openFinalAccount(fiscalYear: number): Promise<FinalAccount> {
  return request<FinalAccount>('/api/final-accounts', { method: 'POST', body: { fiscalYear }, timeoutMs: WRITE_TIMEOUT_MS });
}
/** 为全部单位生成决算（预算处）：逐个单位生成，单位多时需要几分钟，故超时放宽到 10 分钟。 */
export function startAllFinalAccounts(fiscalYear: number): Promise<FinalAccountsStartedAll> {
  return request<FinalAccountsStartedAll>('/api/final-accounts/start-all', { method: 'POST', body: { fiscalYear }, timeoutMs: 600_000 });
}
export function regenerateFinalAccount(id: number, version: number): Promise<FinalAccountVersion> {
  return request<FinalAccountVersion>(`/api/final-accounts/${id}/regenerate`, {
    method: 'POST',
    body: { version },
    timeoutMs: WRITE_TIMEOUT_MS,
  });
}
export function saveFinalAccountItems(id: number, body: FinalAccountItems): Promise<FinalAccountVersion> {
  return request<FinalAccountVersion>(`/api/final-accounts/${id}/items`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitFinalAccount(id: number, body: FinalAccountSubmission): Promise<FinalAccountSubmitted> {
  return request<FinalAccountSubmitted>(`/api/final-accounts/${id}/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decideFinalAccount(id: number, body: FinalAccountDecision): Promise<FinalAccountDecided> {
  return request<FinalAccountDecided>(`/api/final-accounts/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function downloadFinalAccountsExcel(query: FinalAccountExportQuery = {}): Promise<string> {
  return downloadFile('/api/final-accounts/export', query, { timeoutMs: 120_000 });
}
export function downloadFinalAccountExcel(id: number): Promise<string> {
  return downloadFile(`/api/final-accounts/${id}/export`);
}
export function downloadFinalAccountPdf(id: number): Promise<string> {
  return downloadFile(`/api/final-accounts/${id}/report.pdf`);
}
