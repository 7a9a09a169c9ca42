import type { Choice, Figures, FinalAccountStatus } from '../../../domain/final-accounts';
import { downloadFile } from './download';
import { request } from './request';

/**
 * 决算接口（server/api/final-accounts.ts）。金额一律为整数“分”。尚有冻结未解除时提交和办结以 ApiError 抛出
 * （409 FINAL_ACCOUNT_OPEN_FREEZES，message 与 details 逐笔列出冻结的指标、项目、金额和来源）。
 */

const WRITE_TIMEOUT_MS = 30_000;

export interface FinalAccountSummary {
  id: number;
  fiscalYear: number;
  unitName: string;
  departmentName: string | null;
  status: FinalAccountStatus;
  statusLabel: string;
  currentStep: string | null;
  currentStepLabel: string | null;
  budgetFen: number;
  paidFen: number;
  frozenFen: number;
  balanceFen: number;
  submittedAt: string | null;
}

export interface FinalAccountLine extends Figures {
  id: number;
  quotaId: number;
  quotaNo: string;
  projectId: number | null;
  functionalCode: string;
  economicCode: string;
  postedKind: string | null;
  postedQuotaNo: string | null;
}

export interface FinalAccountItem extends Figures {
  id: number;
  projectId: number | null;
  projectNo: string | null;
  label: string;
  explanation: string | null;
  choice: Choice | null;
  choiceLabel: string | null;
  lines: FinalAccountLine[];
}

export interface FinalAccount {
  id: number;
  fiscalYear: number;
  unitName: string;
  departmentName: string | null;
  status: FinalAccountStatus;
  statusLabel: string;
  currentStep: string | null;
  currentStepLabel: string | null;
  version: number;
  returnComment: string | null;
  generatedAt: string;
  submittedAt: string | null;
  closedAt: string | null;
  totals: Figures;
  items: FinalAccountItem[];
  byFunctional: Array<{ key: string } & Figures>;
  byEconomic: Array<{ key: string } & Figures>;
  freezes: Array<{ quotaNo: string; projectName: string | null; frozenFen: number; reference: string | null }>;
  decisions: Array<{ elementId: string; stepName: string; decision: string; comment: string | null; userName: string; sealed: boolean; auditRecordId: number | null; decidedAt: string }>;
  mayDecide: boolean;
  canEdit: boolean;
}

export interface ItemInput {
  itemId: number;
  explanation?: string | null;
  choice?: Choice | null;
}

export function listFinalAccounts(query: { fiscalYear?: number; status?: string; page?: number; pageSize?: number } = {}): Promise<{ items: FinalAccountSummary[]; total: number; totals: { budgetFen: number; paidFen: number; frozenFen: number; balanceFen: number } }> {
  return request('/api/final-accounts', { query });
}
export function getFinalAccount(id: number): Promise<FinalAccount> {
  return request(`/api/final-accounts/${id}`);
}
export function openFinalAccount(fiscalYear: number): Promise<FinalAccount> {
  return request('/api/final-accounts', { method: 'POST', body: { fiscalYear }, timeoutMs: WRITE_TIMEOUT_MS });
}
export function regenerateFinalAccount(id: number, version: number): Promise<{ version: number }> {
  return request(`/api/final-accounts/${id}/regenerate`, { method: 'POST', body: { version }, timeoutMs: WRITE_TIMEOUT_MS });
}
export function saveFinalAccountItems(id: number, body: { version: number; items: ItemInput[] }): Promise<{ version: number }> {
  return request(`/api/final-accounts/${id}/items`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitFinalAccount(id: number, body: { version: number; items?: ItemInput[]; signingPin?: string }): Promise<{ step: string | null }> {
  return request(`/api/final-accounts/${id}/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decideFinalAccount(id: number, body: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string }): Promise<{ step: string | null; status: FinalAccountStatus }> {
  return request(`/api/final-accounts/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function downloadFinalAccountsExcel(query: { fiscalYear?: number; status?: string } = {}): Promise<string> {
  return downloadFile('/api/final-accounts/export', query, { timeoutMs: 120_000 });
}
export function downloadFinalAccountExcel(id: number): Promise<string> {
  return downloadFile(`/api/final-accounts/${id}/export`);
}
export function downloadFinalAccountPdf(id: number): Promise<string> {
  return downloadFile(`/api/final-accounts/${id}/report.pdf`);
}
