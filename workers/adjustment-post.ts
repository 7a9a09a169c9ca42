import { z } from 'zod';
import { postAdjustment } from '../server/adjustments/service';
import { bpmnError, complete, defineWorker } from './types';

/**
 * 记账 (budget-adjustment, topic adjustment.post): the approved 调剂 / 追加 / 调减 posts in the
 * ledger (transfer, adjust-in or adjust-out) under the adjustment's idempotency key. Exactly once
 * twice over: the runtime answers a redelivered task from its stored outcome, and the ledger
 * answers a second run of the posting (a lock that ran out, another node) from the key.
 * When the source quota no longer has the amount: BPMN error ADJUSTMENT_SHORT (the model ends at
 * 记账失败), nothing posted. Input: adjustmentId. Output: nothing.
 */
export const adjustmentPost = defineWorker({
  topic: 'adjustment.post',
  description: '预算调整审批通过后在指标账中记账（调剂、追加、调减）',
  input: z.object({ adjustmentId: z.coerce.number().int().positive() }),
  async handle({ adjustmentId }, { trx, task }) {
    const r = await postAdjustment(trx, adjustmentId, task.processInstanceId);
    if (r.outcome === 'short') return bpmnError('ADJUSTMENT_SHORT', r.message ?? '可用指标不足');
    return complete({});
  },
});
