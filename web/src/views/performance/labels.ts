import type { Grade, QualitativeBand } from '../../api/performance';

/** 绩效评价的显示用语 */
export const BAND_OPTIONS: Array<{ value: QualitativeBand; label: string; range: string }> = [
  { value: 'achieved', label: '达成', range: '80%–100%' },
  { value: 'partial', label: '部分达成', range: '50%–80%' },
  { value: 'not_achieved', label: '未达成', range: '0%–50%' },
];
export const bandLabel = (b: string | null | undefined) => BAND_OPTIONS.find((o) => o.value === b)?.label ?? '';

export const GRADE_TAG: Record<Grade, 'success' | 'primary' | 'warning' | 'danger'> = {
  excellent: 'success',
  good: 'primary',
  fair: 'warning',
  poor: 'danger',
};

/** 百分制得分（整数百分之一分）→ “73.51” */
export const points = (centi: number | null | undefined) => (centi === null || centi === undefined ? '—' : (centi / 100).toFixed(2));
/** 万分比 → “60.00%” */
export const rate = (bp: number | null | undefined) => (bp === null || bp === undefined ? '无下达指标' : `${(bp / 100).toFixed(2)}%`);
