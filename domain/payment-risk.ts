import { formatYuan } from './money';

/**
 * 用款申请的风险预警规则 (domain.md, "Risk warnings"): pure functions over the request and the
 * history the service loads. Each rule is data — a code, a level (提示/预警/严重) and its
 * parameters — with the defaults below; a bureau changes the data, not the code. A hit carries
 * its evidence (the requests, dates and masked accounts it saw), stored with the request and shown
 * on the approver's task. Any 严重 hit routes the request to 核查 before the approval chain.
 *
 * The payment exceeding the quota's available amount is not a warning here: the ledger refuses it
 * outright (无预算不支出), before a request exists.
 */

export const RISK_LEVELS = ['提示', '预警', '严重'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const RISK_RULE_CODES = ['split-payment', 'account-changes', 'personal-account', 'project-overspend'] as const;
export type RiskRuleCode = (typeof RISK_RULE_CODES)[number];

export interface RiskRule {
  code: RiskRuleCode;
  name: string;
  level: RiskLevel;
  enabled: boolean;
  /** split-payment: thresholdFen, windowDays. account-changes: changes, windowDays. personal-account: thresholdFen. project-overspend: ratioPercent. */
  params: Record<string, number>;
}

/** The defaults (configurable): domain.md's figures. */
export const DEFAULT_RISK_RULES: readonly RiskRule[] = [
  // Each below the 局长 threshold (¥20,000), together above it: the pattern of splitting to dodge the longer chain.
  { code: 'split-payment', name: '疑似拆分支付', level: '预警', enabled: true, params: { thresholdFen: 2_000_000, windowDays: 7 } },
  { code: 'account-changes', name: '收款账户频繁变更', level: '严重', enabled: true, params: { changes: 3, windowDays: 30 } },
  { code: 'personal-account', name: '单位账户向个人账户大额转账', level: '预警', enabled: true, params: { thresholdFen: 5_000_000 } },
  { code: 'project-overspend', name: '项目超支', level: '严重', enabled: true, params: { ratioPercent: 10 } },
];

export const PAYEE_KINDS = ['organisation', 'personal'] as const;
export type PayeeKind = (typeof PAYEE_KINDS)[number];

/** What the rules read of the request being checked. */
export interface RiskSubject {
  id: number;
  amountFen: number;
  payeeName: string;
  payeeKind: PayeeKind;
  /** Blind index of the payee account (never the account itself). */
  accountIndex: string;
  accountMask: string;
  purpose: string;
  submittedAt: Date;
}

/** An earlier request of the same unit (any status but the ones that never held money). */
export interface PriorRequest {
  id: number;
  requestNo: string;
  amountFen: number;
  payeeName: string;
  accountIndex: string;
  accountMask: string;
  purpose: string;
  submittedAt: Date;
  status: string;
}

export interface ProjectSpending {
  projectId: number;
  projectNo: string;
  /** The project's budget: its approved amount (申报/批复金额). */
  budgetFen: number;
  /** Already committed on the project: requests approving, approved or paid, this one excluded. */
  committedFen: number;
}

export interface RiskInput {
  subject: RiskSubject;
  /** The unit's other requests (the service loads the last max(windowDays) days). */
  prior: readonly PriorRequest[];
  project: ProjectSpending | null;
}

export interface RiskHit {
  rule: RiskRuleCode;
  name: string;
  level: RiskLevel;
  message: string;
  evidence: Record<string, unknown>;
}

const DAY_MS = 86_400_000;

/** Names and purposes compare without spaces, full-width forms or case (某某公司 = 某某公司 ). */
export function normaliseText(s: string): string {
  return s.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
}

function within(prior: readonly PriorRequest[], at: Date, days: number): PriorRequest[] {
  const from = at.getTime() - days * DAY_MS;
  return prior.filter((r) => r.submittedAt.getTime() >= from && r.submittedAt.getTime() <= at.getTime());
}

function splitPayment(rule: RiskRule, { subject, prior }: RiskInput): RiskHit | null {
  const threshold = rule.params.thresholdFen ?? 2_000_000;
  const days = rule.params.windowDays ?? 7;
  if (subject.amountFen >= threshold) return null;
  const payee = normaliseText(subject.payeeName);
  const purpose = normaliseText(subject.purpose);
  const same = within(prior, subject.submittedAt, days).filter(
    (r) => r.id !== subject.id && normaliseText(r.payeeName) === payee && normaliseText(r.purpose) === purpose && r.amountFen < threshold,
  );
  if (same.length === 0) return null;
  const total = same.reduce((s, r) => s + r.amountFen, subject.amountFen);
  if (total <= threshold) return null;
  return {
    rule: rule.code,
    name: rule.name,
    level: rule.level,
    message: `${days} 天内向「${subject.payeeName}」以同一用途申请 ${same.length + 1} 笔，每笔低于 ${formatYuan(threshold)}，合计 ${formatYuan(total)}，超过 ${formatYuan(threshold)}`,
    evidence: {
      thresholdFen: threshold,
      windowDays: days,
      totalFen: total,
      requests: [
        ...same.map((r) => ({ id: r.id, requestNo: r.requestNo, amountFen: r.amountFen, submittedAt: r.submittedAt.toISOString() })),
        { id: subject.id, amountFen: subject.amountFen, submittedAt: subject.submittedAt.toISOString() },
      ],
    },
  };
}

/**
 * Account changes: the unit's requests to the same payee in the window, oldest first, this one
 * last; a change is a request whose account (blind index) differs from the one before it.
 */
function accountChanges(rule: RiskRule, { subject, prior }: RiskInput): RiskHit | null {
  const limit = rule.params.changes ?? 3;
  const days = rule.params.windowDays ?? 30;
  const payee = normaliseText(subject.payeeName);
  const seq = [
    ...within(prior, subject.submittedAt, days)
      .filter((r) => r.id !== subject.id && normaliseText(r.payeeName) === payee)
      .sort((a, b) => a.submittedAt.getTime() - b.submittedAt.getTime() || a.id - b.id)
      .map((r) => ({
        id: r.id as number | null,
        requestNo: r.requestNo as string | null,
        accountIndex: r.accountIndex,
        accountMask: r.accountMask,
        at: r.submittedAt,
      })),
    { id: subject.id, requestNo: null, accountIndex: subject.accountIndex, accountMask: subject.accountMask, at: subject.submittedAt },
  ];
  const changes: Array<{ from: string; to: string; requestId: number | null; at: string }> = [];
  for (let i = 1; i < seq.length; i++) {
    if (seq[i]!.accountIndex !== seq[i - 1]!.accountIndex)
      changes.push({ from: seq[i - 1]!.accountMask, to: seq[i]!.accountMask, requestId: seq[i]!.id, at: seq[i]!.at.toISOString() });
  }
  if (changes.length < limit) return null;
  return {
    rule: rule.code,
    name: rule.name,
    level: rule.level,
    message: `「${subject.payeeName}」的收款账户 ${days} 天内变更 ${changes.length} 次（达到 ${limit} 次即预警）`,
    evidence: { windowDays: days, changes },
  };
}

function personalAccount(rule: RiskRule, { subject }: RiskInput): RiskHit | null {
  const threshold = rule.params.thresholdFen ?? 5_000_000;
  if (subject.payeeKind !== 'personal' || subject.amountFen <= threshold) return null;
  return {
    rule: rule.code,
    name: rule.name,
    level: rule.level,
    message: `向个人账户「${subject.payeeName}」（${subject.accountMask}）支付 ${formatYuan(subject.amountFen)}，超过 ${formatYuan(threshold)}`,
    evidence: { thresholdFen: threshold, amountFen: subject.amountFen, accountMask: subject.accountMask },
  };
}

/** Overspend ratio = (committed + this − budget) ÷ budget, in per cent, against the project's budget. */
function projectOverspend(rule: RiskRule, { subject, project }: RiskInput): RiskHit | null {
  if (!project || project.budgetFen <= 0) return null;
  const limit = rule.params.ratioPercent ?? 10;
  const total = project.committedFen + subject.amountFen;
  const over = total - project.budgetFen;
  // Exact in integers: over / budget > limit / 100  ⇔  over × 100 > limit × budget.
  if (over * 100 <= limit * project.budgetFen) return null;
  const ratio = Math.floor((over * 1000) / project.budgetFen) / 10;
  return {
    rule: rule.code,
    name: rule.name,
    level: rule.level,
    message: `项目 ${project.projectNo} 累计用款 ${formatYuan(total)}，超出项目预算 ${formatYuan(project.budgetFen)} 的 ${ratio}%（超过 ${limit}% 即预警）`,
    evidence: {
      projectId: project.projectId,
      projectNo: project.projectNo,
      budgetFen: project.budgetFen,
      committedFen: project.committedFen,
      amountFen: subject.amountFen,
      overspendPercent: ratio,
    },
  };
}

const CHECKS: Record<RiskRuleCode, (rule: RiskRule, input: RiskInput) => RiskHit | null> = {
  'split-payment': splitPayment,
  'account-changes': accountChanges,
  'personal-account': personalAccount,
  'project-overspend': projectOverspend,
};

/** Every enabled rule's hit, in the rules' order. */
export function evaluateRisks(input: RiskInput, rules: readonly RiskRule[] = DEFAULT_RISK_RULES): RiskHit[] {
  return rules
    .filter((r) => r.enabled)
    .map((r) => CHECKS[r.code](r, input))
    .filter((h): h is RiskHit => h !== null);
}

/** The highest level among the hits, or null. */
export function highestLevel(hits: readonly RiskHit[]): RiskLevel | null {
  let best = -1;
  for (const h of hits) best = Math.max(best, RISK_LEVELS.indexOf(h.level));
  return best < 0 ? null : RISK_LEVELS[best]!;
}

/** 严重 sends the request to 核查 before anyone approves it. */
export const needsVerification = (hits: readonly RiskHit[]): boolean => hits.some((h) => h.level === '严重');
