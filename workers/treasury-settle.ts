import { z } from 'zod';
import { settleOrder } from '../server/treasury/orders';
import { complete, defineWorker } from './types';

/**
 * 结算 (treasury-payment, topic treasury.settle): paid → the frozen amount is consumed; failed or
 * refunded → unfrozen and the unit notified. Exactly once: a conditional status update and the
 * ledger entry (idempotency key tp-<order>-settle) share the task's transaction, so a redelivered
 * task, a repeated notice or a restart between the bank's answer and this step changes nothing twice.
 * Input: orderId, bankResult. Output: orderStatus.
 */
export const treasurySettle = defineWorker({
  topic: 'treasury.settle',
  description: '国库支付：到账则核销冻结指标，失败或退票则解冻并通知单位',
  input: z.object({ orderId: z.coerce.number().int().positive(), bankResult: z.enum(['paid', 'failed', 'refunded']) }),
  async handle({ orderId, bankResult }, { trx }) {
    const r = await settleOrder(trx, orderId, bankResult);
    return complete({ orderStatus: r.status });
  },
});
