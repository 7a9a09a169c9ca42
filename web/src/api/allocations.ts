import type { z } from 'zod';
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
  createBody,
  decideBody,
  linesBody,
  listQuery,
  submitBody,
} from '../../../contracts/allocations';

export type { Allocation, AllocationLine, AllocationSummary, ControlTotal };

/**
 * 预算编制与批复接口（server/api/allocation.ts）。金额一律为整数“分”。
 * 超出控制数时保存与提交都以 ApiError 抛出（409 ALLOCATION_OVER_CONTROL_TOTAL，message 逐项说明超出的部门、领域和金额）。
 * 应答的类型来自 contracts/allocations.ts（服务端按同一份 schema 应答，测试中逐个核对）。
 */

const WRITE_TIMEOUT_MS = 30_000;

/**
 * 请求体的类型来自路由解析用的同一份 schema（contracts/allocations.ts）。单位与项目的 id 由服务端转换为数字
 * （z.coerce，其输入类型为 unknown），所以这两个取解析后的一侧（z.output）：页面发送的正是服务端读到的形状。
 */
export type NewAllocation = z.output<typeof createBody>;
export type AllocationLines = z.output<typeof linesBody>;
export type AllocationSubmission = z.input<typeof submitBody>;
export type AllocationDecision = z.input<typeof decideBody>;
export type AllocationListQuery = z.output<typeof listQuery>;

export function listAllocations(query: AllocationListQuery = {}): Promise<AllocationList> {
  return request('/api/allocations', { query });
}
export function getAllocation(id: number): Promise<Allocation> {
  return request(`/api/allocations/${id}`);
}
export function createAllocation(body: NewAllocation): Promise<Allocation> {
  return request('/api/allocations', { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function saveLines(id: number, body: AllocationLines): Promise<LinesSaved> {
  return request(`/api/allocations/${id}/lines`, { method: 'PUT', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function submitAllocation(id: number, body: AllocationSubmission): Promise<Submitted> {
  return request(`/api/allocations/${id}/submit`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
export function decideAllocation(id: number, body: AllocationDecision): Promise<Decided> {
  return request(`/api/allocations/${id}/decision`, { method: 'POST', body, timeoutMs: WRITE_TIMEOUT_MS });
}
