import { z } from 'zod';
import { publishResults } from '../server/expert-review/review';
import { complete, defineWorker } from './types';

/**
 * 评审结果写入项目 (expert-review, topic expert-review.publish): after 绩效处 confirmed the batch,
 * each project's score and band go onto the project (projects.expert_score_centi / expert_band,
 * where an allocation reads them), its status becomes 已评审 and its timeline shows both. Output: nothing.
 */
export const expertReviewPublish = defineWorker({
  topic: 'expert-review.publish',
  description: '确认后把评审得分与结论写入项目',
  input: z.object({ batchId: z.coerce.number().int().positive() }),
  async handle({ batchId }, { trx }) {
    await publishResults(trx, batchId);
    return complete({});
  },
});
