import { z } from 'zod';
import { issueAllocation } from '../server/allocation/service';
import { complete, defineWorker } from './types';

/**
 * 批复并下达指标 (budget-allocation, topic allocation.issue): quotas in the ledger for every funded
 * project, exactly the approved amounts, under one generated 指标文号; projects 已下达 and their
 * units notified; unfunded projects back to the reserve with the reason. Idempotent twice over:
 * the runtime answers a redelivered task from its stored outcome, and each quota is issued under
 * an idempotency key of the allocation, project and economic code, so a second run (a lock that
 * ran out while the first was still writing, another node) issues nothing again.
 * Input: allocationId. Output: documentNo.
 */
export const allocationIssue = defineWorker({
  topic: 'allocation.issue',
  description: '预算批复：按批复金额下达指标（生成指标文号），更新项目状态并通知单位',
  input: z.object({ allocationId: z.coerce.number().int().positive() }),
  async handle({ allocationId }, { trx, task }) {
    const r = await issueAllocation(trx, allocationId, task.processInstanceId);
    return complete({ documentNo: r.documentNo });
  },
});
