import { ref, shallowRef } from 'vue';
import { getProject, listProjectEvents, type ProjectDetail, type ProjectEvent } from '../../api/projects';
import { ApiError } from '../../api/request';

/** “查看”抽屉：项目详情与办理记录，一起取、一起刷新；再打开别的项目时取消上一次未完成的请求 */
export function useProjectDetail() {
  const visible = ref(false);
  const project = shallowRef<ProjectDetail | null>(null);
  const events = shallowRef<ProjectEvent[]>([]);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  let controller: AbortController | null = null;
  let currentId = 0;

  async function load(id: number): Promise<void> {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    loading.value = true;
    try {
      const [p, e] = await Promise.all([getProject(id, { signal: mine.signal }), listProjectEvents(id, { signal: mine.signal })]);
      if (controller !== mine) return;
      project.value = p;
      events.value = e.items;
      error.value = null;
    } catch (e) {
      if (controller !== mine || (e instanceof ApiError && e.code === 'ABORTED')) return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取项目详情失败，请稍后再试', 0, { cause: e });
    } finally {
      if (controller === mine) {
        controller = null;
        loading.value = false;
      }
    }
  }

  function open(id: number): Promise<void> {
    if (id !== currentId) {
      project.value = null;
      events.value = [];
    }
    currentId = id;
    visible.value = true;
    return load(id);
  }

  /** 附件增删、修改、作废之后：重取详情与办理记录 */
  function refresh(): Promise<void> {
    return currentId ? load(currentId) : Promise.resolve();
  }

  return { visible, project, events, loading, error, open, refresh };
}
