import { fen } from './money';
import { shanghaiDate } from './time';

/**
 * Budget execution against time (预算执行进度 vs 时间进度), the figures of 执行监控 and of the
 * quarterly 绩效监控. Amounts come in as integer fen; ratios go out exact (numerator and
 * denominator), and every rule compares them in integers (BigInt), never in floating point, so a
 * project exactly 20 points behind is never "a hair over" because of a rounding.
 *
 * - execution rate (预算执行率) = paid (已支付, the ledger's used) ÷ budget (issued to the project's
 *   quotas of the year; what the server reads as budget is defined once, in
 *   server/performance/execution-read.ts), shown in percent rounded down to 0.01 % everywhere
 *   (executionPercent: the basis points the score uses);
 * - time progress (时间进度) of a date = the days of the fiscal year elapsed, that day included, ÷
 *   the days of the year (Asia/Shanghai calendar), so 31 December is 100 %;
 * - the gap (偏差) = time progress − execution rate, in percentage points (positive: behind).
 */

/** An exact non-negative ratio; `denominator` 0 means undefined (no budget). */
export interface Ratio {
  numerator: number;
  denominator: number;
}

/** 预算执行率: paid ÷ budget, exact. A zero budget has no rate (denominator 0). */
export function executionRate(paidFen: number, budgetFen: number): Ratio {
  fen(paidFen);
  fen(budgetFen);
  if (paidFen < 0 || budgetFen < 0) throw new RangeError('金额不能为负');
  return { numerator: paidFen, denominator: budgetFen };
}

/**
 * 预算执行率 in basis points (1 = 0.01 %), rounded down, for scoring and storage; null without a
 * budget. A negative paid amount (never in the ledger) counts as 0.
 */
export function rateBasisPoints(paidFen: number, budgetFen: number): number | null {
  if (budgetFen <= 0) return null;
  return Number((BigInt(Math.max(0, paidFen)) * 10000n) / BigInt(budgetFen));
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInYear(year: number): number {
  return isLeapYear(year) ? 366 : 365;
}

/** Day of the year of a calendar date YYYY-MM-DD (1 January = 1). */
function dayOfYear(date: string): { year: number; day: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`无效的日期：${date}`);
  const year = Number(m[1]);
  const t = Date.UTC(year, Number(m[2]) - 1, Number(m[3]));
  const check = new Date(t);
  if (check.getUTCMonth() !== Number(m[2]) - 1 || check.getUTCDate() !== Number(m[3])) throw new RangeError(`无效的日期：${date}`);
  return { year, day: Math.round((t - Date.UTC(year, 0, 1)) / 86_400_000) + 1 };
}

/**
 * 时间进度 of a day in a fiscal year: elapsed days (the day itself counted as passed) over the
 * year's days. Before the year: 0; after it: 1. `asOf` is an instant (read in Asia/Shanghai) or a
 * calendar date YYYY-MM-DD.
 */
export function timeProgress(fiscalYear: number, asOf: Date | string): Ratio {
  const date = typeof asOf === 'string' ? asOf : shanghaiDate(asOf);
  const { year, day } = dayOfYear(date);
  const days = daysInYear(fiscalYear);
  if (year < fiscalYear) return { numerator: 0, denominator: days };
  if (year > fiscalYear) return { numerator: days, denominator: days };
  return { numerator: day, denominator: days };
}

/**
 * 预算执行率 in percent, 2 decimals rounded down (= rateBasisPoints ÷ 100): the one rounding of the
 * rate, the same in 执行监控, 绩效监控 and the 绩效评价 report, never above what was paid.
 */
export function executionPercent(execution: Ratio): number | null {
  const bp = rateBasisPoints(execution.numerator, execution.denominator);
  return bp === null ? null : bp / 100;
}

/** A ratio in percent, for display (2 decimals, rounded half up); null when undefined. */
export function percent(r: Ratio): number | null {
  if (r.denominator === 0) return null;
  return Math.round((r.numerator * 10_000) / r.denominator) / 100;
}

/**
 * time − execution in percentage points, exact as a fraction of points: points = n / d.
 * null when the budget is zero (nothing to execute).
 */
export function gapPoints(time: Ratio, execution: Ratio): { n: bigint; d: bigint } | null {
  if (execution.denominator === 0 || time.denominator === 0) return null;
  const t = BigInt(time.numerator) * BigInt(execution.denominator);
  const e = BigInt(execution.numerator) * BigInt(time.denominator);
  return { n: (t - e) * 100n, d: BigInt(time.denominator) * BigInt(execution.denominator) };
}

/** The gap for display, in points with 2 decimals (positive: execution behind time). */
export function gapForDisplay(time: Ratio, execution: Ratio): number | null {
  const g = gapPoints(time, execution);
  if (!g) return null;
  // hundredths of a point, rounded half away from zero
  const neg = g.n < 0n;
  const abs = neg ? -g.n : g.n;
  const hundredths = (abs * 100n * 2n + g.d) / (2n * g.d);
  const v = Number(hundredths) / 100;
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// The deviation rule (预警规则: 执行进度落后时间进度)

export const DEVIATION_LEVELS = ['none', 'notice', 'warning', 'severe'] as const;
export type DeviationLevel = (typeof DEVIATION_LEVELS)[number];
export const DEVIATION_LEVEL_LABELS: Record<DeviationLevel, string> = { none: '正常', notice: '提示', warning: '预警', severe: '严重' };

/**
 * Thresholds in percentage points behind time progress, each "more than": configurable (the
 * bureau's data, BUDGET_EXECUTION_DEVIATION_POINTS); domain.md's 20 points is 预警.
 */
export interface DeviationRule {
  noticePoints: number;
  warningPoints: number;
  severePoints: number;
}
export const DEFAULT_DEVIATION_RULE: DeviationRule = { noticePoints: 10, warningPoints: 20, severePoints: 40 };

export function checkDeviationRule(rule: DeviationRule): void {
  const ok = [rule.noticePoints, rule.warningPoints, rule.severePoints].every((p) => Number.isInteger(p) && p >= 0 && p <= 100);
  if (!ok || !(rule.noticePoints <= rule.warningPoints && rule.warningPoints <= rule.severePoints))
    throw new RangeError('偏差阈值应为 0–100 的整数，且 提示 ≤ 预警 ≤ 严重');
}

/** Whether the gap is more than `points` (strictly): exactly at the threshold is not behind it. */
function behindMoreThan(gap: { n: bigint; d: bigint }, points: number): boolean {
  return gap.n > BigInt(points) * gap.d;
}

/** The level of an execution behind time: 严重 / 预警 / 提示 / 正常; a zero budget is 正常. */
export function executionLevel(time: Ratio, execution: Ratio, rule: DeviationRule = DEFAULT_DEVIATION_RULE): DeviationLevel {
  const gap = gapPoints(time, execution);
  if (!gap) return 'none';
  if (behindMoreThan(gap, rule.severePoints)) return 'severe';
  if (behindMoreThan(gap, rule.warningPoints)) return 'warning';
  if (behindMoreThan(gap, rule.noticePoints)) return 'notice';
  return 'none';
}

export interface DeviationAssessment {
  level: DeviationLevel;
  /** Whether a warning goes to 绩效处 and the department (预警 or worse, or a target at risk). */
  raised: boolean;
  reasons: string[];
}

/**
 * A quarterly report's deviation: the execution level, and the targets the unit marked at risk
 * (目标实现有风险). A warning is raised at 预警 or worse, or when any target is at risk; a target
 * at risk alone counts as 预警.
 */
export function assessDeviation(input: {
  time: Ratio;
  execution: Ratio;
  targetsAtRisk: readonly string[];
  rule?: DeviationRule;
}): DeviationAssessment {
  const rule = input.rule ?? DEFAULT_DEVIATION_RULE;
  let level = executionLevel(input.time, input.execution, rule);
  const reasons: string[] = [];
  const gap = gapForDisplay(input.time, input.execution);
  if (level === 'warning' || level === 'severe')
    reasons.push(
      `预算执行率 ${executionPercent(input.execution)}% 落后时间进度 ${percent(input.time)}% 共 ${gap} 个百分点（超过 ${level === 'severe' ? rule.severePoints : rule.warningPoints} 个百分点）`,
    );
  if (input.targetsAtRisk.length) {
    reasons.push(`绩效目标实现有风险：${input.targetsAtRisk.join('、')}`);
    if (level === 'none' || level === 'notice') level = 'warning';
  }
  return { level, raised: level === 'warning' || level === 'severe', reasons };
}

// ---------------------------------------------------------------------------------------------
// Quarters

export type Quarter = 1 | 2 | 3 | 4;

/** The last calendar day of a quarter, YYYY-MM-DD. */
export function quarterEnd(fiscalYear: number, quarter: Quarter): string {
  return ['', `${fiscalYear}-03-31`, `${fiscalYear}-06-30`, `${fiscalYear}-09-30`, `${fiscalYear}-12-31`][quarter]!;
}

/** The last instant of a quarter: 23:59:59.999 of its last day in Shanghai. */
export function quarterEndInstant(fiscalYear: number, quarter: Quarter): Date {
  return new Date(`${quarterEnd(fiscalYear, quarter)}T23:59:59.999+08:00`);
}

/** The quarter a Shanghai calendar day falls in. */
export function quarterOf(instant: Date): { fiscalYear: number; quarter: Quarter } {
  const d = shanghaiDate(instant);
  return { fiscalYear: Number(d.slice(0, 4)), quarter: (Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1) as Quarter };
}

/** The quarter before the one an instant falls in (what a timer at a quarter's start reports on). */
export function previousQuarter(instant: Date): { fiscalYear: number; quarter: Quarter } {
  const q = quarterOf(instant);
  return q.quarter === 1 ? { fiscalYear: q.fiscalYear - 1, quarter: 4 } : { fiscalYear: q.fiscalYear, quarter: (q.quarter - 1) as Quarter };
}

/**
 * The day a quarter's figures are read at: the quarter's last day, or today when the quarter has
 * not ended yet (a manual start inside the quarter).
 */
export function asOfDate(fiscalYear: number, quarter: Quarter, now: Date): string {
  const end = quarterEnd(fiscalYear, quarter);
  const today = shanghaiDate(now);
  return today < end ? today : end;
}
