import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { GRADE_LABELS, GRADES, type Grade } from '../../domain/allocation';
import type { Json } from '../../domain/canonical-json';
import { sm3Hex } from '../../domain/digest';
import { evaluationActions, evaluationTaskStep, type EvaluationStatus } from '../../domain/evaluation';
import { drawExperts, newSeed, specialtyOf } from '../../domain/expert-review';
import { rateBasisPoints } from '../../domain/execution';
import { formatYuan } from '../../domain/money';
import {
  BAND_LABELS,
  GROUP_LABELS,
  isDecimalText,
  qualitativeProblem,
  scoreEvaluation,
  type Direction,
  type IndicatorInput,
  type QualitativeBand,
  type ScoreResult,
  type ScoreWeights,
} from '../../domain/performance-scoring';
import { DIRECTION_LABELS, STATUS_LABELS, type ProjectStatus } from '../../domain/projects';
import { shanghaiDate, toShanghaiIso } from '../../domain/time';
import { appendAudit } from '../audit/chain';
import type { Principal } from '../auth/service';
import { readInstant } from '../db';
import { isEngineError, type EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import { AppError, errors } from '../errors';
import { applicantsOf } from '../expert-review/review';
import { loadPool } from '../expert-review/pool';
import { complete as completeTask, type InboxDeps } from '../inbox/actions';
import { endProcessInstance } from '../inbox/intake';
import { notify } from '../notifications/service';
import { MAX_ATTACHMENT_BYTES, writeProjectEvent, type Actor } from '../projects/service';
import type { KeyStore } from '../seals/key-store';
import { signerFor } from '../seals/seal';
import { projectExecution } from './execution-read';

/**
 * 绩效评价 (processes/performance-evaluation.bpmn): the use cases of the API (start the year's
 * evaluations, the unit's self-evaluation with its evidence, 绩效处's review, the result and its
 * history) and of the process's workers (score, return, draw the external experts, aggregate their
 * scores, record the grade). The engine owns the flow — its user tasks are the inbox's, completed
 * through the inbox (server/inbox/actions.ts), so the review is sealed like every other decision;
 * this module owns the evaluation's data. Rules: domain/performance-scoring.ts; the grade is the
 * decision table processes/performance-grade.dmn, evaluated by the engine.
 *
 * The execution rate is read from the ledger when the score is computed (./execution-read.ts),
 * never typed. 绩效处's changes to actuals travel in the sealed review form (field `adjustments`)
 * and are applied by the scoring step from what the engine received: what is applied is exactly
 * what was sealed.
 */

export const EVALUATION_PROCESS = 'performance-evaluation';
const EVALUABLE: ProjectStatus[] = ['funded', 'executing', 'closed', 'carried_over'];
export const EVALUATION_STATUS_LABELS: Record<string, string> = {
  self_evaluation: '单位自评',
  review: '绩效处审核',
  external: '专家外部评价',
  grading: '评定等级',
  graded: '已评定',
};
const GRADE_ORDER: Record<Grade, number> = { excellent: 0, good: 1, fair: 2, poor: 3 };

export interface EvaluationDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
  syncInstance?: (processInstanceId: string) => Promise<unknown>;
}

const actorOf = (p: Principal): Actor => ({ userId: p.userId, username: p.username, displayName: p.displayName });
export const WORKER_ACTOR: Actor = { userId: null, username: 'worker:performance', displayName: '流程引擎' };

interface EvaluationRow {
  id: number;
  project_id: number;
  fiscal_year: number;
  unit_org_id: number;
  status: EvaluationStatus;
  process_instance_key: string | null;
  issued_fen: number | string | null;
  paid_fen: number | string | null;
  self_score_centi: number | null;
  reviewed_score_centi: number | null;
  external_score_centi: number | null;
  final_score_centi: number | null;
  grade: Grade | null;
  breakdown: string | null;
  explanation: string | null;
  external: number | boolean;
  panel: string | null;
  review_audit_record_id: number | null;
  started_at: unknown;
  submitted_at: unknown;
  graded_at: unknown;
  version: number;
}

interface ActualRow {
  id: number;
  evaluation_id: number;
  target_id: number;
  seq: number;
  self_value: string | null;
  self_band: string | null;
  self_percent: number | null;
  gap_explanation: string | null;
  reviewed_value: string | null;
  reviewed_band: string | null;
  reviewed_percent: number | null;
  review_reason: string | null;
  weight_centi: number | null;
  score_centi: number | null;
  level1: string;
  level2: string;
  name: string;
  direction: Direction;
  target_value: string;
  unit: string;
}

const evaluationNotFound = (id: number) => errors.notFound(`绩效评价 #${id} 不存在`);

async function evaluationRow(db: Knex, id: number): Promise<EvaluationRow> {
  const row = (await db('performance_evaluations').where('id', id).first()) as EvaluationRow | undefined;
  if (!row) throw evaluationNotFound(id);
  return row;
}

/** An evaluation whose project's unit is in the person's data scope, else 404. */
async function visibleEvaluation(db: Knex, scope: Knex.QueryBuilder, id: number): Promise<EvaluationRow> {
  const row = (await db('performance_evaluations').where('id', id).whereIn('unit_org_id', scope).first()) as EvaluationRow | undefined;
  if (!row) throw evaluationNotFound(id);
  return row;
}

async function actualsOf(db: Knex, evaluationId: number): Promise<ActualRow[]> {
  return (await db('performance_actuals as a')
    .join('project_targets as t', 't.id', 'a.target_id')
    .where('a.evaluation_id', evaluationId)
    .orderBy('a.seq')
    .select('a.*', 't.level1', 't.level2', 't.name', 't.direction', 't.target_value', 't.unit')) as ActualRow[];
}

function engineDown(err: unknown): never {
  if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，本次操作未生效，请稍后重试');
  throw err;
}

// ---------------------------------------------------------------------------------------------
// Starting the year's evaluations (绩效处)

/**
 * Starts the evaluation of each project (funded in `fiscalYear`, in the person's scope, with its
 * targets) once the year is over (Asia/Shanghai): one evaluation row, one actual per target, one
 * engine instance. Every refusal is checked before anything is written.
 */
export async function startEvaluations(
  deps: EvaluationDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  input: { fiscalYear: number; projectIds: number[] },
  now = new Date(),
): Promise<Array<{ id: number; projectId: number; processInstanceId: string }>> {
  const { db } = deps;
  if (shanghaiDate(now) < `${input.fiscalYear + 1}-01-01`)
    throw errors.badRequest('YEAR_NOT_ENDED', `${input.fiscalYear} 年度尚未结束，年度终了后才能开展绩效评价`, [
      { field: 'body.fiscalYear', message: '年度尚未结束' },
    ]);
  const ids = [...new Set(input.projectIds)];
  const projects = (await db('projects')
    .whereIn('id', ids)
    .whereIn('unit_org_id', scope.clone())
    .select('id', 'name', 'project_no', 'unit_org_id', 'fiscal_year', 'status', 'created_by')) as Array<{
    id: number;
    name: string;
    project_no: string;
    unit_org_id: number;
    fiscal_year: number;
    status: ProjectStatus;
    created_by: number | null;
  }>;
  const targetCounts = new Map(
    (
      (await db('project_targets')
        .whereIn('project_id', ids)
        .groupBy('project_id')
        .select('project_id', db.raw('count(*) as n'))) as Array<{ project_id: number; n: number | string }>
    ).map((r) => [Number(r.project_id), Number(r.n)]),
  );
  const existing = new Set(
    (
      (await db('performance_evaluations')
        .whereIn('project_id', ids)
        .where('fiscal_year', input.fiscalYear)
        .select('project_id')) as Array<{ project_id: number }>
    ).map((r) => Number(r.project_id)),
  );
  const problems: Array<{ field: string; message: string }> = [];
  ids.forEach((id, i) => {
    const pr = projects.find((x) => Number(x.id) === id);
    const field = `body.projectIds.${i}`;
    if (!pr) problems.push({ field, message: `项目 #${id} 不存在或不在您的数据范围内` });
    else if (Number(pr.fiscal_year) !== input.fiscalYear)
      problems.push({ field, message: `${pr.name}：预算年度为 ${pr.fiscal_year}，不是 ${input.fiscalYear}` });
    else if (!EVALUABLE.includes(pr.status))
      problems.push({ field, message: `${pr.name}：状态为「${STATUS_LABELS[pr.status]}」，只有已下达资金的项目可以评价` });
    else if (!targetCounts.get(id)) problems.push({ field, message: `${pr.name}：没有绩效目标，无法评价` });
    else if (existing.has(id)) problems.push({ field, message: `${pr.name}：${input.fiscalYear} 年度的绩效评价已开展` });
  });
  if (problems.length) throw errors.badRequest('EVALUATION_PROJECTS_INVALID', '所选项目中有不能开展绩效评价的，请按提示调整', problems);
  const started: Array<{ id: number; projectId: number; processInstanceId: string }> = [];
  for (const id of ids) {
    const pr = projects.find((x) => Number(x.id) === id)!;
    const evaluationId = await db.transaction(async (trx) => {
      const [raw] = await trx('performance_evaluations').insert({
        project_id: id,
        fiscal_year: input.fiscalYear,
        unit_org_id: pr.unit_org_id,
        status: 'self_evaluation',
        started_by: p.userId,
        started_at: now,
        version: 1,
      });
      const evId = Number(raw);
      const targets = (await trx('project_targets').where('project_id', id).orderBy('seq').select('id', 'seq')) as Array<{
        id: number;
        seq: number;
      }>;
      await trx('performance_actuals').insert(targets.map((t) => ({ evaluation_id: evId, target_id: t.id, seq: t.seq })));
      let instance;
      try {
        instance = await deps.engine.startProcess(namespaced(deps.namespace, EVALUATION_PROCESS), {
          businessKey: `performance:${evId}`,
          variables: {
            evaluationId: evId,
            projectId: id,
            unitOrgId: Number(pr.unit_org_id),
            fiscalYear: input.fiscalYear,
            applicantUserId: pr.created_by === null ? null : Number(pr.created_by),
          },
        });
      } catch (err) {
        engineDown(err);
      }
      await trx('performance_evaluations').where('id', evId).update({ process_instance_key: instance.id });
      await trx('process_instances').insert({
        process_instance_key: instance.id,
        process_id: EVALUATION_PROCESS,
        process_version: Number(instance.definitionId.split(':')[1] ?? 0),
        business_type: 'project',
        business_id: id,
        status: 'active',
        started_by: p.userId,
        started_at: now,
      });
      await writeProjectEvent(trx, id, actorOf(p), {
        kind: 'performance_evaluation_started',
        note: `开展 ${input.fiscalYear} 年度绩效评价，请单位进行绩效自评`,
        data: { evaluationId: evId, processInstanceKey: instance.id },
      });
      started.push({ id: evId, projectId: id, processInstanceId: instance.id });
      return evId;
    });
    void evaluationId;
  }
  for (const s of started) if (deps.syncInstance) await deps.syncInstance(s.processInstanceId).catch(() => undefined); // the sweep catches up
  return started;
}

/** Funded projects of a year in scope that have no evaluation yet: what 绩效处 may start. */
export async function evaluationCandidates(db: Knex, scope: Knex.QueryBuilder, fiscalYear: number) {
  const rows = (await db('projects as p')
    .join('organisations as o', 'o.id', 'p.unit_org_id')
    .whereIn('p.unit_org_id', scope)
    .where('p.fiscal_year', fiscalYear)
    .whereIn('p.status', EVALUABLE)
    .whereNotExists(db('performance_evaluations as e').whereRaw('e.project_id = p.id').where('e.fiscal_year', fiscalYear))
    .orderBy('p.id')
    .limit(500)
    .select('p.id', 'p.project_no', 'p.name', 'p.total_amount_fen', 'p.status', 'o.name as unit_name')) as Array<{
    id: number;
    project_no: string;
    name: string;
    total_amount_fen: number | string;
    status: ProjectStatus;
    unit_name: string;
  }>;
  return {
    items: rows.map((r) => ({
      projectId: Number(r.id),
      projectNo: r.project_no,
      projectName: r.name,
      unitName: r.unit_name,
      totalAmountFen: Number(r.total_amount_fen),
      status: r.status,
      statusLabel: STATUS_LABELS[r.status],
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface EvaluationListQuery {
  fiscalYear?: number;
  status?: string;
  page: number;
  pageSize: number;
}

/** A page of the list (its filters, its order, the person's scope): the rows and the total. */
async function evaluationPage(db: Knex, scope: Knex.QueryBuilder, q: EvaluationListQuery, extra: string[] = []) {
  const base = db('performance_evaluations as e')
    .join('projects as p', 'p.id', 'e.project_id')
    .join('organisations as o', 'o.id', 'e.unit_org_id')
    .whereIn('e.unit_org_id', scope);
  if (q.fiscalYear) base.where('e.fiscal_year', q.fiscalYear);
  if (q.status) base.where('e.status', q.status);
  const n = ((await base.clone().count({ n: '*' })) as Array<{ n: number | string }>)[0]?.n ?? 0;
  const rows = (await base
    .orderBy('e.id', 'desc')
    .offset((q.page - 1) * q.pageSize)
    .limit(q.pageSize)
    .select(
      'e.id',
      'e.project_id',
      'e.fiscal_year',
      'e.status',
      'e.final_score_centi',
      'e.reviewed_score_centi',
      'e.self_score_centi',
      'e.grade',
      'e.graded_at',
      'p.project_no',
      'p.name as project_name',
      'o.name as unit_name',
      ...extra,
    )) as Array<Record<string, unknown>>;
  return { total: Number(n), rows };
}

export async function listEvaluations(db: Knex, scope: Knex.QueryBuilder, q: EvaluationListQuery) {
  const { total: n, rows } = await evaluationPage(db, scope, q);
  return {
    total: Number(n),
    page: q.page,
    pageSize: q.pageSize,
    items: rows.map((r) => ({
      id: Number(r.id),
      projectId: Number(r.project_id),
      projectNo: String(r.project_no),
      projectName: String(r.project_name),
      unitName: String(r.unit_name),
      fiscalYear: Number(r.fiscal_year),
      status: String(r.status),
      statusLabel: EVALUATION_STATUS_LABELS[String(r.status)] ?? String(r.status),
      scoreCenti:
        (r.final_score_centi ?? r.reviewed_score_centi ?? r.self_score_centi) === null
          ? null
          : Number(r.final_score_centi ?? r.reviewed_score_centi ?? r.self_score_centi),
      grade: (r.grade as Grade | null) ?? null,
      gradeLabel: r.grade ? GRADE_LABELS[r.grade as Grade] : null,
      gradedAt: r.graded_at ? toShanghaiIso(readInstant(r.graded_at)) : null,
    })),
  };
}

/**
 * 评价结果 for the Excel export: the list's rows (same filters, order and scope) with the score of
 * each part as the last scoring left it — 预算执行率, 产出, 效益, 满意度 (hundredths of a point) —
 * the execution rate, the self, reviewed, external and final scores and the grade.
 */
export async function evaluationResults(db: Knex, scope: Knex.QueryBuilder, q: EvaluationListQuery) {
  const { total, rows } = await evaluationPage(db, scope, q, ['e.breakdown', 'e.external_score_centi']);
  const centi = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    total,
    items: rows.map((r) => {
      const b = r.breakdown ? (JSON.parse(String(r.breakdown)) as ScoreResult) : null;
      return {
        fiscalYear: Number(r.fiscal_year),
        projectNo: String(r.project_no),
        projectName: String(r.project_name),
        unitName: String(r.unit_name),
        statusLabel: EVALUATION_STATUS_LABELS[String(r.status)] ?? String(r.status),
        executionRateBasisPoints: b ? b.execution.rateBasisPoints : null,
        executionCenti: b ? b.execution.scoreCenti : null,
        outputCenti: b ? b.groups.output.scoreCenti : null,
        benefitCenti: b ? b.groups.benefit.scoreCenti : null,
        satisfactionCenti: b && b.groups.satisfaction.count > 0 ? b.groups.satisfaction.scoreCenti : null,
        selfCenti: centi(r.self_score_centi),
        reviewedCenti: centi(r.reviewed_score_centi),
        externalCenti: centi(r.external_score_centi),
        finalCenti: centi(r.final_score_centi),
        gradeLabel: r.grade ? GRADE_LABELS[r.grade as Grade] : null,
        gradedAt: r.graded_at ? readInstant(r.graded_at) : null,
      };
    }),
  };
}

export type EvaluationResultRow = Awaited<ReturnType<typeof evaluationResults>>['items'][number];

/** The open inbox task of the evaluation at `elementId` that this person may act on, or null. */
async function openTask(db: Knex, row: EvaluationRow, elementId: string, userId: number): Promise<{ id: number } | null> {
  if (!row.process_instance_key) return null;
  const t = (await db('inbox_tasks as t')
    .where({ 't.process_instance_key': row.process_instance_key, 't.element_id': elementId, 't.status': 'open' })
    .where((w) =>
      w
        .where('t.assignee_user_id', userId)
        .orWhere((o) =>
          o
            .whereNull('t.assignee_user_id')
            .whereExists(db('inbox_task_candidates as c').whereRaw('c.task_id = t.id').where('c.user_id', userId)),
        ),
    )
    .first('t.id')) as { id: number } | undefined;
  return t ? { id: Number(t.id) } : null;
}

function indicatorView(a: ActualRow) {
  const qualitative = a.direction === 'qualitative';
  const effectiveValue = a.reviewed_value ?? a.self_value;
  const effectiveBand = a.reviewed_band ?? a.self_band;
  return {
    actualId: Number(a.id),
    targetId: Number(a.target_id),
    level1: a.level1,
    level2: a.level2,
    name: a.name,
    direction: a.direction,
    directionLabel: DIRECTION_LABELS[a.direction],
    targetValue: a.target_value,
    unit: a.unit,
    qualitative,
    selfValue: a.self_value,
    selfBand: a.self_band,
    selfPercent: a.self_percent === null ? null : Number(a.self_percent),
    gapExplanation: a.gap_explanation,
    reviewedValue: a.reviewed_value,
    reviewedBand: a.reviewed_band,
    reviewedPercent: a.reviewed_percent === null ? null : Number(a.reviewed_percent),
    reviewReason: a.review_reason,
    effective: qualitative ? (effectiveBand ? BAND_LABELS[effectiveBand as QualitativeBand] : null) : effectiveValue,
    weightCenti: a.weight_centi === null ? null : Number(a.weight_centi),
    scoreCenti: a.score_centi === null ? null : Number(a.score_centi),
  };
}

/** Grades over the years: the unit's (performance_grades, what the allocation reads) and this project's evaluations. */
async function historyOf(db: Knex, unitOrgId: number, projectId: number) {
  const unit = (await db('performance_grades')
    .where('unit_org_id', unitOrgId)
    .orderBy('fiscal_year', 'desc')
    .limit(10)
    .select('fiscal_year', 'grade', 'score_centi', 'source')) as Array<{
    fiscal_year: number;
    grade: Grade;
    score_centi: number | null;
    source: string;
  }>;
  const project = (await db('performance_evaluations')
    .where('project_id', projectId)
    .orderBy('fiscal_year', 'desc')
    .select('id', 'fiscal_year', 'grade', 'final_score_centi', 'status')) as Array<{
    id: number;
    fiscal_year: number;
    grade: Grade | null;
    final_score_centi: number | null;
    status: string;
  }>;
  return {
    unit: unit.map((g) => ({
      fiscalYear: Number(g.fiscal_year),
      grade: g.grade,
      gradeLabel: GRADE_LABELS[g.grade] ?? g.grade,
      scoreCenti: g.score_centi === null ? null : Number(g.score_centi),
      source: g.source,
    })),
    project: project.map((e) => ({
      evaluationId: Number(e.id),
      fiscalYear: Number(e.fiscal_year),
      grade: e.grade,
      gradeLabel: e.grade ? GRADE_LABELS[e.grade] : null,
      scoreCenti: e.final_score_centi === null ? null : Number(e.final_score_centi),
      status: e.status,
    })),
  };
}

export async function getEvaluation(db: Knex, p: Principal, scope: Knex.QueryBuilder, id: number) {
  const row = await visibleEvaluation(db, scope, id);
  const project = (await db('projects as p')
    .join('organisations as o', 'o.id', 'p.unit_org_id')
    .where('p.id', row.project_id)
    .first('p.id', 'p.project_no', 'p.name', 'p.total_amount_fen', 'p.functional_code', 'o.name as unit_name')) as {
    id: number;
    project_no: string;
    name: string;
    total_amount_fen: number | string;
    functional_code: string;
    unit_name: string;
  };
  const actuals = await actualsOf(db, id);
  const evidence = (await db('performance_evidence')
    .where('evaluation_id', id)
    .whereNull('removed_at')
    .orderBy('id')
    .select('id', 'actual_id', 'file_name', 'content_type', 'size_bytes', 'sm3', 'uploaded_by', 'uploaded_at')) as Array<
    Record<string, unknown>
  >;
  // Until it is scored, the ledger's figures as they stand now; afterwards those the score used.
  const live = row.issued_fen === null ? await projectExecution(db, Number(row.project_id), Number(row.fiscal_year)) : null;
  const issuedFen = live ? live.issuedFen : Number(row.issued_fen);
  const paidFen = live ? live.paidFen : Number(row.paid_fen);
  const breakdown = row.breakdown ? (JSON.parse(row.breakdown) as ScoreResult) : null;
  const step = evaluationTaskStep(row.status, p.permissions);
  const task = step ? await openTask(db, row, step, p.userId) : null;
  return {
    id: Number(row.id),
    fiscalYear: Number(row.fiscal_year),
    status: row.status,
    statusLabel: EVALUATION_STATUS_LABELS[row.status] ?? row.status,
    version: Number(row.version),
    project: {
      id: Number(project.id),
      projectNo: project.project_no,
      name: project.name,
      unitName: project.unit_name,
      totalAmountFen: Number(project.total_amount_fen),
      functionalCode: project.functional_code,
    },
    execution: { issuedFen, paidFen, rateBasisPoints: rateBasisPoints(paidFen, issuedFen), fromLedger: true, snapshot: !live },
    explanation: row.explanation,
    indicators: actuals.map(indicatorView),
    evidence: evidence.map((e) => ({
      id: Number(e.id),
      actualId: e.actual_id === null ? null : Number(e.actual_id),
      fileName: String(e.file_name),
      contentType: String(e.content_type),
      sizeBytes: Number(e.size_bytes),
      sm3: String(e.sm3),
      uploadedBy: String(e.uploaded_by),
      uploadedAt: toShanghaiIso(readInstant(e.uploaded_at)),
    })),
    scores: {
      selfCenti: row.self_score_centi === null ? null : Number(row.self_score_centi),
      reviewedCenti: row.reviewed_score_centi === null ? null : Number(row.reviewed_score_centi),
      externalCenti: row.external_score_centi === null ? null : Number(row.external_score_centi),
      finalCenti: row.final_score_centi === null ? null : Number(row.final_score_centi),
      groups: breakdown
        ? (Object.entries(breakdown.groups).map(([g, v]) => ({
            group: g,
            label: GROUP_LABELS[g as keyof typeof GROUP_LABELS],
            weightCenti: v.weightCenti,
            scoreCenti: v.scoreCenti,
            count: v.count,
          })) as Array<{ group: string; label: string; weightCenti: number; scoreCenti: number; count: number }>)
        : [],
      execution: breakdown ? breakdown.execution : null,
    },
    external: Boolean(Number(row.external)),
    panelSize: row.panel ? row.panel.split(',').filter(Boolean).length : 0,
    grade: row.grade,
    gradeLabel: row.grade ? GRADE_LABELS[row.grade] : null,
    gradedAt: row.graded_at ? toShanghaiIso(readInstant(row.graded_at)) : null,
    reviewAuditRecordId: row.review_audit_record_id === null ? null : Number(row.review_audit_record_id),
    history: await historyOf(db, Number(row.unit_org_id), Number(row.project_id)),
    can: evaluationActions(row.status, task !== null),
    taskId: task?.id ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// The unit's self-evaluation

export interface ActualInput {
  actualId: number;
  value?: string | null;
  band?: QualitativeBand | null;
  percent?: number | null;
  gapExplanation?: string | null;
}

/** The problems of actuals against their indicators (field paths of the request body); empty = fine. */
function actualProblems(
  rows: ActualRow[],
  inputs: ReadonlyArray<ActualInput & { reason?: string }>,
  prefix: string,
  options: { requireReason?: boolean } = {},
): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const seen = new Set<number>();
  inputs.forEach((a, i) => {
    const row = byId.get(a.actualId);
    const field = `${prefix}.${i}`;
    if (!row) return problems.push({ field: `${field}.actualId`, message: `指标 #${a.actualId} 不属于本次评价` });
    if (seen.has(a.actualId)) problems.push({ field: `${field}.actualId`, message: `「${row.name}」重复填报` });
    seen.add(a.actualId);
    if (row.direction === 'qualitative') {
      if (a.band !== undefined && a.band !== null) {
        const q = qualitativeProblem(a.band, a.percent ?? null);
        if (q) problems.push({ field: `${field}.percent`, message: `「${row.name}」：${q}` });
      }
      if (a.value !== undefined && a.value !== null)
        problems.push({ field: `${field}.value`, message: `「${row.name}」是定性指标，请选择达成程度，不填数值` });
    } else {
      if (a.value !== undefined && a.value !== null && !isDecimalText(a.value))
        problems.push({ field: `${field}.value`, message: `「${row.name}」的实际完成值应为数字（最多 4 位小数）` });
      if (a.band !== undefined && a.band !== null)
        problems.push({ field: `${field}.band`, message: `「${row.name}」是定量指标，请填写实际完成值` });
    }
    if (options.requireReason && !(a.reason ?? '').trim())
      problems.push({ field: `${field}.reason`, message: `调整「${row.name}」的实际值须写明理由` });
    return undefined;
  });
  return problems;
}

/** The evaluation in the person's scope and in its self-evaluation (404 / 409 otherwise): checked before a request's body is read. */
export async function assertSelfEvaluation(db: Knex, scope: Knex.QueryBuilder, id: number): Promise<void> {
  await unitEvaluation(db, undefined, scope, id);
}

async function unitEvaluation(db: Knex, _p: Principal | undefined, scope: Knex.QueryBuilder, id: number): Promise<EvaluationRow> {
  const row = await visibleEvaluation(db, scope, id);
  if (row.status !== 'self_evaluation')
    throw errors.conflict(
      'EVALUATION_NOT_IN_SELF_EVALUATION',
      `绩效评价当前为「${EVALUATION_STATUS_LABELS[row.status] ?? row.status}」，不能再修改自评`,
    );
  return row;
}

/** Saves the unit's actuals and explanations (a draft of the self-evaluation); optimistic on `version`. */
export async function saveSelfEvaluation(
  db: Knex,
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
  input: { version: number; explanation?: string | null; actuals: ActualInput[] },
): Promise<{ version: number }> {
  const row = await unitEvaluation(db, p, scope, id);
  const rows = await actualsOf(db, id);
  const problems = actualProblems(rows, input.actuals, 'body.actuals');
  if (problems.length) throw errors.badRequest('EVALUATION_ACTUALS_INVALID', '自评填报有误，请按提示修改', problems);
  return db.transaction(async (trx) => {
    const n = await trx('performance_evaluations')
      .where({ id, version: input.version, status: 'self_evaluation' })
      .update({ version: trx.raw('version + 1'), ...(input.explanation !== undefined ? { explanation: input.explanation } : {}) });
    if (n !== 1) throw errors.conflict('EVALUATION_CHANGED', '绩效评价已被他人修改，请刷新后再试');
    for (const a of input.actuals) {
      const patch: Record<string, unknown> = {};
      if (a.value !== undefined) patch.self_value = a.value === null ? null : a.value.trim();
      if (a.band !== undefined) patch.self_band = a.band;
      if (a.percent !== undefined) patch.self_percent = a.percent;
      if (a.gapExplanation !== undefined) patch.gap_explanation = a.gapExplanation;
      if (Object.keys(patch).length) await trx('performance_actuals').where({ id: a.actualId, evaluation_id: id }).update(patch);
    }
    await writeProjectEvent(trx, Number(row.project_id), actorOf(p), {
      kind: 'performance_self_saved',
      note: '保存绩效自评',
      data: { evaluationId: id, actuals: input.actuals.length },
    });
    return { version: input.version + 1 };
  });
}

/** 提交自评: every indicator has an actual; then the inbox completes the SelfEvaluation task. */
export async function submitSelfEvaluation(
  deps: EvaluationDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
  input: { comment?: string; signingPin?: string },
  from: { ip?: string } = {},
) {
  const { db } = deps;
  const row = await unitEvaluation(db, p, scope, id);
  const rows = await actualsOf(db, id);
  const missing = rows.filter((r) => (r.direction === 'qualitative' ? !r.self_band : !isDecimalText(r.self_value)));
  if (missing.length)
    throw errors.badRequest(
      'EVALUATION_INCOMPLETE',
      `还有 ${missing.length} 项指标未填报实际完成值：${missing.map((r) => r.name).join('、')}`,
      missing.map((r) => ({ field: `actuals.${r.id}`, message: `「${r.name}」未填报` })),
    );
  const task = await openTask(db, row, 'SelfEvaluation', p.userId);
  if (!task) throw errors.conflict('NO_TASK_FOR_YOU', '该绩效评价当前没有由您办理的自评任务');
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '提交绩效自评', from);
  await db('performance_evaluations').where('id', id).update({ submitted_at: new Date() });
  return completeTask(inboxDeps(deps), task.id, p, { confirm: true, ...(input.comment ? { comment: input.comment } : {}) }, signer);
}

const inboxDeps = (deps: EvaluationDeps): InboxDeps => ({ db: deps.db, engine: deps.engine, syncInstance: deps.syncInstance });

// Evidence: stored once under its SM3 (attachment_blobs, shared with the project library).

export async function addEvidence(
  db: Knex,
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
  file: { fileName: string; contentType: string; bytes: Buffer; actualId?: number | null },
) {
  const row = await unitEvaluation(db, p, scope, id);
  if (file.bytes.length === 0) throw errors.badRequest('EMPTY_FILE', '附件内容为空');
  if (file.bytes.length > MAX_ATTACHMENT_BYTES)
    throw new AppError(413, 'ATTACHMENT_TOO_LARGE', `附件不能超过 ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`);
  if (
    file.actualId !== undefined &&
    file.actualId !== null &&
    !(await db('performance_actuals').where({ id: file.actualId, evaluation_id: id }).first('id'))
  )
    throw errors.badRequest('EVALUATION_ACTUALS_INVALID', `指标 #${file.actualId} 不属于本次评价`, [
      { field: 'query.actualId', message: '指标不属于本次评价' },
    ]);
  const digest = sm3Hex(file.bytes);
  const now = new Date();
  return db.transaction(async (trx) => {
    if (!(await trx('attachment_blobs').where('sm3', digest).first('sm3')))
      await trx('attachment_blobs')
        .insert({ sm3: digest, size_bytes: file.bytes.length, content: file.bytes, created_at: now })
        .onConflict('sm3')
        .ignore();
    const [raw] = await trx('performance_evidence').insert({
      evaluation_id: id,
      actual_id: file.actualId ?? null,
      file_name: file.fileName,
      content_type: file.contentType,
      size_bytes: file.bytes.length,
      sm3: digest,
      uploaded_by: p.username,
      uploaded_at: now,
    });
    await writeProjectEvent(trx, Number(row.project_id), actorOf(p), {
      kind: 'performance_evidence_added',
      note: `上传绩效佐证材料「${file.fileName}」`,
      data: { evaluationId: id, evidenceId: Number(raw), sm3: digest },
    });
    return {
      id: Number(raw),
      actualId: file.actualId ?? null,
      fileName: file.fileName,
      contentType: file.contentType,
      sizeBytes: file.bytes.length,
      sm3: digest,
      uploadedBy: p.username,
      uploadedAt: toShanghaiIso(now),
    };
  });
}

export async function removeEvidence(db: Knex, p: Principal, scope: Knex.QueryBuilder, id: number, evidenceId: number): Promise<void> {
  await unitEvaluation(db, p, scope, id);
  const n = await db('performance_evidence')
    .where({ id: evidenceId, evaluation_id: id })
    .whereNull('removed_at')
    .update({ removed_at: new Date() });
  if (n !== 1) throw errors.notFound(`佐证材料 #${evidenceId} 不存在`);
}

export async function readEvidence(
  db: Knex,
  scope: Knex.QueryBuilder,
  id: number,
  evidenceId: number,
): Promise<{ fileName: string; contentType: string; sm3: string; bytes: Buffer }> {
  await visibleEvaluation(db, scope, id);
  const row = (await db('performance_evidence as e')
    .join('attachment_blobs as b', 'b.sm3', 'e.sm3')
    .where({ 'e.id': evidenceId, 'e.evaluation_id': id })
    .whereNull('e.removed_at')
    .first('e.file_name', 'e.content_type', 'e.sm3', 'b.content')) as
    { file_name: string; content_type: string; sm3: string; content: Buffer | Uint8Array } | undefined;
  if (!row) throw errors.notFound(`佐证材料 #${evidenceId} 不存在`);
  const bytes = Buffer.from(row.content);
  if (sm3Hex(bytes) !== row.sm3)
    throw new AppError(500, 'ATTACHMENT_CORRUPTED', `佐证材料「${row.file_name}」内容与登记的 SM3 摘要不符，已拒绝提供`);
  return { fileName: row.file_name, contentType: row.content_type, sm3: row.sm3, bytes };
}

// ---------------------------------------------------------------------------------------------
// 绩效处's review

export interface Adjustment {
  actualId: number;
  value?: string | null;
  band?: QualitativeBand | null;
  percent?: number | null;
  reason: string;
}

/** The adjustments as sealed in the review form: each names the indicator, the value before and after, and why. */
export interface SealedAdjustment {
  actualId: number;
  indicator: string;
  from: string | null;
  to: string | null;
  band: QualitativeBand | null;
  percent: number | null;
  reason: string;
}

/**
 * 审核: the reviewer's decision and the actuals they change (each with a reason) go into the
 * review task's form — sealed by the inbox's completion with the reviewer's PIN — and the scoring
 * step applies them from there. Nothing is written before the engine accepts.
 */
export async function reviewEvaluation(
  deps: EvaluationDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
  input: { decision: 'approve' | 'return'; comment?: string; adjustments: Adjustment[]; signingPin?: string },
  from: { ip?: string } = {},
) {
  const { db } = deps;
  const row = await visibleEvaluation(db, scope, id);
  if (row.status !== 'review')
    throw errors.conflict(
      'EVALUATION_NOT_IN_REVIEW',
      `绩效评价当前为「${EVALUATION_STATUS_LABELS[row.status] ?? row.status}」，不在审核环节`,
    );
  const rows = await actualsOf(db, id);
  const problems = actualProblems(rows, input.adjustments, 'body.adjustments', { requireReason: true });
  input.adjustments.forEach((a, i) => {
    const r = rows.find((x) => Number(x.id) === a.actualId);
    if (r && (r.direction === 'qualitative' ? !a.band : !isDecimalText(a.value)))
      problems.push({ field: `body.adjustments.${i}.value`, message: `请填写「${r.name}」调整后的实际值` });
  });
  if (problems.length) throw errors.badRequest('EVALUATION_ADJUSTMENTS_INVALID', '实际值调整有误，请按提示修改', problems);
  if (input.decision === 'return' && !(input.comment ?? '').trim())
    throw errors.badRequest('VALIDATION_FAILED', '退回时须说明原因', [{ field: 'body.comment', message: '退回时须说明原因' }]);
  const task = await openTask(db, row, 'Review', p.userId);
  if (!task) throw errors.conflict('NO_TASK_FOR_YOU', '该绩效评价当前没有由您办理的审核任务');
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '绩效评价审核', from);
  const sealed: SealedAdjustment[] = input.adjustments.map((a) => {
    const r = rows.find((x) => Number(x.id) === a.actualId)!;
    const q = r.direction === 'qualitative';
    return {
      actualId: a.actualId,
      indicator: r.name,
      from: q ? r.self_band : r.self_value,
      to: q ? (a.band ?? null) : (a.value ?? null),
      band: q ? (a.band ?? null) : null,
      percent: q ? (a.percent ?? null) : null,
      reason: a.reason.trim(),
    };
  });
  const data: Record<string, unknown> = { decision: input.decision };
  if (sealed.length) data.adjustments = JSON.stringify(sealed);
  if (input.comment?.trim()) data.comment = input.comment.trim();
  const result = await completeTask(inboxDeps(deps), task.id, p, data, signer);
  if (result.seal) await db('performance_evaluations').where('id', id).update({ review_audit_record_id: result.seal.auditRecordId });
  return result;
}

// ---------------------------------------------------------------------------------------------
// The workers' steps

/**
 * 计算得分 (topic performance.score): stage `self` scores the unit's actuals; stage `reviewed`
 * first applies the sealed adjustments of the review form, then scores what stands. The execution
 * comes from the ledger at this moment. Idempotent: scoring again gives the same result.
 */
export async function scoreStep(
  trx: Knex,
  input: {
    evaluationId: number;
    stage: 'self' | 'reviewed';
    adjustments: SealedAdjustment[];
    reviewerUserId: number | null;
    weights: ScoreWeights;
    externalThresholdFen: number;
  },
): Promise<{ score: number; scoreCenti: number; external: boolean }> {
  const row = await evaluationRow(trx, input.evaluationId);
  if (input.stage === 'reviewed') {
    for (const a of input.adjustments) {
      await trx('performance_actuals')
        .where({ id: a.actualId, evaluation_id: row.id })
        .update(
          a.band
            ? {
                reviewed_band: a.band,
                reviewed_percent: a.percent,
                reviewed_value: null,
                review_reason: a.reason,
                reviewed_by: input.reviewerUserId,
              }
            : { reviewed_value: a.to, review_reason: a.reason, reviewed_by: input.reviewerUserId },
        );
    }
  }
  const rows = await actualsOf(trx, row.id);
  const indicators: IndicatorInput[] = rows.map((r) => ({
    level1: r.level1,
    direction: r.direction,
    targetValue: r.target_value,
    actualValue: r.reviewed_value ?? r.self_value,
    band: (r.reviewed_band ?? r.self_band) as QualitativeBand | null,
    percent: r.reviewed_band ? r.reviewed_percent : r.self_percent,
  }));
  const execution = await projectExecution(trx, Number(row.project_id), Number(row.fiscal_year));
  const result = scoreEvaluation(indicators, execution, input.weights);
  for (const [i, r] of rows.entries())
    await trx('performance_actuals')
      .where('id', r.id)
      .update({ weight_centi: result.indicators[i]!.weightCenti, score_centi: result.indicators[i]!.scoreCenti });
  const external = input.stage === 'reviewed' && execution.issuedFen >= input.externalThresholdFen;
  await trx('performance_evaluations')
    .where('id', row.id)
    .update({
      issued_fen: execution.issuedFen,
      paid_fen: execution.paidFen,
      breakdown: JSON.stringify(result),
      ...(input.stage === 'self'
        ? { self_score_centi: result.totalCenti, status: 'review' }
        : { reviewed_score_centi: result.totalCenti, status: external ? 'external' : 'grading', external }),
      version: trx.raw('version + 1'),
    });
  await writeProjectEvent(trx, Number(row.project_id), WORKER_ACTOR, {
    kind: 'performance_scored',
    note: `${input.stage === 'self' ? '绩效自评得分' : '审核后得分'} ${(result.totalCenti / 100).toFixed(2)} 分（预算执行率 ${execution.issuedFen > 0 ? `${((result.execution.rateBasisPoints ?? 0) / 100).toFixed(2)}%` : '无下达指标'}，取自指标账）${input.adjustments.length && input.stage === 'reviewed' ? `；绩效处调整 ${input.adjustments.length} 项实际值` : ''}`,
    data: {
      evaluationId: row.id,
      stage: input.stage,
      totalCenti: result.totalCenti,
      issuedFen: execution.issuedFen,
      paidFen: execution.paidFen,
    },
  });
  return { score: result.totalCenti / 100, scoreCenti: result.totalCenti, external };
}

/** 退回 (topic performance.returned): back to the unit's self-evaluation. */
export async function returnStep(trx: Knex, evaluationId: number, comment: string | null): Promise<void> {
  const row = await evaluationRow(trx, evaluationId);
  if (row.status === 'self_evaluation') return;
  await trx('performance_evaluations')
    .where('id', evaluationId)
    .update({ status: 'self_evaluation', version: trx.raw('version + 1') });
  await writeProjectEvent(trx, Number(row.project_id), WORKER_ACTOR, {
    kind: 'performance_returned',
    note: `绩效处退回，请重新自评${comment ? `：${comment}` : ''}`,
    data: { evaluationId },
  });
}

/**
 * 抽取评价专家 (topic performance.draw-experts): the expert review's own draw
 * (domain/expert-review.ts drawExperts over server/expert-review/pool.ts loadPool, with its recusal
 * rules and the applicant chain of server/expert-review/review.ts), recorded in the audit chain with
 * its seed so it can be repeated. Redelivered, it answers the panel already drawn.
 */
export async function drawStep(
  trx: Knex,
  evaluationId: number,
  panelSize: number,
  now = new Date(),
): Promise<{ panelCount: number; panelUserIds: string }> {
  const row = await evaluationRow(trx, evaluationId);
  const project = (await trx('projects').where('id', row.project_id).first('id', 'unit_org_id', 'functional_code')) as {
    id: number;
    unit_org_id: number;
    functional_code: string;
  };
  const pool = await loadPool(trx, [specialtyOf(project.functional_code)]);
  const userOf = new Map(pool.map((e) => [e.id, e.userId]));
  if (row.panel !== null) {
    const ids = row.panel.split(',').filter(Boolean).map(Number);
    return { panelCount: ids.length, panelUserIds: ids.map((e) => userOf.get(e)).join(',') };
  }
  const applicants = await applicantsOf(trx, [Number(project.unit_org_id)]);
  const seed = newSeed((n) => crypto.randomBytes(n));
  const draw = drawExperts({
    seed,
    project: {
      id: Number(project.id),
      functionalCode: project.functional_code,
      applicantOrgIds: applicants.get(Number(project.unit_org_id)) ?? [Number(project.unit_org_id)],
    },
    pool,
    n: panelSize,
    reviewDate: shanghaiDate(now),
  });
  await trx('performance_evaluations')
    .where('id', evaluationId)
    .update({ panel: draw.drawn.join(',') });
  await appendAudit(trx, {
    kind: 'performance.draw',
    subjectType: 'performance_evaluation',
    subjectId: evaluationId,
    projectId: Number(project.id),
    actor: { userId: null, username: 'system' },
    data: {
      evaluationId,
      seed,
      algorithm: 'expert-draw:v1',
      panelSize,
      drawn: draw.drawn,
      eligible: draw.eligible,
      recused: draw.recused.map((r) => ({ expertId: r.expertId, rules: r.reasons.map((x) => x.rule) })),
    } as unknown as Json,
  });
  await writeProjectEvent(trx, Number(project.id), WORKER_ACTOR, {
    kind: 'performance_experts_drawn',
    note: `下达金额达到外部评价标准，已随机抽取 ${draw.drawn.length} 位评价专家`,
    data: { evaluationId, drawn: draw.drawn.length },
  });
  return { panelCount: draw.drawn.length, panelUserIds: draw.drawn.map((e) => userOf.get(e)).join(',') };
}

/**
 * 汇总外部评价得分 (topic performance.external-aggregate): the experts' scores by the method the
 * expert review's aggregation table chose (mean; trimmed mean from 5), exact in centi-points. The
 * external score is the final one; with no valid score the reviewed score stands.
 */
export async function aggregateStep(
  trx: Knex,
  input: { evaluationId: number; method: string; sum: number; min: number; max: number; count: number },
): Promise<{ score: number; scoreCenti: number }> {
  const row = await evaluationRow(trx, input.evaluationId);
  const sumC = Math.round(input.sum * 100);
  let external: number | null = null;
  if (input.count > 0 && input.method !== 'none') {
    external =
      input.method === 'trimmed_mean' && input.count >= 3
        ? Math.floor((2 * (sumC - Math.round(input.min * 100) - Math.round(input.max * 100)) + (input.count - 2)) / (2 * (input.count - 2)))
        : Math.floor((2 * sumC + input.count) / (2 * input.count));
  }
  const finalCenti = external ?? Number(row.reviewed_score_centi ?? 0);
  await trx('performance_evaluations')
    .where('id', row.id)
    .update({ external_score_centi: external, status: 'grading', version: trx.raw('version + 1') });
  return { score: finalCenti / 100, scoreCenti: finalCenti };
}

/**
 * 记录评价结果 (topic performance.record-grade): the project's score and grade; then the unit's
 * grade of the year in performance_grades, which next year's allocation reads — the worst grade
 * of the unit's evaluated projects of that year (无效必问责: one poor project is not averaged
 * away), with the amount-weighted mean score beside it.
 */
export async function recordGradeStep(
  trx: Knex,
  input: { evaluationId: number; grade: string; processInstanceId: string },
  now = new Date(),
): Promise<void> {
  if (!(GRADES as readonly string[]).includes(input.grade)) throw new Error(`performance-grade answered ${input.grade}`);
  const grade = input.grade as Grade;
  const row = await evaluationRow(trx, input.evaluationId);
  const finalCenti = row.external_score_centi ?? row.reviewed_score_centi ?? row.self_score_centi ?? 0;
  if (row.status !== 'graded') {
    await trx('performance_evaluations')
      .where('id', row.id)
      .update({ final_score_centi: finalCenti, grade, status: 'graded', graded_at: now, version: trx.raw('version + 1') });
    await writeProjectEvent(trx, Number(row.project_id), WORKER_ACTOR, {
      kind: 'performance_graded',
      note: `${row.fiscal_year} 年度绩效评价：${(Number(finalCenti) / 100).toFixed(2)} 分，等级「${GRADE_LABELS[grade]}」`,
      data: { evaluationId: row.id, scoreCenti: Number(finalCenti), grade },
    });
  }
  const graded = (await trx('performance_evaluations')
    .where({ unit_org_id: row.unit_org_id, fiscal_year: row.fiscal_year, status: 'graded' })
    .select('id', 'grade', 'final_score_centi', 'issued_fen')) as Array<{
    id: number;
    grade: Grade;
    final_score_centi: number;
    issued_fen: number | string | null;
  }>;
  const worst = graded.reduce((w, e) => (GRADE_ORDER[e.grade] > GRADE_ORDER[w] ? e.grade : w), 'excellent' as Grade);
  const weight = graded.reduce((s, e) => s + BigInt(Math.max(1, Number(e.issued_fen ?? 0))), 0n);
  const weighted = graded.reduce((s, e) => s + BigInt(Number(e.final_score_centi)) * BigInt(Math.max(1, Number(e.issued_fen ?? 0))), 0n);
  const unitScore = weight > 0n ? Number((weighted * 2n + weight) / (2n * weight)) : null;
  const source = `evaluation:${graded
    .map((e) => e.id)
    .sort((a, b) => a - b)
    .join(',')}`.slice(0, 100);
  const existing = await trx('performance_grades').where({ fiscal_year: row.fiscal_year, unit_org_id: row.unit_org_id }).first('id');
  if (existing)
    await trx('performance_grades')
      .where({ fiscal_year: row.fiscal_year, unit_org_id: row.unit_org_id })
      .update({ grade: worst, score_centi: unitScore, source, recorded_at: now });
  else
    await trx('performance_grades').insert({
      fiscal_year: row.fiscal_year,
      unit_org_id: row.unit_org_id,
      grade: worst,
      score_centi: unitScore,
      source,
      recorded_at: now,
    });
  await appendAudit(trx, {
    kind: 'performance.grade',
    subjectType: 'performance_evaluation',
    subjectId: Number(row.id),
    projectId: Number(row.project_id),
    actor: { userId: null, username: 'system' },
    data: {
      evaluationId: Number(row.id),
      fiscalYear: Number(row.fiscal_year),
      scoreCenti: Number(finalCenti),
      grade,
      unitGrade: worst,
      unitScoreCenti: unitScore,
    },
  });
  await endProcessInstance(trx, input.processInstanceId, grade);
  const project = (await trx('projects').where('id', row.project_id).first('name', 'project_no', 'created_by')) as {
    name: string;
    project_no: string;
    created_by: number | null;
  };
  if (project.created_by) {
    await notify(trx, {
      userIds: [Number(project.created_by)],
      template: 'performance-graded',
      context: {
        projectName: project.name,
        projectNo: project.project_no,
        fiscalYear: row.fiscal_year,
        score: (Number(finalCenti) / 100).toFixed(2),
        grade: GRADE_LABELS[grade],
      },
      link: `/performance/results/${row.id}`,
      dedupeKey: `perf-graded:${row.id}`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The report

export interface EvaluationReport {
  evaluationId: number;
  fiscalYear: number;
  projectNo: string;
  projectName: string;
  unitName: string;
  issued: string;
  paid: string;
  executionRate: string;
  selfScore: string;
  reviewedScore: string;
  externalScore: string | null;
  finalScore: string;
  grade: string;
  gradedAt: string;
  indicators: Array<{ name: string; level: string; target: string; actual: string; weight: string; score: string; reason: string | null }>;
  executionWeight: string;
  executionScore: string;
  /** The reviewer's sealed decision (the review task's completion record), when sealed. */
  reviewTaskId: number | null;
}

const points = (c: number | null | undefined) => (c === null || c === undefined ? '—' : (Number(c) / 100).toFixed(2));

export async function evaluationReport(db: Knex, scope: Knex.QueryBuilder, id: number): Promise<EvaluationReport> {
  const row = await visibleEvaluation(db, scope, id);
  if (row.status !== 'graded') throw errors.conflict('EVALUATION_NOT_GRADED', '绩效评价尚未评定等级，还没有评价报告');
  const project = (await db('projects as p')
    .join('organisations as o', 'o.id', 'p.unit_org_id')
    .where('p.id', row.project_id)
    .first('p.project_no', 'p.name', 'o.name as unit_name')) as { project_no: string; name: string; unit_name: string };
  const actuals = await actualsOf(db, id);
  const breakdown = row.breakdown ? (JSON.parse(row.breakdown) as ScoreResult) : null;
  const reviewTask = row.process_instance_key
    ? ((await db('inbox_tasks')
        .where({ process_instance_key: row.process_instance_key, element_id: 'Review', status: 'completed' })
        .orderBy('id', 'desc')
        .first('id')) as { id: number } | undefined)
    : undefined;
  const issued = Number(row.issued_fen ?? 0);
  const paid = Number(row.paid_fen ?? 0);
  return {
    evaluationId: Number(row.id),
    fiscalYear: Number(row.fiscal_year),
    projectNo: project.project_no,
    projectName: project.name,
    unitName: project.unit_name,
    issued: formatYuan(issued),
    paid: formatYuan(paid),
    executionRate: issued > 0 ? `${((rateBasisPoints(paid, issued) ?? 0) / 100).toFixed(2)}%` : '无下达指标',
    selfScore: points(row.self_score_centi),
    reviewedScore: points(row.reviewed_score_centi),
    externalScore: row.external_score_centi === null ? null : points(row.external_score_centi),
    finalScore: points(row.final_score_centi),
    grade: row.grade ? GRADE_LABELS[row.grade] : '—',
    gradedAt: row.graded_at ? toShanghaiIso(readInstant(row.graded_at)).slice(0, 19).replace('T', ' ') : '',
    indicators: actuals.map((a) => {
      const v = indicatorView(a);
      return {
        name: a.name,
        level: `${a.level1}/${a.level2}`,
        target: `${v.directionLabel} ${a.target_value}${a.unit ? ` ${a.unit}` : ''}`,
        actual: `${v.effective ?? '—'}${!v.qualitative && a.unit ? ` ${a.unit}` : ''}`,
        weight: points(v.weightCenti),
        score: points(v.scoreCenti),
        reason: a.review_reason,
      };
    }),
    executionWeight: points(breakdown?.execution.weightCenti),
    executionScore: points(breakdown?.execution.scoreCenti),
    reviewTaskId: reviewTask ? Number(reviewTask.id) : null,
  };
}
