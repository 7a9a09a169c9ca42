import { getCurrentInstance, onBeforeUnmount, ref, shallowRef } from 'vue';
import { listOrganisationSubtree, type Organisation } from '../../api/reference';
import { ApiError } from '../../api/request';
import { useRegionNames } from '../../composables/useRegionNames';

/** 抽屉中最多显示的机构数（服务端每页最多 100 个，逐页取） */
export const SUBTREE_LIMIT = 1000;
const PAGE_SIZE = 100;

export interface OrganisationNode extends Organisation {
  children?: OrganisationNode[];
}

/**
 * 服务端按物化路径排序（先上级后下级，同级按编号字符串），这里重建为树，
 * 同级按机构编码排序，供树形表格展开显示。
 */
export function buildTree(rows: readonly Organisation[], rootId: number): OrganisationNode[] {
  const nodes = new Map<number, OrganisationNode>(rows.map((o) => [o.id, { ...o }]));
  const tops: OrganisationNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.id === rootId || node.parentId === null ? undefined : nodes.get(node.parentId);
    if (parent) (parent.children ??= []).push(node);
    else tops.push(node);
  }
  const byCode = (a: OrganisationNode, b: OrganisationNode) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  const sort = (list: OrganisationNode[]) => {
    list.sort(byCode);
    for (const n of list) if (n.children) sort(n.children);
  };
  sort(tops);
  return tops;
}

/**
 * “下级机构”抽屉：取该机构及其全部下级（/api/organisations/:id/subtree，逐页取，至多 SUBTREE_LIMIT 个），
 * 以树形显示。
 */
export function useOrganisationSubtree() {
  const visible = ref(false);
  const root = shallowRef<Organisation | null>(null);
  const tree = shallowRef<OrganisationNode[]>([]);
  /** 该机构及下级的总数（含本机构） */
  const total = ref(0);
  /** 实际取到的个数（超过上限时少于 total） */
  const loaded = ref(0);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  const regions = useRegionNames();
  let controller: AbortController | null = null;

  async function load(org: Organisation): Promise<void> {
    controller?.abort();
    const current = new AbortController();
    controller = current;
    loading.value = true;
    error.value = null;
    try {
      const rows: Organisation[] = [];
      let count = 0;
      for (let page = 1; rows.length < SUBTREE_LIMIT; page++) {
        const result = await listOrganisationSubtree(org.id, { page, pageSize: PAGE_SIZE, sort: 'path' }, { signal: current.signal });
        rows.push(...result.items);
        count = result.total;
        if (result.items.length < PAGE_SIZE || rows.length >= count) break;
      }
      await regions.resolve(rows.map((o) => o.regionCode));
      if (controller !== current) return;
      tree.value = buildTree(rows.slice(0, SUBTREE_LIMIT), org.id);
      total.value = count;
      loaded.value = Math.min(rows.length, SUBTREE_LIMIT);
    } catch (e) {
      if (controller !== current) return;
      if (e instanceof ApiError && e.code === 'ABORTED') return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取下级机构失败，请稍后再试', 0, { cause: e });
    } finally {
      if (controller === current) {
        controller = null;
        loading.value = false;
      }
    }
  }

  function open(org: Organisation): void {
    root.value = org;
    tree.value = [];
    total.value = 0;
    loaded.value = 0;
    visible.value = true;
    void load(org);
  }

  if (getCurrentInstance()) {
    onBeforeUnmount(() => controller?.abort());
  }

  return { visible, root, tree, total, loaded, loading, error, open, regionName: regions.regionName };
}
