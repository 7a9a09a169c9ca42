import { z } from 'zod';
import { APPROVAL_CHAINS } from '../domain/allocation';
import { recordChain } from '../server/allocation/service';
import { complete, defineWorker } from './types';

/**
 * 记录审批链 (budget-allocation, topic allocation.record-chain): the chain the decision table
 * processes/allocation-approval-chain.dmn chose, kept on the allocation so its page shows the
 * steps ahead (审批预测). Input: allocationId, approvalChain. Output: nothing.
 */
export const allocationRecordChain = defineWorker({
  topic: 'allocation.record-chain',
  description: '记录决策表选定的预算分配审批链',
  input: z.object({ allocationId: z.coerce.number().int().positive(), approvalChain: z.enum(APPROVAL_CHAINS) }),
  async handle({ allocationId, approvalChain }, { trx }) {
    await recordChain(trx, allocationId, approvalChain);
    return complete({});
  },
});
