/** 预算调整页面的显示用名称（状态、审批意见的中文名由服务端给出的之外） */
export const CHAIN_LABELS: Record<string, string> = {
  section: '科室负责人审核',
  deputy: '科室负责人 → 分管局长',
  director: '科室负责人 → 分管局长 → 局长',
};
export const chainLabel = (c: string | null): string => (c ? (CHAIN_LABELS[c] ?? c) : '—');
export const DECISION_LABELS: Record<string, string> = { submit: '提出申请', approve: '同意', reject: '不同意', withdraw: '撤回' };
export const KIND_OPTIONS = [
  { value: 'transfer', label: '调剂', hint: '在两个指标之间调剂，预算总额不变' },
  { value: 'increase', label: '追加', hint: '增加指标额度，改变预算总额（预算调整，须有批复文件）' },
  { value: 'decrease', label: '调减', hint: '减少指标额度，改变预算总额（预算调整，须有批复文件）' },
] as const;
export const statusTagType = (s: string): 'success' | 'warning' | 'danger' | 'info' =>
  s === 'posted' ? 'success' : s === 'approving' ? 'warning' : s === 'failed' ? 'danger' : 'info';
