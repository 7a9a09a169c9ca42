import type { Quota, QuotaPage } from '../../api/quotas';

/** 服务端给出的本人可做的事（GET /api/quotas 的 can，domain/ledger.ts quotaActions） */
export type QuotaCan = QuotaPage['can'];
import { formatYuan } from '../../utils/money';

/** 行内记账操作（对应 POST /api/quotas/:id/<action>） */
export type EntryAction = 'freeze' | 'unfreeze' | 'consume' | 'adjust-in' | 'adjust-out';

export interface EntryActionInfo {
  /** 按钮文字 */
  label: string;
  /** 对话框标题 */
  title: string;
  /** 服务端 can 中对应的一项 */
  can: keyof QuotaCan;
  /** 金额输入框下方的提示 */
  hint: (quota: Quota) => string;
  /** 事由输入框的占位提示 */
  reasonPlaceholder: string;
}

export const ENTRY_ACTIONS: Record<EntryAction, EntryActionInfo> = {
  freeze: {
    label: '冻结',
    title: '冻结指标',
    can: 'freeze',
    hint: (q) => `冻结金额不能超过可用 ${formatYuan(q.availableFen)}`,
    reasonPlaceholder: '如：支付申请 ZF2026-001 冻结',
  },
  unfreeze: {
    label: '解冻',
    title: '解冻指标',
    can: 'unfreeze',
    hint: (q) => `解冻金额不能超过已冻结 ${formatYuan(q.frozenFen)}`,
    reasonPlaceholder: '如：支付申请退回，释放冻结',
  },
  consume: {
    label: '支付',
    title: '指标支付',
    can: 'consume',
    hint: (q) => `支付从已冻结金额中列支，不能超过已冻结 ${formatYuan(q.frozenFen)}`,
    reasonPlaceholder: '如：支付申请 ZF2026-001 已支付',
  },
  'adjust-in': {
    label: '追加',
    title: '追加指标',
    can: 'adjustIn',
    hint: () => '追加金额计入指标额度和可用',
    reasonPlaceholder: '如：依据追加预算批复文件追加',
  },
  'adjust-out': {
    label: '调减',
    title: '调减指标',
    can: 'adjustOut',
    hint: (q) => `只能调减可用部分，不能超过可用 ${formatYuan(q.availableFen)}`,
    reasonPlaceholder: '如：依据预算调整批复调减',
  },
};

/** 涉及两个指标的操作（调剂、结转），各有自己的对话框 */
export type PairAction = 'transfer' | 'carry-over';

export const PAIR_ACTIONS: Record<PairAction, { label: string; can: keyof QuotaCan }> = {
  transfer: { label: '调剂', can: 'transfer' },
  'carry-over': { label: '结转', can: 'carryOver' },
};

/** 表格行上的操作 */
export type RowAction = EntryAction | PairAction;

export function isEntryAction(action: RowAction): action is EntryAction {
  return action in ENTRY_ACTIONS;
}

export function rowActionInfo(action: RowAction): { label: string; can: keyof QuotaCan } {
  return isEntryAction(action) ? ENTRY_ACTIONS[action] : PAIR_ACTIONS[action];
}

/** 行内操作按钮的顺序 */
export const ROW_ACTION_ORDER: readonly RowAction[] = [
  'freeze',
  'unfreeze',
  'consume',
  'adjust-in',
  'adjust-out',
  'transfer',
  'carry-over',
];

/** 资金来源常用项（也可直接输入其他来源） */
export const FUND_SOURCE_OPTIONS = [
  '一般公共预算',
  '政府性基金预算',
  '国有资本经营预算',
  '上级转移支付',
  '财政专户管理资金',
  '单位资金',
] as const;

type TagType = 'success' | 'warning' | 'info' | 'primary' | 'danger';

/** 流水类型标签颜色 */
export function entryKindTagType(kind: string): TagType {
  switch (kind) {
    case 'issue':
    case 'adjust-in':
      return 'success';
    case 'freeze':
      return 'warning';
    case 'consume':
      return 'danger';
    case 'adjust-out':
    case 'carry-over':
      return 'primary';
    default:
      return 'info';
  }
}
