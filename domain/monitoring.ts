/**
 * 绩效监控's rules with no database or engine in sight: a quarterly report's statuses and what a
 * person may do with it (填报、偏差处理、整改答复), and who starts a quarter. The server sends
 * these as `can` with every report and on the report list, and refuses the same things itself;
 * the page tests no statuses or roles.
 */
import type { Permission } from './roles';

export const REPORT_STATUSES = ['pending', 'assessing', 'submitted', 'warned', 'rectifying', 'rectified', 'accepted'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export const REPORT_STATUS_LABELS: Record<ReportStatus, string> = {
  pending: '待填报',
  assessing: '评估中',
  submitted: '已填报',
  warned: '偏差待处理',
  rectifying: '整改中',
  rectified: '已整改',
  accepted: '已认可',
};

/** The reader of a report: the person's permissions and whether the report is their own unit's. */
export interface ReportReader {
  permissions: ReadonlySet<Permission>;
  /** The report's unit is the person's organisation. */
  ownUnit: boolean;
}

export interface ReportActions {
  /** 填报（待填报，本单位；监控流程已启动） */
  report: boolean;
  /** 偏差处理：要求整改或认可（偏差待处理，绩效处或主管部门） */
  review: boolean;
  /** 整改答复（整改中，本单位） */
  answer: boolean;
}

/** `processStarted`: the report's engine instance exists (a report just created waits for it). */
export function reportActions(status: ReportStatus, reader: ReportReader, processStarted: boolean): ReportActions {
  const unit = reader.ownUnit && reader.permissions.has('monitoring:report');
  return {
    report: unit && status === 'pending' && processStarted,
    review: reader.permissions.has('monitoring:manage') && status === 'warned',
    answer: unit && status === 'rectifying',
  };
}

/** The role that starts a quarter's monitoring from the page (绩效处); others only read the list. */
export const QUARTER_STARTER_ROLE = 'performance_division';

/** What the report list offers: 开展本季度监控 to 绩效处. */
export function monitoringListActions(roles: readonly string[], permissions: ReadonlySet<Permission>): { startQuarter: boolean } {
  return { startQuarter: permissions.has('monitoring:manage') && roles.includes(QUARTER_STARTER_ROLE) };
}
