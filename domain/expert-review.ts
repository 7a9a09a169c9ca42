/**
 * 专家评审 rules (domain.md "Expert review"), with no database, engine or Vue in sight: the expert
 * pool's words, the recusal rules (回避), the reproducible draw, the aggregation of score sheets
 * (mean; trimmed mean) and the masking of contact data in lists. Which aggregation applies and
 * which band a score falls in are decision tables (processes/expert-review-*.dmn) the engine
 * evaluates, not code here.
 */
import { sm3Hex } from './digest';

// ---------------------------------------------------------------------------------------------
// Ties (declared by the expert, kept in the pool) and recusal

/**
 * employment: worked for the organisation; advice: advised it; dispute: a legal dispute with it;
 * investment: holds an investment in it; drafting: helped draft an application (of one project,
 * or of any of the organisation's when no project is named). `relative`: the tie is a close
 * relative's (domain.md: "an expert who (or whose close relative) …") — the same rules apply.
 */
export const TIE_KINDS = ['employment', 'advice', 'dispute', 'investment', 'drafting'] as const;
export type TieKind = (typeof TIE_KINDS)[number];

export const TIE_KIND_LABELS: Record<TieKind, string> = {
  employment: '任职（近三年）',
  advice: '咨询/顾问（近三年）',
  dispute: '法律纠纷（近三年）',
  investment: '投资关系',
  drafting: '参与编制申报材料',
};

/** Years a past employment, advice or dispute still recuses (domain.md: within 3 years). */
export const RECUSAL_YEARS = 3;

export interface Tie {
  kind: TieKind;
  /** The organisation the tie is with (an applicant unit, or an organisation above units). */
  orgId: number;
  relative: boolean;
  /** YYYY-MM-DD; null: not known (treated as ongoing until ended). */
  startedOn: string | null;
  /** YYYY-MM-DD; null: still ongoing. */
  endedOn: string | null;
  /** drafting: the project whose application the expert helped draft (null: any of the organisation's). */
  projectId: number | null;
}

export interface PoolExpert {
  id: number;
  /** The expert's account: only experts with one can be drawn (they score online). */
  userId: number | null;
  available: boolean;
  /** 支出功能分类 类 codes (3 digits) the expert is qualified for. */
  specialties: readonly string[];
  /** The organisation the expert works for, when it is one of ours (an applicant unit or above). */
  orgId: number | null;
  ties: readonly Tie[];
}

export interface ReviewedProject {
  id: number;
  /** 7-digit functional code; its 类 (first 3 digits) is the specialty needed. */
  functionalCode: string;
  /** The applicant unit and the organisations above it (its supervising department …), unit first. */
  applicantOrgIds: readonly number[];
}

export type RecusalReason = { rule: 'own_organisation' | TieKind; orgId: number; relative: boolean };

/** The date `years` years before a YYYY-MM-DD date (29 Feb → 28 Feb). */
export function yearsBefore(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const day = m === 2 && d === 29 ? 28 : d;
  return `${String(y - years).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Why an expert must recuse from a project on `reviewDate` (YYYY-MM-DD); empty: no reason.
 * - working for the applicant (the expert's own organisation is the unit or above it);
 * - employment, advice or a legal dispute (the expert's or a close relative's) with the applicant
 *   that is ongoing or ended within RECUSAL_YEARS years;
 * - an investment tie that is ongoing or ended within RECUSAL_YEARS years (stricter than "has":
 *   a tie sold last month still recuses);
 * - having helped draft this project's application (or, with no project named, the applicant's).
 * A tie that starts after the review date does not count yet.
 */
export function recusalReasons(expert: PoolExpert, project: ReviewedProject, reviewDate: string): RecusalReason[] {
  const reasons: RecusalReason[] = [];
  const applicant = new Set(project.applicantOrgIds);
  if (expert.orgId !== null && applicant.has(expert.orgId))
    reasons.push({ rule: 'own_organisation', orgId: expert.orgId, relative: false });
  const cutoff = yearsBefore(reviewDate, RECUSAL_YEARS);
  for (const tie of expert.ties) {
    if (!applicant.has(tie.orgId)) continue;
    if (tie.startedOn !== null && tie.startedOn > reviewDate) continue;
    if (tie.kind === 'drafting') {
      if (tie.projectId === null || tie.projectId === project.id)
        reasons.push({ rule: 'drafting', orgId: tie.orgId, relative: tie.relative });
      continue;
    }
    if (tie.endedOn === null || tie.endedOn >= cutoff) reasons.push({ rule: tie.kind, orgId: tie.orgId, relative: tie.relative });
  }
  return reasons;
}

/** The specialty (支出功能分类 类) a project needs: the first three digits of its functional code. */
export function specialtyOf(functionalCode: string): string {
  return functionalCode.slice(0, 3);
}

// ---------------------------------------------------------------------------------------------
// The draw

/**
 * A seed is 32 hex digits, recorded with the batch. Each project's draw key is derived from it
 * and the project id (SM3), so projects of one batch are drawn independently.
 */
export function isSeed(seed: string): boolean {
  return /^[0-9a-f]{32}$/.test(seed);
}

export function projectSeed(seed: string, projectId: number): [number, number] {
  const h = sm3Hex(`expert-draw:v1:${seed}:${projectId}`);
  return [parseInt(h.slice(0, 8), 16) >>> 0, parseInt(h.slice(8, 16), 16) >>> 0];
}

/**
 * The expert's lottery number for a project: a 32-bit mix (murmur3's finaliser) of the project
 * seed and the expert id. Drawing = taking the eligible experts with the smallest numbers. Because
 * an expert's number depends on nothing but the seed, the project and the expert's id, the draw
 * is reproducible from the recorded seed and the same pool, and a replacement (the next smallest
 * number among the eligible not yet drawn) does not reorder anyone when the pool has changed.
 */
export function drawNumber(key: readonly [number, number], expertId: number): number {
  let h = (key[0] ^ Math.imul(expertId >>> 0, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16) ^ key[1]) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export interface DrawResult {
  /** Drawn expert ids, in draw order. */
  drawn: number[];
  /** Experts of the right specialty left out by recusal, with why. */
  recused: Array<{ expertId: number; reasons: RecusalReason[] }>;
  /** Experts who were eligible (right specialty, available, with an account, not recused, not excluded). */
  eligible: number;
}

/**
 * Draws up to `n` experts for a project: of the right specialty, available, with an account, not
 * recused on `reviewDate`, not in `exclude` (already drawn for this project: a replacement is
 * never someone who declined or let the time run out). Fewer than `n` when the pool is short.
 */
export function drawExperts(input: {
  seed: string;
  project: ReviewedProject;
  pool: readonly PoolExpert[];
  n: number;
  reviewDate: string;
  exclude?: ReadonlySet<number>;
}): DrawResult {
  const { project, pool, n, reviewDate } = input;
  if (!isSeed(input.seed)) throw new RangeError('seed must be 32 hex digits');
  if (!Number.isInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer');
  const key = projectSeed(input.seed, project.id);
  const specialty = specialtyOf(project.functionalCode);
  const recused: DrawResult['recused'] = [];
  const candidates: Array<{ id: number; number: number }> = [];
  for (const e of pool) {
    if (!e.specialties.includes(specialty)) continue;
    const reasons = recusalReasons(e, project, reviewDate);
    if (reasons.length) {
      recused.push({ expertId: e.id, reasons });
      continue;
    }
    if (!e.available || e.userId === null || input.exclude?.has(e.id)) continue;
    candidates.push({ id: e.id, number: drawNumber(key, e.id) });
  }
  candidates.sort((a, b) => a.number - b.number || a.id - b.id);
  recused.sort((a, b) => a.expertId - b.expertId);
  return { drawn: candidates.slice(0, n).map((c) => c.id), recused, eligible: candidates.length };
}

/** A fresh seed from a source of random bytes (the API passes crypto.randomBytes). */
export function newSeed(randomBytes: (n: number) => Uint8Array): string {
  return Array.from(randomBytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------------------------
// Score sheets and aggregation

/**
 * Points are kept in hundredths (centi-points, integers): 82.5 points = 8250. Sums, means and the
 * trimmed mean are exact integer arithmetic rounded once, half up, to 0.01.
 */
export function toCenti(points: number): number {
  return Math.round(points * 100);
}

export function fromCenti(centi: number): number {
  return centi / 100;
}

function roundedDiv(sum: number, count: number): number {
  // half up for non-negative sums (scores are never negative)
  return Math.floor((2 * sum + count) / (2 * count));
}

/** The mean of the totals (centi), rounded half up; null for no scores. */
export function meanCenti(totals: readonly number[]): number | null {
  if (totals.length === 0) return null;
  return roundedDiv(
    totals.reduce((a, b) => a + b, 0),
    totals.length,
  );
}

/**
 * The trimmed mean: the highest and the lowest total dropped (one each), the rest averaged.
 * Needs at least three totals (null otherwise); domain.md applies it from five on (the rule is the
 * aggregation decision table's).
 */
export function trimmedMeanCenti(totals: readonly number[]): number | null {
  if (totals.length < 3) return null;
  const sorted = [...totals].sort((a, b) => a - b);
  return meanCenti(sorted.slice(1, -1));
}

export const AGGREGATION_METHODS = ['mean', 'trimmed_mean', 'none'] as const;
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];
export const AGGREGATION_LABELS: Record<AggregationMethod, string> = {
  mean: '算术平均',
  trimmed_mean: '去掉一个最高分和一个最低分后平均',
  none: '无有效评分',
};

/** The project's score by the method the decision table chose (centi; null: no score). */
export function aggregateCenti(totals: readonly number[], method: AggregationMethod): number | null {
  if (method === 'none') return null;
  if (method === 'trimmed_mean') return trimmedMeanCenti(totals) ?? meanCenti(totals);
  return meanCenti(totals);
}

/** Band codes the band decision table answers (processes/expert-review-band.dmn). */
export const BAND_LABELS: Record<string, string> = { support: '予以支持', adjust: '调整后支持', reject: '不予支持' };

export function bandLabel(band: string | null | undefined): string {
  if (!band) return '未评定';
  return BAND_LABELS[band] ?? band;
}

// ---------------------------------------------------------------------------------------------
// Criteria (the score form, forms/expert-review-score.json, holds each criterion's maximum)

export interface Criterion {
  key: string;
  label: string;
  /** Maximum points (the weight): domain.md default 20 each. */
  max: number;
}

/** A score sheet's problems (empty: valid): each criterion present, 0 ≤ score ≤ max, at most 2 decimals. */
export function sheetProblems(
  criteria: readonly Criterion[],
  scores: Readonly<Record<string, unknown>>,
): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  for (const c of criteria) {
    const v = scores[c.key];
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push({ field: c.key, message: `请为「${c.label}」打分` });
    else if (v < 0 || v > c.max) problems.push({ field: c.key, message: `「${c.label}」的得分应在 0 到 ${c.max} 之间` });
    else if (Math.abs(v * 100 - Math.round(v * 100)) > 1e-6)
      problems.push({ field: c.key, message: `「${c.label}」的得分最多保留两位小数` });
  }
  return problems;
}

export function sheetTotalCenti(criteria: readonly Criterion[], scores: Readonly<Record<string, number>>): number {
  return criteria.reduce((sum, c) => sum + toCenti(scores[c.key] ?? 0), 0);
}

// ---------------------------------------------------------------------------------------------
// Contact data in lists (sensitive: masked)

/** 13812345678 → 138****5678; shorter numbers keep only their last 2 digits. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  const p = phone.trim();
  if (p.length >= 11) return `${p.slice(0, 3)}****${p.slice(-4)}`;
  if (p.length <= 2) return '*'.repeat(p.length);
  return `${'*'.repeat(p.length - 2)}${p.slice(-2)}`;
}

/** zhang.san@example.cn → z***@example.cn */
export function maskEmail(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.indexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** A value that came back from an export masked: an import keeps what is stored instead. */
export function isMasked(value: string | null | undefined): boolean {
  return !!value && value.includes('*');
}

// ---------------------------------------------------------------------------------------------
// Durations of the expert's steps (ISO 8601, as the engine's timers and due dates read them)

/** P3D, PT72H, PT30S …: days, hours, minutes, seconds; not zero; at most 90 days. */
export function durationSeconds(iso: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T')) return null;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0)) as [number, number, number, number];
  const total = ((d * 24 + h) * 60 + min) * 60 + s;
  return total > 0 && total <= 90 * 86400 ? total : null;
}
