import { computed, reactive, ref, watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { issueQuota, type EntryResult } from '../../api/quotas';
import { useServerErrors } from '../../composables/useServerErrors';
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
 * “下达指标”对话框的状态（指标编号由服务端生成，下达后显示）：表单、校验规则、提交（提交中再次点击不会重复发送；
 * 每次打开对话框生成一个幂等键，超时重试也只下达一次）、服务端错误。
 */
export function useIssueQuota(onIssued: (result: EntryResult) => void) {
  const sealing = useSealing();
  const visible = ref(false);
  const form = reactive<IssueQuotaForm>(emptyForm());
  const submitting = ref(false);
  const serverErrors = useServerErrors({ fieldMap: { amountFen: 'amount' } });
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
    Object.assign(form, emptyForm());
    serverErrors.clear();
    idempotencyKey = newIdempotencyKey('issue');
    openCount.value += 1;
    visible.value = true;
  }

  /** validate：表单组件的校验（通过返回 true） */
  async function submit(validate: () => Promise<boolean>): Promise<void> {
    // 先置为提交中，再做校验：校验期间的第二次点击也会被挡住
    if (submitting.value) return;
    submitting.value = true;
    try {
      if (!(await validate())) return;
      const amount = parsePositiveYuan(form.amount);
      if (!amount.ok) return;
      serverErrors.clear();
      const result = await sealing.run('下达指标', (signingPin) =>
        issueQuota({
          fiscalYear: Number(form.fiscalYear),
          functionalCode: form.functionalCode,
          economicCode: form.economicCode,
          fundSource: form.fundSource.trim(),
          documentNo: form.documentNo.trim(),
          unitOrgId: form.unitOrgId ?? undefined,
          amountFen: amount.fen,
          reason: form.reason.trim(),
          idempotencyKey,
          signingPin,
        }),
      );
      if (result === null) return; // 未签章（取消）：对话框保持打开
      visible.value = false;
      onIssued(result);
    } catch (e) {
      serverErrors.apply(e, '下达指标失败，请稍后再试');
    } finally {
      submitting.value = false;
    }
  }

  const fiscalYearNumber = computed(() => Number(form.fiscalYear) || currentShanghaiYear());

  return { visible, form, rules, submitting, serverErrors, openCount, fiscalYearNumber, open, submit };
}
