import { onMounted, reactive } from 'vue';
import { listExperts, type ExpertSummary } from '../../api/experts';
import { usePagedList } from '../../composables/usePagedList';

export interface ExpertFilters {
  keyword: string;
  specialty: string;
  available: '' | 'true' | 'false';
}

const emptyFilters = (): ExpertFilters => ({ keyword: '', specialty: '', available: '' });

/** 专家库页的列表状态：查询条件（点“查询”后生效）、服务端分页。须在组件 setup 中调用。 */
export function useExpertList() {
  const filters = reactive<ExpertFilters>(emptyFilters());
  let applied = emptyFilters();
  const appliedQuery = () => ({
    keyword: applied.keyword || undefined,
    specialty: applied.specialty || undefined,
    available: applied.available || undefined,
  });
  const list = usePagedList<ExpertSummary>(({ page, pageSize }, signal) => listExperts({ page, pageSize, ...appliedQuery() }, { signal }), {
    errorMessage: '获取专家库失败，请稍后再试',
  });

  function search(): Promise<void> {
    applied = { ...filters, keyword: filters.keyword.trim() };
    return list.loadFirstPage();
  }
  function reset(): Promise<void> {
    Object.assign(filters, emptyFilters());
    return search();
  }
  onMounted(() => void search());
  return { filters, ...list, search, reset, appliedQuery };
}
