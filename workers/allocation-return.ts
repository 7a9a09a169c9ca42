import { z } from 'zod';
import { returnAllocation } from '../server/allocation/service';
import { complete, defineWorker } from './types';

/**
 * 退回预算处修改 (budget-allocation, topic allocation.return): an approver (or the directors'
 * meeting) did not agree; the allocation is a draft again, with the reason, for the budget
 * division to edit and submit anew. Input: allocationId, comment. Output: nothing.
 */
export const allocationReturn = defineWorker({
  topic: 'allocation.return',
  description: '分配方案审批未通过，退回预算处修改',
  input: z.object({ allocationId: z.coerce.number().int().positive(), comment: z.string().nullish() }),
  async handle({ allocationId, comment }, { trx, task }) {
    await returnAllocation(trx, allocationId, comment ?? null, task.processInstanceId);
    return complete({});
  },
});
