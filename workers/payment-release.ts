import { z } from 'zod';
import { releaseRequest } from '../server/payments/service';
import { complete, defineWorker } from './types';

/**
 * 退回或不予支付，解冻 (payment-approval, topic payment.release): the round's frozen amount is
 * released in the ledger under the request's release key (idempotent: a redelivered task releases
 * nothing twice); the request is returned (退回) or rejected (不予支付) and the unit notified.
 * Input: paymentRequestId, decision (return | reject), comment. Output: nothing.
 */
export const paymentRelease = defineWorker({
  topic: 'payment.release',
  description: '用款申请退回或不予支付：解冻指标，通知单位',
  input: z.object({
    paymentRequestId: z.coerce.number().int().positive(),
    decision: z.enum(['return', 'reject']),
    comment: z.string().nullish(),
  }),
  async handle({ paymentRequestId, decision, comment }, { trx, task }) {
    await releaseRequest(trx, paymentRequestId, task.processInstanceId, decision, comment ?? null);
    return complete({});
  },
});
