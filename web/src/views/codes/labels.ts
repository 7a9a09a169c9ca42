import type { CodeType, EconomicKind } from '../../api/reference';
import { currentShanghaiYear } from '../../utils/shanghai';

/** 科目代码页的三个页签：功能分类，部门/政府经济分类 */
export type CodeTab = 'functional' | EconomicKind;

export const CODE_TABS: ReadonlyArray<{ name: CodeTab; label: string }> = [
  { name: 'functional', label: '支出功能分类' },
  { name: 'department', label: '部门预算经济分类' },
  { name: 'government', label: '政府预算经济分类' },
];

export const CODE_TYPE_OPTIONS: ReadonlyArray<{ value: CodeType; label: string }> = [
  { value: 'functional', label: '支出功能分类' },
  { value: 'economic', label: '支出经济分类（部门、政府）' },
];

export function codeTypeOfTab(tab: CodeTab): CodeType {
  return tab === 'functional' ? 'functional' : 'economic';
}

/** 可选的预算年度：明年到前五年（科目表按年度导入，通常提前导入下一年度） */
export function fiscalYearOptions(now = currentShanghaiYear()): number[] {
  return Array.from({ length: 7 }, (_, i) => now + 1 - i);
}

export const LEVEL_TAG_TYPES: Record<string, 'danger' | 'warning' | 'success'> = { 类: 'danger', 款: 'warning', 项: 'success' };
