/**
 * 预算编制/分配 rules (domain.md "Performance targets and evaluation", "Approval chains"), with
 * no database, engine or Vue in sight — shared by the API, the issuance worker and the SPA's live
 * sums:
 * - candidates ranked by last year's performance grade (the grade rule comes from the decision
 *   table processes/allocation-performance-grade.dmn: 优 first, 中 cut by a share, 差 excluded) and
 *   by the expert band and score;
 * - a zero-based suggestion (what was requested, cut where the grade says so; no baseline from last
 *   year) filled in rank order within each control total (控制数) of department and sector;
 * - the check an allocation must pass before it is saved or submitted: never more than requested,
 *   nothing for an excluded project, nothing without a control total, never above a control total;
 * - an approved amount split over the project's economic lines (exact to the fen), the document
 *   number (指标文号).
 * Money is integer fen throughout.
 */
import type { Permission } from './roles';

export const GRADES = ['excellent', 'good', 'fair', 'poor'] as const;
export type Grade = (typeof GRADES)[number];
export const GRADE_LABELS: Record<Grade, string> = { excellent: '优', good: '良', fair: '中', poor: '差' };

export const BAND_LABELS: Record<string, string> = { support: '予以支持', adjust: '调整后支持', reject: '不予支持' };
const BAND_ORDER: Record<string, number> = { support: 0, adjust: 1, reject: 3 };
const NO_BAND_ORDER = 2;

/** What the performance-grade decision table answers for a grade (or for none). */
export interface GradeRule {
  /** Lower comes first. */
  priority: number;
  /** Share of the request cut, in percent (0–100). */
  cutPercent: number;
  excluded: boolean;
}

export const APPROVAL_CHAINS = ['section', 'deputy', 'director', 'meeting'] as const;
export type ApprovalChain = (typeof APPROVAL_CHAINS)[number];
/** The steps of each chain the approval-chain decision table may choose (processes/budget-allocation.bpmn). */
export const CHAIN_STEPS: Record<ApprovalChain, string[]> = {
  section: ['科室负责人审核'],
  deputy: ['科室负责人审核', '分管局长审批'],
  director: ['科室负责人审核', '分管局长审批', '局长审批'],
  meeting: ['科室负责人审核', '分管局长审批', '局长办公会会签'],
};
export const CHAIN_LABELS: Record<ApprovalChain, string> = {
  section: '科室负责人审核',
  deputy: '科室负责人 → 分管局长',
  director: '科室负责人 → 分管局长 → 局长',
  meeting: '科室负责人 → 分管局长 → 局长办公会会签',
};

export interface Candidate {
  projectId: number;
  departmentOrgId: number;
  /** 支出功能分类 类 (3 digits). */
  sector: string;
  requestedFen: number;
  grade: Grade | null;
  /** The grade of the year before last was below target too (中/差): two years in a row. */
  belowTwoYears?: boolean;
  band: string | null;
  scoreCenti: number | null;
  /** Ties broken by it (the project number), so a ranking is reproducible. */
  projectNo: string;
}

export interface RankedLine extends Candidate {
  rank: number;
  excluded: boolean;
  suggestedFen: number;
  reason: string | null;
}

export const controlKey = (departmentOrgId: number, sector: string) => `${departmentOrgId}:${sector}`;

/** Ranks candidates and suggests amounts within the control totals (keyed by controlKey). */
export function rankCandidates(
  candidates: readonly Candidate[],
  rules: (grade: Grade | null, belowTwoYears?: boolean) => GradeRule,
  totals: ReadonlyMap<string, number>,
): RankedLine[] {
  const withRule = candidates.map((c) => ({ c, rule: rules(c.grade, c.belowTwoYears === true) }));
  withRule.sort(
    (a, b) =>
      Number(a.rule.excluded) - Number(b.rule.excluded) ||
      a.rule.priority - b.rule.priority ||
      (BAND_ORDER[a.c.band ?? ''] ?? NO_BAND_ORDER) - (BAND_ORDER[b.c.band ?? ''] ?? NO_BAND_ORDER) ||
      (b.c.scoreCenti ?? -1) - (a.c.scoreCenti ?? -1) ||
      (a.c.projectNo < b.c.projectNo ? -1 : a.c.projectNo > b.c.projectNo ? 1 : 0),
  );
  const left = new Map(totals);
  return withRule.map(({ c, rule }, i) => {
    const reasons: string[] = [];
    let want = c.requestedFen;
    if (rule.excluded) {
      want = 0;
      reasons.push(`上年绩效评价为「${GRADE_LABELS[c.grade!] ?? '差'}」，不予安排`);
    } else if (rule.cutPercent > 0) {
      want = c.requestedFen - Math.ceil((c.requestedFen * rule.cutPercent) / 100);
      reasons.push(
        `${c.belowTwoYears ? '连续两年绩效评价低于目标，' : ''}上年绩效评价为「${c.grade ? GRADE_LABELS[c.grade] : '无'}」，按 ${rule.cutPercent}% 压减`,
      );
    }
    if (c.band === 'reject' && want > 0) {
      want = 0;
      reasons.push('专家评审结论为不予支持');
    }
    const key = controlKey(c.departmentOrgId, c.sector);
    const room = left.get(key);
    if (room === undefined) {
      if (want > 0) reasons.push('该部门和领域尚未设定控制数');
      want = 0;
    } else if (want > room) {
      reasons.push(room > 0 ? '控制数余额不足，按余额安排' : '控制数已用完');
      want = room;
    }
    if (room !== undefined) left.set(key, room - want);
    return { ...c, rank: i + 1, excluded: rule.excluded, suggestedFen: want, reason: reasons.length ? reasons.join('；') : null };
  });
}

export interface ProposedLine {
  projectId: number;
  departmentOrgId: number;
  sector: string;
  requestedFen: number;
  proposedFen: number;
  excluded: boolean;
}

export interface AllocationProblem {
  code: 'PROPOSED_OVER_REQUESTED' | 'EXCLUDED_PROJECT_FUNDED' | 'NO_CONTROL_TOTAL' | 'OVER_CONTROL_TOTAL' | 'INVALID_AMOUNT';
  projectId?: number;
  departmentOrgId?: number;
  sector?: string;
  /** For OVER_CONTROL_TOTAL: the sum, the control total and how much too much. */
  sumFen?: number;
  totalFen?: number;
  excessFen?: number;
}

export interface Sums {
  /** By controlKey. */
  byControl: Map<string, number>;
  byDepartment: Map<number, number>;
  bySector: Map<string, number>;
  totalFen: number;
}

export function sumLines(lines: readonly ProposedLine[]): Sums {
  const byControl = new Map<string, number>();
  const byDepartment = new Map<number, number>();
  const bySector = new Map<string, number>();
  let totalFen = 0;
  for (const l of lines) {
    if (!l.proposedFen) continue;
    const k = controlKey(l.departmentOrgId, l.sector);
    byControl.set(k, (byControl.get(k) ?? 0) + l.proposedFen);
    byDepartment.set(l.departmentOrgId, (byDepartment.get(l.departmentOrgId) ?? 0) + l.proposedFen);
    bySector.set(l.sector, (bySector.get(l.sector) ?? 0) + l.proposedFen);
    totalFen += l.proposedFen;
  }
  return { byControl, byDepartment, bySector, totalFen };
}

/** Every rule an allocation breaks; empty when it may be saved and submitted. */
export function checkAllocation(lines: readonly ProposedLine[], totals: ReadonlyMap<string, number>): AllocationProblem[] {
  const problems: AllocationProblem[] = [];
  for (const l of lines) {
    if (!Number.isSafeInteger(l.proposedFen) || l.proposedFen < 0) problems.push({ code: 'INVALID_AMOUNT', projectId: l.projectId });
    else if (l.proposedFen > l.requestedFen) problems.push({ code: 'PROPOSED_OVER_REQUESTED', projectId: l.projectId });
    else if (l.proposedFen > 0 && l.excluded) problems.push({ code: 'EXCLUDED_PROJECT_FUNDED', projectId: l.projectId });
    else if (l.proposedFen > 0 && !totals.has(controlKey(l.departmentOrgId, l.sector)))
      problems.push({ code: 'NO_CONTROL_TOTAL', projectId: l.projectId, departmentOrgId: l.departmentOrgId, sector: l.sector });
  }
  const sums = sumLines(lines);
  for (const [key, sumFen] of sums.byControl) {
    const totalFen = totals.get(key);
    if (totalFen !== undefined && sumFen > totalFen) {
      const [dept, sector] = key.split(':');
      problems.push({
        code: 'OVER_CONTROL_TOTAL',
        departmentOrgId: Number(dept),
        sector: sector!,
        sumFen,
        totalFen,
        excessFen: sumFen - totalFen,
      });
    }
  }
  return problems;
}

/**
 * An approved amount split over the project's economic lines in proportion to what each line
 * requested (largest remainder, ties to the earlier line): the parts add up to the amount exactly.
 */
export function splitAmount(
  amountFen: number,
  lines: ReadonlyArray<{ economicCode: string; amountFen: number }>,
): Array<{ economicCode: string; amountFen: number }> {
  const requested = lines.reduce((s, l) => s + l.amountFen, 0);
  if (amountFen === 0 || lines.length === 0) return [];
  if (requested <= 0) return [{ economicCode: lines[0]!.economicCode, amountFen }];
  // BigInt: amount × line can pass 2^53 for large budgets.
  const parts = lines.map((l, i) => {
    const num = BigInt(amountFen) * BigInt(l.amountFen);
    const floor = num / BigInt(requested);
    return { i, economicCode: l.economicCode, amountFen: Number(floor), rest: num - floor * BigInt(requested) };
  });
  let left = amountFen - parts.reduce((s, p) => s + p.amountFen, 0);
  for (const p of [...parts].sort((a, b) => (b.rest > a.rest ? 1 : b.rest < a.rest ? -1 : a.i - b.i))) {
    if (left <= 0) break;
    p.amountFen += 1;
    left -= 1;
  }
  return parts.filter((p) => p.amountFen > 0).map((p) => ({ economicCode: p.economicCode, amountFen: p.amountFen }));
}

/** 指标文号: generated from the year and the allocation, never typed (unique per allocation). */
export function documentNumber(fiscalYear: number, allocationId: number): string {
  return `财预指〔${fiscalYear}〕${String(allocationId).padStart(4, '0')}号`;
}

/** The quota number of a funded project's economic line in an allocation (unique and stable: a redelivery finds it). */
export function allocationQuotaNo(fiscalYear: number, allocationId: number, projectId: number, economicCode: string): string {
  return `ZB${fiscalYear}-A${allocationId}-P${projectId}-${economicCode}`;
}

// ---------------------------------------------------------------------------------------------
// What a person may do with an allocation (the server sends these as `can`; the pages test no
// statuses or permissions themselves, and the server still refuses a step that is not allowed)

export const ALLOCATION_STATUSES = ['draft', 'approving', 'issued'] as const;
export type AllocationStatus = (typeof ALLOCATION_STATUSES)[number];

/** Building, editing and submitting an allocation is the budget division's (预算处). */
export const ALLOCATION_BUILD_PERMISSION: Permission = 'quotas:issue';

export interface AllocationActions {
  /** 试算修改安排金额、保存（编制中，预算处） */
  edit: boolean;
  /** 提交审批（编制中，预算处） */
  submit: boolean;
  /** 审批本人办理的环节（审批中，且引擎里有由本人办理的待办） */
  decide: boolean;
}

/**
 * `mayBuild`: the person holds ALLOCATION_BUILD_PERMISSION. `hasOpenTask`: the engine holds a
 * step of this allocation that is theirs to decide (the server asks the engine; false when it is away).
 */
export function allocationActions(status: AllocationStatus, mayBuild: boolean, hasOpenTask: boolean): AllocationActions {
  return {
    edit: mayBuild && status === 'draft',
    submit: mayBuild && status === 'draft',
    decide: status === 'approving' && hasOpenTask,
  };
}

/** What the list of allocations offers: 新建分配方案 to the budget division. */
export function allocationListActions(mayBuild: boolean): { create: boolean } {
  return { create: mayBuild };
}
