import { z } from 'zod';
import { replaceExpert } from '../server/expert-review/review';
import { complete, defineWorker } from './types';

/**
 * 补抽专家 (expert-review-project, topic expert-review.replace): the seat's expert declined or let
 * the answer time run out (extension property `reason`: declined | timed_out); the next eligible
 * expert in the seed's draw order takes the seat, recusal applied again. Output: seatFilled and
 * seatExpertId (the seat's local variables in the model).
 */
export const expertReviewReplace = defineWorker({
  topic: 'expert-review.replace',
  properties: ['reason'],
  description: '专家谢绝或逾期未答复时补抽专家（回避规则再次适用）',
  input: z.object({ reviewId: z.coerce.number().int().positive(), loopCounter: z.coerce.number().int().min(0) }),
  async handle({ reviewId, loopCounter }, { trx, properties, task }) {
    const reason = properties.reason;
    if (reason !== 'declined' && reason !== 'timed_out')
      throw new Error(`step ${task.activityId}: extension property "reason" must be declined or timed_out`);
    const r = await replaceExpert(trx, { reviewId, seat: loopCounter, reason });
    return complete({ seatFilled: r.seatFilled, seatExpertId: r.seatExpertId ?? '' });
  },
});
