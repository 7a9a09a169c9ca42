import { computed, onMounted, ref, shallowRef } from 'vue';
import { listMyReviews, type MyAssignment } from '../../api/experts';
import { ApiError } from '../../api/request';

/** “我的评审”列表：待答复、评分中在前，已结束的在后。须在组件 setup 中调用。 */
export function useMyReviews() {
  const items = shallowRef<MyAssignment[]>([]);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);

  async function load(): Promise<void> {
    loading.value = true;
    try {
      items.value = await listMyReviews();
      error.value = null;
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取评审任务失败，请稍后再试');
    } finally {
      loading.value = false;
    }
  }

  const ORDER: Record<string, number> = { invited: 0, accepted: 1, submitted: 2, declined: 3, timed_out: 3 };
  const sorted = computed(() => [...items.value].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || b.id - a.id));
  const openCount = computed(() => items.value.filter((a) => a.status === 'invited' || a.status === 'accepted').length);

  onMounted(() => void load());
  return { items: sorted, openCount, loading, error, load };
}
