import { ref, shallowRef } from 'vue';
import { listEconomicCodes } from '../../api/reference';

export interface EconomicGroup {
  /** 类（3 位） */
  code: string;
  name: string;
  /** 该类下的款（5 位） */
  items: Array<{ code: string; name: string }>;
}

/** 每个年度只取一次：科目表在一个年度内极少变动，打开对话框不必每次重取 */
const cache = new Map<number, Promise<EconomicGroup[]>>();

async function fetchGroups(year: number): Promise<EconomicGroup[]> {
  const classes = (await listEconomicCodes(year, { kind: 'department' })).items;
  return Promise.all(
    classes.map(async (c) => ({
      code: c.code,
      name: c.name,
      items: c.hasChildren
        ? (await listEconomicCodes(year, { kind: 'department', parent: c.code })).items.map((k) => ({ code: k.code, name: k.name }))
        : [],
    })),
  );
}

/**
 * 金额明细的经济分类选项：部门预算支出经济分类的“款”，按“类”分组（GET /api/codes/economic?year=&kind=department）。
 * 明细表里每行一个可搜索的下拉框，比级联选择器更省地方，也能直接输入“办公”查找。
 */
export function useEconomicOptions() {
  const groups = shallowRef<EconomicGroup[]>([]);
  const names = shallowRef(new Map<string, string>());
  const loading = ref(false);
  /** 取不到或该年度没有科目时的提示 */
  const notice = ref('');
  let seq = 0;

  async function load(year: number): Promise<void> {
    const mine = ++seq;
    loading.value = true;
    notice.value = '';
    let pending = cache.get(year);
    if (!pending) {
      pending = fetchGroups(year);
      cache.set(year, pending);
    }
    try {
      const result = await pending;
      if (mine !== seq) return;
      groups.value = result;
      names.value = new Map(result.flatMap((g) => g.items.map((i) => [i.code, i.name] as const)));
      if (result.length === 0) notice.value = `${year} 年度尚未导入部门预算支出经济分类，请联系预算处导入`;
    } catch (e) {
      cache.delete(year);
      if (mine !== seq) return;
      groups.value = [];
      notice.value = `获取经济分类科目失败：${e instanceof Error ? e.message : '请稍后再试'}`;
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  return { groups, names, loading, notice, load };
}
