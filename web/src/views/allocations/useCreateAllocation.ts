import { ref } from 'vue';
import type { FormRules } from 'element-plus';
import { createAllocation, type Allocation } from '../../api/allocations';
import { listOrganisations, type Organisation } from '../../api/reference';
import { useFormDialog } from '../../composables/useFormDialog';
import { parseYuan } from '../../utils/money';
import { currentShanghaiYear } from '../../utils/shanghai';

export interface ControlTotalRow {
  departmentOrgId: number | null;
  sector: string;
  /** 控制数（元，文本） */
  amount: string;
}

export interface CreateAllocationForm {
  fiscalYear: number;
  name: string;
  majorDecision: boolean;
  totals: ControlTotalRow[];
}

const emptyRow = (): ControlTotalRow => ({ departmentOrgId: null, sector: '', amount: '' });

/** 填了任何一项的控制数行；全空的行忽略 */
const filledRows = (rows: readonly ControlTotalRow[]) => rows.filter((t) => t.departmentOrgId !== null || t.sector || t.amount);

/** 第一处不完整的控制数行的说明，全部完整时为 null */
export function controlTotalProblem(rows: readonly ControlTotalRow[]): string | null {
  for (const [i, t] of filledRows(rows).entries()) {
    if (t.departmentOrgId === null || !/^\d{3}$/.test(t.sector)) return `第 ${i + 1} 行控制数：请选择部门并填写 3 位领域（功能分类类）编码`;
    try {
      parseYuan(t.amount);
    } catch (e) {
      return `第 ${i + 1} 行控制数：${(e as Error).message}`;
    }
  }
  return null;
}

/**
 * 新建预算分配方案对话框的状态（预算处）：年度、名称、三重一大、各部门和领域的控制数。
 * 控制数行先在页面上校验（选了部门、3 位领域、金额是元），服务端的拒绝（如本年度已有未完成的方案）显示在对话框里。
 */
export function useCreateAllocation(onCreated: (allocation: Allocation) => void) {
  const dialog = useFormDialog<CreateAllocationForm>({
    empty: () => ({ fiscalYear: currentShanghaiYear(), name: '', majorDecision: false, totals: [emptyRow()] }),
  });
  const { form } = dialog;
  const departments = ref<Organisation[]>([]);

  const rules: FormRules<CreateAllocationForm> = {
    name: [{ required: true, whitespace: true, message: '请填写方案名称', trigger: 'blur' }],
    totals: [
      {
        validator: (_rule, _value, callback) => {
          const problem = controlTotalProblem(form.totals);
          if (problem) callback(new Error(problem));
          else callback();
        },
      },
    ],
  };

  async function open(): Promise<void> {
    const fiscalYear = currentShanghaiYear();
    dialog.open({ fiscalYear, name: `${fiscalYear} 年项目预算分配方案` });
    if (!departments.value.length) departments.value = (await listOrganisations({ kind: 'department', pageSize: 100 })).items;
  }

  function addRow(): void {
    form.totals.push(emptyRow());
  }

  function removeRow(index: number): void {
    form.totals.splice(index, 1);
  }

  async function submit(): Promise<void> {
    let created: Allocation | undefined;
    const done = await dialog.submit(async (f) => {
      created = await createAllocation({
        fiscalYear: Number(f.fiscalYear),
        name: f.name.trim(),
        majorDecision: f.majorDecision,
        controlTotals: filledRows(f.totals).map((t) => ({
          departmentOrgId: t.departmentOrgId!,
          sector: t.sector,
          amountFen: parseYuan(t.amount),
        })),
      });
    }, '新建失败，请稍后再试');
    if (done && created) onCreated(created);
  }

  return { dialog, form, rules, departments, open, addRow, removeRow, submit };
}
