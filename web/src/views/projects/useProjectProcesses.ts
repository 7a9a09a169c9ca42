import { ref, shallowRef } from 'vue';
import { ApiError } from '../../api/request';
import { listProjectProcesses, type ProcessInstanceView } from '../../api/tasks';

/** 项目的审核进度：经历过的流程（新的在前）与是否正在审核中 */
export function useProjectProcesses() {
  const items = shallowRef<ProcessInstanceView[]>([]);
  const inReview = ref(false);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  let controller: AbortController | null = null;

  async function load(projectId: number): Promise<void> {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    loading.value = true;
    try {
      const r = await listProjectProcesses(projectId, { signal: mine.signal });
      if (controller !== mine) return;
      items.value = r.items;
      inReview.value = r.inReview;
      error.value = null;
    } catch (e) {
      if (controller !== mine || (e instanceof ApiError && e.code === 'ABORTED')) return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取审核进度失败，请稍后再试', 0, { cause: e });
    } finally {
      if (controller === mine) {
        controller = null;
        loading.value = false;
      }
    }
  }

  function clear(): void {
    controller?.abort();
    items.value = [];
    inReview.value = false;
    error.value = null;
  }

  return { items, inReview, loading, error, load, clear };
}
