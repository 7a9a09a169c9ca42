import { request } from './request';
import type {
  Allocation,
  AllocationLine,
  AllocationList,
  AllocationSummary,
  ControlTotal,
  Decided,
  LinesSaved,
  Submitted,
} from '../../../contracts/allocations';

export type { Allocation, AllocationLine, AllocationSummary, ControlTotal };

/**
 * 预算编制与批复接口（server/api/allocation.ts）。金额一律为整数“分”。
 * 超出控制数时保存与提交都以 ApiError 抛出（409 ALLOCATION_OVER_CONTROL_TOTAL，message 逐项说明超出的部门、领域和金额）。
 * 应答的类型来自 contracts/allocations.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

const WRITE_TIMEOUT_MS = 30_000;

export interface NewAllocation {
  fiscalYear: number;
  name: string;
  majorDecision: boolean;
  controlTotals: Array<{ departmentOrgId: number; sector: string; amountFen: number }>;
}

export function listAllocations(query: { fiscalYear?: number; status?: string } = {}): Promise<AllocationList> {
  return request('/api/allocations', { query });
}
export function getAllocation(id: number): Promise<Allocation> {
  return request(`/api/allocations/${id}`);
}
export function createAllocation(body: NewAllocation): Promise<Allocation> {
  return request('/api/allocations', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function saveLines(
  id: number,
  body: { version: number; lines: Array<{ projectId: number; proposedFen: number }> },
): Promise<LinesSaved> {
  return request(`/api/allocations/${id}/lines`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitAllocation(id: number, body: { version: number; signingPin?: string }): Promise<Submitted> {
  return request(`/api/allocations/${id}/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decideAllocation(
  id: number,
  body: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string },
): Promise<Decided> {
  return request(`/api/allocations/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
