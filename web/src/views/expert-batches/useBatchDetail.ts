import { reactive, ref, shallowRef } from 'vue';
import { ElMessage } from 'element-plus';
import { confirmBatch, getBatch, remindBatch, sealEnrolled, type BatchDetail } from '../../api/experts';
import { ApiError } from '../../api/request';
import { useServerErrors } from '../../composables/useServerErrors';

/** 批次详情抽屉：每个项目、每位专家的进度；催办；全部评审完毕后由绩效处确认（签章）。 */
export function useBatchDetail(onChanged: () => void) {
  const visible = ref(false);
  const batch = shallowRef<BatchDetail | null>(null);
  const loading = ref(false);
  const busy = ref(false);
  const enrolled = ref(false);
  const confirm = reactive({ comment: '', pin: '' });
  const server = useServerErrors({ fieldMap: { signingPin: 'pin' } });

  async function open(id: number): Promise<void> {
    visible.value = true;
    confirm.comment = '';
    confirm.pin = '';
    server.clear();
    await refresh(id);
    enrolled.value = await sealEnrolled().catch(() => false);
  }

  async function refresh(id = batch.value?.id): Promise<void> {
    if (id === undefined) return;
    loading.value = true;
    try {
      batch.value = await getBatch(id);
    } finally {
      loading.value = false;
    }
  }

  async function remind(): Promise<void> {
    if (!batch.value) return;
    const r = await remindBatch(batch.value.id);
    ElMessage.success(r.reminded ? `已提醒 ${r.reminded} 项待办` : '没有需要催办的专家（每位每小时至多提醒一次）');
    await refresh();
  }

  async function submitConfirm(): Promise<void> {
    if (!batch.value || busy.value) return;
    busy.value = true;
    server.clear();
    try {
      batch.value = await confirmBatch(batch.value.id, {
        ...(confirm.comment.trim() ? { comment: confirm.comment.trim() } : {}),
        ...(enrolled.value ? { signingPin: confirm.pin } : {}),
      });
      ElMessage.success('评审结果已确认，得分与结论将写入项目');
      onChanged();
    } catch (e) {
      server.apply(e, '确认失败，请稍后再试');
      if (e instanceof ApiError && e.code === 'BATCH_ALREADY_CONFIRMED') await refresh();
    } finally {
      busy.value = false;
    }
  }

  return { visible, batch, loading, busy, enrolled, confirm, errors: server, open, refresh, remind, submitConfirm };
}
