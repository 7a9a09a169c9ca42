import { request } from './request';
import type { RequestSignal } from './reference';
import type { WorkbenchSummary, WorkbenchWarning } from '../../../contracts/workbench';

/** 应答的类型来自 contracts/workbench.ts（服务端按同一份 schema 应答，测试中逐个核对）。 */
export type { WorkbenchSummary, WorkbenchWarning };

/** GET /api/workbench：登录后首页的全部数据，一次取齐 */
export function getWorkbench(options: RequestSignal = {}): Promise<WorkbenchSummary> {
  return request<WorkbenchSummary>('/api/workbench', { signal: options.signal, timeoutMs: 15_000 });
}
