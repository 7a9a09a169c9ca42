import { computed, reactive, ref, shallowRef, watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { createProject, getProject, updateProject, type ProjectDetail, type ProjectFields } from '../../api/projects';
import { ApiError } from '../../api/request';
import { useFormDialog } from '../../composables/useFormDialog';
import { addFen, fen, formatYuan, parsePositiveYuan, type Fen } from '../../utils/money';
import {
  INDICATOR_FRAMEWORK,
  isSpecificPurpose,
  smartProblems,
  targetProblems,
  type Direction,
  type Level1,
  type PerformanceTarget,
  type ProjectCategory,
  type ProjectSubType,
} from '../../utils/projects';
import { currentShanghaiYear } from '../../utils/shanghai';

export interface AmountRow {
  /** 行的稳定键（v-for） */
  key: number;
  /** 部门预算经济分类“款” */
  economicCode: string;
  /** 经办人输入的金额（元） */
  amount: string;
  note: string;
}

export interface TargetRow {
  key: number;
  level1: Level1 | '';
  level2: string;
  /** 三级指标 */
  name: string;
  direction: Direction;
  targetValue: string;
  unit: string;
}

export interface ProjectForm {
  name: string;
  /** 'YYYY'（年份选择器）；修改时不可改 */
  fiscalYear: string;
  category: ProjectCategory | '';
  /** 仅特定目标类（32、33）可选 */
  subType: ProjectSubType | null;
  /** 功能分类科目“项”（7 位） */
  functionalCode: string;
  /** [开始, 结束]，'YYYY-MM-DD' */
  period: [string, string] | null;
  description: string;
  basis: string;
  amounts: AmountRow[];
  targets: TargetRow[];
}

let nextKey = 1;
export const newAmountRow = (): AmountRow => ({ key: nextKey++, economicCode: '', amount: '', note: '' });
export const newTargetRow = (level1: Level1 | '' = '', level2 = ''): TargetRow => ({
  key: nextKey++,
  level1,
  level2,
  name: '',
  direction: '>=',
  targetValue: '',
  unit: '',
});

/** 新项目：一行金额；两行指标，分别预置产出、效益（SMART 检查要求的两类） */
const emptyForm = (): ProjectForm => ({
  name: '',
  fiscalYear: String(currentShanghaiYear()),
  category: '',
  subType: null,
  functionalCode: '',
  period: null,
  description: '',
  basis: '',
  amounts: [newAmountRow()],
  targets: [newTargetRow('产出指标', '数量指标'), newTargetRow('效益指标', '社会效益指标')],
});

function formOf(p: ProjectDetail): ProjectForm {
  return {
    name: p.name,
    fiscalYear: String(p.fiscalYear),
    category: p.category,
    subType: p.subType,
    functionalCode: p.functionalCode,
    period: p.startDate && p.endDate ? [p.startDate, p.endDate] : null,
    description: p.description,
    basis: p.basis ?? '',
    amounts: p.amounts.map((a) => ({
      key: nextKey++,
      economicCode: a.economicCode,
      amount: formatYuan(a.amountFen).replace(/^¥/, ''),
      note: a.note ?? '',
    })),
    targets: p.targets.map((t) => ({
      key: nextKey++,
      level1: t.level1 as Level1,
      level2: t.level2,
      name: t.name,
      direction: t.direction,
      targetValue: t.targetValue,
      unit: t.unit,
    })),
  };
}

/** 金额校验：与服务端一致，元 → 分精确换算（domain/money.ts parseYuan），最多两位小数，须大于零 */
export const amountRule: FormItemRule = {
  trigger: 'blur',
  validator: (_rule, value: string, callback) => {
    const r = parsePositiveYuan(value ?? '');
    if (r.ok) callback();
    else callback(new Error(r.message));
  },
};

const asTarget = (t: TargetRow): PerformanceTarget => ({
  level1: t.level1,
  level2: t.level2,
  name: t.name.trim(),
  direction: t.direction,
  targetValue: t.targetValue.trim(),
  unit: t.unit.trim(),
});

/**
 * 新建/修改项目对话框的状态（useFormDialog：提交中再次点击不会重复发送、提交中不能关闭、服务端的拒绝显示在对话框里）：
 * 表单、校验、实时合计与 SMART 提示、服务端错误落到字段（details[].field，如 amounts.0.amountFen），
 * 以及他人先改了时（409 PROJECT_CHANGED）的重新载入。
 */
export function useProjectForm(onSaved: (project: ProjectDetail, created: boolean) => void) {
  const dialog = useFormDialog<ProjectForm>({ empty: emptyForm });
  const { visible, submitting, form, serverErrors } = dialog;
  const loading = ref(false);
  /** 正在修改的项目（新建时为 null） */
  const editing = shallowRef<ProjectDetail | null>(null);
  /** 每次打开递增，用于重建科目选择器 */
  const openCount = ref(0);
  /** 提交前按领域规则（targetProblems）查出的指标问题，键同服务端：targets.0.unit */
  const clientErrors = reactive<Record<string, string>>({});
  /** 他人已修改（409 PROJECT_CHANGED）：提示重新载入 */
  const conflict = ref(false);

  const rules: FormRules = {
    name: [
      { required: true, whitespace: true, message: '请填写项目名称', trigger: 'blur' },
      { min: 2, max: 200, message: '项目名称为 2–200 个字', trigger: 'blur' },
    ],
    fiscalYear: [{ required: true, message: '请选择预算年度', trigger: 'change' }],
    category: [{ required: true, message: '请选择项目类别', trigger: 'change' }],
    functionalCode: [
      { required: true, message: '请选择功能分类科目', trigger: 'change' },
      { pattern: /^\d{7}$/, message: '请选到“项”级科目', trigger: 'change' },
    ],
    description: [
      { required: true, whitespace: true, message: '请填写项目概述', trigger: 'blur' },
      { max: 4000, message: '项目概述不能超过 4000 字', trigger: 'blur' },
    ],
    basis: [{ max: 4000, message: '立项依据不能超过 4000 字', trigger: 'blur' }],
  };

  const fiscalYearNumber = computed(() => Number(form.fiscalYear) || currentShanghaiYear());
  const showSubType = computed(() => form.category !== '' && isSpecificPurpose(form.category));

  /** 实时合计：只计已填写正确的金额；有不正确的行时 invalidLines > 0 */
  const total = computed(() => {
    let sum: Fen = fen(0);
    let invalidLines = 0;
    for (const row of form.amounts) {
      const r = parsePositiveYuan(row.amount);
      if (r.ok) sum = addFen(sum, r.fen);
      else if (row.amount.trim() !== '') invalidLines += 1;
    }
    return { fen: sum, invalidLines };
  });

  /** SMART 提示：只提示，不阻止保存草稿（送审时由事前审核把关） */
  const smart = computed(() => smartProblems(form.targets.map(asTarget)));

  watch(
    () => form.category,
    () => {
      if (!showSubType.value) form.subType = null;
    },
  );

  const errorOf = (key: string): string | undefined => serverErrors.fields[key] ?? clientErrors[key];
  function touch(key: string): void {
    serverErrors.clearField(key);
    delete clientErrors[key];
  }
  /** 删行后下标变了：这张表上按下标记的错误都不再对得上 */
  function clearRowErrors(prefix: 'amounts' | 'targets'): void {
    for (const key of Object.keys(serverErrors.fields)) if (key.startsWith(`${prefix}.`)) serverErrors.clearField(key);
    for (const key of Object.keys(clientErrors)) if (key.startsWith(`${prefix}.`)) delete clientErrors[key];
  }
  function clearAll(): void {
    serverErrors.clear();
    for (const key of Object.keys(clientErrors)) delete clientErrors[key];
    conflict.value = false;
  }

  function openCreate(): void {
    editing.value = null;
    clearAll();
    openCount.value += 1;
    dialog.open();
  }

  /** 修改：先取最新的项目（及其 version 与 can），再打开 */
  async function openEdit(id: number): Promise<void> {
    loading.value = true;
    try {
      const project = await getProject(id);
      if (!project.can.edit)
        throw new ApiError('PROJECT_NOT_EDITABLE', `项目当前状态为「${project.statusLabel}」，只有草稿或已退回的项目可以修改`, 409);
      editing.value = project;
      clearAll();
      openCount.value += 1;
      dialog.open(formOf(project));
    } finally {
      loading.value = false;
    }
  }

  function fill(project: ProjectDetail): void {
    editing.value = project;
    Object.assign(form, formOf(project));
    clearAll();
    openCount.value += 1;
  }

  /** 新建（保存后是草稿）或修改草稿时，可以“保存并送审”（服务端的 can.submit）；退回修改的项目由审核流程送回 */
  const canSubmitAfterSave = computed(() => editing.value === null || editing.value.can.submit);

  /** 409 后重新载入最新内容（本次未保存的修改放弃） */
  async function reload(): Promise<void> {
    const current = editing.value;
    if (!current) return;
    loading.value = true;
    try {
      fill(await getProject(current.id));
    } catch (e) {
      serverErrors.apply(e, '重新载入失败，请稍后再试');
    } finally {
      loading.value = false;
    }
  }

  function body(): ProjectFields | null {
    const amounts: ProjectFields['amounts'] = [];
    for (const row of form.amounts) {
      const r = parsePositiveYuan(row.amount);
      if (!r.ok) return null;
      amounts.push({ economicCode: row.economicCode, amountFen: r.fen, ...(row.note.trim() ? { note: row.note.trim() } : {}) });
    }
    return {
      name: form.name.trim(),
      category: form.category as ProjectCategory,
      subType: showSubType.value ? form.subType : null,
      functionalCode: form.functionalCode,
      description: form.description.trim(),
      basis: form.basis.trim() || null,
      startDate: form.period?.[0] ?? null,
      endDate: form.period?.[1] ?? null,
      amounts,
      targets: form.targets.map(asTarget),
    };
  }

  /**
   * 保存：指标按领域规则（targetProblems）先查一遍，有问题时与表单校验的提示一起显示、不发请求；
   * 其余交给 useFormDialog（校验表单、提交中挡住第二次点击、失败时错误留在对话框里）。
   */
  async function submit(): Promise<void> {
    if (submitting.value) return;
    for (const key of Object.keys(clientErrors)) delete clientErrors[key];
    const targetIssues = targetProblems(form.targets.map(asTarget));
    for (const p of targetIssues) {
      const key = p.index === null ? 'targets' : `targets.${p.index}.${p.field ?? 'name'}`;
      clientErrors[key] = clientErrors[key] ? `${clientErrors[key]}；${p.message}` : p.message;
    }
    if (targetIssues.length > 0) {
      await dialog.formRef.value?.validate().catch(() => false);
      return;
    }
    const current = editing.value;
    let saved: ProjectDetail | undefined;
    const done = await dialog.submit(async () => {
      conflict.value = false;
      const fields = body();
      if (!fields) throw new Error('金额有误'); // 已由金额的校验规则挡住，不会发生
      try {
        saved = current
          ? await updateProject(current.id, { ...fields, version: current.version })
          : await createProject({ ...fields, fiscalYear: Number(form.fiscalYear) });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'PROJECT_CHANGED') conflict.value = true;
        throw e;
      }
    }, '保存失败，请稍后再试');
    if (done && saved) onSaved(saved, current === null);
  }

  return {
    dialog,
    visible,
    loading,
    submitting,
    form,
    rules,
    editing,
    openCount,
    serverErrors,
    conflict,
    canSubmitAfterSave,
    fiscalYearNumber,
    showSubType,
    total,
    smart,
    errorOf,
    touch,
    clearRowErrors,
    openCreate,
    openEdit,
    reload,
    submit,
  };
}

/** 一级指标的二级选项 */
export function level2Options(level1: Level1 | ''): readonly string[] {
  return level1 ? INDICATOR_FRAMEWORK[level1] : [];
}
