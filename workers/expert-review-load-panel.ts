import { z } from 'zod';
import { loadPanel } from '../server/expert-review/review';
import { complete, defineWorker } from './types';

/**
 * 读取抽取结果 (expert-review-project, topic expert-review.load-panel): the experts drawn for the
 * project when the batch was opened (sealed there), one per seat, as the engine's multi-instance
 * needs them: the number of seats and the experts' user ids, comma-separated. Also records the
 * project's engine instance. Output: panelSize, panelExpertIds.
 */
export const expertReviewLoadPanel = defineWorker({
  topic: 'expert-review.load-panel',
  description: '读取项目的评审专家（席位数与专家账号）',
  input: z.object({ reviewId: z.coerce.number().int().positive() }),
  retryBackoffMs: 500,
  retries: 8,
  async handle({ reviewId }, { trx, task }) {
    return complete(await loadPanel(trx, reviewId, task.processInstanceId));
  },
});
