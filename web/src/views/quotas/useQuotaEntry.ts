import { computed, ref, shallowRef, watch } from 'vue';
import type { FormRules } from 'element-plus';
import {
  adjustInQuota,
  adjustOutQuota,
  consumeQuota,
  freezeQuota,
  getQuota,
  unfreezeQuota,
  type EntryRequest,
  type EntryResult,
  type Quota,
} from '../../api/quotas';
import { useFormDialog } from '../../composables/useFormDialog';
import { newIdempotencyKey } from '../../utils/idempotency';
import { parsePositiveYuan } from '../../utils/money';
import { amountRule, reasonRules } from './useIssueQuota';
import { ENTRY_ACTIONS, type EntryAction } from './labels';

const SUBMIT: Record<EntryAction, (id: number, body: EntryRequest) => Promise<EntryResult>> = {
  freeze: freezeQuota,
  unfreeze: unfreezeQuota,
  consume: consumeQuota,
  'adjust-in': adjustInQuota,
  'adjust-out': adjustOutQuota,
};

/** 余额不足类的拒绝：指标可能已被他人改动，顺便取回最新余额 */
const BALANCE_REFUSALS = new Set(['INSUFFICIENT_AVAILABLE', 'INSUFFICIENT_FROZEN', 'AMOUNT_OVERFLOW']);

export interface EntryForm {
  /** 经办人输入的金额（元） */
  amount: string;
  reason: string;
}

/**
 * 行内记账（冻结、解冻、支付、追加、调减）对话框的状态。
 * onChanged：指标余额变化（记账成功，或被拒绝后取回了最新余额）时回调，用于刷新表格中的该行。
 */
export function useQuotaEntry(onChanged: (quota: Quota, result: EntryResult | null) => void) {
  // 余额不足等整体提示已在对话框顶部显示，字段下只显示服务端给出的字段级错误
  const dialog = useFormDialog<EntryForm>({
    empty: () => ({ amount: '', reason: '' }),
    serverErrors: { fieldMap: { amountFen: 'amount' } },
  });
  const { form, serverErrors } = dialog;
  const action = ref<EntryAction>('freeze');
  const quota = shallowRef<Quota | null>(null);
  let idempotencyKey = '';

  const info = computed(() => ENTRY_ACTIONS[action.value]);
  const rules: FormRules<EntryForm> = { amount: [amountRule], reason: reasonRules };

  watch(
    () => form.amount,
    () => serverErrors.clearField('amount'),
  );
  watch(
    () => form.reason,
    () => serverErrors.clearField('reason'),
  );

  function open(target: Quota, kind: EntryAction): void {
    quota.value = target;
    action.value = kind;
    idempotencyKey = newIdempotencyKey(kind);
    dialog.open();
  }

  async function refreshQuota(id: number): Promise<void> {
    try {
      const latest = await getQuota(id);
      if (quota.value?.id === id) quota.value = latest;
      onChanged(latest, null);
    } catch {
      // 只是顺带刷新，失败不影响已显示的错误
    }
  }

  async function submit(): Promise<void> {
    const target = quota.value;
    if (!target) return;
    let result: EntryResult | undefined;
    const done = await dialog.submit(async (f) => {
      const amount = parsePositiveYuan(f.amount);
      if (!amount.ok) throw new Error(amount.message); // 已由 amountRule 校验，不会发生
      try {
        result = await SUBMIT[action.value](target.id, { amountFen: amount.fen, reason: f.reason.trim(), idempotencyKey });
      } catch (e) {
        // 仍在提交中：取回最新余额后才再次允许“确定”
        const code = (e as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && BALANCE_REFUSALS.has(code)) await refreshQuota(target.id);
        throw e;
      }
    }, `${info.value.label}失败，请稍后再试`);
    if (done && result) onChanged(result.quota, result);
  }

  return { dialog, action, info, quota, form, rules, serverErrors, open, submit };
}
