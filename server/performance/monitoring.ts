import type { Knex } from 'knex';
import {
  asOfDate,
  assessDeviation,
  DEVIATION_LEVEL_LABELS,
  executionRate,
  previousQuarter,
  quarterEndInstant,
  quarterOf,
  timeProgress,
  type DeviationLevel,
  type DeviationRule,
  type Quarter,
} from '../../domain/execution';
import { monitoringListActions, REPORT_STATUS_LABELS, reportActions, type ReportActions, type ReportStatus } from '../../domain/monitoring';
import { regionPrefix } from '../../domain/roles';
import { shanghaiDate } from '../../domain/time';
import { scopeOrgIds, type Principal } from '../auth/service';
import { forUpdate, readInstant } from '../db';
import { isEngineError, type EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import { errors, type FieldIssue } from '../errors';
import { validateFormData } from '../forms';
import { resolveCandidates } from '../inbox/candidates';
import { notify } from '../notifications/service';
import { figures, type ExecutionFigures } from './execution';
import { projectExecution } from './execution-read';

/**
 * 绩效监控 (quarterly performance monitoring): the use cases of the page and of the workers of
 * processes/performance-monitoring.bpmn (one instance per quarter and scope: creates the reports
 * and starts one performance-monitoring-report instance per funded project, in batches) and
 * processes/performance-monitoring-report.bpmn (the unit reports, the ledger's execution is
 * assessed against time progress, a deviation goes to 绩效处 and the department, who may ask for
 * 整改 with a due date, and the unit answers).
 *
 * One report per project and quarter, whatever starts the quarter and however often (unique key
 * on project, year and quarter); one live engine instance per report (the instance claims its
 * report first; a second one started by a redelivered batch ends itself). The execution rate is
 * read from the ledger when the unit files, as of the quarter's end — never typed.
 */

export const QUARTER_PROCESS = 'performance-monitoring';
export const REPORT_PROCESS = 'performance-monitoring-report';
/** Per-project instances started by one batch step (the quarter process loops until none is left). */
export const START_BATCH = 20;

export { REPORT_STATUSES, REPORT_STATUS_LABELS, type ReportStatus } from '../../domain/monitoring';

export interface MonitoringDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  rule: DeviationRule;
}

function engineDown(err: unknown): never {
  if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后重试');
  throw err;
}

const locked = forUpdate;

const isUniqueViolation = (err: unknown) =>
  /UNIQUE|Duplicate entry|ER_DUP_ENTRY/i.test(String((err as { code?: string })?.code ?? '') + String((err as Error)?.message ?? ''));

// ---------------------------------------------------------------------------------------------
// Rounds: starting a quarter

export interface RoundView {
  id: number;
  fiscalYear: number;
  quarter: number;
  scopeKey: string;
  reportCount: number;
  processInstanceKey: string | null;
  startedAt: Date;
  /** false: the quarter had been started for this scope already; nothing new was started. */
  created: boolean;
}

function roundView(r: Record<string, unknown>, created: boolean): RoundView {
  return {
    id: Number(r.id),
    fiscalYear: Number(r.fiscal_year),
    quarter: Number(r.quarter),
    scopeKey: String(r.scope_key),
    reportCount: Number(r.report_count),
    processInstanceKey: (r.process_instance_key as string | null) ?? null,
    startedAt: readInstant(r.started_at),
    created,
  };
}

/**
 * 绩效处 starts a quarter for their bureau's region from the page. Starting it again answers the
 * round that exists and starts nothing. A quarter that has not begun is refused.
 */
export async function startQuarter(
  deps: MonitoringDeps,
  p: Principal,
  input: { fiscalYear: number; quarter: Quarter },
  now = new Date(),
): Promise<RoundView> {
  if (!monitoringListActions(p.roles, p.permissions).startQuarter)
    throw errors.forbidden('NOT_PERFORMANCE_DIVISION', '季度绩效监控由绩效处开展');
  const current = quarterOf(now);
  if (input.fiscalYear > current.fiscalYear || (input.fiscalYear === current.fiscalYear && input.quarter > current.quarter)) {
    throw errors.badRequest('QUARTER_NOT_STARTED', `${input.fiscalYear} 年第 ${input.quarter} 季度尚未开始，不能开展监控`);
  }
  const scopeKey = regionPrefix(p.orgRegionCode);
  const existing = (await deps
    .db('monitoring_rounds')
    .where({ fiscal_year: input.fiscalYear, quarter: input.quarter, scope_key: scopeKey })
    .first()) as Record<string, unknown> | undefined;
  if (existing) return roundView(existing, false);
  let roundId: number;
  try {
    const [rid] = await deps.db('monitoring_rounds').insert({
      fiscal_year: input.fiscalYear,
      quarter: input.quarter,
      scope_key: scopeKey,
      organiser_org_id: p.orgId,
      started_by: p.userId,
      report_count: 0,
      started_at: now,
    });
    roundId = Number(rid);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Two clicks at once: the other one started it.
    return roundView(
      (await deps
        .db('monitoring_rounds')
        .where({ fiscal_year: input.fiscalYear, quarter: input.quarter, scope_key: scopeKey })
        .first()) as Record<string, unknown>,
      false,
    );
  }
  // The round is committed before the engine starts, so the first step's worker finds it; an engine
  // that is away takes the round back (nothing half-written) and the person may try again.
  let started;
  try {
    started = await deps.engine.startProcess(namespaced(deps.namespace, QUARTER_PROCESS), {
      businessKey: `monitoring-round:${roundId}`,
      variables: { roundId },
    });
  } catch (err) {
    await deps.db('monitoring_rounds').where('id', roundId).delete();
    engineDown(err);
  }
  await deps.db('monitoring_rounds').where('id', roundId).update({ process_instance_key: started.id });
  return roundView((await deps.db('monitoring_rounds').where('id', roundId).first()) as Record<string, unknown>, true);
}

/**
 * The quarter process's first step (topic monitoring.open-quarter): the round (created here for
 * the timer's start: the quarter before today, every region), then a report for every funded
 * project of the round's scope that has none for the quarter yet. Funded: quotas of the year tied
 * to the project, more than zero in total. Inserts in chunks; a project with a report is skipped
 * by the unique key, so a second start (or a redelivery) adds nothing.
 */
export async function openQuarter(
  trx: Knex,
  input: { roundId?: number },
  processInstanceId: string,
  now = new Date(),
): Promise<{ roundId: number; fiscalYear: number; quarter: number; reportCount: number }> {
  let round: Record<string, unknown> | undefined;
  if (input.roundId) round = (await trx('monitoring_rounds').where('id', input.roundId).first()) as Record<string, unknown> | undefined;
  else {
    const q = previousQuarter(now);
    round = (await trx('monitoring_rounds').where({ fiscal_year: q.fiscalYear, quarter: q.quarter, scope_key: 'all' }).first()) as
      Record<string, unknown> | undefined;
    if (!round) {
      const [rid] = await trx('monitoring_rounds').insert({
        fiscal_year: q.fiscalYear,
        quarter: q.quarter,
        scope_key: 'all',
        organiser_org_id: null,
        started_by: null,
        process_instance_key: processInstanceId,
        report_count: 0,
        started_at: now,
      });
      round = (await trx('monitoring_rounds').where('id', Number(rid)).first()) as Record<string, unknown>;
    }
  }
  if (!round) throw new Error(`monitoring round ${input.roundId} not found`);
  const roundId = Number(round.id);
  const fiscalYear = Number(round.fiscal_year);
  const quarter = Number(round.quarter);
  const scopeKey = String(round.scope_key);
  const funded = trx('quotas as q')
    .join('projects as pr', 'pr.id', 'q.project_id')
    .join('organisations as o', 'o.id', 'pr.unit_org_id')
    .where('q.fiscal_year', fiscalYear)
    .groupBy('pr.id', 'pr.unit_org_id')
    .havingRaw('sum(q.amount_fen) > 0')
    .select('pr.id', 'pr.unit_org_id');
  if (scopeKey !== 'all') funded.where('o.region_code', 'like', `${scopeKey}%`);
  const projects = (await funded) as Array<{ id: number; unit_org_id: number }>;
  const has = new Set(
    (
      (await trx('monitoring_reports').where({ fiscal_year: fiscalYear, quarter }).select('project_id')) as Array<{ project_id: number }>
    ).map((r) => Number(r.project_id)),
  );
  const rows = projects
    .filter((pr) => !has.has(Number(pr.id)))
    .map((pr) => ({
      round_id: roundId,
      project_id: Number(pr.id),
      unit_org_id: Number(pr.unit_org_id),
      fiscal_year: fiscalYear,
      quarter,
      status: 'pending',
      created_at: now,
      updated_at: now,
    }));
  for (let i = 0; i < rows.length; i += 500)
    await trx('monitoring_reports')
      .insert(rows.slice(i, i + 500))
      .onConflict(['project_id', 'fiscal_year', 'quarter'])
      .ignore();
  const count = Number(
    ((await trx('monitoring_reports').where('round_id', roundId).count({ n: '*' }).first()) as { n: number | string }).n,
  );
  await trx('monitoring_rounds')
    .where('id', roundId)
    .update({ report_count: count, ...(round.process_instance_key ? {} : { process_instance_key: processInstanceId }) });
  return { roundId, fiscalYear, quarter, reportCount: count };
}

/**
 * The quarter process's batch step (topic monitoring.start-reports): starts the per-project
 * instance of up to START_BATCH reports of the round that have none, records each instance on
 * its report, and says whether any is left (the model loops). A batch rolled back after the
 * engine started some instances leaves them without a record: the next batch starts others, and
 * the first ones find their report claimed and end (claimReport).
 */
export async function startReportBatch(
  trx: Knex,
  engine: EngineClient,
  namespace: string,
  roundId: number,
): Promise<{ started: number; moreReports: boolean }> {
  const batch = (await trx('monitoring_reports')
    .where({ round_id: roundId, status: 'pending' })
    .whereNull('process_instance_key')
    .orderBy('id')
    .limit(START_BATCH + 1)
    .select('id', 'project_id', 'fiscal_year', 'quarter')) as Array<Record<string, unknown>>;
  const now = batch.slice(0, START_BATCH);
  for (const r of now) {
    const started = await engine.retrying(() =>
      engine.startProcess(namespaced(namespace, REPORT_PROCESS), {
        businessKey: `monitoring-report:${Number(r.id)}`,
        variables: {
          reportId: Number(r.id),
          projectId: Number(r.project_id),
          fiscalYear: Number(r.fiscal_year),
          quarter: Number(r.quarter),
        },
      }),
    );
    await trx('monitoring_reports')
      .where('id', Number(r.id))
      .whereNull('process_instance_key')
      .update({ process_instance_key: started.id });
  }
  return { started: now.length, moreReports: batch.length > START_BATCH };
}

async function reportContext(trx: Knex, reportId: number) {
  return (await trx('monitoring_reports as m')
    .join('projects as pr', 'pr.id', 'm.project_id')
    .join('organisations as o', 'o.id', 'm.unit_org_id')
    .where('m.id', reportId)
    .first('m.*', 'pr.name as project_name', 'pr.project_no', 'pr.functional_code', 'o.name as unit_name')) as
    Record<string, unknown> | undefined;
}

/**
 * The report instance's first step (topic monitoring.claim-report): the instance takes its report
 * (the one the batch recorded, or an unrecorded report); another instance's report makes this
 * one a duplicate, which ends. The unit's clerks are told to report (once).
 */
export async function claimReport(trx: Knex, reportId: number, processInstanceId: string): Promise<{ duplicate: boolean }> {
  const row = (await locked(trx, trx('monitoring_reports').where('id', reportId))).at(0) as Record<string, unknown> | undefined;
  if (!row) return { duplicate: true };
  const key = row.process_instance_key as string | null;
  if (key && key !== processInstanceId) return { duplicate: true };
  if (!key)
    await trx('monitoring_reports').where('id', reportId).update({ process_instance_key: processInstanceId, updated_at: new Date() });
  const ctx = (await reportContext(trx, reportId))!;
  const clerks = await resolveCandidates(trx, ['unit_clerk'], Number(row.unit_org_id));
  await notify(trx, {
    userIds: clerks,
    template: 'monitoring-report-due',
    context: {
      projectName: ctx.project_name,
      projectNo: ctx.project_no,
      fiscalYear: Number(row.fiscal_year),
      quarter: Number(row.quarter),
    },
    link: `/monitoring?report=${reportId}`,
    dedupeKey: `monitoring-due:${reportId}`,
  });
  return { duplicate: false };
}

// ---------------------------------------------------------------------------------------------
// The report: the unit files, the worker assesses

export interface ReportListQuery {
  fiscalYear?: number;
  quarter?: number;
  status?: ReportStatus;
  /** Only reports that raised a warning (the deviation list). */
  deviation?: boolean;
  page: number;
  pageSize: number;
}

export interface ReportSummary {
  id: number;
  projectId: number;
  projectNo: string;
  projectName: string;
  unitOrgId: number;
  unitName: string;
  fiscalYear: number;
  quarter: number;
  status: ReportStatus;
  statusLabel: string;
  asOf: string | null;
  figures: ExecutionFigures | null;
  deviationLevel: DeviationLevel | null;
  deviationLabel: string | null;
  deviationReasons: string[];
  rectificationDue: string | null;
  submittedAt: Date | null;
}

function figuresOf(r: Record<string, unknown>, rule: DeviationRule): ExecutionFigures | null {
  if (r.budget_fen === null || r.budget_fen === undefined) return null;
  return figures(
    Number(r.budget_fen),
    Number(r.frozen_fen),
    Number(r.paid_fen),
    { numerator: Number(r.time_elapsed_days), denominator: Number(r.time_year_days) },
    rule,
  );
}

function summaryOf(r: Record<string, unknown>, rule: DeviationRule): ReportSummary {
  const level = (r.deviation_level as DeviationLevel | null) ?? null;
  const f = figuresOf(r, rule);
  return {
    id: Number(r.id),
    projectId: Number(r.project_id),
    projectNo: String(r.project_no),
    projectName: String(r.project_name),
    unitOrgId: Number(r.unit_org_id),
    unitName: String(r.unit_name),
    fiscalYear: Number(r.fiscal_year),
    quarter: Number(r.quarter),
    status: r.status as ReportStatus,
    statusLabel: REPORT_STATUS_LABELS[r.status as ReportStatus] ?? String(r.status),
    asOf: (r.as_of as string | null) ?? null,
    // The level stored is the report's (a target at risk raises it); the figures' own level is the ledger's alone.
    figures: f,
    deviationLevel: level,
    deviationLabel: level ? DEVIATION_LEVEL_LABELS[level] : null,
    deviationReasons: r.deviation_reasons ? (JSON.parse(String(r.deviation_reasons)) as string[]) : [],
    rectificationDue: (r.rectification_due as string | null) ?? null,
    submittedAt: r.submitted_at ? readInstant(r.submitted_at) : null,
  };
}

function scopedReports(db: Knex, p: Principal) {
  return db('monitoring_reports as m')
    .join('projects as pr', 'pr.id', 'm.project_id')
    .join('organisations as o', 'o.id', 'm.unit_org_id')
    .whereIn('m.unit_org_id', scopeOrgIds(db, p));
}

export async function listReports(db: Knex, p: Principal, query: ReportListQuery, rule: DeviationRule) {
  const base = scopedReports(db, p);
  if (query.fiscalYear) base.where('m.fiscal_year', query.fiscalYear);
  if (query.quarter) base.where('m.quarter', query.quarter);
  if (query.status) base.where('m.status', query.status);
  if (query.deviation) base.whereIn('m.deviation_level', ['warning', 'severe']);
  const total = Number(((await base.clone().count({ n: '*' }).first()) as { n: number | string }).n);
  const rows = (await base
    .clone()
    .select('m.*', 'pr.name as project_name', 'pr.project_no', 'o.name as unit_name')
    .orderBy([
      { column: 'm.fiscal_year', order: 'desc' },
      { column: 'm.quarter', order: 'desc' },
      { column: 'm.id', order: 'asc' },
    ])
    .limit(query.pageSize)
    .offset((query.page - 1) * query.pageSize)) as Array<Record<string, unknown>>;
  return {
    items: rows.map((r) => summaryOf(r, rule)),
    total,
    page: query.page,
    pageSize: query.pageSize,
    can: monitoringListActions(p.roles, p.permissions),
  };
}

export interface ReportTargetView {
  targetId: number;
  level1: string;
  level2: string;
  name: string;
  direction: string;
  targetValue: string;
  unit: string;
  actualValue: string | null;
  note: string | null;
  atRisk: boolean;
}

export interface ReportDetail extends ReportSummary {
  progressNote: string | null;
  targets: ReportTargetView[];
  rectificationRequest: string | null;
  rectificationAnswer: string | null;
  reviewComment: string | null;
  /** What this person may do now (domain/monitoring.ts; not derived in the page). */
  can: ReportActions;
}

async function visibleReport(db: Knex, p: Principal, id: number): Promise<Record<string, unknown>> {
  const row = (await scopedReports(db, p)
    .where('m.id', id)
    .first('m.*', 'pr.name as project_name', 'pr.project_no', 'o.name as unit_name')) as Record<string, unknown> | undefined;
  if (!row) throw errors.notFound('绩效监控报告不存在');
  return row;
}

export async function getReport(db: Knex, p: Principal, id: number, rule: DeviationRule): Promise<ReportDetail> {
  const row = await visibleReport(db, p, id);
  const targets = (await db('project_targets as t')
    .leftJoin('monitoring_report_targets as mt', (j) => j.on('mt.target_id', 't.id').andOn('mt.report_id', db.raw('?', [id])))
    .where('t.project_id', Number(row.project_id))
    .orderBy('t.seq')
    .select(
      't.id',
      't.level1',
      't.level2',
      't.name',
      't.direction',
      't.target_value',
      't.unit',
      'mt.actual_value',
      'mt.note',
      'mt.at_risk',
    )) as Array<Record<string, unknown>>;
  return {
    ...summaryOf(row, rule),
    progressNote: (row.progress_note as string | null) ?? null,
    targets: targets.map((t) => ({
      targetId: Number(t.id),
      level1: String(t.level1),
      level2: String(t.level2),
      name: String(t.name),
      direction: String(t.direction),
      targetValue: String(t.target_value),
      unit: String(t.unit),
      actualValue: (t.actual_value as string | null) ?? null,
      note: (t.note as string | null) ?? null,
      atRisk: Boolean(Number(t.at_risk ?? 0)),
    })),
    rectificationRequest: (row.rectification_request as string | null) ?? null,
    rectificationAnswer: (row.rectification_answer as string | null) ?? null,
    reviewComment: (row.review_comment as string | null) ?? null,
    can: reportActions(
      row.status as ReportStatus,
      { permissions: p.permissions, ownUnit: Number(row.unit_org_id) === p.orgId },
      Boolean(row.process_instance_key),
    ),
  };
}

/** The open engine task at `element` of the report's instance, or a 409 the page can word. */
async function openTask(deps: MonitoringDeps, row: Record<string, unknown>, element: string) {
  const key = row.process_instance_key as string | null;
  if (!key) throw errors.conflict('MONITORING_NOT_READY', '该报告的监控流程尚未启动，请稍后再试');
  let tasks;
  try {
    tasks = await deps.engine.tasks({ processInstanceId: key, taskDefinitionKey: element });
  } catch (err) {
    engineDown(err);
  }
  const task = tasks[0];
  if (!task) throw errors.conflict('TASK_GONE', '该环节已办理或流程已结束，请刷新页面');
  return task;
}

async function completeTask(deps: MonitoringDeps, taskId: string, p: Principal, variables: Record<string, unknown>): Promise<void> {
  try {
    await deps.engine.retrying(() => deps.engine.setAssignee(taskId, String(p.userId)));
    await deps.engine.retrying(() => deps.engine.completeTask(taskId, variables));
  } catch (err) {
    if (isEngineError(err) && err.status === 404) throw errors.conflict('TASK_GONE', '该环节已由他人办理，请刷新页面');
    engineDown(err);
  }
}

function formOrThrow(key: string, data: unknown): Record<string, unknown> {
  const parsed = validateFormData(key, data);
  if (!parsed.ok) throw errors.validation(parsed.issues);
  return parsed.data;
}

export interface ReportInput {
  progressNote: string;
  targets: Array<{ targetId: number; actualValue: string; note?: string; atRisk: boolean }>;
}

/**
 * The unit files its quarterly report: the value reached per target (every target of the
 * project, once), which are at risk, and a note. Written with the engine's completion in one
 * transaction (an engine that refuses or is away leaves nothing written: 503); the assessment
 * (ledger figures, deviation) is the next step's, a worker's.
 */
export async function fileReport(deps: MonitoringDeps, p: Principal, id: number, input: ReportInput, now = new Date()): Promise<void> {
  const row = await visibleReport(deps.db, p, id);
  if (Number(row.unit_org_id) !== p.orgId) throw errors.forbidden('NOT_REPORTING_UNIT', '只有项目单位可以填报绩效监控');
  if (row.status !== 'pending')
    throw errors.conflict('REPORT_NOT_PENDING', `该报告${REPORT_STATUS_LABELS[row.status as ReportStatus] ?? ''}，不能再填报`);
  const form = formOrThrow('monitoring-report', { progressNote: input.progressNote });
  const targetIds = (
    (await deps.db('project_targets').where('project_id', Number(row.project_id)).orderBy('seq').select('id')) as Array<{ id: number }>
  ).map((t) => Number(t.id));
  const issues: FieldIssue[] = [];
  const given = new Set<number>();
  input.targets.forEach((t, i) => {
    if (!targetIds.includes(t.targetId)) issues.push({ field: `targets.${i}.targetId`, message: '不是本项目的绩效目标' });
    else if (given.has(t.targetId)) issues.push({ field: `targets.${i}.targetId`, message: '同一绩效目标填报了两次' });
    given.add(t.targetId);
  });
  targetIds.forEach((tid) => {
    if (!given.has(tid)) issues.push({ field: 'targets', message: '每项绩效目标都须填报完成情况' });
  });
  if (issues.length) throw errors.badRequest('MONITORING_TARGETS_MISMATCH', '填报的绩效目标与项目的绩效目标不一致', issues.slice(0, 20));
  const task = await openTask(deps, row, 'UnitReport');
  await deps.db.transaction(async (trx) => {
    const n = await trx('monitoring_reports')
      .where({ id, status: 'pending' })
      .update({
        status: 'assessing',
        progress_note: String(form.progressNote),
        submitted_by: p.userId,
        submitted_at: now,
        updated_at: now,
      });
    if (n !== 1) throw errors.conflict('REPORT_NOT_PENDING', '该报告已填报');
    await trx('monitoring_report_targets').insert(
      input.targets.map((t) => ({
        report_id: id,
        target_id: t.targetId,
        actual_value: t.actualValue,
        note: t.note ?? null,
        at_risk: t.atRisk,
      })),
    );
    await completeTask(deps, task.id, p, { progressNote: String(form.progressNote) });
  });
}

/**
 * The assessment (topic monitoring.assess): the ledger's budget, frozen and paid for the project
 * as of the quarter's end (or the filing, inside the quarter), time progress of that day, the
 * deviation rule; a warning notifies 绩效处 and the department. Idempotent: an assessed report
 * answers what it was assessed as.
 */
export async function assessReport(
  trx: Knex,
  reportId: number,
  rule: DeviationRule,
): Promise<{ warning: boolean; deviationLevel: DeviationLevel }> {
  const row = (await locked(trx, trx('monitoring_reports').where('id', reportId))).at(0) as Record<string, unknown> | undefined;
  if (!row) throw new Error(`monitoring report ${reportId} not found`);
  if (row.status !== 'assessing') {
    if (row.status === 'pending') throw new Error(`monitoring report ${reportId} has not been filed yet`);
    return {
      warning: ['warned', 'rectifying', 'rectified', 'accepted'].includes(String(row.status)),
      deviationLevel: (row.deviation_level as DeviationLevel) ?? 'none',
    };
  }
  const fiscalYear = Number(row.fiscal_year);
  const quarter = Number(row.quarter) as Quarter;
  const submittedAt = readInstant(row.submitted_at);
  const end = quarterEndInstant(fiscalYear, quarter);
  const until = submittedAt < end ? submittedAt : end;
  const asOf = asOfDate(fiscalYear, quarter, submittedAt);
  const e = await projectExecution(trx, Number(row.project_id), fiscalYear, { until });
  const f = { budgetFen: e.issuedFen, frozenFen: e.frozenFen, paidFen: e.paidFen };
  const time = timeProgress(fiscalYear, asOf);
  const atRisk = (await trx('monitoring_report_targets as mt')
    .join('project_targets as t', 't.id', 'mt.target_id')
    .where({ 'mt.report_id': reportId, 'mt.at_risk': true })
    .orderBy('t.seq')
    .select('t.name')) as Array<{ name: string }>;
  const a = assessDeviation({ time, execution: executionRate(f.paidFen, f.budgetFen), targetsAtRisk: atRisk.map((t) => t.name), rule });
  await trx('monitoring_reports')
    .where('id', reportId)
    .update({
      status: a.raised ? 'warned' : 'submitted',
      as_of: asOf,
      budget_fen: f.budgetFen,
      frozen_fen: f.frozenFen,
      paid_fen: f.paidFen,
      time_elapsed_days: time.numerator,
      time_year_days: time.denominator,
      deviation_level: a.level,
      deviation_reasons: JSON.stringify(a.reasons),
      updated_at: new Date(),
    });
  if (a.raised) {
    const ctx = (await reportContext(trx, reportId))!;
    const people = await resolveCandidates(trx, ['performance_division', 'department_reviewer'], Number(row.unit_org_id), {
      functionalCode: String(ctx.functional_code),
    });
    await notify(trx, {
      userIds: people,
      template: 'monitoring-deviation',
      context: {
        levelLabel: DEVIATION_LEVEL_LABELS[a.level],
        unitName: ctx.unit_name,
        projectName: ctx.project_name,
        projectNo: ctx.project_no,
        fiscalYear,
        quarter,
        reasons: a.reasons.join('；'),
      },
      link: `/monitoring?report=${reportId}`,
      dedupeKey: `monitoring-deviation:${reportId}`,
    });
  }
  return { warning: a.raised, deviationLevel: a.level };
}

// ---------------------------------------------------------------------------------------------
// 整改

export interface ReviewInput {
  decision: 'rectify' | 'accept';
  dueDate?: string;
  comment: string;
}

/** 绩效处 or the department decides on a deviation: 整改 by a due date, or accepted as explained. */
export async function reviewReport(deps: MonitoringDeps, p: Principal, id: number, input: ReviewInput, now = new Date()): Promise<void> {
  const row = await visibleReport(deps.db, p, id);
  if (row.status !== 'warned')
    throw errors.conflict('REPORT_NOT_WARNED', `该报告${REPORT_STATUS_LABELS[row.status as ReportStatus] ?? ''}，没有待处理的偏差`);
  const form = formOrThrow('monitoring-review', input);
  const dueDate = form.decision === 'rectify' ? String(form.dueDate) : null;
  if (dueDate && dueDate < shanghaiDate(now))
    throw errors.badRequest('DUE_DATE_PAST', '整改期限不能早于今天', [{ field: 'dueDate', message: '整改期限不能早于今天' }]);
  const task = await openTask(deps, row, 'ReviewDeviation');
  await deps.db.transaction(async (trx) => {
    const n = await trx('monitoring_reports')
      .where({ id, status: 'warned' })
      .update(
        dueDate
          ? {
              status: 'rectifying',
              rectification_request: String(form.comment),
              rectification_due: dueDate,
              rectification_requested_by: p.userId,
              rectification_requested_at: now,
              updated_at: now,
            }
          : { status: 'accepted', review_comment: String(form.comment), updated_at: now },
      );
    if (n !== 1) throw errors.conflict('REPORT_NOT_WARNED', '该偏差已由他人处理');
    if (dueDate) {
      const ctx = (await reportContext(trx, id))!;
      await notify(trx, {
        userIds: await resolveCandidates(trx, ['unit_clerk'], Number(row.unit_org_id)),
        template: 'monitoring-rectification',
        context: {
          projectName: ctx.project_name,
          projectNo: ctx.project_no,
          fiscalYear: Number(row.fiscal_year),
          quarter: Number(row.quarter),
          requester: `${p.orgName}${p.displayName}`,
          dueDate,
          request: String(form.comment),
        },
        link: `/monitoring?report=${id}`,
        dedupeKey: `monitoring-rectify:${id}`,
      });
    }
    await completeTask(deps, task.id, p, {
      decision: form.decision,
      comment: String(form.comment),
      rectificationDue: dueDate ? `${dueDate}T23:59:59` : null,
    });
  });
}

/** The unit answers the 整改 request. */
export async function answerRectification(
  deps: MonitoringDeps,
  p: Principal,
  id: number,
  input: { answer: string },
  now = new Date(),
): Promise<void> {
  const row = await visibleReport(deps.db, p, id);
  if (Number(row.unit_org_id) !== p.orgId) throw errors.forbidden('NOT_REPORTING_UNIT', '只有项目单位可以答复整改');
  if (row.status !== 'rectifying')
    throw errors.conflict('REPORT_NOT_RECTIFYING', `该报告${REPORT_STATUS_LABELS[row.status as ReportStatus] ?? ''}，没有待答复的整改要求`);
  const form = formOrThrow('monitoring-rectify', input);
  const task = await openTask(deps, row, 'UnitRectify');
  await deps.db.transaction(async (trx) => {
    const n = await trx('monitoring_reports')
      .where({ id, status: 'rectifying' })
      .update({
        status: 'rectified',
        rectification_answer: String(form.answer),
        rectification_answered_by: p.userId,
        rectification_answered_at: now,
        updated_at: now,
      });
    if (n !== 1) throw errors.conflict('REPORT_NOT_RECTIFYING', '该整改已答复');
    const requester = row.rectification_requested_by ? [Number(row.rectification_requested_by)] : [];
    const ctx = (await reportContext(trx, id))!;
    await notify(trx, {
      userIds: requester,
      template: 'monitoring-rectified',
      context: {
        unitName: ctx.unit_name,
        projectName: ctx.project_name,
        projectNo: ctx.project_no,
        fiscalYear: Number(row.fiscal_year),
        quarter: Number(row.quarter),
        answer: String(form.answer),
      },
      link: `/monitoring?report=${id}`,
      dedupeKey: `monitoring-rectified:${id}`,
    });
    await completeTask(deps, task.id, p, { answer: String(form.answer) });
  });
}
