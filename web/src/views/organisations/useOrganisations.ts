import { onMounted, reactive } from 'vue';
import {
  exportOrganisations,
  listOrganisations,
  type Organisation,
  type OrganisationKind,
  type OrganisationQuery,
} from '../../api/reference';
import { usePagedList } from '../../composables/usePagedList';
import { useRegionNames } from '../../composables/useRegionNames';

export interface OrganisationFilters {
  name: string;
  kind: OrganisationKind | '';
}

const emptyFilters = (): OrganisationFilters => ({ name: '', kind: '' });

/**
 * 组织机构页的状态：查询条件（点“查询”后才生效）、服务端分页列表、区划名称。
 * 须在组件 setup 中调用。
 */
export function useOrganisations() {
  /** 表单中正在编辑的条件 */
  const filters = reactive<OrganisationFilters>(emptyFilters());
  /** 已生效的条件（翻页沿用） */
  let applied: OrganisationFilters = emptyFilters();
  const regions = useRegionNames();

  /** 已生效的条件与排序：列表和导出共用 */
  const appliedQuery = (): Omit<OrganisationQuery, 'page' | 'pageSize'> => ({
    sort: 'code',
    name: applied.name.trim() || undefined,
    kind: applied.kind || undefined,
  });

  const list = usePagedList<Organisation>(
    async ({ page, pageSize }, signal) => {
      const result = await listOrganisations({ page, pageSize, ...appliedQuery() }, { signal });
      await regions.resolve(result.items.map((o) => o.regionCode));
      return result;
    },
    { errorMessage: '获取组织机构失败，请稍后再试' },
  );

  function search(): Promise<void> {
    applied = { ...filters, name: filters.name.trim() };
    return list.loadFirstPage();
  }

  function reset(): Promise<void> {
    Object.assign(filters, emptyFilters());
    return search();
  }

  /** 导出当前（已生效）条件下的全部机构 */
  function exportFiltered(): Promise<string> {
    return exportOrganisations(appliedQuery());
  }

  onMounted(() => void search());

  return { filters, ...list, search, reset, exportFiltered, regionName: regions.regionName };
}
