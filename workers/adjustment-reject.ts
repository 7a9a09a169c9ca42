import { z } from 'zod';
import { rejectAdjustment } from '../server/adjustments/service';
import { complete, defineWorker } from './types';

/**
 * 不予调整 (budget-adjustment, topic adjustment.reject): an approver did not agree; the request
 * ends with the reason and the requester is told. The ledger is not touched. Input: adjustmentId,
 * comment.
 */
export const adjustmentReject = defineWorker({
  topic: 'adjustment.reject',
  description: '预算调整申请未通过：记录理由并通知申请人，指标账不变',
  input: z.object({ adjustmentId: z.coerce.number().int().positive(), comment: z.string().nullish() }),
  async handle({ adjustmentId, comment }, { trx, task }) {
    await rejectAdjustment(trx, adjustmentId, comment ?? null, task.processInstanceId);
    return complete({});
  },
});
