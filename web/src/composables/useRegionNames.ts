import { reactive } from 'vue';
import { listRegions } from '../api/reference';

/** 已查到的区划名称（全应用共享，区划表很少变化） */
const names = reactive(new Map<string, string>());
const loadedParents = new Map<string, Promise<void>>();

/** GB/T 2260：省 xx0000 的下级是 xxxx00，市 xxxx00 的下级是县 xxxxxx；省级返回 ''（顶层） */
function parentOf(code: string): string {
  if (code.endsWith('0000')) return '';
  if (code.endsWith('00')) return `${code.slice(0, 2)}0000`;
  return `${code.slice(0, 4)}00`;
}

function loadChildren(parent: string): Promise<void> {
  let pending = loadedParents.get(parent);
  if (!pending) {
    pending = listRegions(parent || undefined)
      .then(({ items }) => {
        for (const r of items) names.set(r.code, r.name);
      })
      .catch(() => {
        // 取不到名称时显示代码即可；下次再试
        loadedParents.delete(parent);
      });
    loadedParents.set(parent, pending);
  }
  return pending;
}

/**
 * 行政区划代码 → 名称。按需向 /api/regions?parent= 查询所在上级的下级列表并缓存，
 * 查不到时显示代码本身。
 */
export function useRegionNames() {
  async function resolve(codes: Iterable<string>): Promise<void> {
    const parents = new Set<string>();
    for (const code of codes) {
      if (/^\d{6}$/.test(code) && !names.has(code)) parents.add(parentOf(code));
    }
    await Promise.all([...parents].map(loadChildren));
  }

  function regionName(code: string): string {
    return names.get(code) ?? code;
  }

  return { resolve, regionName };
}
