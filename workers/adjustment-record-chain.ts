import { z } from 'zod';
import { ADJUSTMENT_CHAINS } from '../domain/adjustments';
import { recordChain } from '../server/adjustments/service';
import { complete, defineWorker } from './types';

/**
 * 记录审批链 (budget-adjustment, topic adjustment.record-chain): the chain the decision table
 * processes/budget-adjustment-chain.dmn chose on kind and amount, kept on the adjustment with its
 * first step, so the list says where each request is. Input: adjustmentId, approvalChain.
 */
export const adjustmentRecordChain = defineWorker({
  topic: 'adjustment.record-chain',
  description: '记录决策表选定的预算调整审批链',
  input: z.object({ adjustmentId: z.coerce.number().int().positive(), approvalChain: z.enum(ADJUSTMENT_CHAINS) }),
  async handle({ adjustmentId, approvalChain }, { trx }) {
    await recordChain(trx, adjustmentId, approvalChain);
    return complete({});
  },
});
