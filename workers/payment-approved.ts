import { z } from 'zod';
import { markApproved } from '../server/payments/service';
import { complete, defineWorker } from './types';

/**
 * 审批通过，待支付 (payment-approval, topic payment.approved): the request's status becomes
 * approved (已审批/待支付), its amount stays frozen under the row's freeze_key, the unit is
 * notified. This is the hand-over to the treasury payment (server/treasury/): the one step an
 * approved request passes, whatever chain approved it. Input: paymentRequestId. Output: nothing.
 */
export const paymentApproved = defineWorker({
  topic: 'payment.approved',
  description: '用款申请审批通过：状态改为已审批/待支付，冻结金额保留，通知单位',
  input: z.object({ paymentRequestId: z.coerce.number().int().positive() }),
  async handle({ paymentRequestId }, { trx, task }) {
    await markApproved(trx, paymentRequestId, task.processInstanceId);
    return complete({});
  },
});
