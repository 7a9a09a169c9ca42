import { ref } from 'vue';
import { listTasks } from '../api/tasks';

/**
 * 菜单“待办事项”上的数字：本人待办的件数（含用款申请、预算调整、决算等业务事项）。全应用一份；页头定时刷新，办理后由页面主动刷新。
 * 取数失败时保留上次的数字（角标不是报错的地方）。
 */
const count = ref(0);
let pending: Promise<void> | null = null;

async function refresh(): Promise<void> {
  pending ??= listTasks({ box: 'todo', page: 1, pageSize: 1 })
    .then((page) => {
      count.value = page.total + (page.business?.total ?? 0);
    })
    .catch(() => undefined)
    .finally(() => {
      pending = null;
    });
  return pending;
}

export function useTodoCount() {
  return { count, refresh };
}
