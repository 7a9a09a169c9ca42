import { computed, onMounted, reactive, ref, shallowRef, watch } from 'vue';
import { getFormDefinition, type FormDefinition } from '../../api/forms';
import { listTasks, type BusinessTask, type TaskBox, type TaskSummary } from '../../api/tasks';
import { usePagedList } from '../../composables/usePagedList';
import { useTodoCount } from '../../composables/useTodoCount';

export interface TaskFilters {
  keyword: string;
  processId: string;
  overdueOnly: boolean;
}

const defaultFilters = (): TaskFilters => ({ keyword: '', processId: '', overdueOnly: false });

/** 批量通过所用的结论：表单的结论字段中表示同意的选项 */
const APPROVING = ['approve', 'admit'];

/** 表单可批量通过时，批量提交的数据（如 { decision: 'approve' }）；不可时为 null */
export function approvalOf(definition: FormDefinition | undefined): Record<string, string> | null {
  const key = definition?.decisionField;
  const field = definition?.fields.find((f) => f.key === key);
  if (!key || !field || !('options' in field) || !Array.isArray(field.options)) return null;
  const option = field.options.find((o) => APPROVING.includes(String(o.value)));
  return option ? { [key]: String(option.value) } : null;
}

/**
 * 待办事项页的状态：三个箱子（待办 / 已办 / 抄送我的）、查询条件、服务端分页，
 * 以及批量通过需要的表单定义（按本页出现的表单取一次，缓存）。须在组件 setup 中调用。
 */
export function useTaskList() {
  const box = ref<TaskBox>('todo');
  const filters = reactive<TaskFilters>(defaultFilters());
  let applied: TaskFilters = defaultFilters();
  const todo = useTodoCount();
  /** 待办箱中的业务事项（用款申请、预算调整、决算 …）：在各自页面办理；引擎未应答时 businessAway */
  const business = ref<BusinessTask[]>([]);
  const businessAway = ref(false);

  const list = usePagedList<TaskSummary>(
    async ({ page, pageSize }, signal) => {
      const result = await listTasks(
        {
          box: box.value,
          page,
          pageSize,
          keyword: applied.keyword.trim() || undefined,
          processId: applied.processId || undefined,
          overdue: applied.overdueOnly ? 'true' : undefined,
        },
        { signal },
      );
      business.value = result.business?.items ?? [];
      businessAway.value = result.business?.engineAway ?? false;
      // The unfiltered 待办 total is the menu badge: keep it in step without another request.
      if (box.value === 'todo' && !applied.keyword.trim() && !applied.processId && !applied.overdueOnly)
        todo.count.value = result.total + (result.business?.total ?? 0);
      return result;
    },
    { errorMessage: '获取待办事项失败，请稍后再试' },
  );

  const forms = shallowRef(new Map<string, FormDefinition>());
  watch(list.items, async (items) => {
    const missing = [...new Set(items.map((t) => t.formKey))].filter((k) => !forms.value.has(k));
    if (!missing.length) return;
    const loaded = await Promise.all(missing.map((k) => getFormDefinition(k).catch(() => null)));
    const next = new Map(forms.value);
    loaded.forEach((d, i) => d && next.set(missing[i]!, d));
    forms.value = next;
  });

  /** 该行可否勾选批量通过：待办箱中、表单有表示同意的结论 */
  const batchable = (row: TaskSummary) => box.value === 'todo' && approvalOf(forms.value.get(row.formKey)) !== null;
  const selection = ref<TaskSummary[]>([]);
  const approvalFor = (row: TaskSummary) => approvalOf(forms.value.get(row.formKey));

  function search(): Promise<void> {
    applied = { ...filters };
    return list.loadFirstPage();
  }

  function reset(): Promise<void> {
    Object.assign(filters, defaultFilters());
    return search();
  }

  function switchBox(next: TaskBox): Promise<void> {
    box.value = next;
    selection.value = [];
    return list.loadFirstPage();
  }

  onMounted(() => void search());

  return {
    box,
    filters,
    business,
    businessAway,
    ...list,
    search,
    reset,
    switchBox,
    batchable,
    approvalFor,
    selection,
    hasSelection: computed(() => selection.value.length > 0),
  };
}
