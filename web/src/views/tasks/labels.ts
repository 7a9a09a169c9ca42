import type { TaskEvent, TaskStatus } from '../../api/tasks';

/** 待办事项页面上的叫法与颜色：事项状态、办理记录的动作 */

type TagType = 'success' | 'warning' | 'info' | 'primary' | 'danger';

export const TASK_STATUS_LABELS: Record<TaskStatus, string> = {
  open: '待办理',
  completing: '提交中',
  completed: '已办理',
  canceled: '已作废',
};

export function taskStatusTagType(status: TaskStatus): TagType {
  return status === 'open' ? 'primary' : status === 'completing' ? 'warning' : status === 'completed' ? 'success' : 'info';
}

export const EVENT_LABELS: Record<string, string> = {
  created: '到达',
  claimed: '签收',
  unclaimed: '退回签收',
  reassigned: '转办',
  signer_added: '加签',
  signed: '加签意见',
  completed: '办理',
  copied: '抄送',
  reminded: '催办',
  commented: '意见',
  canceled: '作废',
};

export function eventTagType(kind: string): TagType {
  switch (kind) {
    case 'completed':
    case 'signed':
      return 'success';
    case 'reminded':
      return 'warning';
    case 'canceled':
      return 'danger';
    case 'created':
      return 'primary';
    default:
      return 'info';
  }
}

const POSITION_LABELS: Record<string, string> = { before: '前加签', after: '后加签' };

/** 一条办理记录的说明，如“转办给 张伟”“通过”“前加签 陈静” */
export function eventText(e: TaskEvent): string {
  const data = (e.data ?? {}) as { toName?: unknown; name?: unknown; position?: unknown; userIds?: unknown };
  const who = [data.toName, data.name].find((x): x is string => typeof x === 'string');
  switch (e.kind) {
    case 'reassigned':
      return who ? `转办给 ${who}` : '转办';
    case 'signer_added':
      return `${POSITION_LABELS[String(data.position)] ?? '加签'}${who ? ` ${who}` : ''}`;
    case 'signed':
      return e.decisionLabel || (POSITION_LABELS[String(data.position)] ?? '');
    case 'completed':
      return e.decisionLabel || '已办理';
    case 'copied':
      return Array.isArray(data.userIds) ? `抄送 ${data.userIds.length} 人` : '';
    default:
      return '';
  }
}

export const BOX_LABELS = { todo: '待办', done: '已办', cc: '抄送我的' } as const;

/** 可筛选的流程（processes/ 中有人工环节的流程） */
export const PROCESS_OPTIONS = [
  { value: 'project-intake', label: '项目申报审核' },
  { value: 'payment-approval', label: '用款申请' },
  { value: 'treasury-payment', label: '国库支付' },
  { value: 'budget-adjustment', label: '预算调整' },
  { value: 'budget-allocation', label: '预算分配' },
  { value: 'final-accounts', label: '决算' },
  { value: 'performance-monitoring-report', label: '绩效监控' },
] as const;
