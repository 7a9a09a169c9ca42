/**
 * The project library's rules (项目库, domain.md "Project categories", "Project lifecycle",
 * "Performance targets"), with no database in sight: what a project's category, status and
 * performance targets may be, which status changes are allowed, the SMART check of targets, and
 * how alike two applications are (the duplicate flag reviewers see).
 */

// ---------------------------------------------------------------------------------------------
// Categories (项目类别)

/** 1 人员类; 21 公用经费 / 22 其他运转类 (运转类); 32 专项资金项目 / 33 其他特定目标类项目 (特定目标类). */
export const PROJECT_CATEGORIES = ['1', '21', '22', '32', '33'] as const;
export type ProjectCategory = (typeof PROJECT_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<ProjectCategory, string> = {
  '1': '人员类',
  '21': '公用经费',
  '22': '其他运转类',
  '32': '专项资金项目',
  '33': '其他特定目标类项目',
};

/** The class a category belongs to: 1 人员类, 2 运转类, 3 特定目标类. */
export const CATEGORY_CLASSES = { '1': '人员类', '2': '运转类', '3': '特定目标类' } as const;
export type CategoryClass = keyof typeof CATEGORY_CLASSES;

export function categoryClass(category: ProjectCategory): CategoryClass {
  return category[0] as CategoryClass;
}

/** Intake, expert scoring and evaluation apply above all to 特定目标类. */
export function isSpecificPurpose(category: ProjectCategory): boolean {
  return categoryClass(category) === '3';
}

/** Local scenarios (domain.md): sub-types of 特定目标类 projects. */
export const PROJECT_SUB_TYPES = ['pastoral', 'eco_compensation', 'border_port', 'rural_revitalisation', 'mining'] as const;
export type ProjectSubType = (typeof PROJECT_SUB_TYPES)[number];
export const SUB_TYPE_LABELS: Record<ProjectSubType, string> = {
  pastoral: '牧区',
  eco_compensation: '生态补偿',
  border_port: '边境口岸',
  rural_revitalisation: '乡村振兴',
  mining: '矿区',
};

// ---------------------------------------------------------------------------------------------
// Lifecycle (domain.md "Project lifecycle")

export const PROJECT_STATUSES = [
  'draft',
  'submitted',
  'department_review',
  'finance_review',
  'reserved',
  'returned',
  'scored',
  'budgeted',
  'funded',
  'executing',
  'closed',
  'carried_over',
  'terminated',
  'void',
] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export const STATUS_LABELS: Record<ProjectStatus, string> = {
  draft: '草稿',
  submitted: '已送审',
  department_review: '主管部门审核',
  finance_review: '财政审核',
  reserved: '已入库（储备）',
  returned: '已退回',
  scored: '已评审',
  budgeted: '纳入预算编制',
  funded: '已批复/指标下达',
  executing: '执行中',
  closed: '已结项',
  carried_over: '已结转',
  terminated: '已终止',
  void: '已作废',
};

/**
 * Allowed status changes. Each arrow is caused by a process step (issue 4 on) or, for 作废 and
 * edits of drafts, by the unit. 作废 is possible before funding only.
 */
const TRANSITIONS: Record<ProjectStatus, readonly ProjectStatus[]> = {
  draft: ['submitted', 'void'],
  submitted: ['department_review', 'returned', 'draft', 'void'], // draft: 撤回 before anyone acts
  department_review: ['finance_review', 'returned', 'draft'],
  finance_review: ['reserved', 'returned', 'department_review'], // 退回 to the department
  returned: ['submitted', 'void'],
  reserved: ['scored', 'budgeted', 'void'],
  scored: ['budgeted', 'reserved', 'void'],
  budgeted: ['funded', 'reserved', 'void'],
  funded: ['executing', 'terminated'],
  executing: ['closed', 'carried_over', 'terminated'],
  carried_over: ['executing', 'closed', 'terminated'],
  closed: [],
  terminated: [],
  void: [],
};

export function canTransition(from: ProjectStatus, to: ProjectStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Where the unit may still change the application itself. */
export const EDITABLE_STATUSES: readonly ProjectStatus[] = ['draft', 'returned'];

export function isEditable(status: ProjectStatus): boolean {
  return EDITABLE_STATUSES.includes(status);
}

/** Under intake review (送审 until 预算处审定): the unit may withdraw (撤回) while no reviewer has acted. */
export const IN_REVIEW_STATUSES: readonly ProjectStatus[] = ['submitted', 'department_review', 'finance_review'];

/**
 * What a person may do with a project, from its status and whether they file applications
 * (projects:write; a project outside their scope is not visible to them at all). The server sends
 * these as `can` with every project and enforces the same rules; the pages show an action only when
 * its flag is set, and test no statuses themselves. 撤回 is offered while in review; whether a
 * reviewer has already acted the server decides when asked.
 */
export interface ProjectActions {
  /** 编辑（草稿或已退回） */
  edit: boolean;
  /** 送审（草稿） */
  submit: boolean;
  /** 修改并重新送审（已退回） */
  rework: boolean;
  /** 撤回（审核中） */
  withdraw: boolean;
  /** 作废 */
  void: boolean;
  /** 审批表（送审过的项目） */
  approvalSheet: boolean;
}

export function projectActions(status: ProjectStatus, mayWrite: boolean): ProjectActions {
  return {
    edit: mayWrite && isEditable(status),
    submit: mayWrite && status === 'draft',
    rework: mayWrite && status === 'returned',
    withdraw: mayWrite && IN_REVIEW_STATUSES.includes(status),
    void: mayWrite && canTransition(status, 'void'),
    approvalSheet: status !== 'draft',
  };
}

/**
 * 草稿 is the unit's own working copy: until it is submitted, nobody outside the unit sees it —
 * neither the department above nor the bureau's divisions and leaders (issue 14). A withdrawn
 * application (撤回) is a draft again and private again.
 */
export const PRIVATE_STATUSES: readonly ProjectStatus[] = ['draft'];

// ---------------------------------------------------------------------------------------------
// Performance targets (绩效目标, indicator framework)

/** 一级 → its 二级 indicators. */
export const INDICATOR_FRAMEWORK = {
  产出指标: ['数量指标', '质量指标', '时效指标', '成本指标'],
  效益指标: ['经济效益指标', '社会效益指标', '生态效益指标', '可持续影响指标'],
  满意度指标: ['服务对象满意度指标'],
  成本指标: ['经济成本指标', '社会成本指标', '生态环境成本指标'],
} as const;
export type Level1 = keyof typeof INDICATOR_FRAMEWORK;
export const LEVEL1_INDICATORS = Object.keys(INDICATOR_FRAMEWORK) as Level1[];

/** ≥ positive (more is better), ≤ negative (less is better), = exact, qualitative (定性). */
export const DIRECTIONS = ['>=', '<=', '=', 'qualitative'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const DIRECTION_LABELS: Record<Direction, string> = { '>=': '≥', '<=': '≤', '=': '=', qualitative: '定性' };

export interface PerformanceTarget {
  level1: string;
  level2: string;
  /** 三级指标: what is measured. */
  name: string;
  direction: Direction;
  /** A decimal number as text for ≥ ≤ = (kept exact), a description for qualitative. */
  targetValue: string;
  /** Unit of measure (人次, %, 公里 …); empty for qualitative. */
  unit: string;
}

export interface TargetProblem {
  /** Index of the target in the list, or null for a problem of the whole list. */
  index: number | null;
  field: keyof PerformanceTarget | null;
  message: string;
}

export const DECIMAL_TEXT = /^-?\d{1,12}(\.\d{1,4})?$/;

/** Problems of each target on its own: framework, direction, value. Empty when all are well-formed. */
export function targetProblems(targets: readonly PerformanceTarget[]): TargetProblem[] {
  const problems: TargetProblem[] = [];
  targets.forEach((t, index) => {
    const level2s = (INDICATOR_FRAMEWORK as Record<string, readonly string[]>)[t.level1];
    if (!level2s) {
      problems.push({ index, field: 'level1', message: `一级指标应为 ${LEVEL1_INDICATORS.join('、')} 之一` });
    } else if (!level2s.includes(t.level2)) {
      problems.push({ index, field: 'level2', message: `${t.level1} 的二级指标应为 ${level2s.join('、')} 之一` });
    }
    if (t.direction === 'qualitative') {
      if (!t.targetValue.trim()) problems.push({ index, field: 'targetValue', message: '定性指标须写明目标' });
    } else {
      if (!DECIMAL_TEXT.test(t.targetValue))
        problems.push({ index, field: 'targetValue', message: '定量指标的目标值应为数字（最多 4 位小数）' });
      if (!t.unit.trim()) problems.push({ index, field: 'unit', message: '定量指标须填写计量单位' });
    }
  });
  const seen = new Map<string, number>();
  targets.forEach((t, index) => {
    const key = `${t.level1}/${t.level2}/${t.name.trim()}`;
    if (seen.has(key)) problems.push({ index, field: 'name', message: `与第 ${seen.get(key)! + 1} 条指标重复` });
    else seen.set(key, index);
  });
  return problems;
}

/**
 * The SMART check the intake review applies (domain.md): at least one quantified 产出 indicator
 * and one quantified 效益 indicator. Returns what is missing, in a clerk's words; empty = passes.
 */
export function smartProblems(targets: readonly PerformanceTarget[]): string[] {
  const quantified = (level1: Level1) =>
    targets.some((t) => t.level1 === level1 && t.direction !== 'qualitative' && DECIMAL_TEXT.test(t.targetValue) && t.unit.trim() !== '');
  const problems: string[] = [];
  if (!quantified('产出指标')) problems.push('至少需要一条可量化的产出指标（有目标值和计量单位）');
  if (!quantified('效益指标')) problems.push('至少需要一条可量化的效益指标（有目标值和计量单位）');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Likely duplicates (重复申报)

/**
 * Normalises text for comparison: full-width to half-width, lower case, and only letters, digits
 * and CJK characters (punctuation and spaces do not make two applications different).
 */
export function normaliseForComparison(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}

function bigrams(text: string): Map<string, number> {
  const chars = [...text];
  const grams = new Map<string, number>();
  if (chars.length === 1) grams.set(chars[0]!, 1);
  for (let i = 0; i + 1 < chars.length; i++) {
    const g = chars[i]! + chars[i + 1]!;
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

/**
 * Sørensen–Dice similarity of character bigrams, 0..1. Chinese names have no word boundaries,
 * so character pairs are the unit: "2026年第一中学校舍维修改造" and "2026年第一中学校舍维修项目"
 * share most pairs; a word-based measure would miss it.
 */
export function similarity(a: string, b: string): number {
  const x = normaliseForComparison(a);
  const y = normaliseForComparison(b);
  if (!x || !y) return 0;
  if (x === y) return 1;
  const gx = bigrams(x);
  const gy = bigrams(y);
  let shared = 0;
  let total = 0;
  for (const n of gx.values()) total += n;
  for (const n of gy.values()) total += n;
  for (const [g, n] of gx) shared += Math.min(n, gy.get(g) ?? 0);
  return (2 * shared) / total;
}

/** Thresholds: names are short, so they must be closer than descriptions to count. */
export const DUPLICATE_NAME_THRESHOLD = 0.8;
export const DUPLICATE_CONTENT_THRESHOLD = 0.85;
/** Descriptions shorter than this say too little to compare. */
const MIN_CONTENT_CHARS = 20;

export interface ComparableProject {
  id: number;
  name: string;
  description: string;
}

export interface DuplicateMatch {
  otherId: number;
  /** 'name' and/or 'content' — what is near-identical. */
  basis: Array<'name' | 'content'>;
  nameSimilarity: number;
  contentSimilarity: number;
}

/**
 * Which of `others` (same unit, same fiscal year, not void) look like the same application as
 * `candidate`. The reviewers decide; this only flags.
 */
export function likelyDuplicates(candidate: Omit<ComparableProject, 'id'>, others: readonly ComparableProject[]): DuplicateMatch[] {
  const matches: DuplicateMatch[] = [];
  const longEnough = normaliseForComparison(candidate.description).length >= MIN_CONTENT_CHARS;
  for (const o of others) {
    const nameSimilarity = similarity(candidate.name, o.name);
    const contentSimilarity =
      longEnough && normaliseForComparison(o.description).length >= MIN_CONTENT_CHARS
        ? similarity(candidate.description, o.description)
        : 0;
    const basis: DuplicateMatch['basis'] = [];
    if (nameSimilarity >= DUPLICATE_NAME_THRESHOLD) basis.push('name');
    if (contentSimilarity >= DUPLICATE_CONTENT_THRESHOLD) basis.push('content');
    if (basis.length)
      matches.push({ otherId: o.id, basis, nameSimilarity: round3(nameSimilarity), contentSimilarity: round3(contentSimilarity) });
  }
  return matches.sort((a, b) => Math.max(b.nameSimilarity, b.contentSimilarity) - Math.max(a.nameSimilarity, a.contentSimilarity));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The app's JSON parser stops bodies at 1 MB: about 750 KB of .xlsx in base64. */
export const MAX_IMPORT_FILE_BYTES = 750 * 1024;
