import { BAND_LABELS, CHAIN_LABELS, GRADE_LABELS, type ApprovalChain, type Grade } from '../../../../domain/allocation';

export const gradeLabel = (g: string | null) => (g ? (GRADE_LABELS[g as Grade] ?? g) : '—');
export const bandLabel = (b: string | null) => (b ? (BAND_LABELS[b] ?? b) : '未评审');
export const chainLabel = (c: string | null) => (c ? (CHAIN_LABELS[c as ApprovalChain] ?? c) : '提交后由决策表确定');
export const scoreLabel = (centi: number | null) => (centi === null ? '—' : (centi / 100).toFixed(2));
export const DECISION_LABELS: Record<string, string> = { submit: '提交', approve: '同意', reject: '不同意' };
