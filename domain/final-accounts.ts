import { formatYuan } from './money';

/**
 * 决算 (final accounts) rules, with no database in sight. A unit's figures of a fiscal year are
 * the ledger's per quota (server/final-accounts/figures.ts sums the journal in SQL); these functions
 * define the columns, add them up, and decide what a submission and a closing need:
 *
 *     budget (指标数) = issued + adjusted in − adjusted out − carried out   (Σ journal delta_amount)
 *     paid (已支付)   = Σ consume                                           (Σ journal delta_used)
 *     frozen (冻结)   = Σ journal delta_frozen
 *     balance (结余)  = budget − paid − frozen
 *
 * Every balance left is explained and either carried over into next year (结转) or recovered
 * (结余收回); a freeze still open (a payment in flight) blocks the submission and the closing.
 */

export const CHOICES = ['carry-over', 'recover'] as const;
export type Choice = (typeof CHOICES)[number];
export const CHOICE_LABELS: Record<Choice, string> = { 'carry-over': '结转下年', recover: '结余收回' };

export const FINAL_ACCOUNT_STATUSES = ['draft', 'reviewing', 'closing', 'closed'] as const;
export type FinalAccountStatus = (typeof FINAL_ACCOUNT_STATUSES)[number];
export const STATUS_LABELS: Record<FinalAccountStatus, string> = {
  draft: '单位编制中',
  reviewing: '审核中',
  closing: '结转处理中',
  closed: '已决算',
};

/** The user tasks of processes/final-accounts.bpmn, in order, with what people call them. */
export const STEP_LABELS: Record<string, string> = {
  UnitConfirm: '单位确认决算',
  DepartmentReview: '主管部门汇总审核',
  TreasuryReview: '国库处审核',
  BudgetReview: '预算处审核',
};

/**
 * What a person may do with a final account, from its status and the open step the engine holds
 * for this person (null: none is theirs). Sent as `can`; the pages show an action only when its
 * flag is set and test no statuses themselves. The server refuses the same actions on its own.
 */
export interface FinalAccountActions {
  /** 重新生成、保存结余说明、确认提交：the unit's own draft, at 单位确认决算. */
  edit: boolean;
  /** 审核（同意或退回）：in review, at a review step that is this person's. */
  decide: boolean;
}

export function finalAccountActions(status: FinalAccountStatus, heldStep: string | null): FinalAccountActions {
  return {
    edit: status === 'draft' && heldStep === 'UnitConfirm',
    decide: status === 'reviewing' && heldStep !== null && heldStep !== 'UnitConfirm',
  };
}

/**
 * What a person may do on the list of a year: 生成本年度决算 (finals:prepare, once per unit and
 * year); 为全部单位生成决算 (finals:open-all, 预算处; idempotent, so offered whenever a year is chosen).
 */
export interface FinalAccountListActions {
  open: boolean;
  openAll: boolean;
}

export function finalAccountListActions(
  viewer: { permissions: ReadonlySet<string> },
  fiscalYear: number | undefined,
  ownAccountExists: boolean,
): FinalAccountListActions {
  return {
    open: viewer.permissions.has('finals:prepare') && fiscalYear !== undefined && !ownAccountExists,
    openAll: viewer.permissions.has('finals:open-all') && fiscalYear !== undefined,
  };
}

export interface Figures {
  issuedFen: number;
  adjustedInFen: number;
  adjustedOutFen: number;
  carriedOutFen: number;
  budgetFen: number;
  paidFen: number;
  frozenFen: number;
  balanceFen: number;
}

export const ZERO_FIGURES: Figures = {
  issuedFen: 0,
  adjustedInFen: 0,
  adjustedOutFen: 0,
  carriedOutFen: 0,
  budgetFen: 0,
  paidFen: 0,
  frozenFen: 0,
  balanceFen: 0,
};

export const FIGURE_KEYS = Object.keys(ZERO_FIGURES) as Array<keyof Figures>;

/** The column sums of several rows (a project's quotas, a unit, a department). */
export function sumFigures(rows: Iterable<Figures>): Figures {
  const s: Figures = { ...ZERO_FIGURES };
  for (const r of rows) for (const k of FIGURE_KEYS) s[k] += r[k];
  return s;
}

/** Whether a row's columns agree with each other (the SQL must produce rows for which this holds). */
export function consistent(f: Figures): boolean {
  return (
    f.budgetFen === f.issuedFen + f.adjustedInFen - f.adjustedOutFen - f.carriedOutFen &&
    f.balanceFen === f.budgetFen - f.paidFen - f.frozenFen
  );
}

/** Rows grouped by a key (functional code, economic code, its 类), each with its sums, in key order. */
export function rollUp<T extends Figures>(rows: readonly T[], keyOf: (r: T) => string): Array<{ key: string } & Figures> {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.keys()].sort().map((key) => ({ key, ...sumFigures(groups.get(key)!) }));
}

export interface ItemDecision {
  itemId: number;
  label: string;
  balanceFen: number;
  explanation: string | null;
  choice: Choice | null;
}

export interface SubmissionProblem {
  itemId: number;
  field: 'explanation' | 'choice' | 'balance';
  message: string;
}

/**
 * What a unit's submission lacks: every item with a balance needs an explanation (结余原因) and a
 * choice; a negative balance cannot be (the ledger never allows it) and is reported, not posted.
 */
export function submissionProblems(items: readonly ItemDecision[]): SubmissionProblem[] {
  const problems: SubmissionProblem[] = [];
  for (const it of items) {
    if (it.balanceFen < 0)
      problems.push({
        itemId: it.itemId,
        field: 'balance',
        message: `${it.label}的结余为负数（${formatYuan(it.balanceFen)}），指标账有误，请联系财政部门`,
      });
    if (it.balanceFen <= 0) continue;
    if (!it.explanation || it.explanation.trim().length === 0)
      problems.push({ itemId: it.itemId, field: 'explanation', message: `${it.label}结余 ${formatYuan(it.balanceFen)}，须说明结余原因` });
    if (!it.choice)
      problems.push({
        itemId: it.itemId,
        field: 'choice',
        message: `${it.label}结余 ${formatYuan(it.balanceFen)}，须选择结转下年或结余收回`,
      });
  }
  return problems;
}

export interface OpenFreeze {
  quotaNo: string;
  projectName: string | null;
  frozenFen: number;
  /** What froze it (a payment request …), when the journal says. */
  reference: string | null;
}

/** The sentence a 409 says when open freezes block submitting or closing; each freeze named. */
export function openFreezesMessage(freezes: readonly OpenFreeze[], action: string): string {
  const list = freezes
    .map(
      (f) =>
        `指标 ${f.quotaNo}${f.projectName ? `（${f.projectName}）` : ''}冻结 ${formatYuan(f.frozenFen)}${f.reference ? `，${f.reference}` : ''}`,
    )
    .join('；');
  return `尚有 ${freezes.length} 笔冻结未解除，不能${action}：${list}。请先完成支付或解冻后重新生成决算数据`;
}

/** What the ledger posts at closing for a line's balance; null when nothing is left. */
export function postingOf(balanceFen: number, choice: Choice | null): Choice | null {
  if (balanceFen <= 0) return null;
  return choice;
}
