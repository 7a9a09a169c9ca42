import { computed, reactive, watch, type Ref } from 'vue';
import type { FormItemRule } from 'element-plus';
import {
  checkField,
  checkFormValues,
  initialValues,
  isRequired,
  optionListOf,
  visibleFields,
  type FormCheck,
  type FormDefinition,
  type FormField,
  type FormValues,
  type OptionLists,
} from '../../../../domain/forms';
import type { PerformanceTarget } from '../../../../domain/projects';
import { formatYuan, MoneyError, parseYuan } from '../../utils/money';
import { newTargetRow, type TargetRow } from '../../views/projects/useProjectForm';
import { useServerErrors } from '../../composables/useServerErrors';

/** 用户选择器、optionsFrom 选择框的选项，由页面按列表名提供（如 countersigners → 可选的会签人） */
export interface PickerOption {
  value: string | number;
  label: string;
}
export type PickerLists = Record<string, PickerOption[]>;

/**
 * 任务表单的状态与校验。规则只有一份：domain/forms.ts（服务端据此构造 zod 校验）；这里只做界面上的换算：
 * 金额输入框为“元”的文本、提交为整数“分”；绩效目标为带行号的表格行。
 * model 为 el-form 的 model：金额字段存元文本，绩效目标存 TargetRow[]，其余字段存提交值本身。
 */
export function useFormRenderer(definition: Ref<FormDefinition>, initial: Ref<FormValues | undefined>, lists: Ref<PickerLists>) {
  const model = reactive<Record<string, unknown>>({});
  const server = useServerErrors();

  function reset(): void {
    for (const key of Object.keys(model)) delete model[key];
    const start = { ...initialValues(definition.value), ...(initial.value ?? {}) };
    for (const field of definition.value.fields) model[field.key] = toModel(field, start[field.key]);
    server.clear();
  }
  watch([definition, initial], reset, { immediate: true });

  /** 金额文本无法换算时的提示（换算规则即 parseYuan） */
  function moneyProblem(field: FormField): string | undefined {
    const text = model[field.key];
    if (field.type !== 'money' || typeof text !== 'string' || text.trim() === '') return undefined;
    try {
      parseYuan(text);
      return undefined;
    } catch (e) {
      if (e instanceof MoneyError) return `${field.label}应为金额（单位：元，最多两位小数）`;
      throw e;
    }
  }

  /** model → 提交值（尚未校验）：金额换算为分，绩效目标去掉行号 */
  const values = computed<FormValues>(() => {
    const out: FormValues = {};
    for (const field of definition.value.fields) out[field.key] = fromModel(field, model[field.key]);
    return out;
  });

  const validationLists = computed<OptionLists>(() => Object.fromEntries(Object.entries(lists.value).map(([name, options]) => [name, options.map((o) => o.value)])));
  const visible = computed(() => visibleFields(definition.value, values.value));
  const requiredOf = (field: FormField): boolean => isRequired(definition.value, field, values.value, visible.value);

  /** 某字段的第一条问题（与服务端同一规则）；没有问题为 undefined */
  function problemOf(field: FormField): string | undefined {
    if (!visible.value.get(field.key)) return undefined;
    const money = moneyProblem(field);
    if (money) return money;
    const issue = checkField(field, values.value[field.key], requiredOf(field), validationLists.value).issues[0];
    if (!issue) return undefined;
    const row = /\.(\d+)\./.exec(issue.field);
    return row ? `第 ${Number(row[1]) + 1} 条：${issue.message}` : issue.message;
  }

  const rulesOf = (field: FormField): FormItemRule[] => [
    {
      trigger: field.type === 'text' || field.type === 'textarea' || field.type === 'money' || field.type === 'number' ? 'blur' : 'change',
      validator: (_rule, _value, callback) => {
        const problem = problemOf(field);
        if (problem) callback(new Error(problem));
        else callback();
      },
    },
  ];

  /** 整张表单按定义校验的结果：通过时 values 即要提交的数据（隐藏字段已去掉） */
  const submission = computed<FormCheck>(() => {
    const money = definition.value.fields.filter((f) => visible.value.get(f.key)).flatMap((f) => (moneyProblem(f) ? [{ field: f.key, message: moneyProblem(f)! }] : []));
    const result = checkFormValues(definition.value, values.value, validationLists.value);
    if (money.length === 0) return result;
    return { ok: false, issues: [...money, ...(result.ok ? [] : result.issues.filter((i) => !money.some((m) => m.field === i.field)))] };
  });

  /** 服务端的字段错误（details[].field 可能带 body.、data. 等前缀）：落到表单字段下方 */
  function applyServerError(error: unknown, fallback = '提交失败，请稍后再试'): boolean {
    const handled = server.apply(error, fallback);
    const keys = new Set(definition.value.fields.map((f) => f.key));
    for (const [path, message] of Object.entries(server.fields)) {
      const parts = path.split('.');
      const start = parts.findIndex((p) => keys.has(p));
      if (start > 0) {
        delete server.fields[path];
        const field = parts.slice(start).join('.');
        server.fields[field] = server.fields[field] ? `${server.fields[field]}；${message}` : message;
      }
    }
    return handled;
  }

  const errorOf = (key: string): string | undefined => server.fields[key];

  /** 选项：固定选项，或页面按列表名提供的选项 */
  function optionsOf(field: FormField): PickerOption[] {
    if ('options' in field && field.options) return field.options;
    const name = optionListOf(field);
    return name ? (lists.value[name] ?? []) : [];
  }

  /** 只读显示：已完成任务的数据 */
  function displayOf(field: FormField): string {
    const v = values.value[field.key];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) return '—';
    const labelOf = (x: unknown) => optionsOf(field).find((o) => o.value === x)?.label ?? String(x);
    switch (field.type) {
      case 'money':
        return typeof v === 'number' && Number.isSafeInteger(v) ? formatYuan(v) : String(model[field.key]);
      case 'switch':
        return v === true ? (field.activeText ?? '是') : (field.inactiveText ?? '否');
      case 'number':
        return `${String(v)}${field.unit ? ` ${field.unit}` : ''}`;
      case 'select':
      case 'radio':
      case 'checkbox-group':
      case 'user-picker':
        return (Array.isArray(v) ? v : [v]).map(labelOf).join('、');
      default:
        return String(v);
    }
  }

  return { model, values, visible, requiredOf, problemOf, rulesOf, submission, server, applyServerError, errorOf, optionsOf, displayOf, reset };
}

function toModel(field: FormField, value: unknown): unknown {
  switch (field.type) {
    case 'money':
      return typeof value === 'number' && Number.isSafeInteger(value) ? formatYuan(value).replace('¥', '') : '';
    case 'performance-targets':
      return Array.isArray(value) ? (value as PerformanceTarget[]).map((t): TargetRow => ({ ...newTargetRow(), ...t, level1: t.level1 as TargetRow['level1'] })) : [];
    case 'checkbox-group':
      return Array.isArray(value) ? [...(value as string[])] : [];
    case 'select':
    case 'user-picker':
      return Array.isArray(value) ? [...(value as unknown[])] : (value ?? (field.multiple ? [] : undefined));
    case 'switch':
      return value === true;
    default:
      return value ?? (field.type === 'number' ? undefined : '');
  }
}

function fromModel(field: FormField, value: unknown): unknown {
  if (field.type === 'money') {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    try {
      return parseYuan(value);
    } catch {
      return undefined; // moneyProblem reports it
    }
  }
  if (field.type === 'performance-targets') {
    return Array.isArray(value) ? (value as TargetRow[]).map(({ level1, level2, name, direction, targetValue, unit }) => ({ level1, level2, name, direction, targetValue, unit })) : value;
  }
  if (field.type === 'number' && value === null) return undefined;
  return value;
}
