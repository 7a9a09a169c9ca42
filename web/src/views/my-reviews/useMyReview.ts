import { computed, reactive, ref, shallowRef } from 'vue';
import { ElMessage, ElMessageBox } from 'element-plus';
import { getMyReview, respondToReview, sealEnrolled, submitReviewScore, type MyAssignmentDetail } from '../../api/experts';
import { ApiError } from '../../api/request';
import { useServerErrors } from '../../composables/useServerErrors';

/**
 * 专家本人的一项评审：读取任务（只有本人的，且从不含其他专家的评分），答复邀请，填写并提交五项评分。
 * 已开通电子签章时提交须输入签章密码（评分单以本人 SM2 密钥签章）。须在组件 setup 中调用。
 */
export function useMyReview(id: () => number) {
  const detail = shallowRef<MyAssignmentDetail | null>(null);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  const enrolled = ref(false);
  const busy = ref(false);
  const respond = reactive({ decision: 'accept' as 'accept' | 'decline', reason: '' });
  const scores = reactive<Record<string, number | undefined>>({});
  const comment = ref('');
  const pin = ref('');
  const server = useServerErrors({ fieldMap: { signingPin: 'pin' } });

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const [d, e] = await Promise.all([getMyReview(id()), sealEnrolled().catch(() => false)]);
      detail.value = d;
      enrolled.value = e;
      for (const c of d.criteria) if (!(c.key in scores)) scores[c.key] = undefined;
      error.value = null;
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取评审任务失败，请稍后再试');
    } finally {
      loading.value = false;
    }
  }

  const total = computed(() => Math.round((detail.value?.criteria ?? []).reduce((s, c) => s + (scores[c.key] ?? 0) * 100, 0)) / 100);
  const complete = computed(
    () =>
      (detail.value?.criteria ?? []).every((c) => typeof scores[c.key] === 'number') &&
      comment.value.trim().length >= 5 &&
      (!enrolled.value || pin.value.length > 0),
  );

  function fail(e: unknown, fallback: string): void {
    const err = e instanceof ApiError ? e : null;
    if (!server.apply(e, fallback)) return;
    ElMessage.error(err?.message ?? fallback);
    if (err && ['ASSIGNMENT_GONE', 'ASSIGNMENT_ANSWERED', 'SCORE_ALREADY_SUBMITTED'].includes(err.code)) void load();
  }

  async function sendResponse(): Promise<void> {
    if (busy.value || !detail.value) return;
    busy.value = true;
    server.clear();
    try {
      detail.value = await respondToReview(detail.value.id, {
        decision: respond.decision,
        ...(respond.decision === 'decline' ? { reason: respond.reason.trim() } : {}),
      });
      ElMessage.success(respond.decision === 'accept' ? '已接受邀请，请完成评分' : '已谢绝，系统将补抽其他专家');
    } catch (e) {
      fail(e, '提交失败，请稍后再试');
    } finally {
      busy.value = false;
    }
  }

  async function sendScore(): Promise<void> {
    if (busy.value || !detail.value || !complete.value) return;
    try {
      await ElMessageBox.confirm(`总分 ${total.value.toFixed(2)} 分。评分提交后不可修改，确定提交吗？`, '提交评分', {
        confirmButtonText: '提交',
        cancelButtonText: '再看看',
        type: 'warning',
      });
    } catch {
      return;
    }
    busy.value = true;
    server.clear();
    try {
      const r = await submitReviewScore(detail.value.id, {
        scores: Object.fromEntries(detail.value.criteria.map((c) => [c.key, scores[c.key]!])),
        comment: comment.value.trim(),
        ...(enrolled.value ? { signingPin: pin.value } : {}),
      });
      detail.value = r.assignment;
      pin.value = '';
      ElMessage.success(r.sealed ? '评分已提交并签章' : '评分已提交');
    } catch (e) {
      fail(e, '提交失败，请稍后再试');
    } finally {
      busy.value = false;
    }
  }

  return {
    detail,
    loading,
    error,
    enrolled,
    busy,
    respond,
    scores,
    comment,
    pin,
    total,
    complete,
    fields: server.fields,
    load,
    sendResponse,
    sendScore,
  };
}
