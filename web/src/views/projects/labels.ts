import type { DuplicateBasis, ProjectEvent } from '../../api/projects';
import { CATEGORY_LABELS, PROJECT_CATEGORIES, PROJECT_STATUSES, STATUS_LABELS, type ProjectStatus } from '../../utils/projects';

/**
 * 项目库页面上的叫法与颜色。类别、状态的中文名来自 domain/projects.ts（经 utils/projects.ts），
 * 这里只补充界面用的：标签颜色、办理记录的事件名、字段名。
 */

type TagType = 'success' | 'warning' | 'info' | 'primary' | 'danger';

export const CATEGORY_OPTIONS = PROJECT_CATEGORIES.map((value) => ({ value, label: `${value} ${CATEGORY_LABELS[value]}` }));
export const STATUS_OPTIONS = PROJECT_STATUSES.map((value) => ({ value, label: STATUS_LABELS[value] }));

/** 状态标签按阶段着色：草稿灰、审核中蓝、退回橙、入库到执行绿、结束灰、终止与作废红 */
export function statusTagType(status: ProjectStatus): TagType {
  switch (status) {
    case 'submitted':
    case 'department_review':
    case 'finance_review':
      return 'primary';
    case 'returned':
      return 'warning';
    case 'reserved':
    case 'scored':
    case 'budgeted':
    case 'funded':
    case 'executing':
      return 'success';
    case 'terminated':
    case 'void':
      return 'danger';
    default:
      return 'info'; // draft, closed, carried_over
  }
}

export const EVENT_KIND_LABELS: Record<string, string> = {
  created: '创建',
  updated: '修改',
  duplicate_flagged: '疑似重复',
  voided: '作废',
  attachment_added: '上传附件',
  attachment_removed: '删除附件',
  status_changed: '状态变更',
  submitted: '送审',
  submit_failed: '送审未成功',
  withdrawn: '撤回',
  task_created: '进入环节',
  task_completed: '审核办理',
  task_action: '审批操作',
  expert_review_started: '专家评审',
  expert_review_result: '评审结果',
};

export function eventKindTagType(kind: string): TagType {
  switch (kind) {
    case 'created':
      return 'success';
    case 'duplicate_flagged':
      return 'warning';
    case 'voided':
    case 'submit_failed':
      return 'danger';
    case 'withdrawn':
      return 'warning';
    case 'status_changed':
    case 'submitted':
    case 'task_completed':
    case 'expert_review_started':
      return 'primary';
    case 'expert_review_result':
      return 'success';
    default:
      return 'info';
  }
}

/** 修改记录里列出的字段（服务端 updated 事件的 data.changed） */
export const FIELD_LABELS: Record<string, string> = {
  name: '项目名称',
  category: '项目类别',
  subType: '特定目标类子类',
  functionalCode: '功能分类科目',
  description: '项目概述',
  basis: '立项依据',
  startDate: '开始日期',
  endDate: '结束日期',
  amounts: '预算金额',
  targets: '绩效目标',
};

export const BASIS_LABELS: Record<DuplicateBasis, string> = { name: '名称相近', content: '内容相近' };

/** 办理记录一条的说明文字（不含备注），如“修改了 项目名称、预算金额” */
export function eventSummary(e: ProjectEvent): string {
  const data = (e.data ?? {}) as { changed?: unknown; fileName?: unknown };
  switch (e.kind) {
    case 'updated': {
      const changed = Array.isArray(data.changed) ? data.changed.map((f) => FIELD_LABELS[String(f)] ?? String(f)) : [];
      return changed.length ? `修改了 ${changed.join('、')}` : '保存（内容未变）';
    }
    case 'attachment_added':
    case 'attachment_removed':
      return typeof data.fileName === 'string' ? `「${data.fileName}」` : '';
    case 'status_changed':
    case 'voided':
    case 'created':
    case 'submitted':
    case 'withdrawn':
    case 'expert_review_result':
      if (e.fromStatus && e.toStatus) return `${STATUS_LABELS[e.fromStatus]} → ${STATUS_LABELS[e.toStatus]}`;
      return e.toStatus ? `状态：${STATUS_LABELS[e.toStatus]}` : '';
    default:
      return '';
  }
}

/** SM3 摘要缩写：前 8 位…后 8 位 */
export { shortDigest } from '../../utils/digest';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** 0..1 → “91.7%” */
export function percent(x: number): string {
  return `${(Math.round(x * 1000) / 10).toFixed(1)}%`;
}
