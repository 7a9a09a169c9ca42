import { computed, ref, shallowRef } from 'vue';
import { getFormDefinition, type FormDefinition } from '../../api/forms';
import { ApiError } from '../../api/request';
import { getTask, listEligibleUsers, type EligibleUser, type TaskDetail } from '../../api/tasks';
import type { PickerLists } from '../../components/forms/useFormRenderer';

/**
 * 办理页的数据：事项（含项目、办理记录、流程进度、本人可做的操作）、它的表单定义、
 * 可转办/加签/抄送/会签的人。换到别的事项时取消上一次未完成的请求。
 */
export function useTaskDetail() {
  const detail = shallowRef<TaskDetail | null>(null);
  const definition = shallowRef<FormDefinition | null>(null);
  const people = shallowRef<EligibleUser[]>([]);
  const loading = ref(false);
  const error = shallowRef<ApiError | null>(null);
  let controller: AbortController | null = null;

  async function load(id: number): Promise<void> {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    loading.value = true;
    try {
      const d = await getTask(id, { signal: mine.signal });
      const open = d.task.status === 'open';
      const [def, eligible] = await Promise.all([
        definition.value?.key === d.task.formKey ? definition.value : getFormDefinition(d.task.formKey),
        open || d.can.copy ? listEligibleUsers(id, { signal: mine.signal }).then((r) => r.items) : Promise.resolve([]),
      ]);
      if (controller !== mine) return;
      detail.value = d;
      definition.value = def;
      people.value = eligible;
      error.value = null;
    } catch (e) {
      if (controller !== mine || (e instanceof ApiError && e.code === 'ABORTED')) return;
      error.value = e instanceof ApiError ? e : new ApiError('UNKNOWN', '获取事项失败，请稍后再试', 0, { cause: e });
    } finally {
      if (controller === mine) {
        controller = null;
        loading.value = false;
      }
    }
  }

  /** 表单中用户选择器的选项：会签人取可办理此事项的人 */
  const lists = computed<PickerLists>(() => ({
    countersigners: people.value.map((u) => ({ value: u.id, label: `${u.name}（${u.orgName}）` })),
  }));

  return { detail, definition, people, lists, loading, error, load };
}
