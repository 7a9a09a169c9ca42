import { watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { transferQuota, type Quota, type TransferResult } from '../../api/quotas';
import { parsePositiveYuan } from '../../utils/money';
import { amountRule, reasonRules } from './useIssueQuota';
import { usePairPosting } from './usePairPosting';

export interface TransferForm {
  /** 调入指标（同一预算年度） */
  target: Quota | null;
  /** 经办人输入的金额（元） */
  amount: string;
  reason: string;
}

export const requiredQuotaRule = (message: string): FormItemRule => ({
  trigger: 'change',
  validator: (_rule, value: Quota | null, callback) => (value ? callback() : callback(new Error(message))),
});

/**
 * “调剂”对话框的状态：从一个指标调出、调入同一预算年度的另一个指标（POST /api/quota-transfers）。
 * 打开、幂等、提交与被拒后的刷新见 usePairPosting。
 * onChanged：指标余额变化时回调（调剂成功时两个指标，被拒绝后取回的最新余额时一个）。
 */
export function useQuotaTransfer(onChanged: (quotas: Quota[], result: TransferResult | null) => void) {
  const posting = usePairPosting<TransferForm>({
    empty: () => ({ target: null, amount: '', reason: '' }),
    serverErrors: { fieldMap: { amountFen: 'amount', toQuotaId: 'target' } },
    keyPrefix: 'transfer',
    failureMessage: '调剂失败，请稍后再试',
    onChanged,
  });
  const { dialog, source, result } = posting;
  const { form, serverErrors } = dialog;

  const rules: FormRules<TransferForm> = {
    target: [{ ...requiredQuotaRule('请选择调入指标'), required: true }],
    amount: [amountRule],
    reason: reasonRules,
  };

  for (const key of ['target', 'amount', 'reason'] as const) {
    watch(
      () => form[key],
      () => serverErrors.clearField(key),
    );
  }

  function open(from: Quota): void {
    posting.open(from);
  }

  function submit(): Promise<void> {
    return posting.submit((from, f) => {
      const amount = parsePositiveYuan(f.amount);
      const target = f.target;
      if (!amount.ok || !target) throw new Error('表单未通过校验'); // 已由 rules 校验，不会发生
      return (idempotencyKey) =>
        transferQuota({ fromQuotaId: from.id, toQuotaId: target.id, amountFen: amount.fen, reason: f.reason.trim(), idempotencyKey });
    });
  }

  return { dialog, source, form, rules, result, serverErrors, open, submit };
}
