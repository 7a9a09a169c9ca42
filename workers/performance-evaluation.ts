import { z } from 'zod';
import { QUALITATIVE_BANDS } from '../domain/performance-scoring';
import { aggregateStep, drawStep, recordGradeStep, returnStep, scoreStep } from '../server/performance/evaluation';
import { complete, defineWorker, json } from './types';

/**
 * The external tasks of processes/performance-evaluation.bpmn (绩效评价), thin adapters over
 * server/performance/evaluation.ts; each writes in the runtime's transaction, so a redelivered
 * task is answered from its stored outcome.
 */

const adjustment = z.object({
  actualId: z.number().int().positive(),
  indicator: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  band: z.enum(QUALITATIVE_BANDS).nullable(),
  percent: z.number().nullable(),
  reason: z.string(),
});

/**
 * 计算得分 (topic performance.score, property stage = self | reviewed): the score by
 * domain/performance-scoring.ts with the execution rate from the ledger; at `reviewed` the sealed
 * adjustments of the review form are applied first. Output: score (points), scoreCenti, external
 * (the amount issued reaches the configured amount: experts evaluate too).
 */
export const performanceScore = defineWorker({
  topic: 'performance.score',
  properties: ['stage'],
  description: '按评分规则计算绩效得分（预算执行率取自指标账；审核后先应用绩效处签章的实际值调整）',
  input: z.object({
    evaluationId: z.coerce.number().int().positive(),
    adjustments: json(z.array(adjustment).nullish()),
    lastDecisionBy: z.coerce.number().int().positive().nullish(),
  }),
  async handle(input, { trx, properties, config, task }) {
    const stage = properties.stage;
    if (stage !== 'self' && stage !== 'reviewed')
      throw new Error(`step ${task.activityId}: extension property "stage" must be self or reviewed`);
    const r = await scoreStep(trx, {
      evaluationId: input.evaluationId,
      stage,
      adjustments: stage === 'reviewed' ? (input.adjustments ?? []) : [],
      reviewerUserId: input.lastDecisionBy ?? null,
      weights: config.performance.weights,
      externalThresholdFen: config.performance.externalThresholdFen,
    });
    return complete({ score: r.score, scoreCenti: r.scoreCenti, external: r.external });
  },
});

/** 退回单位重新自评 (topic performance.returned). Input: evaluationId, comment. */
export const performanceReturned = defineWorker({
  topic: 'performance.returned',
  description: '绩效处退回：回到单位自评',
  input: z.object({ evaluationId: z.coerce.number().int().positive(), comment: z.string().nullish() }),
  async handle(input, { trx }) {
    await returnStep(trx, input.evaluationId, input.comment ?? null);
    return complete({});
  },
});

/**
 * 抽取评价专家 (topic performance.draw-experts): the expert review's draw and recusal. Output:
 * panelCount, panelUserIds (the multi-instance reads them), and the tallies the experts' task
 * listeners add to (extSum, extMin, extMax, scoreCount).
 */
export const performanceDrawExperts = defineWorker({
  topic: 'performance.draw-experts',
  description: '从专家库随机抽取外部评价专家（与专家评审相同的抽取与回避规则）',
  input: z.object({ evaluationId: z.coerce.number().int().positive() }),
  async handle(input, { trx, config }) {
    const r = await drawStep(trx, input.evaluationId, config.performance.panelSize);
    return complete({ panelCount: r.panelCount, panelUserIds: r.panelUserIds, extSum: 0, extMin: 101, extMax: -1, scoreCount: 0 });
  },
});

/** 汇总外部评价得分 (topic performance.external-aggregate). Output: score (the final score, points). */
export const performanceExternalAggregate = defineWorker({
  topic: 'performance.external-aggregate',
  description: '按汇总方法（决策表）汇总专家外部评价得分',
  input: z.object({
    evaluationId: z.coerce.number().int().positive(),
    aggregationMethod: z.string(),
    extSum: z.coerce.number(),
    extMin: z.coerce.number(),
    extMax: z.coerce.number(),
    scoreCount: z.coerce.number().int().min(0),
  }),
  async handle(input, { trx }) {
    const r = await aggregateStep(trx, {
      evaluationId: input.evaluationId,
      method: input.aggregationMethod,
      sum: input.extSum,
      min: input.extMin,
      max: input.extMax,
      count: input.scoreCount,
    });
    return complete({ score: r.score, scoreCenti: r.scoreCenti });
  },
});

/** 记录评价结果 (topic performance.record-grade): the grade the decision table gave. Input: evaluationId, grade. */
export const performanceRecordGrade = defineWorker({
  topic: 'performance.record-grade',
  description: '记录项目绩效得分与等级，更新单位年度绩效等级（供下一年度预算分配），通知单位',
  input: z.object({ evaluationId: z.coerce.number().int().positive(), grade: z.string() }),
  async handle(input, { trx, task }) {
    await recordGradeStep(trx, { evaluationId: input.evaluationId, grade: input.grade, processInstanceId: task.processInstanceId });
    return complete({});
  },
});
