import { z } from 'zod';
import { complete, defineWorker, json } from './types';

/**
 * 准备会签 (project-intake, topic approval.countersign-prepare): the engine's multi-instance needs
 * a count and the people as scalars (it has no JSON lists, see server/engine/client.ts), and the
 * votes start at zero; the engine counts them as each countersigner completes (task listeners in
 * the model). Input: countersigners. Output: countersignerCount, countersignerIds, csApprovals,
 * csRejections.
 */
export const countersignPrepare = defineWorker({
  topic: 'approval.countersign-prepare',
  description: '整理会签人名单（人数、用户编号），票数清零',
  input: z.object({ countersigners: json(z.array(z.coerce.number().int().positive()).min(1)) }),
  async handle({ countersigners }) {
    const unique = [...new Set(countersigners)];
    return complete({ countersignerCount: unique.length, countersignerIds: unique.join(','), csApprovals: 0, csRejections: 0 });
  },
});
