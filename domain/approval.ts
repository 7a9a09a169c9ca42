/**
 * Rules of approvals (domain.md "Approval chains"): who a step's candidate group means for a
 * given project, how a 会签 (countersign) is decided, and the words approvers read.
 */

/** 会签 completion rules: all must agree; more than half; any one. */
export const COUNTERSIGN_RULES = ['all', 'majority', 'any'] as const;
export type CountersignRule = (typeof COUNTERSIGN_RULES)[number];
export const COUNTERSIGN_RULE_LABELS: Record<CountersignRule, string> = { all: '全部同意', majority: '多数同意', any: '任一同意' };

export type Vote = 'approve' | 'reject';

export interface Tally {
  /** true: passed; false: failed; null: not decided yet (more votes needed). */
  passed: boolean | null;
  approvals: number;
  rejections: number;
  outstanding: number;
}

/**
 * Decides a 会签 from the votes cast so far out of `voters`. Decided as early as the rule allows:
 * "all" fails at the first rejection, "any" passes at the first approval, "majority" once one
 * side has more than half (a tie at the end fails: a majority was not reached).
 */
export function tallyCountersign(rule: CountersignRule, voters: number, votes: ReadonlyArray<Vote | null | undefined>): Tally {
  if (!Number.isInteger(voters) || voters < 1) throw new RangeError('会签至少需要 1 人');
  const approvals = votes.filter((v) => v === 'approve').length;
  const rejections = votes.filter((v) => v === 'reject').length;
  const outstanding = voters - approvals - rejections;
  if (outstanding < 0) throw new RangeError('票数多于会签人数');
  let passed: boolean | null;
  switch (rule) {
    case 'all':
      passed = rejections > 0 ? false : outstanding === 0 ? true : null;
      break;
    case 'any':
      passed = approvals > 0 ? true : outstanding === 0 ? false : null;
      break;
    case 'majority':
      passed = approvals * 2 > voters ? true : rejections * 2 >= voters ? false : null;
      break;
  }
  return { passed, approvals, rejections, outstanding };
}

/**
 * The finance-bureau sector a project belongs to, by its functional class (类), so 财政业务处室
 * candidates are the division that handles it (教科文 for education, science and culture, 农业农村
 * for agriculture). null: no sector division type matches; any sector division of the region may act.
 */
export function sectorOfFunctionalCode(functionalCode: string): string | null {
  const cls = functionalCode.slice(0, 3);
  if (['205', '206', '207'].includes(cls)) return 'education';
  if (cls === '213') return 'agriculture';
  return null;
}

/** How approvers' decisions read on timelines and in notifications. */
export const DECISION_LABELS: Record<string, string> = {
  approve: '通过',
  return: '退回',
  admit: '同意入库',
  reject: '不同意',
  resubmit: '重新提交',
};

export function decisionLabel(decision: string | null | undefined): string {
  return decision ? (DECISION_LABELS[decision] ?? decision) : '';
}
