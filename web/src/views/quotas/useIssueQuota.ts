import { computed, ref, watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { issueQuota, type EntryResult } from '../../api/quotas';
import { useFormDialog } from '../../composables/useFormDialog';
import { useSealing } from '../../seals/useSealing';
import { newIdempotencyKey } from '../../utils/idempotency';
import { formatWanYuan, formatYuan, parsePositiveYuan } from '../../utils/money';
import { currentShanghaiYear } from '../../utils/shanghai';
import { FUND_SOURCE_OPTIONS } from './labels';

export interface IssueQuotaForm {
  /** 'YYYY'（年份选择器） */
  fiscalYear: string;
  /** 支出功能分类科目编码（类 3 位 / 款 5 位 / 项 7 位） */
  functionalCode: string;
  /** 支出经济分类科目编码（类 3 位 / 款 5 位） */
  economicCode: string;
  fundSource: string;
  documentNo: string;
  /** 预算单位（可不指定，由财政持有） */
  unitOrgId: number | null;
  /** 经办人输入的金额（元） */
  amount: string;
  reason: string;
}

const emptyForm = (): IssueQuotaForm => ({
  fiscalYear: String(currentShanghaiYear()),
  functionalCode: '',
  economicCode: '',
  fundSource: FUND_SOURCE_OPTIONS[0],
  documentNo: '',
  unitOrgId: null,
  amount: '',
  reason: '',
});

/** 金额校验：与服务端一致，元 → 分精确换算，最多两位小数，须大于零（必填，标签前显示 *） */
export const amountRule: FormItemRule = {
  required: true,
  trigger: 'blur',
  validator: (_rule, value: string, callback) => {
    const r = parsePositiveYuan(value ?? '');
    if (r.ok) callback();
    else callback(new Error(r.message));
  },
};

export const reasonRules: FormItemRule[] = [
  { required: true, whitespace: true, message: '请填写事由', trigger: 'blur' },
  { max: 500, message: '事由不能超过 500 个字', trigger: 'blur' },
];

/** 金额输入框下方的换算提示：¥1,234.56（0.123456万元） */
export function amountPreview(text: string): string {
  const r = parsePositiveYuan(text);
  return r.ok ? `${formatYuan(r.fen)}（${formatWanYuan(r.fen)}）` : '';
}

/**
 * “下达指标”对话框的状态（指标编号由服务端生成，下达后显示），建在 useFormDialog 上：表单、校验规则、提交
 * （提交中再次点击不会重复发送；每次打开对话框生成一个幂等键，超时重试也只下达一次）、服务端错误显示在对话框里。
 * 下达须签章：签章对话框取消时本对话框保持打开。
 */
export function useIssueQuota(onIssued: (result: EntryResult) => void) {
  const sealing = useSealing();
  const dialog = useFormDialog<IssueQuotaForm>({ empty: emptyForm, serverErrors: { fieldMap: { amountFen: 'amount' } } });
  const { form, serverErrors } = dialog;
  /** 每次打开递增，用于重置科目级联选择器 */
  const openCount = ref(0);
  let idempotencyKey = '';

  const rules: FormRules<IssueQuotaForm> = {
    fiscalYear: [{ required: true, message: '请选择预算年度', trigger: 'change' }],
    functionalCode: [{ required: true, message: '请选择功能分类科目', trigger: 'change' }],
    economicCode: [{ required: true, message: '请选择经济分类科目', trigger: 'change' }],
    fundSource: [
      { required: true, whitespace: true, message: '请选择或填写资金来源', trigger: 'change' },
      { max: 50, message: '资金来源不能超过 50 个字符', trigger: 'change' },
    ],
    documentNo: [
      { required: true, whitespace: true, message: '请填写指标文号', trigger: 'blur' },
      { max: 100, message: '指标文号不能超过 100 个字符', trigger: 'blur' },
    ],
    amount: [amountRule],
    reason: reasonRules,
  };

  // 改了年度，原来选的科目不一定属于新年度：清空重选
  watch(
    () => form.fiscalYear,
    () => {
      form.functionalCode = '';
      form.economicCode = '';
    },
  );

  // 字段被修改后，它的服务端错误提示不再适用
  for (const key of Object.keys(form) as Array<keyof IssueQuotaForm>) {
    watch(
      () => form[key],
      () => serverErrors.clearField(key),
    );
  }

  function open(): void {
    idempotencyKey = newIdempotencyKey('issue');
    openCount.value += 1;
    dialog.open();
  }

  async function submit(): Promise<void> {
    let result: EntryResult | null | undefined;
    // keepOpen：签章取消（result 为 null）时对话框留着；下达成功后才关闭
    const done = await dialog.submit(
      async (f) => {
        const amount = parsePositiveYuan(f.amount);
        if (!amount.ok) throw new Error(amount.message); // 已由 amountRule 校验，不会发生
        result = await sealing.run('下达指标', (signingPin) =>
          issueQuota({
            fiscalYear: Number(f.fiscalYear),
            functionalCode: f.functionalCode,
            economicCode: f.economicCode,
            fundSource: f.fundSource.trim(),
            documentNo: f.documentNo.trim(),
            unitOrgId: f.unitOrgId ?? undefined,
            amountFen: amount.fen,
            reason: f.reason.trim(),
            idempotencyKey,
            signingPin,
          }),
        );
      },
      '下达指标失败，请稍后再试',
      { keepOpen: true },
    );
    if (!done || !result) return;
    dialog.close();
    onIssued(result);
  }

  const fiscalYearNumber = computed(() => Number(form.fiscalYear) || currentShanghaiYear());

  return { dialog, form, rules, serverErrors, openCount, fiscalYearNumber, open, submit };
}
