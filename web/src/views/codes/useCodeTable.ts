import { computed, onMounted, ref, shallowRef, watch } from 'vue';
import { listEconomicCodeTable, listFunctionalCodeTable, type EconomicCode, type FunctionalCode } from '../../api/reference';
import { ApiError } from '../../api/request';
import { currentShanghaiYear } from '../../utils/shanghai';
import { buildCodeTree, filterCodes } from './codeTree';
import type { CodeTab } from './labels';

/** 表格中的一行；功能分类没有 kind 与 governmentCode */
export type CodeRow = FunctionalCode & Partial<Pick<EconomicCode, 'kind' | 'governmentCode'>>;

/**
 * 科目代码页的状态：年度、页签、整年度科目（一次取回，表不过几千行）、关键字筛选、
 * 树形数据，以及部门经济分类对应的政府经济分类名称。须在组件 setup 中调用。
 */
export function useCodeTable() {
  const year = ref(currentShanghaiYear());
  const tab = ref<CodeTab>('functional');
  const keyword = ref('');
  /** 已生效的关键字（点“查询”或回车后） */
  const appliedKeyword = ref('');
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  const functional = shallowRef<FunctionalCode[]>([]);
  const economic = shallowRef<EconomicCode[]>([]);

  let controller: AbortController | null = null;

  async function load(): Promise<void> {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    loading.value = true;
    try {
      // 经济分类两类一起取：部门经济分类要显示所对应政府经济分类的名称
      const [f, e] = await Promise.all([
        listFunctionalCodeTable(year.value, { signal: current.signal }),
        listEconomicCodeTable(year.value, undefined, { signal: current.signal }),
      ]);
      if (controller !== current) return;
      functional.value = f.items;
      economic.value = e.items;
      error.value = null;
    } catch (e) {
      if (controller !== current || (e instanceof ApiError && e.code === 'ABORTED')) return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取科目失败，请稍后再试', 0, { cause: e });
    } finally {
      if (controller === current) {
        controller = null;
        loading.value = false;
      }
    }
  }

  const tabCodes = computed<CodeRow[]>(() =>
    tab.value === 'functional' ? functional.value : economic.value.filter((c) => c.kind === tab.value),
  );
  const visibleCodes = computed(() => filterCodes(tabCodes.value, appliedKeyword.value));
  const tree = computed(() => buildCodeTree(visibleCodes.value));
  const governmentNames = computed(() => new Map(economic.value.filter((c) => c.kind === 'government').map((c) => [c.code, c.name])));

  function search(): void {
    appliedKeyword.value = keyword.value.trim();
  }

  function reset(): void {
    keyword.value = '';
    search();
  }

  /** 导入成功后显示所导入的年度 */
  function showYear(target: number): Promise<void> {
    if (year.value !== target) {
      year.value = target; // watch 负责重新加载
      return Promise.resolve();
    }
    return load();
  }

  watch(year, () => void load());
  onMounted(() => void load());

  return {
    year,
    tab,
    keyword,
    appliedKeyword,
    loading,
    error,
    tabCodes,
    visibleCodes,
    tree,
    governmentNames,
    load,
    search,
    reset,
    showYear,
  };
}
