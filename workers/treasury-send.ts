import { z } from 'zod';
import { recordSend, sendToBank } from '../server/treasury/orders';
import type { SubmitAnswer } from '../server/treasury/bank';
import { bpmnError, complete, defineWorker } from './types';

/**
 * 发送支付凭证 (treasury-payment, topic treasury.send): hands the order to the bank. The bank call
 * runs in `prepare`, outside the transaction; the bank is idempotent by order number, so a
 * redelivered task (a lost answer, a lock that ran out, a restart) pays nothing twice, and an order
 * already sent is not sent again. A bank that refuses the order is the BPMN error BANK_REJECTED
 * (the process releases the money); a bank that cannot be reached is a failure with retries, then
 * an incident, and the order shows 发送失败 with 重新发送 on the page.
 * Input: orderId. Output: sendResult (accepted).
 */
export const treasurySend = defineWorker({
  topic: 'treasury.send',
  description: '国库支付：向银行发送支付凭证（按凭证号幂等）',
  input: z.object({ orderId: z.coerce.number().int().positive() }),
  lockMs: 30_000,
  retries: 3,
  retryBackoffMs: 1000,
  async prepare({ orderId }, { db, config, task }) {
    return sendToBank({ db, config }, orderId, task.processInstanceId, task.retries);
  },
  async handle({ orderId }, { trx, prepared }) {
    const sent = prepared as { skip: true } | { skip: false; answer: SubmitAnswer };
    if (sent.skip) return complete({ sendResult: 'accepted' });
    const outcome = await recordSend(trx, orderId, sent.answer);
    if (outcome === 'rejected' && !sent.answer.accepted) return bpmnError('BANK_REJECTED', sent.answer.reason, { bankResult: 'failed' });
    return complete({ sendResult: 'accepted' });
  },
});
