import { shallowRef } from 'vue';
import { resolveOrder, type PaymentOrder } from '../../api/treasury';
import { useFormDialog } from '../../composables/useFormDialog';
import { useSealing } from '../../seals/useSealing';

export interface ResolveForm {
  decision: 'paid' | 'failed' | 'wait';
  comment: string;
}

/**
 * 核实处理对话框的状态（国库处，待核实的支付凭证）：确认已到账、确认未付款（解冻指标并通知单位）或继续等待，
 * 签章提交；服务端的拒绝显示在对话框里，取消签章时对话框留着。onResolved：已提交。
 */
export function useResolveOrder(onResolved: (order: PaymentOrder) => void) {
  const sealing = useSealing();
  const dialog = useFormDialog<ResolveForm>({ empty: () => ({ decision: 'paid', comment: '' }) });
  const order = shallowRef<PaymentOrder | null>(null);

  function open(target: PaymentOrder): void {
    order.value = target;
    dialog.open();
  }

  async function submit(): Promise<void> {
    const target = order.value;
    if (!target) return;
    let sent = false;
    const done = await dialog.submit(
      async (f) => {
        const r = await sealing.run('核实处理支付凭证', (signingPin) =>
          resolveOrder(target.id, { decision: f.decision, comment: f.comment.trim() || undefined, signingPin }),
        );
        sent = r !== null;
      },
      '提交失败，请稍后再试',
      { keepOpen: true },
    );
    if (!done || !sent) return;
    dialog.close();
    onResolved(target);
  }

  return { dialog, order, form: dialog.form, open, submit };
}
