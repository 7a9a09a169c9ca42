/**
 * 绩效评价's workflow rules with no database or engine in sight: an evaluation's statuses, which
 * task of it a person may hold at each status, and what they may do with it (自评、审核、下载评价报告).
 * The server sends these as `can` with every evaluation and on the list, and refuses the same
 * things itself; the pages test no statuses or permissions. Scoring is domain/performance-scoring.ts.
 */
import type { Permission } from './roles';

export const EVALUATION_STATUSES = ['self_evaluation', 'review', 'external', 'grading', 'graded'] as const;
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];

/** The user task of the process open at a status, and the permission its holder needs. */
const TASK_STEPS: Partial<Record<EvaluationStatus, { element: 'SelfEvaluation' | 'Review'; permission: Permission }>> = {
  self_evaluation: { element: 'SelfEvaluation', permission: 'performance:self-evaluate' },
  review: { element: 'Review', permission: 'performance:evaluate' },
};

/**
 * The task element the person may hold now (the unit's 自评, 绩效处's 审核), or null: whether they
 * actually hold it the server asks the inbox.
 */
export function evaluationTaskStep(status: EvaluationStatus, permissions: ReadonlySet<Permission>): 'SelfEvaluation' | 'Review' | null {
  const step = TASK_STEPS[status];
  return step && permissions.has(step.permission) ? step.element : null;
}

export interface EvaluationActions {
  /** 填报、保存、提交自评（单位自评环节，本人有该待办） */
  selfEvaluate: boolean;
  /** 审核（绩效处审核环节，本人有该待办） */
  review: boolean;
  /** 下载评价报告（已评定） */
  report: boolean;
}

/** `holdsTask`: the person holds the open task of evaluationTaskStep(status). */
export function evaluationActions(status: EvaluationStatus, holdsTask: boolean): EvaluationActions {
  return {
    selfEvaluate: status === 'self_evaluation' && holdsTask,
    review: status === 'review' && holdsTask,
    report: status === 'graded',
  };
}

/** 开展年度绩效评价 (and choosing its projects) is 绩效处's. */
export const EVALUATION_START_PERMISSION: Permission = 'performance:evaluate';

/** What the list of evaluations offers: 开展绩效评价 to 绩效处. */
export function evaluationListActions(permissions: ReadonlySet<Permission>): { start: boolean } {
  return { start: permissions.has(EVALUATION_START_PERMISSION) };
}
