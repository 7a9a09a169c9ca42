import { reactive, ref, watch } from 'vue';
import {
  projectExecution,
  regionExecution,
  unitExecution,
  type ProjectExecutionPage,
  type RegionExecutionPage,
  type UnitExecutionPage,
} from '../../api/monitoring';
import { ApiError } from '../../api/request';
import { currentShanghaiYear } from '../../utils/shanghai';

export type ExecutionView = 'projects' | 'units' | 'regions';

/** 执行监控页面的状态：按项目 / 单位 / 地区，年度、偏差级别和关键字筛选，分页在服务端。 */
export function useExecution() {
  const view = ref<ExecutionView>('projects');
  const filter = reactive({
    fiscalYear: currentShanghaiYear(),
    minLevel: 'all' as 'all' | 'notice' | 'warning' | 'severe',
    keyword: '',
    page: 1,
    pageSize: 20,
  });
  const loading = ref(false);
  const error = ref('');
  const projects = ref<ProjectExecutionPage | null>(null);
  const units = ref<UnitExecutionPage | null>(null);
  const regions = ref<RegionExecutionPage | null>(null);

  async function load() {
    loading.value = true;
    error.value = '';
    const query = {
      fiscalYear: filter.fiscalYear,
      minLevel: filter.minLevel === 'all' ? undefined : filter.minLevel,
      keyword: filter.keyword.trim() || undefined,
      page: filter.page,
      pageSize: filter.pageSize,
    };
    try {
      if (view.value === 'projects') projects.value = await projectExecution(query);
      else if (view.value === 'units') units.value = await unitExecution(query);
      else regions.value = await regionExecution(query);
    } catch (e) {
      error.value = e instanceof ApiError ? e.message : '读取失败，请稍后再试';
    } finally {
      loading.value = false;
    }
  }

  watch(view, () => {
    filter.page = 1;
    void load();
  });

  function search() {
    filter.page = 1;
    void load();
  }

  return { view, filter, loading, error, projects, units, regions, load, search };
}
