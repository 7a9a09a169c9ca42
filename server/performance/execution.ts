import type { Knex } from 'knex';
import {
  DEFAULT_DEVIATION_RULE,
  DEVIATION_LEVEL_LABELS,
  executionLevel,
  executionPercent,
  executionRate,
  gapForDisplay,
  percent,
  timeProgress,
  type DeviationLevel,
  type DeviationRule,
  type Ratio,
} from '../../domain/execution';
import { fen, type Fen } from '../../domain/money';
import { shanghaiDate } from '../../domain/time';
import type { Principal } from '../auth/service';
import { scopeOrgIds } from '../auth/service';
import { ISSUED_OF_QUOTAS as ISSUED, withIssued } from './execution-read';

/**
 * 执行监控: budget, frozen and paid per project, per unit and per region, read from the quota
 * ledger (quotas of the fiscal year tied to a project: 预算 = issued as ./execution-read.ts defines
 * it — the amount as issued and adjusted, a year-end 结转/结余收回 not taken off — used = 已支付,
 * frozen = 冻结, 可用 = what the quota still holds). Each view is one grouped query over the person's data scope —
 * no query per row — with the time progress of the day and the deviation level computed from the
 * exact sums (domain/execution.ts). The level filter is pushed into SQL as an integer inequality,
 * so paging stays in the database.
 */

export interface ExecutionFigures {
  budgetFen: Fen;
  frozenFen: Fen;
  paidFen: Fen;
  availableFen: Fen;
  /** 预算执行率 in percent (2 decimals, rounded down: domain executionPercent), null without budget. */
  executionPercent: number | null;
  /** 时间进度 in percent. */
  timePercent: number;
  /** time − execution in points (positive: behind), null without budget. */
  gapPoints: number | null;
  level: DeviationLevel;
  levelLabel: string;
}

export interface ExecutionQuery {
  fiscalYear: number;
  /** Only rows at this level or worse. */
  minLevel?: Exclude<DeviationLevel, 'none'>;
  keyword?: string;
  page: number;
  pageSize: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
  asOf: string;
  timePercent: number;
}

const num = (v: unknown) => fen(Number(v ?? 0));

/** `available` defaults to budget − frozen − paid (a quota without a year-end disposal). */
export function figures(
  budget: number,
  frozen: number,
  paid: number,
  time: Ratio,
  rule: DeviationRule,
  available = budget - frozen - paid,
): ExecutionFigures {
  const execution = executionRate(paid, budget);
  const level = executionLevel(time, execution, rule);
  return {
    budgetFen: fen(budget),
    frozenFen: fen(frozen),
    paidFen: fen(paid),
    availableFen: fen(available),
    executionPercent: executionPercent(execution),
    timePercent: percent(time) ?? 0,
    gapPoints: gapForDisplay(time, execution),
    level,
    levelLabel: DEVIATION_LEVEL_LABELS[level],
  };
}

/**
 * The quotas of the year tied to a project, in the person's scope (unit or, without one, issuer),
 * with each one's year-end disposals joined, so `ISSUED` is the budget of execution-read.ts.
 */
function scopedQuotas(db: Knex, p: Principal, fiscalYear: number) {
  return withIssued(
    db,
    db('quotas as q').where('q.fiscal_year', fiscalYear).whereNotNull('q.project_id').whereIn('q.unit_org_id', scopeOrgIds(db, p)),
    fiscalYear,
  );
}
/** The grouped figures every view selects: budget (issued), held now, frozen, paid. */
const sums = (db: Knex) => [
  db.raw(`${ISSUED} as budget`),
  db.raw('sum(q.amount_fen) as amount'),
  db.raw('sum(q.frozen_fen) as frozen'),
  db.raw('sum(q.used_fen) as paid'),
];
const figuresOfRow = (r: Record<string, unknown>, time: Ratio, rule: DeviationRule) =>
  figures(num(r.budget), num(r.frozen), num(r.paid), time, rule, num(r.amount) - num(r.frozen) - num(r.paid));

/**
 * HAVING for "at this level or worse": behind by more than X points ⇔
 * 100·D·paid < budget·(100·E − X·D), with E/D the time progress (integers; no rounding).
 */
function levelHaving(q: Knex.QueryBuilder, time: Ratio, minLevel: ExecutionQuery['minLevel'], rule: DeviationRule): void {
  if (!minLevel) return;
  const points = minLevel === 'severe' ? rule.severePoints : minLevel === 'warning' ? rule.warningPoints : rule.noticePoints;
  const factor = 100 * time.numerator - points * time.denominator;
  q.havingRaw(`${ISSUED} > 0 and ? * sum(q.used_fen) < ${ISSUED} * ?`, [100 * time.denominator, factor]);
}

/** Worst execution first (ordering only: the figures themselves are exact). */
const ORDER_BY_RATE = `case when ${ISSUED} = 0 then 1 else 0 end, (sum(q.used_fen) * 1.0) / nullif(${ISSUED}, 0)`;

async function paged<T>(
  db: Knex,
  base: Knex.QueryBuilder,
  query: ExecutionQuery,
  time: Ratio,
  asOf: string,
  map: (row: Record<string, unknown>) => T,
): Promise<Page<T>> {
  const total = Number(((await db.count({ n: '*' }).from(base.clone().as('g')).first()) as { n: number | string }).n);
  const rows = (await base
    .clone()
    .orderByRaw(ORDER_BY_RATE)
    .limit(query.pageSize)
    .offset((query.page - 1) * query.pageSize)) as Array<Record<string, unknown>>;
  return { items: rows.map(map), total, page: query.page, pageSize: query.pageSize, asOf, timePercent: percent(time) ?? 0 };
}

export interface ProjectExecutionRow extends ExecutionFigures {
  projectId: number;
  projectNo: string;
  name: string;
  unitOrgId: number;
  unitName: string;
}

/** Per project: one grouped query (and one count) over the scope. */
export async function executionByProject(
  db: Knex,
  p: Principal,
  query: ExecutionQuery,
  rule: DeviationRule = DEFAULT_DEVIATION_RULE,
  now = new Date(),
): Promise<Page<ProjectExecutionRow>> {
  const asOf = shanghaiDate(now);
  const time = timeProgress(query.fiscalYear, asOf);
  const base = scopedQuotas(db, p, query.fiscalYear)
    .join('projects as pr', 'pr.id', 'q.project_id')
    .join('organisations as o', 'o.id', 'pr.unit_org_id')
    .groupBy('pr.id', 'pr.project_no', 'pr.name', 'pr.unit_org_id', 'o.name')
    .select('pr.id as project_id', 'pr.project_no', 'pr.name', 'pr.unit_org_id', 'o.name as unit_name')
    .select(sums(db));
  if (query.keyword)
    base.where((w) => w.where('pr.name', 'like', `%${query.keyword}%`).orWhere('pr.project_no', 'like', `%${query.keyword}%`));
  levelHaving(base, time, query.minLevel, rule);
  return paged(db, base, query, time, asOf, (r) => ({
    projectId: Number(r.project_id),
    projectNo: String(r.project_no),
    name: String(r.name),
    unitOrgId: Number(r.unit_org_id),
    unitName: String(r.unit_name),
    ...figuresOfRow(r, time, rule),
  }));
}

export interface UnitExecution extends ExecutionFigures {
  unitOrgId: number;
  unitName: string;
  regionCode: string;
  projectCount: number;
}

/** Per unit: one grouped query over the scope. */
export async function executionByUnit(
  db: Knex,
  p: Principal,
  query: ExecutionQuery,
  rule: DeviationRule = DEFAULT_DEVIATION_RULE,
  now = new Date(),
): Promise<Page<UnitExecution>> {
  const asOf = shanghaiDate(now);
  const time = timeProgress(query.fiscalYear, asOf);
  const base = scopedQuotas(db, p, query.fiscalYear)
    .join('organisations as o', 'o.id', 'q.unit_org_id')
    .groupBy('o.id', 'o.name', 'o.region_code')
    .select('o.id as unit_org_id', 'o.name as unit_name', 'o.region_code')
    .countDistinct({ projects: 'q.project_id' })
    .select(sums(db));
  if (query.keyword) base.where('o.name', 'like', `%${query.keyword}%`);
  levelHaving(base, time, query.minLevel, rule);
  return paged(db, base, query, time, asOf, (r) => ({
    unitOrgId: Number(r.unit_org_id),
    unitName: String(r.unit_name),
    regionCode: String(r.region_code),
    projectCount: Number(r.projects),
    ...figuresOfRow(r, time, rule),
  }));
}

export interface RegionExecution extends ExecutionFigures {
  regionCode: string;
  regionName: string;
  unitCount: number;
  projectCount: number;
}

/** Per region (the unit's region code, e.g. a county): one grouped query over the scope. */
export async function executionByRegion(
  db: Knex,
  p: Principal,
  query: ExecutionQuery,
  rule: DeviationRule = DEFAULT_DEVIATION_RULE,
  now = new Date(),
): Promise<Page<RegionExecution>> {
  const asOf = shanghaiDate(now);
  const time = timeProgress(query.fiscalYear, asOf);
  const base = scopedQuotas(db, p, query.fiscalYear)
    .join('organisations as o', 'o.id', 'q.unit_org_id')
    .leftJoin('regions as r', 'r.code', 'o.region_code')
    .groupBy('o.region_code', 'r.name')
    .select('o.region_code', 'r.name as region_name')
    .countDistinct({ units: 'q.unit_org_id', projects: 'q.project_id' })
    .select(sums(db));
  if (query.keyword) base.where('r.name', 'like', `%${query.keyword}%`);
  levelHaving(base, time, query.minLevel, rule);
  return paged(db, base, query, time, asOf, (r) => ({
    regionCode: String(r.region_code),
    regionName: String(r.region_name ?? r.region_code),
    unitCount: Number(r.units),
    projectCount: Number(r.projects),
    ...figuresOfRow(r, time, rule),
  }));
}
