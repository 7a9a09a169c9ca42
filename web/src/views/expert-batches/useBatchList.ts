import { onMounted } from 'vue';
import { listBatches, type BatchSummary } from '../../api/experts';
import { usePagedList } from '../../composables/usePagedList';

/** 评审批次列表（最新在前）。须在组件 setup 中调用。 */
export function useBatchList() {
  const list = usePagedList<BatchSummary>(({ page, pageSize }, signal) => listBatches({ page, pageSize }, { signal }), {
    errorMessage: '获取评审批次失败，请稍后再试',
  });
  onMounted(() => void list.loadFirstPage());
  return list;
}
