import { onMounted, reactive, ref } from 'vue';
import { listProjects, type ProjectSort, type ProjectSummary } from '../../api/projects';
import type { SortOrder } from '../../api/reference';
import { usePagedList } from '../../composables/usePagedList';
import type { ProjectCategory, ProjectStatus } from '../../utils/projects';
import { currentShanghaiYear } from '../../utils/shanghai';

export interface ProjectFilters {
  /** 预算年度 'YYYY'；清空为 null，表示全部年度 */
  fiscalYear: string | null;
  /** 项目名称或编号包含 */
  keyword: string;
  category: ProjectCategory | '';
  status: ProjectStatus | '';
  /** 功能分类科目（类、款或项），按前缀筛选 */
  functionalCode: string;
  /** 只看疑似重复 */
  duplicatesOnly: boolean;
}

const defaultFilters = (): ProjectFilters => ({
  fiscalYear: String(currentShanghaiYear()),
  keyword: '',
  category: '',
  status: '',
  functionalCode: '',
  duplicatesOnly: false,
});

/** 表格可排序的列 → 服务端排序字段 */
const SORTABLE: Record<string, ProjectSort> = { totalAmountFen: 'totalAmountFen' };

/**
 * 项目库列表页的状态：查询条件（默认当前预算年度）、服务端排序与分页。
 * 须在组件 setup 中调用。
 */
export function useProjectList() {
  const filters = reactive<ProjectFilters>(defaultFilters());
  let applied: ProjectFilters = defaultFilters();
  const sort = ref<{ sort: ProjectSort; order: SortOrder }>({ sort: 'id', order: 'desc' });

  /** 已生效的查询条件与排序（列表和导出共用） */
  const appliedQuery = () => ({
    ...sort.value,
    fiscalYear: applied.fiscalYear ? Number(applied.fiscalYear) : undefined,
    keyword: applied.keyword.trim() || undefined,
    category: applied.category || undefined,
    status: applied.status || undefined,
    functionalCode: applied.functionalCode || undefined,
    duplicates: applied.duplicatesOnly ? ('true' as const) : undefined,
  });

  const list = usePagedList<ProjectSummary>(
    ({ page, pageSize }, signal) => listProjects({ page, pageSize, ...appliedQuery() }, { signal }),
    {
      errorMessage: '获取项目失败，请稍后再试',
    },
  );

  function search(): Promise<void> {
    applied = { ...filters };
    return list.loadFirstPage();
  }

  function reset(): Promise<void> {
    Object.assign(filters, defaultFilters());
    return search();
  }

  /** el-table 的 sort-change：按列排序，取消排序时回到按编号倒序 */
  function onSortChange({ prop, order }: { prop: string | null; order: 'ascending' | 'descending' | null }): void {
    const column = prop ? SORTABLE[prop] : undefined;
    sort.value = column && order ? { sort: column, order: order === 'ascending' ? 'asc' : 'desc' } : { sort: 'id', order: 'desc' };
    void list.loadFirstPage();
  }

  /** 新建成功后：回到第一页（新项目在最前）；查询的年度不是项目的年度时切换过去 */
  function showCreated(project: ProjectSummary): Promise<void> {
    if (applied.fiscalYear && Number(applied.fiscalYear) !== project.fiscalYear) {
      filters.fiscalYear = String(project.fiscalYear);
      return search();
    }
    return list.loadFirstPage();
  }

  onMounted(() => void search());

  return { filters, ...list, search, reset, onSortChange, showCreated, appliedQuery };
}
