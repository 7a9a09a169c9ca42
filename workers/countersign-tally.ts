import { z } from 'zod';
import { COUNTERSIGN_RULES, tallyCountersign } from '../domain/approval';
import { cancelOpenTasks } from '../server/inbox/tasks';
import { complete, defineWorker } from './types';

/**
 * 会签计票 (project-intake, topic approval.countersign-tally): decides the countersign from the
 * engine's counts (domain/approval.ts) and closes the countersign tasks the engine ended early (a
 * decided "any" or "all" does not wait for the rest). Input: countersignRule, countersignerCount,
 * csApprovals, csRejections. Output: countersignPassed, countersignTally.
 */
export const countersignTally = defineWorker({
  topic: 'approval.countersign-tally',
  description: '会签计票，并关闭已无需办理的会签待办',
  input: z.object({
    countersignRule: z.enum(COUNTERSIGN_RULES),
    countersignerCount: z.coerce.number().int().min(1),
    csApprovals: z.coerce.number().int().min(0),
    csRejections: z.coerce.number().int().min(0),
  }),
  async handle({ countersignRule, countersignerCount, csApprovals, csRejections }, { trx, task }) {
    const votes = [...Array<'approve'>(csApprovals).fill('approve'), ...Array<'reject'>(csRejections).fill('reject')];
    const tally = tallyCountersign(countersignRule, countersignerCount, votes);
    await cancelOpenTasks(trx, task.processInstanceId, 'Countersign', '会签已有结果，本意见无需再提交');
    return complete({
      countersignPassed: tally.passed === true,
      countersignTally: { approvals: tally.approvals, rejections: tally.rejections },
    });
  },
});
