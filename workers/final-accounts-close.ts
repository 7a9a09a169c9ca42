import { z } from 'zod';
import { closeFinalAccount } from '../server/final-accounts/service';
import { complete, defineWorker } from './types';

/**
 * 办结决算 (final-accounts, topic final-accounts.close): each balance posted as its project chose —
 * 结转 through the ledger's carryOver into a new quota of the next year, 结余收回 as an adjust-out —
 * and the final account closed. Exactly once twice over: the runtime answers a redelivered task
 * from its stored outcome, and every posting carries an idempotency key of the final account and
 * the quota, so a second run (a lock that ran out, another node) posts nothing again.
 * Input: finalAccountId. Output: carriedFen, recoveredFen.
 */
export const finalAccountsClose = defineWorker({
  topic: 'final-accounts.close',
  description: '决算办结：结余结转下年或收回，经指标账记账（幂等）',
  input: z.object({ finalAccountId: z.coerce.number().int().positive() }),
  async handle({ finalAccountId }, { trx, task }) {
    const r = await closeFinalAccount(trx, finalAccountId, task.processInstanceId);
    return complete({ carriedFen: r.carriedFen, recoveredFen: r.recoveredFen });
  },
});
