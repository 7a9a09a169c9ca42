import { onMounted, reactive, shallowRef } from 'vue';
import { exportQuotas, listQuotas, type Quota, type QuotaQuery } from '../../api/quotas';
import { usePagedList } from '../../composables/usePagedList';
import { currentShanghaiYear } from '../../utils/shanghai';
import type { QuotaCan } from './labels';

/** 列表加载前什么也不提供 */
const NOTHING: QuotaCan = {
  issue: false,
  freeze: false,
  unfreeze: false,
  consume: false,
  adjustIn: false,
  adjustOut: false,
  transfer: false,
  carryOver: false,
};

export interface QuotaFilters {
  /** 预算年度（年份选择器给出的 'YYYY'），清空后为 null，表示全部年度 */
  fiscalYear: string | null;
}

const defaultFilters = (): QuotaFilters => ({ fiscalYear: String(currentShanghaiYear()) });

/**
 * 指标账页的列表状态：查询条件（默认当前预算年度）、服务端分页、按行刷新。
 * 须在组件 setup 中调用。
 */
export function useQuotaList() {
  const filters = reactive<QuotaFilters>(defaultFilters());
  let applied: QuotaFilters = defaultFilters();

  /** 已生效的条件与排序：列表和导出共用 */
  const appliedQuery = (): Omit<QuotaQuery, 'page' | 'pageSize'> => ({
    sort: 'id',
    order: 'desc',
    fiscalYear: applied.fiscalYear ? Number(applied.fiscalYear) : undefined,
  });

  /** 本人可做的事：随列表由服务端给出（domain/ledger.ts），页面不自行判断权限 */
  const can = shallowRef<QuotaCan>(NOTHING);
  const list = usePagedList<Quota>(
    async ({ page, pageSize }, signal) => {
      const result = await listQuotas({ page, pageSize, ...appliedQuery() }, { signal });
      can.value = result.can;
      return result;
    },
    { errorMessage: '获取指标失败，请稍后再试' },
  );

  function search(): Promise<void> {
    applied = { ...filters };
    return list.loadFirstPage();
  }

  function reset(): Promise<void> {
    Object.assign(filters, defaultFilters());
    return search();
  }

  /** 下达成功后：回到第一页（按编号倒序，新指标在最前）；查询的年度不是所下达的年度时切换过去 */
  function showIssued(quota: Quota): Promise<void> {
    if (applied.fiscalYear && Number(applied.fiscalYear) !== quota.fiscalYear) {
      filters.fiscalYear = String(quota.fiscalYear);
      return search();
    }
    return list.loadFirstPage();
  }

  /** 记账成功后用服务端返回的指标刷新该行 */
  function replaceQuota(quota: Quota): void {
    list.replaceItem((q) => q.id === quota.id, quota);
  }

  /** 导出当前（已生效）条件下的全部指标 */
  function exportFiltered(): Promise<string> {
    return exportQuotas(appliedQuery());
  }

  onMounted(() => void search());

  return { filters, ...list, can, search, reset, replaceQuota, showIssued, exportFiltered };
}
