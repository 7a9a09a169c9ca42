import { z } from 'zod';
import { recordResult } from '../server/expert-review/review';
import { complete, defineWorker } from './types';

/**
 * 记录评审结果 (expert-review-project, topic expert-review.record-result): the band the band
 * decision table gave (processes/expert-review-band.dmn), kept until the batch is confirmed; the
 * batch awaits confirmation once every project is scored. Output: nothing.
 */
export const expertReviewRecordResult = defineWorker({
  topic: 'expert-review.record-result',
  description: '记录项目的评审得分与结论（待绩效处确认）',
  input: z.object({ reviewId: z.coerce.number().int().positive(), band: z.string().nullish() }),
  async handle({ reviewId, band }, { trx }) {
    await recordResult(trx, reviewId, band ?? null);
    return complete({});
  },
});
