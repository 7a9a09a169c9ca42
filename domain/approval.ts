/**
 * Rules of approvals (domain.md "Approval chains"): who a step's candidate group means for a
 * given project, how a 会签 (countersign) is decided, and the words approvers read.
 */

/** 会签 completion rules: all must agree; more than half; any one. */
export const COUNTERSIGN_RULES = ['all', 'majority', 'any'] as const;
export type CountersignRule = (typeof COUNTERSIGN_RULES)[number];

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

/** An approver added to a task (加签) who has not acted yet. */
export interface PendingSigner {
  id: number;
  userId: number;
  /** before: acts first, then the task returns to the holder; after: acts after the holder, in order. */
  position: 'before' | 'after';
  /** The holder who added them. */
  addedBy: number;
}

/** What a person submitting a task's form may do with it now, decided from the task's state alone. */
export type CompletionPlan =
  | { kind: 'refuse'; status: 403 | 409; code: 'NOT_A_CANDIDATE' | 'TASK_CLAIMED_BY_OTHER'; message: string }
  /** 前加签: the added approver's opinion is recorded and the task goes back to `signer.addedBy`. */
  | { kind: 'sign-before'; signer: PendingSigner }
  /** 后加签: the opinion is recorded; the task goes to `next`, or — the last one — is completed with `finalValues`. */
  | { kind: 'sign-after'; signer: PendingSigner; next: PendingSigner | null; finalValues: Record<string, unknown> }
  /** The holder decided, approvers added after them act next: their decision is kept, the task goes to `to`. */
  | { kind: 'forward'; to: PendingSigner; claim: boolean }
  /** The decision goes to the engine. `claim`: the person takes the unclaimed task first. */
  | { kind: 'complete'; claim: boolean; values: Record<string, unknown> };

/**
 * Who may act on a task as its holder (complete it, 转办, 加签): the holder; a candidate of an
 * unclaimed task, who claims it first; nobody else.
 */
export function mayHold(input: {
  userId: number;
  assigneeId: number | null;
  candidate: boolean;
}): Extract<CompletionPlan, { kind: 'refuse' }> | { kind: 'hold'; claim: boolean } {
  const holder = input.assigneeId === input.userId;
  if (!holder && !input.candidate)
    return { kind: 'refuse', status: 403, code: 'NOT_A_CANDIDATE', message: '您不是该待办的办理人，不能办理' };
  if (!holder && input.assigneeId !== null)
    return { kind: 'refuse', status: 409, code: 'TASK_CLAIMED_BY_OTHER', message: '该待办已由他人签收，请刷新待办列表' };
  return { kind: 'hold', claim: !holder };
}

/**
 * One completion, decided in one place (actions.complete carries it out): who may submit (the
 * holder, or a candidate of an unclaimed task, who claims it), and what 加签 makes of it. After
 * signers: the holder's decision stands unless an added approver disagrees — then theirs, the more
 * cautious one, goes to the engine.
 */
export function planCompletion(input: {
  userId: number;
  assigneeId: number | null;
  candidate: boolean;
  pending: readonly PendingSigner[];
  values: Record<string, unknown>;
  /** What the holder decided, when the task waits for approvers added after them. */
  holderValues: Record<string, unknown> | null;
}): CompletionPlan {
  const { userId, pending, values } = input;
  const holding = mayHold(input);
  if (holding.kind === 'refuse') return holding;
  const { claim } = holding;
  const mine = pending.find((s) => s.userId === userId);
  if (mine?.position === 'before') return { kind: 'sign-before', signer: mine };
  if (mine?.position === 'after') {
    const decisionOf = (v: Record<string, unknown>) =>
      typeof v.decision === 'string' ? v.decision : typeof v.vote === 'string' ? v.vote : null;
    const held = input.holderValues ?? values;
    const finalValues = decisionOf(values) === decisionOf(held) ? held : values;
    return { kind: 'sign-after', signer: mine, next: pending.find((s) => s.position === 'after' && s.id !== mine.id) ?? null, finalValues };
  }
  const after = pending.find((s) => s.position === 'after');
  if (after) return { kind: 'forward', to: after, claim };
  return { kind: 'complete', claim, values };
}
