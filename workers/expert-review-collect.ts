import { z } from 'zod';
import { collectScores } from '../server/expert-review/review';
import { complete, defineWorker } from './types';

/** 汇集评分单 (expert-review-project, topic expert-review.collect): how many sheets were submitted. Output: scoreCount (the aggregation decision table's input). */
export const expertReviewCollect = defineWorker({
  topic: 'expert-review.collect',
  description: '统计项目的有效评分单份数',
  input: z.object({ reviewId: z.coerce.number().int().positive() }),
  async handle({ reviewId }, { trx }) {
    return complete(await collectScores(trx, reviewId));
  },
});
