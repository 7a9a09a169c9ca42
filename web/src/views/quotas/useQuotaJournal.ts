import { ref, shallowRef } from 'vue';
import { listQuotaJournal, type JournalEntry, type Quota } from '../../api/quotas';
import { usePagedList } from '../../composables/usePagedList';

/** “流水”抽屉：某指标的记账流水，按记账先后分页 */
export function useQuotaJournal() {
  const visible = ref(false);
  const quota = shallowRef<Quota | null>(null);

  const list = usePagedList<JournalEntry>(
    ({ page, pageSize }, signal) => {
      const current = quota.value;
      if (!current) return Promise.resolve({ items: [], total: 0, page, pageSize });
      return listQuotaJournal(current.id, { page, pageSize, order: 'asc' }, { signal });
    },
    { pageSize: 20, errorMessage: '获取指标流水失败，请稍后再试' },
  );

  function open(target: Quota): void {
    quota.value = target;
    list.clear();
    visible.value = true;
    void list.loadFirstPage();
  }

  return { visible, quota, ...list, open };
}
