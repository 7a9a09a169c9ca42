import { reactive, ref } from 'vue';
import { ApiError } from '../../api/request';
import { enrolSeal, getMySeal, type SealStatus } from '../../api/seals';
import { newPinProblem } from '../../seals/useSealing';

/**
 * “我的电子签章”页：签章状态、开通（设置签章密码两次）、经安全管理员授权后重新开通。
 * 开通中再次点击不会重复提交。
 */
export function useMySeal() {
  const status = ref<SealStatus | null>(null);
  const loading = ref(false);
  const loadError = ref('');
  const form = reactive({ pin: '', confirm: '' });
  const submitting = ref(false);
  const formError = ref('');
  const enrolledNow = ref(false);

  async function load(): Promise<void> {
    loading.value = true;
    loadError.value = '';
    try {
      status.value = await getMySeal();
    } catch (e) {
      loadError.value = e instanceof ApiError ? e.message : '读取签章状态失败，请稍后再试';
    } finally {
      loading.value = false;
    }
  }

  async function enrol(): Promise<void> {
    if (submitting.value) return;
    formError.value = newPinProblem(form.pin, form.confirm) ?? '';
    if (formError.value) return;
    submitting.value = true;
    try {
      await enrolSeal(form.pin);
      form.pin = '';
      form.confirm = '';
      enrolledNow.value = true;
      await load();
    } catch (e) {
      formError.value = e instanceof ApiError ? (e.details[0]?.message ?? e.message) : '开通电子签章失败，请稍后再试';
      if (e instanceof ApiError && e.code === 'SEAL_ALREADY_ENROLLED') await load();
    } finally {
      submitting.value = false;
    }
  }

  return { status, loading, loadError, form, submitting, formError, enrolledNow, load, enrol };
}
