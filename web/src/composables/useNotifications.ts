import { ref, shallowRef } from 'vue';
import { listNotifications, markNotificationsRead, type Notification } from '../api/notifications';

/** 页头铃铛：未读数与最近的通知；打开时取最新，点开一条即标为已读 */
export function useNotifications() {
  const items = shallowRef<Notification[]>([]);
  const unread = ref(0);
  const loading = ref(false);

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const page = await listNotifications({ page: 1, pageSize: 10 });
      items.value = page.items;
      unread.value = page.unread;
    } catch {
      // 角标取不到时保留原样，不打扰正在做的事
    } finally {
      loading.value = false;
    }
  }

  async function markRead(which: number[] | 'all'): Promise<void> {
    await markNotificationsRead(which);
    await refresh();
  }

  return { items, unread, loading, refresh, markRead };
}
