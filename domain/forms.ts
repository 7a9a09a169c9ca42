/**
 * Task forms (forms/*.json): the shape of a definition and the rules a submission must meet —
 * written once, here, with no zod, Express or Vue in sight. The server builds its zod schema
 * from `checkFormValues` (server/forms/schema.ts); the SPA's FormRenderer asks the same
 * functions which fields are visible and required and what is wrong with a value.
 */
import { targetProblems, smartProblems, type PerformanceTarget } from './projects';
import { formatYuan } from './money';

// ---------------------------------------------------------------------------------------------
// The definition

export const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'money',
  'date',
  'select',
  'radio',
  'checkbox-group',
  'switch',
  'user-picker',
  'code-picker',
  'performance-targets',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export type ConditionValue = string | number | boolean;
/** Holds when the other field's value equals `equals` or is one of `in` (an array value: any element). */
export type Condition = { field: string; equals: ConditionValue } | { field: string; in: ConditionValue[] };

export interface FieldOption {
  value: string;
  label: string;
}

/** Overrides of the default Chinese messages, per rule. */
export interface FieldMessages {
  required?: string;
  min?: string;
  max?: string;
  minLength?: string;
  maxLength?: string;
}

interface FieldBase {
  key: string;
  /** 中文标签 */
  label: string;
  required?: boolean;
  requiredWhen?: Condition;
  /** Hidden fields are neither validated nor submitted. */
  visibleWhen?: Condition;
  placeholder?: string;
  /** 字段下方的说明 */
  help?: string;
  /** Grid columns out of 24 (el-col span); 24 by default. */
  span?: number;
  messages?: FieldMessages;
}

export interface TextField extends FieldBase {
  type: 'text' | 'textarea';
  minLength?: number;
  maxLength?: number;
  pattern?: { regex: string; message: string };
  default?: string;
}
export interface NumberField extends FieldBase {
  type: 'number';
  min?: number;
  max?: number;
  integer?: boolean;
  /** 计量单位, shown after the input */
  unit?: string;
  default?: number;
}
/** Typed in yuan, submitted as integer fen; min/max are fen. Never negative. */
export interface MoneyField extends FieldBase {
  type: 'money';
  min?: number;
  max?: number;
  default?: number;
}
/** YYYY-MM-DD; min/max likewise. */
export interface DateField extends FieldBase {
  type: 'date';
  min?: string;
  max?: string;
  default?: string;
}
/** Inline options, or `optionsFrom`: the name of a list the page (and the server's caller) supplies. */
export interface ChoiceField extends FieldBase {
  type: 'select' | 'radio';
  options?: FieldOption[];
  optionsFrom?: string;
  /** select only: several values */
  multiple?: boolean;
  default?: string | string[];
}
export interface CheckboxGroupField extends FieldBase {
  type: 'checkbox-group';
  options?: FieldOption[];
  optionsFrom?: string;
  /** how many may be ticked */
  min?: number;
  max?: number;
  default?: string[];
}
/** A switch always submits a boolean; `required` means it must be on (a confirmation). */
export interface SwitchField extends FieldBase {
  type: 'switch';
  activeText?: string;
  inactiveText?: string;
  default?: boolean;
}
/** User ids from a list the page supplies (`optionsFrom`, default 'users'); min/max count people. */
export interface UserPickerField extends FieldBase {
  type: 'user-picker';
  multiple?: boolean;
  optionsFrom?: string;
  min?: number;
  max?: number;
}
/** A classification code of the task's fiscal year. */
export interface CodePickerField extends FieldBase {
  type: 'code-picker';
  codeTable: 'functional' | 'economic';
  default?: string;
}
/** A table of performance targets (domain/projects.ts framework); `smart`: must pass the SMART check. */
export interface PerformanceTargetsField extends FieldBase {
  type: 'performance-targets';
  min?: number;
  max?: number;
  smart?: boolean;
}

export type FormField =
  | TextField
  | NumberField
  | MoneyField
  | DateField
  | ChoiceField
  | CheckboxGroupField
  | SwitchField
  | UserPickerField
  | CodePickerField
  | PerformanceTargetsField;

export interface FormSection {
  title: string;
  /** keys of the fields shown under this title, in order */
  fields: string[];
}

export interface FormDefinition {
  /** the form key a BPMN user task names; the file is forms/<key>.json */
  key: string;
  title: string;
  description?: string;
  fields: FormField[];
  /** Optional grouping; when present every field is in exactly one section. */
  sections?: FormSection[];
  /** The field that carries the approval decision, if the form has one. */
  decisionField?: string;
}

export const FORM_KEY_PATTERN = /^[a-z][a-z0-9-]{1,79}$/;
export const FIELD_KEY_PATTERN = /^[a-zA-Z][a-zA-Z0-9]{0,63}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

// ---------------------------------------------------------------------------------------------
// Values

export type FormValue = string | number | boolean | string[] | number[] | PerformanceTarget[];
export type FormValues = Record<string, unknown>;

/** Lists supplied at run time, by list name (`optionsFrom`): user ids, codes, option values. */
export type OptionLists = Record<string, ReadonlyArray<string | number>>;

export interface FormIssue {
  /** the field key, or key.index.column inside a performance-target table */
  field: string;
  message: string;
}

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);

/** What a condition sees: a hidden field counts as empty; an untouched switch as off. */
function conditionValue(field: FormField | undefined, values: FormValues, visible: Map<string, boolean>): unknown {
  if (!field || !visible.get(field.key)) return undefined;
  const v = values[field.key];
  if (field.type === 'switch') return v === true;
  return typeof v === 'string' ? v.trim() : v;
}

function holds(condition: Condition, value: unknown): boolean {
  const accepted: ConditionValue[] = 'in' in condition ? condition.in : [condition.equals];
  const actual = Array.isArray(value) ? value : [value];
  return actual.some((a) => accepted.includes(a as ConditionValue));
}

/**
 * Which fields are visible for these values. A field is visible when its condition holds and the
 * field the condition names is itself visible (conditions name earlier fields, so one pass does).
 */
export function visibleFields(definition: FormDefinition, values: FormValues): Map<string, boolean> {
  const byKey = new Map(definition.fields.map((f) => [f.key, f]));
  const visible = new Map<string, boolean>();
  for (const f of definition.fields) {
    visible.set(f.key, !f.visibleWhen || holds(f.visibleWhen, conditionValue(byKey.get(f.visibleWhen.field), values, visible)));
  }
  return visible;
}

export function isRequired(
  definition: FormDefinition,
  field: FormField,
  values: FormValues,
  visible = visibleFields(definition, values),
): boolean {
  if (!visible.get(field.key)) return false;
  if (field.required) return true;
  if (!field.requiredWhen) return false;
  const other = definition.fields.find((f) => f.key === field.requiredWhen!.field);
  return holds(field.requiredWhen, conditionValue(other, values, visible));
}

/** The list name a field takes its options from at run time, if any. */
export function optionListOf(field: FormField): string | undefined {
  if (field.type === 'user-picker') return field.optionsFrom ?? 'users';
  if (field.type === 'select' || field.type === 'radio' || field.type === 'checkbox-group')
    return field.options ? undefined : field.optionsFrom;
  return undefined;
}

const requiredMessage = (f: FormField): string =>
  f.messages?.required ??
  (f.type === 'switch'
    ? `请确认${f.label}`
    : ['select', 'radio', 'checkbox-group', 'user-picker', 'code-picker', 'date'].includes(f.type)
      ? `请选择${f.label}`
      : `请填写${f.label}`);

/**
 * What is wrong with one visible field's value: issues (empty when fine) and the value as it is
 * to be submitted (trimmed text; undefined when empty). `lists` checks picked values against the
 * run-time lists; without it only their form is checked.
 */
export function checkField(
  field: FormField,
  raw: unknown,
  required: boolean,
  lists: OptionLists = {},
): { issues: FormIssue[]; value: FormValue | undefined } {
  const fail = (message: string, at = field.key) => ({ issues: [{ field: at, message }], value: undefined });
  const msg = field.messages ?? {};
  if (field.type === 'switch') {
    if (raw !== undefined && raw !== null && typeof raw !== 'boolean') return fail(`${field.label}应为是或否`);
    const on = raw === true;
    if (required && !on) return fail(requiredMessage(field));
    return { issues: [], value: on };
  }
  if (isEmpty(raw)) return required ? fail(requiredMessage(field)) : { issues: [], value: undefined };

  const listName = optionListOf(field);
  const list = listName ? lists[listName] : undefined;
  const inOptions = (v: string | number): boolean => {
    if ('options' in field && field.options) return field.options.some((o) => o.value === v);
    return list ? list.includes(v) : true;
  };

  switch (field.type) {
    case 'text':
    case 'textarea': {
      if (typeof raw !== 'string') return fail(`${field.label}应为文字`);
      const text = raw.trim();
      const length = [...text].length;
      if (field.minLength !== undefined && length < field.minLength)
        return fail(msg.minLength ?? `${field.label}至少 ${field.minLength} 个字`);
      if (field.maxLength !== undefined && length > field.maxLength)
        return fail(msg.maxLength ?? `${field.label}不能超过 ${field.maxLength} 个字`);
      if (field.pattern && !new RegExp(field.pattern.regex, 'u').test(text)) return fail(field.pattern.message);
      return { issues: [], value: text };
    }
    case 'number': {
      if (typeof raw !== 'number' || !Number.isFinite(raw)) return fail(`${field.label}应为数字`);
      if (field.integer && !Number.isSafeInteger(raw)) return fail(`${field.label}应为整数`);
      if (field.min !== undefined && raw < field.min) return fail(msg.min ?? `${field.label}不能小于 ${field.min}`);
      if (field.max !== undefined && raw > field.max) return fail(msg.max ?? `${field.label}不能大于 ${field.max}`);
      return { issues: [], value: raw };
    }
    case 'money': {
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) return fail(`${field.label}应为整数分（最多两位小数的元）`);
      if (raw < 0) return fail(msg.min ?? `${field.label}不能为负数`);
      if (field.min !== undefined && raw < field.min) return fail(msg.min ?? `${field.label}不能少于 ${formatYuan(field.min)}`);
      if (field.max !== undefined && raw > field.max) return fail(msg.max ?? `${field.label}不能超过 ${formatYuan(field.max)}`);
      return { issues: [], value: raw };
    }
    case 'date': {
      if (typeof raw !== 'string' || !isCalendarDate(raw)) return fail(`${field.label}应为有效日期（年-月-日）`);
      if (field.min !== undefined && raw < field.min) return fail(msg.min ?? `${field.label}不能早于 ${field.min}`);
      if (field.max !== undefined && raw > field.max) return fail(msg.max ?? `${field.label}不能晚于 ${field.max}`);
      return { issues: [], value: raw };
    }
    case 'select':
    case 'radio': {
      if (field.type === 'select' && field.multiple) {
        if (!Array.isArray(raw) || !raw.every((v) => typeof v === 'string')) return fail(`${field.label}应为选项列表`);
        if (!raw.every(inOptions)) return fail(`${field.label}含有不在选项中的值`);
        return { issues: [], value: [...new Set(raw as string[])] };
      }
      if (typeof raw !== 'string' || !inOptions(raw)) return fail(`${field.label}的取值不在选项中`);
      return { issues: [], value: raw };
    }
    case 'checkbox-group': {
      if (!Array.isArray(raw) || !raw.every((v) => typeof v === 'string')) return fail(`${field.label}应为选项列表`);
      if (!raw.every(inOptions)) return fail(`${field.label}含有不在选项中的值`);
      const picked = [...new Set(raw as string[])];
      return countCheck(field, picked.length) ?? { issues: [], value: picked };
    }
    case 'user-picker': {
      const ids = field.multiple ? raw : [raw];
      if (!Array.isArray(ids) || !ids.every((v) => Number.isSafeInteger(v) && (v as number) > 0))
        return fail(`${field.label}应为${field.multiple ? '人员编号列表' : '人员编号'}`);
      if (!ids.every(inOptions)) return fail(`${field.label}含有不可选的人员`);
      const unique = [...new Set(ids as number[])];
      if (unique.length !== ids.length) return fail(`${field.label}有重复的人员`);
      if (!field.multiple) return { issues: [], value: unique[0]! };
      return countCheck(field, unique.length, '人') ?? { issues: [], value: unique };
    }
    case 'code-picker': {
      if (typeof raw !== 'string' || !/^\d{3,12}$/.test(raw)) return fail(`${field.label}应为科目编码`);
      const codes = lists[`${field.codeTable}-codes`];
      if (codes && !codes.includes(raw)) return fail(`${field.label}不是本年度的有效科目`);
      return { issues: [], value: raw };
    }
    case 'performance-targets':
      return checkTargets(field, raw);
  }
}

function countCheck(
  field: CheckboxGroupField | UserPickerField,
  count: number,
  unit = '项',
): { issues: FormIssue[]; value: undefined } | null {
  if (field.min !== undefined && count < field.min)
    return {
      issues: [{ field: field.key, message: field.messages?.min ?? `${field.label}至少选择 ${field.min} ${unit}` }],
      value: undefined,
    };
  if (field.max !== undefined && count > field.max)
    return {
      issues: [{ field: field.key, message: field.messages?.max ?? `${field.label}最多选择 ${field.max} ${unit}` }],
      value: undefined,
    };
  return null;
}

const TARGET_KEYS = ['level1', 'level2', 'name', 'direction', 'targetValue', 'unit'] as const;

function checkTargets(field: PerformanceTargetsField, raw: unknown): { issues: FormIssue[]; value: PerformanceTarget[] | undefined } {
  const fail = (message: string) => ({ issues: [{ field: field.key, message }], value: undefined });
  const wellFormed = (t: unknown): t is PerformanceTarget =>
    typeof t === 'object' &&
    t !== null &&
    !Array.isArray(t) &&
    Object.keys(t).every((k) => (TARGET_KEYS as readonly string[]).includes(k)) &&
    TARGET_KEYS.every((k) => typeof (t as Record<string, unknown>)[k] === 'string');
  if (!Array.isArray(raw) || !raw.every(wellFormed)) return fail(`${field.label}的格式不正确`);
  const targets = raw.map((t) => ({ ...t, name: t.name.trim(), targetValue: t.targetValue.trim(), unit: t.unit.trim() }));
  if (field.min !== undefined && targets.length < field.min) return fail(field.messages?.min ?? `${field.label}至少 ${field.min} 条`);
  if (field.max !== undefined && targets.length > field.max) return fail(field.messages?.max ?? `${field.label}最多 ${field.max} 条`);
  const issues: FormIssue[] = targets.flatMap((t, index) =>
    t.name ? [] : [{ field: `${field.key}.${index}.name`, message: '请填写三级指标' }],
  );
  for (const p of targetProblems(targets))
    issues.push({ field: p.index === null ? field.key : `${field.key}.${p.index}.${p.field ?? 'name'}`, message: p.message });
  if (issues.length === 0 && field.smart) for (const message of smartProblems(targets)) issues.push({ field: field.key, message });
  return issues.length ? { issues, value: undefined } : { issues: [], value: targets };
}

function isCalendarDate(text: string): boolean {
  if (!DATE_PATTERN.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

export type FormCheck = { ok: true; values: Record<string, FormValue> } | { ok: false; issues: FormIssue[] };

/**
 * A whole submission: unknown keys refused, hidden fields dropped (whatever they hold), each
 * visible field checked, required and requiredWhen applied. On success, `values` is what goes to
 * the engine: visible, non-empty values only (a visible switch always, as a boolean).
 */
export function checkFormValues(definition: FormDefinition, data: unknown, lists: OptionLists = {}): FormCheck {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, issues: [{ field: '(表单)', message: '表单数据应为对象' }] };
  const values = data as FormValues;
  const known = new Set(definition.fields.map((f) => f.key));
  const issues: FormIssue[] = Object.keys(values)
    .filter((k) => !known.has(k))
    .map((k) => ({ field: k, message: `表单中没有字段 ${k}` }));
  const visible = visibleFields(definition, values);
  const out: Record<string, FormValue> = {};
  for (const field of definition.fields) {
    if (!visible.get(field.key)) continue;
    const r = checkField(field, values[field.key], isRequired(definition, field, values, visible), lists);
    issues.push(...r.issues);
    if (r.value !== undefined) out[field.key] = r.value;
  }
  return issues.length ? { ok: false, issues } : { ok: true, values: out };
}

/** The starting values of a new form: each field's default (a switch: off). */
export function initialValues(definition: FormDefinition): FormValues {
  const values: FormValues = {};
  for (const f of definition.fields) {
    if ('default' in f && f.default !== undefined) values[f.key] = Array.isArray(f.default) ? [...f.default] : f.default;
    else if (f.type === 'switch') values[f.key] = false;
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Consistency of a definition (beyond its JSON shape, which contracts/forms.ts checks)

/** Problems that make a definition unusable, each naming the field (or '(表单)'). Empty = sound. */
export function definitionProblems(definition: FormDefinition): FormIssue[] {
  const problems: FormIssue[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const seen = new Map<string, FormField>();
  for (const f of definition.fields) {
    if (seen.has(f.key)) add(f.key, `字段 ${f.key} 重复`);
    for (const [name, condition] of [
      ['visibleWhen', f.visibleWhen],
      ['requiredWhen', f.requiredWhen],
    ] as const) {
      if (!condition) continue;
      const other = seen.get(condition.field);
      if (!other) {
        add(f.key, `${name} 引用的字段 ${condition.field} 不存在或不在本字段之前`);
        continue;
      }
      const accepted = 'in' in condition ? condition.in : [condition.equals];
      const bad = accepted.filter((v) => !conditionValueFits(other, v));
      if (bad.length) add(f.key, `${name} 的取值 ${bad.map(String).join('、')} 不是字段 ${other.key} 可能的值`);
    }
    if (f.required && f.requiredWhen) add(f.key, 'required 与 requiredWhen 只能有一个');
    if ((f.type === 'select' || f.type === 'radio' || f.type === 'checkbox-group') && !f.options === !f.optionsFrom)
      add(f.key, 'options 与 optionsFrom 须有且只有一个');
    if ('options' in f && f.options) {
      const values = f.options.map((o) => o.value);
      if (new Set(values).size !== values.length) add(f.key, '选项的值重复');
    }
    if (f.type === 'radio' && 'multiple' in f && f.multiple) add(f.key, 'radio 不能多选');
    if ('min' in f && 'max' in f && typeof f.min === typeof f.max && f.min !== undefined && f.max !== undefined && f.min > f.max)
      add(f.key, 'min 大于 max');
    if (f.type === 'text' || f.type === 'textarea') {
      if (f.minLength !== undefined && f.maxLength !== undefined && f.minLength > f.maxLength) add(f.key, 'minLength 大于 maxLength');
      if (f.pattern) {
        try {
          new RegExp(f.pattern.regex, 'u');
        } catch {
          add(f.key, `pattern 不是有效的正则表达式：${f.pattern.regex}`);
        }
      }
    }
    if (f.type === 'date') for (const d of [f.min, f.max]) if (d !== undefined && !isCalendarDate(d)) add(f.key, `日期 ${d} 无效`);
    if ('default' in f && f.default !== undefined) {
      const r = checkField(f, f.default, false);
      if (r.issues.length) add(f.key, `默认值不合规则：${r.issues[0]!.message}`);
    }
    seen.set(f.key, f);
  }
  if (definition.sections) {
    const placed = new Map<string, string>();
    for (const s of definition.sections) {
      for (const k of s.fields) {
        if (!seen.has(k)) add(k, `分组“${s.title}”中的字段 ${k} 不存在`);
        else if (placed.has(k)) add(k, `字段 ${k} 同时在分组“${placed.get(k)}”和“${s.title}”中`);
        placed.set(k, s.title);
      }
    }
    for (const k of seen.keys()) if (!placed.has(k)) add(k, `字段 ${k} 不在任何分组中（有分组时每个字段都须归入一个分组）`);
  }
  if (definition.decisionField !== undefined) {
    const d = seen.get(definition.decisionField);
    if (!d) add('(表单)', `decisionField ${definition.decisionField} 不是本表单的字段`);
    else if (!((d.type === 'radio' || d.type === 'select') && d.options && !('multiple' in d && d.multiple) && d.required))
      add(d.key, 'decisionField 须为必填、单选且有固定选项的 radio 或 select');
  }
  return problems;
}

function conditionValueFits(field: FormField, value: ConditionValue): boolean {
  switch (field.type) {
    case 'switch':
      return typeof value === 'boolean';
    case 'select':
    case 'radio':
    case 'checkbox-group':
      return typeof value === 'string' && (!field.options || field.options.some((o) => o.value === value));
    case 'number':
    case 'money':
    case 'user-picker':
      return typeof value === 'number';
    default:
      return typeof value === 'string';
  }
}

/** Sections to lay out: the definition's, or one untitled section holding every field. */
export function layoutSections(definition: FormDefinition): Array<{ title: string | null; fields: FormField[] }> {
  const byKey = new Map(definition.fields.map((f) => [f.key, f]));
  if (!definition.sections) return [{ title: null, fields: definition.fields }];
  return definition.sections.map((s) => ({
    title: s.title,
    fields: s.fields.map((k) => byKey.get(k)).filter((f): f is FormField => f !== undefined),
  }));
}
