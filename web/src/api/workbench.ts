import { request } from './request';
import type { ProjectSummary } from './projects';
import type { ProjectStatus } from '../utils/projects';
import type { RequestSignal } from './reference';
import type { TaskSummary } from './tasks';

/** 工作台的提醒：info 提示、warning 预警、danger 严重 */
export interface WorkbenchWarning {
  level: 'info' | 'warning' | 'danger';
  code: 'TASKS_OVERDUE' | 'APPLICATIONS_RETURNED' | 'DUPLICATES_FLAGGED' | 'QUOTAS_LOW' | 'SYSTEM_DEGRADED';
  text: string;
  /** 点击后去的页面 */
  link: string;
}

export interface WorkbenchSummary {
  /** 我的待办：件数、逾期件数、抄送我的件数、最早到达的几件 */
  tasks: { todo: number; overdue: number; copies: number; oldest: TaskSummary[] };
  /** 可见的项目（预算单位：本单位的申报，含草稿；审核人员：范围内已送审的项目）；无 projects:read 时为 null */
  projects: null | {
    total: number;
    byStatus: Array<{ status: ProjectStatus; label: string; count: number }>;
    duplicates: number;
    recent: ProjectSummary[];
  };
  /** 可见的指标：个数、额度、可用（分）、可用不足 10% 的个数；无 quotas:read 时为 null */
  quotas: null | { count: number; amountFen: number; availableFen: number; low: number };
  warnings: WorkbenchWarning[];
}

/** GET /api/workbench：登录后首页的全部数据，一次取齐 */
export function getWorkbench(options: RequestSignal = {}): Promise<WorkbenchSummary> {
  return request<WorkbenchSummary>('/api/workbench', { signal: options.signal, timeoutMs: 15_000 });
}
