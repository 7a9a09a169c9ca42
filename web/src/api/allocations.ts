import { request } from './request';

/**
 * 预算编制与批复接口（server/api/allocation.ts）。金额一律为整数“分”。
 * 超出控制数时保存与提交都以 ApiError 抛出（409 ALLOCATION_OVER_CONTROL_TOTAL，message 逐项说明超出的部门、领域和金额）。
 */

const WRITE_TIMEOUT_MS = 30_000;

export interface AllocationSummary {
  id: number;
  fiscalYear: number;
  name: string;
  bureauName: string;
  status: 'draft' | 'approving' | 'issued';
  statusLabel: string;
  totalFen: number;
  approvalChain: string | null;
  documentNo: string | null;
  submittedAt: string | null;
  issuedAt: string | null;
}

export interface AllocationLine {
  projectId: number;
  projectNo: string;
  projectName: string;
  unitName: string;
  departmentOrgId: number;
  sector: string;
  rank: number;
  grade: string | null;
  band: string | null;
  scoreCenti: number | null;
  excluded: boolean;
  requestedFen: number;
  suggestedFen: number;
  proposedFen: number;
  reason: string | null;
  outcome: string | null;
  projectStatus: string;
}

export interface ControlTotal {
  departmentOrgId: number;
  departmentName: string;
  sector: string;
  amountFen: number;
  proposedFen: number;
}

export interface Allocation {
  id: number;
  fiscalYear: number;
  name: string;
  status: 'draft' | 'approving' | 'issued';
  statusLabel: string;
  majorDecision: boolean;
  totalFen: number;
  approvalChain: string | null;
  chainSteps: string[];
  documentNo: string | null;
  returnComment: string | null;
  version: number;
  createdAt: string;
  submittedAt: string | null;
  issuedAt: string | null;
  controlTotals: ControlTotal[];
  departments: Array<{ id: number; name: string }>;
  lines: AllocationLine[];
  decisions: Array<{ elementId: string; stepName: string; decision: string; comment: string | null; userName: string; sealed: boolean; auditRecordId: number | null; decidedAt: string }>;
  pending: Array<{ elementId: string; name: string; assignee: string | null }>;
  mayDecide: boolean;
  canEdit: boolean;
  quotas: Array<{ id: number; quotaNo: string; projectId: number; economicCode: string; functionalCode: string; amountFen: number; documentNo: string }>;
}

export interface NewAllocation {
  fiscalYear: number;
  name: string;
  majorDecision: boolean;
  controlTotals: Array<{ departmentOrgId: number; sector: string; amountFen: number }>;
}

export function listAllocations(query: { fiscalYear?: number; status?: string } = {}): Promise<{ items: AllocationSummary[] }> {
  return request('/api/allocations', { query });
}
export function getAllocation(id: number): Promise<Allocation> {
  return request(`/api/allocations/${id}`);
}
export function createAllocation(body: NewAllocation): Promise<Allocation> {
  return request('/api/allocations', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function saveLines(id: number, body: { version: number; lines: Array<{ projectId: number; proposedFen: number }> }): Promise<{ version: number; totalFen: number }> {
  return request(`/api/allocations/${id}/lines`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitAllocation(id: number, body: { version: number; signingPin?: string }): Promise<{ processInstanceId: string }> {
  return request(`/api/allocations/${id}/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decideAllocation(id: number, body: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string }): Promise<{ step: string }> {
  return request(`/api/allocations/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
