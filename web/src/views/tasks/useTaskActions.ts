import { ref, type Ref } from 'vue';
import { useRouter } from 'vue-router';
import { ElMessage, ElMessageBox } from 'element-plus';
import { ApiError } from '../../api/request';
import { claimTask, commentTask, completeTask, remindTask, unclaimTask } from '../../api/tasks';
import type FormRenderer from '../../components/forms/FormRenderer.vue';
import type { FormDefinition } from '../../../../domain/forms';
import { completionMessage } from './completionMessage';
import { useTodoCount } from '../../composables/useTodoCount';
import { useSealing } from '../../seals/useSealing';

/** 办理失败时给人看的话：冲突、无权、引擎不可用各说清楚；其余用服务端的中文消息 */
export function actionErrorMessage(e: unknown, fallback: string): string {
  if (!(e instanceof ApiError)) return fallback;
  if (e.status === 409) return `${e.message}（已为您刷新）`;
  if (e.status === 403) return e.message || '您不能办理此事项';
  if (e.status === 503) return e.message || '流程引擎暂不可用，请稍后重试';
  return e.message;
}

/**
 * 办理页的操作：签收、退回签收、提交、催办、添加意见。提交时先在页面上按表单定义校验，
 * 服务端的字段错误落到表单上；提交中按钮不可再点；成功后回到待办列表。
 */
export function useTaskActions(
  taskId: () => number,
  form: Ref<InstanceType<typeof FormRenderer> | undefined>,
  reload: () => Promise<void>,
  definition: () => FormDefinition | null = () => null,
) {
  const router = useRouter();
  const todo = useTodoCount();
  const sealing = useSealing();
  const busy = ref<string | null>(null);

  async function simple(name: string, run: () => Promise<unknown>, success: string): Promise<void> {
    if (busy.value) return;
    busy.value = name;
    try {
      await run();
      ElMessage.success(success);
    } catch (e) {
      ElMessage.error(actionErrorMessage(e, '操作失败，请稍后再试'));
    } finally {
      busy.value = null;
    }
    void todo.refresh();
    await reload();
  }

  const claim = () => simple('claim', () => claimTask(taskId()), '已签收，请办理');
  const unclaim = () => simple('unclaim', () => unclaimTask(taskId()), '已退回签收，事项回到候选人的待办中');
  const remind = () =>
    simple(
      'remind',
      async () => {
        const r = await remindTask(taskId());
        if (r.reminded === 0) throw new ApiError('REMINDED', '一小时内已催办过，请稍后再催', 0);
      },
      '已催办',
    );

  async function addComment(): Promise<void> {
    let text: string;
    try {
      ({ value: text } = (await ElMessageBox.prompt('意见会记入办理记录，不影响办理。', '添加意见', {
        confirmButtonText: '添加',
        cancelButtonText: '取消',
        inputType: 'textarea',
        inputValidator: (v) => ((v ?? '').trim() ? ((v ?? '').trim().length > 500 ? '意见不能超过 500 字' : true) : '请填写意见'),
        closeOnClickModal: false,
      })) as { value: string });
    } catch {
      return;
    }
    await simple('comment', () => commentTask(taskId(), text.trim()), '已添加意见');
  }

  async function submit(): Promise<void> {
    if (busy.value || !form.value) return;
    busy.value = 'submit';
    try {
      const check = await form.value.validate();
      if (!check.ok) {
        ElMessage.error('表单有未填写或填写有误的项，请按提示修改');
        return;
      }
      const result = await sealing.run('办理审批', (pin) => completeTask(taskId(), check.values, pin));
      if (result === null) return; // 取消签章：事项保持未办，表单不动
      ElMessage.success(completionMessage(result, check.values, definition()));
      void todo.refresh();
      await router.push('/tasks');
    } catch (e) {
      if (e instanceof ApiError && e.status === 400 && e.details.length) {
        form.value.applyServerError(e);
        ElMessage.error('表单有填写有误的项，请按提示修改');
      } else {
        ElMessage.error(actionErrorMessage(e, '提交失败，请稍后再试'));
        if (e instanceof ApiError && e.status === 409) await reload();
      }
    } finally {
      busy.value = null;
    }
  }

  return { busy, claim, unclaim, remind, addComment, submit };
}
