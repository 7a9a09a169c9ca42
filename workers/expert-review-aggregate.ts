import { z } from 'zod';
import { AGGREGATION_METHODS } from '../domain/expert-review';
import { aggregateScores } from '../server/expert-review/review';
import { complete, defineWorker } from './types';

/**
 * 计算评审得分 (expert-review-project, topic expert-review.aggregate): the score by the method the
 * aggregation decision table chose (processes/expert-review-aggregation.dmn). Output: aggregateScore
 * (points, two decimals; null without sheets), the band decision table's input.
 */
export const expertReviewAggregate = defineWorker({
  topic: 'expert-review.aggregate',
  description: '按决策表确定的方式计算项目评审得分',
  input: z.object({ reviewId: z.coerce.number().int().positive(), aggregationMethod: z.enum(AGGREGATION_METHODS) }),
  async handle({ reviewId, aggregationMethod }, { trx }) {
    return complete(await aggregateScores(trx, reviewId, aggregationMethod));
  },
});
