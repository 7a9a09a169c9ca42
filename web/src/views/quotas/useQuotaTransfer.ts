import { reactive, ref, shallowRef, watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { getQuota, transferQuota, type Quota, type TransferResult } from '../../api/quotas';
import { useServerErrors } from '../../composables/useServerErrors';
import { newIdempotencyKey } from '../../utils/idempotency';
import { parsePositiveYuan } from '../../utils/money';
import { amountRule, reasonRules } from './useIssueQuota';

export interface TransferForm {
  /** 调入指标（同一预算年度） */
  target: Quota | null;
  /** 经办人输入的金额（元） */
  amount: string;
  reason: string;
}

/** 余额不足类的拒绝：指标可能已被他人改动，顺便取回最新余额 */
export const BALANCE_REFUSALS = new Set(['INSUFFICIENT_AVAILABLE', 'INSUFFICIENT_FROZEN', 'AMOUNT_OVERFLOW']);

export const requiredQuotaRule = (message: string): FormItemRule => ({
  trigger: 'change',
  validator: (_rule, value: Quota | null, callback) => (value ? callback() : callback(new Error(message))),
});

/**
 * “调剂”对话框的状态：从一个指标调出、调入同一预算年度的另一个指标（POST /api/quota-transfers）。
 * 每次打开生成一个幂等键：双击或超时重试都只记一对流水。成功后对话框改为显示两个指标调剂后的余额。
 * onChanged：指标余额变化时回调（调剂成功时两个指标，被拒绝后取回的最新余额时一个）。
 */
export function useQuotaTransfer(onChanged: (quotas: Quota[], result: TransferResult | null) => void) {
  const visible = ref(false);
  const source = shallowRef<Quota | null>(null);
  const form = reactive<TransferForm>({ target: null, amount: '', reason: '' });
  const submitting = ref(false);
  const result = shallowRef<TransferResult | null>(null);
  const serverErrors = useServerErrors({ fieldMap: { amountFen: 'amount', toQuotaId: 'target' } });
  let idempotencyKey = '';

  const rules: FormRules<TransferForm> = { target: [requiredQuotaRule('请选择调入指标')], amount: [amountRule], reason: reasonRules };

  for (const key of ['target', 'amount', 'reason'] as const) {
    watch(
      () => form[key],
      () => serverErrors.clearField(key),
    );
  }

  function open(from: Quota): void {
    source.value = from;
    Object.assign(form, { target: null, amount: '', reason: '' });
    result.value = null;
    serverErrors.clear();
    idempotencyKey = newIdempotencyKey('transfer');
    visible.value = true;
  }

  async function refresh(id: number): Promise<void> {
    try {
      const latest = await getQuota(id);
      if (source.value?.id === id) source.value = latest;
      onChanged([latest], null);
    } catch {
      // 只是顺带刷新，失败不影响已显示的错误
    }
  }

  async function submit(validate: () => Promise<boolean>): Promise<void> {
    // 先置为提交中再校验：校验期间的第二次点击也会被挡住；成功后不再接受提交
    if (submitting.value || result.value || !source.value) return;
    submitting.value = true;
    const from = source.value;
    try {
      if (!(await validate())) return;
      const amount = parsePositiveYuan(form.amount);
      if (!amount.ok || !form.target) return;
      serverErrors.clear();
      const r = await transferQuota({ fromQuotaId: from.id, toQuotaId: form.target.id, amountFen: amount.fen, reason: form.reason.trim(), idempotencyKey });
      result.value = r;
      onChanged([r.from, r.to], r);
    } catch (e) {
      serverErrors.apply(e, '调剂失败，请稍后再试');
      const code = (e as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && BALANCE_REFUSALS.has(code)) await refresh(from.id);
    } finally {
      submitting.value = false;
    }
  }

  return { visible, source, form, rules, submitting, result, serverErrors, open, submit };
}
