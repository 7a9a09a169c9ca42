import { rateBasisPoints } from './execution';
/**
 * 绩效评价 scoring (domain.md "Performance targets and evaluation"), with no database, engine or
 * Vue in sight — shared by the score worker, the review page and the report:
 * - weights (configuration, default 预算执行率 10, 产出 50, 效益 30, 满意度 10): each group's weight
 *   is split evenly over its indicators (exactly, to the centi-point); a group the project has no
 *   indicator in gives its weight to the others in proportion, so every project is scored out of 100;
 *   成本指标 are scored within 产出 (the 2021 framework lists 成本 under 产出 as well);
 * - positive indicator (≥): weight × actual ÷ target, capped at the weight;
 * - negative indicator (≤): weight × target ÷ actual, capped at the weight;
 * - exact indicator (=): the weight when met, less by the relative deviation, never below 0;
 * - qualitative: 达成 80–100 %, 部分达成 50–80 %, 未达成 0–50 % of the weight (the percentage
 *   within the band is the evaluator's; without one the band's lower bound counts);
 * - execution: weight × execution rate (paid ÷ issued), capped at the weight.
 * Zero targets and actuals are decided explicitly, never by a division that gives Infinity or NaN.
 * Points are kept in centi-points (integers: 82.5 points = 8250), rounded once per indicator, half up.
 * The grade (优/良/中/差) is a decision table (processes/performance-grade.dmn), not code here.
 */

export const SCORE_GROUPS = ['output', 'benefit', 'satisfaction'] as const;
export type ScoreGroup = (typeof SCORE_GROUPS)[number];
export const GROUP_LABELS: Record<ScoreGroup | 'execution', string> = {
  execution: '预算执行率',
  output: '产出指标',
  benefit: '效益指标',
  satisfaction: '满意度指标',
};

/** Which group a 一级指标 is scored in. */
export const LEVEL1_GROUP: Record<string, ScoreGroup> = {
  产出指标: 'output',
  成本指标: 'output',
  效益指标: 'benefit',
  满意度指标: 'satisfaction',
};

export interface ScoreWeights {
  execution: number;
  output: number;
  benefit: number;
  satisfaction: number;
}

export const DEFAULT_WEIGHTS: ScoreWeights = { execution: 10, output: 50, benefit: 30, satisfaction: 10 };

/** Weights must be non-negative points adding up to 100, with at most two decimals. */
export function weightProblems(w: ScoreWeights): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(w)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`${k} 应为不小于 0 的分值`);
    else if (Math.abs(v * 100 - Math.round(v * 100)) > 1e-9) problems.push(`${k} 最多两位小数`);
  }
  if (!problems.length && Math.round((w.execution + w.output + w.benefit + w.satisfaction) * 100) !== 10000)
    problems.push('各项权重之和应为 100 分');
  return problems;
}

export const QUALITATIVE_BANDS = ['achieved', 'partial', 'not_achieved'] as const;
export type QualitativeBand = (typeof QUALITATIVE_BANDS)[number];
export const BAND_LABELS: Record<QualitativeBand, string> = { achieved: '达成', partial: '部分达成', not_achieved: '未达成' };
/** Percent of the weight each band allows: [lowest, highest]; the highest is exclusive except for 达成. */
export const BAND_RANGES: Record<QualitativeBand, readonly [number, number]> = {
  achieved: [80, 100],
  partial: [50, 80],
  not_achieved: [0, 50],
};

export type Direction = '>=' | '<=' | '=' | 'qualitative';

/** One indicator as the scoring reads it: the target from intake, the actual from the evaluation. */
export interface IndicatorInput {
  level1: string;
  direction: Direction;
  /** Decimal text for ≥ ≤ =; a description for qualitative. */
  targetValue: string;
  /** Decimal text for ≥ ≤ =; null when not reported. */
  actualValue: string | null;
  /** Qualitative only. */
  band?: QualitativeBand | null;
  /** Qualitative only: percent of the weight within the band. */
  percent?: number | null;
}

export type ScoreNote = 'capped' | 'missing' | 'zero_target' | 'zero_actual' | 'below_zero';

export interface IndicatorScore {
  group: ScoreGroup;
  weightCenti: number;
  scoreCenti: number;
  /** Actual ÷ target (≥), target ÷ actual (≤) … before the cap; null where no ratio applies. */
  ratio: number | null;
  notes: ScoreNote[];
}

export interface ExecutionInput {
  issuedFen: number;
  paidFen: number;
}

export interface ScoreResult {
  indicators: IndicatorScore[];
  execution: { weightCenti: number; scoreCenti: number; rateBasisPoints: number | null };
  groups: Record<ScoreGroup, { weightCenti: number; scoreCenti: number; count: number }>;
  totalCenti: number;
}

const DECIMAL = /^-?\d{1,12}(\.\d{1,4})?$/;
export const isDecimalText = (s: string | null | undefined): s is string => typeof s === 'string' && DECIMAL.test(s.trim());

const halfUp = (x: number) => Math.floor(x + 0.5 + 1e-9);
const toCenti = (points: number) => Math.round(points * 100);

/** Splits `total` into `n` integer parts that differ by at most one and add up exactly (earlier parts larger). */
export function splitEvenly(total: number, n: number): number[] {
  if (n <= 0) return [];
  const base = Math.floor(total / n);
  const rest = total - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < rest ? 1 : 0));
}

/**
 * The indicator groups' weights for a project with `counts` indicators per group: a group
 * without indicators passes its weight to the others in proportion to theirs (largest remainder,
 * so the sum stays exact). No indicator at all: the groups' weight is lost (the score is out of
 * the execution weight only) — the intake's SMART check makes that impossible for 特定目标类.
 */
export function groupWeights(w: ScoreWeights, counts: Record<ScoreGroup, number>): Record<ScoreGroup, number> {
  const raw: Record<ScoreGroup, number> = { output: toCenti(w.output), benefit: toCenti(w.benefit), satisfaction: toCenti(w.satisfaction) };
  const present = SCORE_GROUPS.filter((g) => counts[g] > 0);
  const out: Record<ScoreGroup, number> = { output: 0, benefit: 0, satisfaction: 0 };
  if (!present.length) return out;
  const total = SCORE_GROUPS.reduce((s, g) => s + raw[g], 0);
  const presentTotal = present.reduce((s, g) => s + raw[g], 0);
  if (presentTotal === 0) {
    splitEvenly(total, present.length).forEach((v, i) => (out[present[i]!] = v));
    return out;
  }
  const parts = present.map((g) => {
    const exact = (raw[g] * total) / presentTotal;
    return { g, floor: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = total - parts.reduce((s, p) => s + p.floor, 0);
  for (const p of [...parts].sort((a, b) => b.rest - a.rest)) {
    if (left <= 0) break;
    p.floor += 1;
    left -= 1;
  }
  for (const p of parts) out[p.g] = p.floor;
  return out;
}

/** The score of one indicator of weight `weightCenti`. */
export function scoreIndicator(ind: IndicatorInput, weightCenti: number): Omit<IndicatorScore, 'group' | 'weightCenti'> {
  const notes: ScoreNote[] = [];
  const capped = (ratio: number) => {
    if (ratio > 1) notes.push('capped');
    if (ratio < 0) notes.push('below_zero');
    return halfUp(weightCenti * Math.min(1, Math.max(0, ratio)));
  };
  if (ind.direction === 'qualitative') {
    if (!ind.band) return { scoreCenti: 0, ratio: null, notes: ['missing'] };
    const [lo] = BAND_RANGES[ind.band];
    const percent = ind.percent ?? lo;
    return { scoreCenti: halfUp((weightCenti * percent) / 100), ratio: percent / 100, notes };
  }
  if (!isDecimalText(ind.actualValue) || !isDecimalText(ind.targetValue)) return { scoreCenti: 0, ratio: null, notes: ['missing'] };
  const actual = Number(ind.actualValue);
  const target = Number(ind.targetValue);
  if (ind.direction === '>=') {
    // A target of 0 is met by anything not below it.
    if (target === 0) return { scoreCenti: actual >= 0 ? weightCenti : 0, ratio: null, notes: ['zero_target'] };
    const ratio = actual / target;
    return { scoreCenti: capped(ratio), ratio, notes };
  }
  if (ind.direction === '<=') {
    // Nothing spent, no incident …: the ceiling is kept whatever it is.
    if (actual <= 0) return { scoreCenti: weightCenti, ratio: null, notes: ['zero_actual'] };
    // A ceiling of 0 exceeded by anything: nothing.
    if (target <= 0) return { scoreCenti: 0, ratio: 0, notes: ['zero_target'] };
    const ratio = target / actual;
    return { scoreCenti: capped(ratio), ratio, notes };
  }
  // '=': met exactly, or less by the relative deviation.
  if (actual === target) return { scoreCenti: weightCenti, ratio: 1, notes };
  if (target === 0) return { scoreCenti: 0, ratio: null, notes: ['zero_target'] };
  const ratio = 1 - Math.abs(actual - target) / Math.abs(target);
  return { scoreCenti: capped(ratio), ratio, notes };
}

/** Execution rate in basis points (paid ÷ issued, floor), null when nothing was issued. */
export function executionRate(e: ExecutionInput): number | null {
  return rateBasisPoints(e.paidFen, e.issuedFen);
}

/** The whole evaluation: every indicator, the execution, the groups and the total. */
export function scoreEvaluation(
  indicators: readonly IndicatorInput[],
  execution: ExecutionInput,
  weights: ScoreWeights = DEFAULT_WEIGHTS,
): ScoreResult {
  const problems = weightProblems(weights);
  if (problems.length) throw new RangeError(`invalid weights: ${problems.join('; ')}`);
  const groupOf = (i: IndicatorInput): ScoreGroup => LEVEL1_GROUP[i.level1] ?? 'output';
  const counts: Record<ScoreGroup, number> = { output: 0, benefit: 0, satisfaction: 0 };
  for (const i of indicators) counts[groupOf(i)] += 1;
  const gw = groupWeights(weights, counts);
  const shares: Record<ScoreGroup, number[]> = {
    output: splitEvenly(gw.output, counts.output),
    benefit: splitEvenly(gw.benefit, counts.benefit),
    satisfaction: splitEvenly(gw.satisfaction, counts.satisfaction),
  };
  const used: Record<ScoreGroup, number> = { output: 0, benefit: 0, satisfaction: 0 };
  const groups: ScoreResult['groups'] = {
    output: { weightCenti: gw.output, scoreCenti: 0, count: counts.output },
    benefit: { weightCenti: gw.benefit, scoreCenti: 0, count: counts.benefit },
    satisfaction: { weightCenti: gw.satisfaction, scoreCenti: 0, count: counts.satisfaction },
  };
  const scored = indicators.map((ind) => {
    const group = groupOf(ind);
    const weightCenti = shares[group][used[group]++]!;
    const s = scoreIndicator(ind, weightCenti);
    groups[group].scoreCenti += s.scoreCenti;
    return { group, weightCenti, ...s };
  });
  const execWeight = toCenti(weights.execution);
  const rate = executionRate(execution);
  const execScore = rate === null ? 0 : Number((BigInt(execWeight) * BigInt(Math.min(rate, 10000)) + 5000n) / 10000n);
  const totalCenti = execScore + SCORE_GROUPS.reduce((s, g) => s + groups[g].scoreCenti, 0);
  return { indicators: scored, execution: { weightCenti: execWeight, scoreCenti: execScore, rateBasisPoints: rate }, groups, totalCenti };
}

/** A qualitative actual: the band, and a percent within it (when given). */
export function qualitativeProblem(band: string | null | undefined, percent: number | null | undefined): string | null {
  if (!band || !(QUALITATIVE_BANDS as readonly string[]).includes(band)) return '定性指标请选择：达成、部分达成或未达成';
  if (percent === null || percent === undefined) return null;
  const [lo, hi] = BAND_RANGES[band as QualitativeBand];
  const ok = Number.isFinite(percent) && percent >= lo && (band === 'achieved' ? percent <= hi : percent < hi);
  return ok ? null : `「${BAND_LABELS[band as QualitativeBand]}」的得分比例应在 ${lo}%–${hi}%${band === 'achieved' ? '' : '（不含）'}之间`;
}

/** Two years in a row below target: domain.md's 中 or 差. */
export const BELOW_TARGET_GRADES: readonly string[] = ['fair', 'poor'];

export function fromCenti(centi: number): number {
  return centi / 100;
}
