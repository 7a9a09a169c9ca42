import { computed, watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { carryOverQuota, type CarryOverRequest, type Quota, type TransferResult } from '../../api/quotas';
import { parsePositiveYuan } from '../../utils/money';
import { amountRule, reasonRules } from './useIssueQuota';
import { usePairPosting } from './usePairPosting';
import { requiredQuotaRule } from './useQuotaTransfer';

export type CarryOverMode = 'new' | 'existing';

export interface CarryOverForm {
  /** 结转到新指标，或到已有的以后年度指标 */
  mode: CarryOverMode;
  /** 目标年度 'YYYY'，默认原指标的下一年 */
  fiscalYear: string;
  /** 新指标文号；不填沿用原指标的 */
  documentNo: string;
  /** 已有的目标指标 */
  target: Quota | null;
  /** 经办人输入的金额（元） */
  amount: string;
  reason: string;
}

/**
 * “结转”对话框的状态：把指标尚可用的部分结转到以后年度（POST /api/quotas/:id/carry-over），
 * 或新建下一年度的指标（文号；编号由系统生成，科目、资金来源、项目和单位沿用原指标），或调入已有的以后年度指标。
 * 打开、幂等、提交与被拒后的刷新见 usePairPosting；成功后对话框改为显示两个指标结转后的余额。
 */
export function useQuotaCarryOver(onChanged: (quotas: Quota[], result: TransferResult | null) => void) {
  const posting = usePairPosting<CarryOverForm>({
    empty: () => ({ mode: 'new', fiscalYear: '', documentNo: '', target: null, amount: '', reason: '' }),
    serverErrors: {
      fieldMap: { amountFen: 'amount', 'into.documentNo': 'documentNo', 'into.fiscalYear': 'fiscalYear', 'into.quotaId': 'target' },
    },
    keyPrefix: 'carry',
    failureMessage: '结转失败，请稍后再试',
    onChanged,
  });
  const { dialog, source, result } = posting;
  const { form, serverErrors } = dialog;

  const onlyFor = (mode: CarryOverMode, rule: FormItemRule): FormItemRule => ({
    trigger: rule.trigger,
    validator: (r, value, callback, source, options) => {
      if (form.mode !== mode) return callback();
      return (rule.validator as NonNullable<FormItemRule['validator']>)(r, value, callback, source, options);
    },
  });
  const rules: FormRules<CarryOverForm> = {
    fiscalYear: [{ required: true, message: '请选择结转到的年度', trigger: 'change' }],
    documentNo: [{ max: 100, message: '指标文号不能超过 100 个字符', trigger: 'blur' }],
    target: [{ ...onlyFor('existing', requiredQuotaRule('请选择结转到的指标')), required: true }],
    amount: [amountRule],
    reason: reasonRules,
  };

  for (const key of Object.keys(form) as Array<keyof CarryOverForm>) {
    watch(
      () => form[key],
      () => serverErrors.clearField(key),
    );
  }

  const fiscalYearNumber = computed(() => Number(form.fiscalYear) || (source.value ? source.value.fiscalYear + 1 : 0));

  function open(from: Quota): void {
    posting.open(from, { fiscalYear: String(from.fiscalYear + 1) });
  }

  function into(f: CarryOverForm): CarryOverRequest['into'] | null {
    if (f.mode === 'existing') return f.target ? { quotaId: f.target.id } : null;
    const documentNo = f.documentNo.trim();
    return { fiscalYear: fiscalYearNumber.value, ...(documentNo ? { documentNo } : {}) };
  }

  function submit(): Promise<void> {
    return posting.submit((from, f) => {
      const amount = parsePositiveYuan(f.amount);
      const target = into(f);
      if (!amount.ok || !target) throw new Error('表单未通过校验'); // 已由 rules 校验，不会发生
      return (idempotencyKey) => carryOverQuota(from.id, { amountFen: amount.fen, reason: f.reason.trim(), idempotencyKey, into: target });
    });
  }

  return { dialog, source, form, rules, result, serverErrors, fiscalYearNumber, open, submit };
}
