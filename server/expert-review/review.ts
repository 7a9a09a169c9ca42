import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Json } from '../../domain/canonical-json';
import {
  aggregateCenti,
  AGGREGATION_LABELS,
  bandLabel,
  drawExperts,
  durationSeconds,
  fromCenti,
  newSeed,
  specialtyOf,
  type AggregationMethod,
  type Criterion,
  type PoolExpert,
  type ReviewedProject,
} from '../../domain/expert-review';
import { STATUS_LABELS, type ProjectStatus } from '../../domain/projects';
import { shanghaiDate } from '../../domain/time';
import { errors } from '../errors';
import { appendAudit, SYSTEM_ACTOR } from '../audit/chain';
import type { Principal } from '../auth/service';
import { forUpdate, readInstant } from '../db';
import type { EngineClient } from '../engine/client';
import { isEngineError } from '../engine/client';
import { namespaced } from '../engine/namespace';
import { formRegistry } from '../forms';
import { notify } from '../notifications/service';
import { changeStatus, writeProjectEvent, type Actor } from '../projects/service';
import type { KeyStore, Signer } from '../seals/key-store';
import { seal, signerFor } from '../seals/seal';
import { loadPool } from './pool';

/**
 * 评审批次 and the expert's assignments: the use cases of the API (open a batch with its draw,
 * respond, score, confirm, remind) and of the workers of processes/expert-review*.bpmn (load the
 * panel, draw a replacement, collect, aggregate, record, publish). The engine owns the flow; this
 * module owns the data: who was drawn for which seat, what they answered, their sealed sheets.
 *
 * Blind scoring: an expert reaches only their own assignments (by user id); nothing here answers
 * another expert's sheet to an expert, and experts hold no permission that reads projects, batches
 * or the audit chain. Recused experts are never drawn, so they have no assignment to reach.
 */

export const BATCH_PROCESS = 'expert-review';
export const SCORE_FORM = 'expert-review-score';

export interface ReviewDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
}

const whoOf = (p: Principal) => ({
  userId: p.userId,
  username: p.username,
  displayName: p.displayName,
  orgId: p.orgId,
  orgName: p.orgName,
});
const actorOf = (p: Principal): Actor => ({ userId: p.userId, username: p.username, displayName: p.displayName });
const WORKER_ACTOR: Actor = { userId: null, username: 'worker:expert-review', displayName: '流程引擎' };

/** The criteria of the score form (forms/expert-review-score.json): each number field, its maximum the weight. */
export function scoreCriteria(): Criterion[] {
  const form = formRegistry().get(SCORE_FORM);
  if (!form) throw new Error(`form ${SCORE_FORM} is missing`);
  return form.fields
    .filter((f) => f.type === 'number')
    .map((f) => ({ key: f.key, label: f.label, max: (f as { max?: number }).max ?? 100 }));
}

function engineDown(err: unknown): never {
  if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时不可用，本次操作未生效，请稍后重试');
  throw err;
}

// ---------------------------------------------------------------------------------------------
// Opening a batch: the draw

export interface OpenBatchInput {
  name: string;
  fiscalYear: number;
  sector?: string | null;
  projectIds: number[];
  panelSize: number;
  respondWithin: string;
  scoreWithin: string;
  /** Given to repeat a recorded draw (32 hex digits); otherwise a fresh random seed. */
  seed?: string;
  signingPin?: string;
}

/** The applicant unit and the organisations above it that apply for or supervise (not the finance bureau). */
export async function applicantsOf(db: Knex, unitOrgIds: number[]): Promise<Map<number, number[]>> {
  const units = (await db('organisations').whereIn('id', unitOrgIds).select('id', 'path')) as Array<{ id: number; path: string }>;
  const ancestorIds = [...new Set(units.flatMap((u) => u.path.split('/').filter(Boolean).map(Number)))];
  const kinds = new Map(
    ((await db('organisations').whereIn('id', ancestorIds).select('id', 'kind')) as Array<{ id: number; kind: string }>).map((o) => [
      Number(o.id),
      o.kind,
    ]),
  );
  const map = new Map<number, number[]>();
  for (const u of units) {
    const chain = u.path.split('/').filter(Boolean).map(Number).reverse(); // unit first
    map.set(
      Number(u.id),
      chain.filter((id) => id === Number(u.id) || kinds.get(id) === 'department'),
    );
  }
  return map;
}

export interface ProjectForReview {
  id: number;
  name: string;
  project_no: string;
  unit_org_id: number;
  functional_code: string;
  fiscal_year: number;
  status: ProjectStatus;
}

export async function openBatch(
  deps: ReviewDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  input: OpenBatchInput,
  now = new Date(),
): Promise<{ id: number; seed: string; processInstanceId: string }> {
  const { db } = deps;
  for (const [field, value] of [
    ['respondWithin', input.respondWithin],
    ['scoreWithin', input.scoreWithin],
  ] as const) {
    if (durationSeconds(value) === null)
      throw errors.badRequest('INVALID_DURATION', '期限应为 ISO 8601 时长（如 P3D 三天、PT12H 十二小时），不超过 90 天', [
        { field: `body.${field}`, message: '格式不正确' },
      ]);
  }
  // The PIN first: a wrong one changes nothing (server/seals/seal.ts signerFor).
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '开启评审批次');
  const ids = [...new Set(input.projectIds)];
  const projects = (await db('projects')
    .whereIn('id', ids)
    .whereIn('unit_org_id', scope)
    .select('id', 'name', 'project_no', 'unit_org_id', 'functional_code', 'fiscal_year', 'status')) as ProjectForReview[];
  const problems: Array<{ field: string; message: string }> = [];
  ids.forEach((id, i) => {
    const pr = projects.find((x) => Number(x.id) === id);
    if (!pr) problems.push({ field: `body.projectIds.${i}`, message: `项目 #${id} 不存在或不在您的数据范围内` });
    else if (pr.status !== 'reserved')
      problems.push({
        field: `body.projectIds.${i}`,
        message: `${pr.name}：状态为「${STATUS_LABELS[pr.status]}」，只有已入库（储备）的项目可以评审`,
      });
    else if (Number(pr.fiscal_year) !== input.fiscalYear)
      problems.push({
        field: `body.projectIds.${i}`,
        message: `${pr.name}：预算年度为 ${pr.fiscal_year}，与批次年度 ${input.fiscalYear} 不同`,
      });
    else if (input.sector && specialtyOf(pr.functional_code) !== input.sector)
      problems.push({
        field: `body.projectIds.${i}`,
        message: `${pr.name}：功能分类 ${pr.functional_code} 不属于批次的领域 ${input.sector}`,
      });
  });
  const busy = (await db('expert_review_projects as r')
    .join('expert_review_batches as b', 'b.id', 'r.batch_id')
    .whereIn('r.project_id', ids)
    .whereNot('b.status', 'confirmed')
    .select('r.project_id', 'b.name')) as Array<{ project_id: number; name: string }>;
  for (const b of busy)
    problems.push({
      field: `body.projectIds.${ids.indexOf(Number(b.project_id))}`,
      message: `项目 #${b.project_id} 已在评审批次「${b.name}」中`,
    });
  if (problems.length) throw errors.badRequest('BATCH_PROJECTS_INVALID', '所选项目中有不能纳入本批次的，请按提示调整', problems);

  const seed = input.seed ?? newSeed((n) => crypto.randomBytes(n));
  return db.transaction(async (trx) => {
    const { batchId, reviewIds, projectIds } = await drawBatch(trx, {
      p,
      signer,
      input,
      projects: ids.map((id) => projects.find((x) => Number(x.id) === id)!),
      seed,
      now,
    });
    let started;
    try {
      started = await deps.engine.startProcess(namespaced(deps.namespace, BATCH_PROCESS), {
        businessKey: `expert-batch:${batchId}`,
        variables: {
          batchId,
          reviewIds: reviewIds.join(','),
          projectIds: projectIds.join(','),
          projectCount: reviewIds.length,
          respondWithin: input.respondWithin,
          scoreWithin: input.scoreWithin,
        },
      });
    } catch (err) {
      engineDown(err);
    }
    await trx('expert_review_batches').where('id', batchId).update({ process_instance_key: started.id });
    return { id: batchId, seed, processInstanceId: started.id };
  });
}

/**
 * The draw and its records, in the caller's transaction: the batch, each project's review and
 * seats, the draw as an audit record (sealed by the opener when they have a key), the applicant's
 * timeline, the invitations. openBatch runs it and then starts the engine; bench/expert-draw.ts
 * measures it alone.
 */
export async function drawBatch(
  trx: Knex,
  args: {
    p: Principal;
    signer: Signer | null;
    input: Pick<OpenBatchInput, 'name' | 'fiscalYear' | 'sector' | 'panelSize' | 'respondWithin' | 'scoreWithin'>;
    projects: ProjectForReview[];
    seed: string;
    now: Date;
  },
): Promise<{ batchId: number; reviewIds: number[]; projectIds: number[] }> {
  const { p, signer, input, seed, now } = args;
  const ordered = args.projects;
  const reviewDate = shanghaiDate(now);
  const applicants = await applicantsOf(trx, [...new Set(ordered.map((x) => Number(x.unit_org_id)))]);
  const pool = await loadPool(trx, [...new Set(ordered.map((x) => specialtyOf(x.functional_code)))]);
  const userOf = new Map(pool.map((e) => [e.id, e.userId!]));

  const [rawBatch] = await trx('expert_review_batches').insert({
    name: input.name,
    fiscal_year: input.fiscalYear,
    sector: input.sector ?? null,
    panel_size: input.panelSize,
    seed,
    respond_within: input.respondWithin,
    score_within: input.scoreWithin,
    status: 'reviewing',
    opened_by: p.userId,
    opened_at: now,
  });
  const batchId = Number(rawBatch);
  const reviewIds: number[] = [];
  for (const pr of ordered) {
    const project: ReviewedProject = {
      id: Number(pr.id),
      functionalCode: pr.functional_code,
      applicantOrgIds: applicants.get(Number(pr.unit_org_id)) ?? [Number(pr.unit_org_id)],
    };
    const draw = drawExperts({ seed, project, pool, n: input.panelSize, reviewDate });
    const [rawReview] = await trx('expert_review_projects').insert({ batch_id: batchId, project_id: project.id, status: 'reviewing' });
    const reviewId = Number(rawReview);
    reviewIds.push(reviewId);
    if (draw.drawn.length) {
      await trx('expert_assignments').insert(
        draw.drawn.map((expertId, slot) => ({
          review_id: reviewId,
          batch_id: batchId,
          project_id: project.id,
          slot,
          round: 0,
          expert_id: expertId,
          expert_user_id: userOf.get(expertId)!,
          status: 'invited',
          invited_at: now,
        })),
      );
    }
    const record: Json = {
      batchId,
      reviewId,
      projectId: project.id,
      seed,
      algorithm: 'expert-draw:v1',
      reviewDate,
      panelSize: input.panelSize,
      specialty: specialtyOf(project.functionalCode),
      applicantOrgIds: [...project.applicantOrgIds],
      eligible: draw.eligible,
      drawn: draw.drawn,
      recused: draw.recused.map((r) => ({
        expertId: r.expertId,
        reasons: r.reasons.map((x) => ({ rule: x.rule, orgId: x.orgId, relative: x.relative })),
      })),
    };
    // The draw sealed by the person who opened the batch (their SM2 key, when enrolled), in the chain.
    const appended = signer
      ? await seal(trx, signer, {
          what: 'expert-review.draw',
          who: whoOf(p),
          decision: record,
          subjectType: 'expert_review_project',
          subjectId: reviewId,
          projectId: project.id,
        })
      : await appendAudit(trx, {
          kind: 'expert-review.draw',
          subjectType: 'expert_review_project',
          subjectId: reviewId,
          projectId: project.id,
          actor: { userId: p.userId, username: p.username },
          data: record,
        });
    await trx('expert_review_projects').where('id', reviewId).update({ draw_audit_record_id: appended.id });
    // The applicant's timeline says a review began, never who was drawn.
    await writeProjectEvent(trx, project.id, actorOf(p), {
      kind: 'expert_review_started',
      note: `纳入评审批次「${input.name}」，已随机抽取 ${draw.drawn.length} 位评审专家`,
      data: { batchId, drawn: draw.drawn.length },
    });
    await notifyInvited(
      trx,
      draw.drawn.map((id) => userOf.get(id)!),
      pr,
      input.name,
      `${batchId}:${reviewId}:0`,
    );
  }
  return { batchId, reviewIds, projectIds: ordered.map((x) => Number(x.id)) };
}

async function notifyInvited(
  trx: Knex,
  userIds: number[],
  pr: { name: string; project_no: string },
  batchName: string,
  dedupe: string,
): Promise<void> {
  if (!userIds.length) return;
  await notify(trx, {
    userIds,
    template: 'expert-review-invited',
    context: { projectName: pr.name, projectNo: pr.project_no, batchName },
    link: '/my-reviews',
    dedupeKey: `expert-invite:${dedupe}`,
  });
}

// ---------------------------------------------------------------------------------------------
// The batch as the review centre sees it

export interface BatchSummary {
  id: number;
  name: string;
  fiscalYear: number;
  sector: string | null;
  panelSize: number;
  status: string;
  statusLabel: string;
  projectCount: number;
  scoredCount: number;
  openedAt: Date;
  openedBy: string;
  confirmedAt: Date | null;
}

export const BATCH_STATUS_LABELS: Record<string, string> = { reviewing: '评审中', awaiting_confirmation: '待确认', confirmed: '已确认' };
export const ASSIGNMENT_STATUS_LABELS: Record<string, string> = {
  invited: '待答复',
  accepted: '评分中',
  declined: '已谢绝',
  timed_out: '逾期未答复',
  submitting: '评分提交中',
  submitted: '已提交评分',
};

interface BatchRow {
  id: number;
  name: string;
  fiscal_year: number;
  sector: string | null;
  panel_size: number;
  seed: string;
  respond_within: string;
  score_within: string;
  status: string;
  process_instance_key: string | null;
  opened_by: number;
  opened_at: unknown;
  confirmed_by: number | null;
  confirmed_at: unknown;
  confirm_comment: string | null;
  opened_by_name?: string;
}

/**
 * A batch is inside a person's scope when every project in it is (openBatch takes only projects of
 * the opener's scope): another province's batches, their projects and panels answer 404.
 */
function outsideScope(db: Knex, scope: Knex.QueryBuilder) {
  return db('expert_review_projects as sr')
    .join('projects as sp', 'sp.id', 'sr.project_id')
    .whereRaw('sr.batch_id = b.id')
    .whereNotIn('sp.unit_org_id', scope.clone())
    .select(db.raw('1'));
}

export async function listBatches(
  db: Knex,
  q: { page: number; pageSize: number; status?: string },
  scope: Knex.QueryBuilder,
): Promise<{ items: BatchSummary[]; total: number; page: number; pageSize: number }> {
  const base = db('expert_review_batches as b').whereNotExists(outsideScope(db, scope));
  if (q.status) base.where('b.status', q.status);
  const total = Number(((await base.clone().count({ n: '*' }).first()) as { n: number | string }).n);
  const rows = (await base
    .clone()
    .join('users as u', 'u.id', 'b.opened_by')
    .orderBy('b.id', 'desc')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .select('b.*', 'u.display_name as opened_by_name')) as BatchRow[];
  const ids = rows.map((r) => r.id);
  const counts = (
    ids.length
      ? await db('expert_review_projects')
          .whereIn('batch_id', ids)
          .groupBy('batch_id')
          .select('batch_id')
          .count({ n: '*' })
          .sum({ scored: db.raw("CASE WHEN status <> 'reviewing' THEN 1 ELSE 0 END") })
      : []
  ) as Array<{ batch_id: number; n: number | string; scored: number | string | null }>;
  return {
    items: rows.map((r) => {
      const c = counts.find((x) => Number(x.batch_id) === Number(r.id));
      return {
        id: Number(r.id),
        name: r.name,
        fiscalYear: Number(r.fiscal_year),
        sector: r.sector,
        panelSize: Number(r.panel_size),
        status: r.status,
        statusLabel: BATCH_STATUS_LABELS[r.status] ?? r.status,
        projectCount: Number(c?.n ?? 0),
        scoredCount: Number(c?.scored ?? 0),
        openedAt: readInstant(r.opened_at),
        openedBy: r.opened_by_name ?? '',
        confirmedAt: r.confirmed_at ? readInstant(r.confirmed_at) : null,
      };
    }),
    total,
    page: q.page,
    pageSize: q.pageSize,
  };
}

/** The batch with its projects and panels; undefined when it does not exist or (with a scope) lies outside it. */
export async function getBatch(db: Knex, id: number, scope: Knex.QueryBuilder | undefined) {
  const q = db('expert_review_batches as b').join('users as u', 'u.id', 'b.opened_by').where('b.id', id);
  if (scope) q.whereNotExists(outsideScope(db, scope));
  const b = (await q.first('b.*', 'u.display_name as opened_by_name')) as BatchRow | undefined;
  if (!b) return undefined;
  const reviews = (await db('expert_review_projects as r')
    .join('projects as p', 'p.id', 'r.project_id')
    .join('organisations as o', 'o.id', 'p.unit_org_id')
    .where('r.batch_id', id)
    .orderBy('r.id')
    .select('r.*', 'p.name as project_name', 'p.project_no', 'p.functional_code', 'p.total_amount_fen', 'o.name as unit_name')) as Array<{
    id: number;
    project_id: number;
    status: string;
    score_count: number | null;
    aggregation_method: AggregationMethod | null;
    score_centi: number | null;
    band: string | null;
    draw_audit_record_id: number | null;
    project_name: string;
    project_no: string;
    functional_code: string;
    total_amount_fen: number | string;
    unit_name: string;
  }>;
  const assignments = (await db('expert_assignments as a')
    .join('experts as e', 'e.id', 'a.expert_id')
    .leftJoin('expert_score_sheets as s', 's.assignment_id', 'a.id')
    .where('a.batch_id', id)
    .orderBy(['a.review_id', 'a.slot', 'a.round'])
    .select(
      'a.*',
      'e.name as expert_name',
      'e.code as expert_code',
      'e.organisation_name',
      's.total_centi',
      's.sealed',
      's.audit_record_id',
    )) as Array<{
    id: number;
    review_id: number;
    slot: number;
    round: number;
    status: string;
    decline_reason: string | null;
    invited_at: unknown;
    responded_at: unknown;
    submitted_at: unknown;
    reminded_at: unknown;
    expert_name: string;
    expert_code: string;
    organisation_name: string;
    total_centi: number | null;
    sealed: unknown;
    audit_record_id: number | null;
  }>;
  const at = (v: unknown) => (v ? readInstant(v) : null);
  return {
    id: Number(b.id),
    name: b.name,
    fiscalYear: Number(b.fiscal_year),
    sector: b.sector,
    panelSize: Number(b.panel_size),
    seed: b.seed,
    respondWithin: b.respond_within,
    scoreWithin: b.score_within,
    status: b.status,
    statusLabel: BATCH_STATUS_LABELS[b.status] ?? b.status,
    processInstanceId: b.process_instance_key,
    openedAt: readInstant(b.opened_at),
    openedBy: b.opened_by_name ?? '',
    confirmedAt: at(b.confirmed_at),
    confirmComment: b.confirm_comment,
    canConfirm: b.status === 'awaiting_confirmation',
    projects: reviews.map((r) => ({
      reviewId: Number(r.id),
      projectId: Number(r.project_id),
      projectName: r.project_name,
      projectNo: r.project_no,
      unitName: r.unit_name,
      functionalCode: r.functional_code,
      totalAmountFen: Number(r.total_amount_fen),
      status: r.status,
      scoreCount: r.score_count === null ? null : Number(r.score_count),
      aggregationMethod: r.aggregation_method,
      aggregationLabel: r.aggregation_method ? AGGREGATION_LABELS[r.aggregation_method] : null,
      score: r.score_centi === null ? null : fromCenti(Number(r.score_centi)),
      band: r.band,
      bandLabel: r.status === 'reviewing' ? null : bandLabel(r.band),
      drawAuditRecordId: r.draw_audit_record_id === null ? null : Number(r.draw_audit_record_id),
      experts: assignments
        .filter((a) => Number(a.review_id) === Number(r.id))
        .map((a) => ({
          assignmentId: Number(a.id),
          seat: Number(a.slot) + 1,
          round: Number(a.round),
          expertName: a.expert_name,
          expertCode: a.expert_code,
          organisationName: a.organisation_name,
          status: a.status,
          statusLabel: ASSIGNMENT_STATUS_LABELS[a.status] ?? a.status,
          declineReason: a.decline_reason,
          invitedAt: at(a.invited_at),
          respondedAt: at(a.responded_at),
          submittedAt: at(a.submitted_at),
          remindedAt: at(a.reminded_at),
          // The review centre sees sheets only once the project's review is complete (not while experts still score).
          total: r.status !== 'reviewing' && a.total_centi !== null ? fromCenti(Number(a.total_centi)) : null,
          sealed: a.sealed === null || a.sealed === undefined ? null : Boolean(a.sealed),
          auditRecordId: a.audit_record_id === null ? null : Number(a.audit_record_id),
        })),
    })),
  };
}

/** 催办: reminds every expert whose invitation or scoring is open (at most hourly each). */
export async function remindBatch(db: Knex, p: Principal, batchId: number, now = new Date()): Promise<{ reminded: number }> {
  return db.transaction(async (trx) => {
    const b = (await trx('expert_review_batches').where('id', batchId).first('name', 'status')) as
      { name: string; status: string } | undefined;
    if (!b) throw errors.notFound(`评审批次 #${batchId} 不存在`);
    const open = (await trx('expert_assignments as a')
      .join('projects as pr', 'pr.id', 'a.project_id')
      .where('a.batch_id', batchId)
      .whereIn('a.status', ['invited', 'accepted'])
      .where((w) => w.whereNull('a.reminded_at').orWhere('a.reminded_at', '<', new Date(now.getTime() - 3600_000)))
      .select('a.id', 'a.expert_user_id', 'a.status', 'pr.name', 'pr.project_no')) as Array<{
      id: number;
      expert_user_id: number;
      status: string;
      name: string;
      project_no: string;
    }>;
    for (const a of open) {
      await notify(trx, {
        userIds: [Number(a.expert_user_id)],
        template: 'expert-review-reminder',
        context: {
          projectName: a.name,
          projectNo: a.project_no,
          batchName: b.name,
          step: a.status === 'invited' ? '答复评审邀请' : '提交评分',
          fromName: p.displayName,
        },
        link: `/my-reviews/${a.id}`,
      });
    }
    if (open.length)
      await trx('expert_assignments')
        .whereIn(
          'id',
          open.map((a) => a.id),
        )
        .update({ reminded_at: now });
    return { reminded: open.length };
  });
}

/** 绩效处 confirms the batch: the engine's ConfirmBatch task, completed with the confirmer's seal. */
export async function confirmBatch(
  deps: ReviewDeps,
  p: Principal,
  batchId: number,
  input: { comment?: string; signingPin?: string },
  now = new Date(),
): Promise<void> {
  const { db, engine } = deps;
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '确认评审结果');
  const b = (await db('expert_review_batches').where('id', batchId).first()) as BatchRow | undefined;
  if (!b) throw errors.notFound(`评审批次 #${batchId} 不存在`);
  if (b.status === 'confirmed') throw errors.conflict('BATCH_ALREADY_CONFIRMED', '该评审批次已确认');
  if (b.status !== 'awaiting_confirmation')
    throw errors.conflict('BATCH_NOT_READY', '该批次还有项目未评审完毕，全部项目评审完毕后才能确认');
  let task;
  try {
    [task] = await engine.tasks({ processInstanceId: b.process_instance_key!, taskDefinitionKey: 'ConfirmBatch' });
  } catch (err) {
    engineDown(err);
  }
  if (!task) throw errors.conflict('BATCH_NOT_READY', '流程引擎中尚无确认环节，请稍后刷新再试');
  const results = (await db('expert_review_projects')
    .where('batch_id', batchId)
    .orderBy('id')
    .select('project_id', 'score_centi', 'band', 'score_count', 'aggregation_method')) as Array<{
    project_id: number;
    score_centi: number | null;
    band: string | null;
    score_count: number | null;
    aggregation_method: string | null;
  }>;
  await db.transaction(async (trx) => {
    const n = await trx('expert_review_batches')
      .where({ id: batchId, status: 'awaiting_confirmation' })
      .update({ status: 'confirmed', confirmed_by: p.userId, confirmed_at: now, confirm_comment: input.comment ?? null });
    if (n !== 1) throw errors.conflict('BATCH_ALREADY_CONFIRMED', '该评审批次已确认');
    const decision: Json = {
      batchId,
      comment: input.comment ?? null,
      results: results.map((r) => ({
        projectId: Number(r.project_id),
        scoreCenti: r.score_centi === null ? null : Number(r.score_centi),
        band: r.band,
        scoreCount: r.score_count === null ? null : Number(r.score_count),
        method: r.aggregation_method,
      })),
    };
    try {
      await engine.retrying(() => engine.setAssignee(task.id, String(p.userId)));
      await engine.retrying(() => engine.completeTask(task.id, { comment: input.comment ?? null }));
    } catch (err) {
      if (isEngineError(err) && err.status === 404) throw errors.conflict('TASK_GONE', '该确认环节已由他人办理');
      engineDown(err);
    }
    if (signer)
      await seal(trx, signer, {
        what: 'expert-review.confirm',
        who: whoOf(p),
        processInstance: b.process_instance_key,
        element: 'ConfirmBatch',
        decision,
        form: { comment: input.comment ?? null },
        subjectType: 'expert_review_batch',
        subjectId: batchId,
      });
    else
      await appendAudit(trx, {
        kind: 'expert-review.confirm',
        subjectType: 'expert_review_batch',
        subjectId: batchId,
        actor: { userId: p.userId, username: p.username },
        data: decision,
      });
  });
}

// ---------------------------------------------------------------------------------------------
// The expert's own assignments

interface AssignmentRow {
  id: number;
  review_id: number;
  batch_id: number;
  project_id: number;
  slot: number;
  round: number;
  expert_id: number;
  expert_user_id: number;
  status: string;
  decline_reason: string | null;
  invited_at: unknown;
  responded_at: unknown;
  submitted_at: unknown;
}

function dueOf(from: unknown, iso: string): Date | null {
  const s = durationSeconds(iso);
  return from && s !== null ? new Date(readInstant(from).getTime() + s * 1000) : null;
}

export async function myAssignments(db: Knex, userId: number) {
  const rows = (await db('expert_assignments as a')
    .join('expert_review_batches as b', 'b.id', 'a.batch_id')
    .join('projects as p', 'p.id', 'a.project_id')
    .join('organisations as o', 'o.id', 'p.unit_org_id')
    .where('a.expert_user_id', userId)
    .orderBy('a.id', 'desc')
    .limit(200)
    .select(
      'a.*',
      'b.name as batch_name',
      'b.respond_within',
      'b.score_within',
      'p.name as project_name',
      'p.project_no',
      'p.functional_code',
      'p.total_amount_fen',
      'p.fiscal_year',
      'o.name as unit_name',
    )) as Array<
    AssignmentRow & {
      batch_name: string;
      respond_within: string;
      score_within: string;
      project_name: string;
      project_no: string;
      functional_code: string;
      total_amount_fen: number | string;
      fiscal_year: number;
      unit_name: string;
    }
  >;
  return rows.map((r) => ({
    id: Number(r.id),
    batchName: r.batch_name,
    projectName: r.project_name,
    projectNo: r.project_no,
    unitName: r.unit_name,
    fiscalYear: Number(r.fiscal_year),
    functionalCode: r.functional_code,
    totalAmountFen: Number(r.total_amount_fen),
    status: r.status,
    statusLabel: ASSIGNMENT_STATUS_LABELS[r.status] ?? r.status,
    invitedAt: readInstant(r.invited_at),
    dueAt:
      r.status === 'invited'
        ? dueOf(r.invited_at, r.respond_within)
        : r.status === 'accepted'
          ? dueOf(r.responded_at, r.score_within)
          : null,
  }));
}

async function mine(db: Knex, userId: number, id: number): Promise<AssignmentRow> {
  const row = (await db('expert_assignments').where({ id, expert_user_id: userId }).first()) as AssignmentRow | undefined;
  // Someone else's assignment answers like one that does not exist: ids cannot be guessed into.
  if (!row) throw errors.notFound('评审任务不存在');
  return row;
}

export async function myAssignment(db: Knex, userId: number, id: number) {
  const a = await mine(db, userId, id);
  const [summary] = (await myAssignments(db, userId)).filter((x) => x.id === Number(a.id));
  const out = summary ?? null;
  // Project content only while the expert takes part; never another expert's sheet.
  const active = ['invited', 'accepted', 'submitting', 'submitted'].includes(a.status);
  const project = active
    ? ((await db('projects').where('id', a.project_id).first('description', 'basis', 'start_date', 'end_date', 'category')) as {
        description: string;
        basis: string | null;
        start_date: string | null;
        end_date: string | null;
        category: string;
      })
    : null;
  const amounts = active
    ? ((await db('project_amounts')
        .where('project_id', a.project_id)
        .orderBy('economic_code')
        .select('economic_code', 'amount_fen')) as Array<{ economic_code: string; amount_fen: number | string }>)
    : [];
  const targets = active
    ? ((await db('project_targets')
        .where('project_id', a.project_id)
        .orderBy('id')
        .select('level1', 'level2', 'name', 'direction', 'target_value', 'unit')) as Array<Record<string, string>>)
    : [];
  const sheet = (await db('expert_score_sheets')
    .where('assignment_id', a.id)
    .first('scores', 'total_centi', 'comment', 'sealed', 'audit_record_id', 'submitted_at')) as
    | { scores: string; total_centi: number; comment: string; sealed: unknown; audit_record_id: number | null; submitted_at: unknown }
    | undefined;
  return {
    ...out!,
    project: project && {
      description: project.description,
      basis: project.basis,
      startDate: project.start_date,
      endDate: project.end_date,
      amounts: amounts.map((x) => ({ economicCode: x.economic_code, amountFen: Number(x.amount_fen) })),
      targets: targets.map((t) => ({
        level1: t.level1,
        level2: t.level2,
        name: t.name,
        direction: t.direction,
        targetValue: t.target_value,
        unit: t.unit,
      })),
    },
    criteria: scoreCriteria(),
    canRespond: a.status === 'invited',
    canScore: a.status === 'accepted',
    mySheet: sheet
      ? {
          scores: Object.fromEntries(Object.entries(JSON.parse(sheet.scores) as Record<string, number>).map(([k, v]) => [k, fromCenti(v)])),
          total: fromCenti(Number(sheet.total_centi)),
          comment: sheet.comment,
          sealed: Boolean(sheet.sealed),
          auditRecordId: sheet.audit_record_id === null ? null : Number(sheet.audit_record_id),
          submittedAt: readInstant(sheet.submitted_at),
        }
      : null,
  };
}

async function openTaskOf(deps: ReviewDeps, a: AssignmentRow, element: 'Respond' | 'Score') {
  const review = (await deps.db('expert_review_projects').where('id', a.review_id).first('process_instance_key')) as {
    process_instance_key: string | null;
  };
  if (!review.process_instance_key) throw errors.conflict('ASSIGNMENT_NOT_READY', '流程引擎尚未建立该评审任务，请稍后刷新再试');
  let tasks;
  try {
    tasks = await deps.engine.tasks({
      processInstanceId: review.process_instance_key,
      taskDefinitionKey: element,
      assignee: String(a.expert_user_id),
    });
  } catch (err) {
    engineDown(err);
  }
  const [task] = tasks;
  // Not (yet) in the engine: just drawn and the engine is still creating the task, or the answer
  // time has just run out and the replacement is under way; a moment later the status says which.
  if (!task) throw errors.conflict('ASSIGNMENT_NOT_READY', '评审任务正在流程引擎中处理，请稍后刷新再试');
  return { task, processInstanceId: review.process_instance_key };
}

export async function respond(
  deps: ReviewDeps,
  p: Principal,
  id: number,
  input: { decision: 'accept' | 'decline'; reason?: string },
  now = new Date(),
): Promise<void> {
  const a = await mine(deps.db, p.userId, id);
  if (a.status !== 'invited')
    throw errors.conflict('ASSIGNMENT_ANSWERED', `该邀请已${ASSIGNMENT_STATUS_LABELS[a.status] ?? '处理'}，不能再次答复`);
  const { task, processInstanceId } = await openTaskOf(deps, a, 'Respond');
  await deps.db.transaction(async (trx) => {
    const to = input.decision === 'accept' ? 'accepted' : 'declined';
    const n = await trx('expert_assignments')
      .where({ id, status: 'invited' })
      .update({ status: to, responded_at: now, decline_reason: input.decision === 'decline' ? (input.reason ?? null) : null });
    if (n !== 1) throw errors.conflict('ASSIGNMENT_ANSWERED', '该邀请已答复');
    try {
      await deps.engine.retrying(() => deps.engine.completeTask(task.id, { decision: input.decision }));
    } catch (err) {
      if (isEngineError(err) && err.status === 404) throw errors.conflict('ASSIGNMENT_GONE', '答复期限已过，该邀请已转给其他专家');
      engineDown(err);
    }
    await appendAudit(trx, {
      kind: `expert-review.${to}`,
      subjectType: 'expert_assignment',
      subjectId: id,
      projectId: Number(a.project_id),
      actor: { userId: p.userId, username: p.username },
      data: { reviewId: Number(a.review_id), seat: Number(a.slot), processInstance: processInstanceId, reason: input.reason ?? null },
    });
  });
}

export async function submitScore(
  deps: ReviewDeps,
  p: Principal,
  id: number,
  input: { scores: Record<string, number>; comment: string; signingPin?: string },
  now = new Date(),
): Promise<{ auditRecordId: number; sealed: boolean; total: number }> {
  const a = await mine(deps.db, p.userId, id);
  if (a.status === 'submitted' || a.status === 'submitting') throw errors.conflict('SCORE_ALREADY_SUBMITTED', '评分已提交，不能修改');
  if (a.status !== 'accepted') throw errors.conflict('ASSIGNMENT_NOT_ACCEPTED', '请先接受评审邀请再评分');
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '提交评分');
  const criteria = scoreCriteria();
  const centi = Object.fromEntries(criteria.map((c) => [c.key, Math.round(input.scores[c.key]! * 100)]));
  const total = Object.values(centi).reduce((s, v) => s + v, 0);
  const { task, processInstanceId } = await openTaskOf(deps, a, 'Score');
  // Phase 1: the sheet is stored (and the seat marked submitting) before the engine hears of it,
  // so the step that collects the sheets after the last one never misses it.
  const sheetId = await deps.db.transaction(async (trx) => {
    const n = await trx('expert_assignments').where({ id, status: 'accepted' }).update({ status: 'submitting', submitted_at: now });
    if (n !== 1) throw errors.conflict('SCORE_ALREADY_SUBMITTED', '评分已提交，不能修改');
    const [raw] = await trx('expert_score_sheets').insert({
      assignment_id: id,
      review_id: a.review_id,
      expert_id: a.expert_id,
      scores: JSON.stringify(centi),
      total_centi: total,
      comment: input.comment,
      sealed: false,
      audit_record_id: null,
      submitted_at: now,
    });
    return Number(raw);
  });
  try {
    await deps.engine.retrying(() => deps.engine.completeTask(task.id, {}));
  } catch (err) {
    // The engine did not take it: nothing was decided, the seat is open again.
    await deps.db.transaction(async (trx) => {
      await trx('expert_score_sheets').where('id', sheetId).delete();
      await trx('expert_assignments').where({ id, status: 'submitting' }).update({ status: 'accepted', submitted_at: null });
    });
    if (isEngineError(err) && err.status === 404) throw errors.conflict('ASSIGNMENT_GONE', '该评分任务已结束');
    engineDown(err);
  }
  // Phase 2: the sheet sealed (the expert's SM2 key) into the audit chain, after the engine accepted it.
  return deps.db.transaction(async (trx) => {
    const decision: Json = {
      assignmentId: id,
      reviewId: Number(a.review_id),
      projectId: Number(a.project_id),
      expertId: Number(a.expert_id),
      scoresCenti: centi,
      totalCenti: total,
      comment: input.comment,
    };
    const form: Json = { ...input.scores, comment: input.comment };
    const record = signer
      ? await seal(trx, signer, {
          what: 'expert-review.score',
          who: whoOf(p),
          processInstance: processInstanceId,
          element: 'Score',
          decision,
          form,
          subjectType: 'expert_assignment',
          subjectId: id,
          projectId: Number(a.project_id),
        })
      : await appendAudit(trx, {
          kind: 'expert-review.score',
          subjectType: 'expert_assignment',
          subjectId: id,
          projectId: Number(a.project_id),
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('expert_score_sheets')
      .where('id', sheetId)
      .update({ sealed: signer !== null, audit_record_id: record.id });
    await trx('expert_assignments').where({ id, status: 'submitting' }).update({ status: 'submitted' });
    return { auditRecordId: record.id, sealed: signer !== null, total: fromCenti(total) };
  });
}

// ---------------------------------------------------------------------------------------------
// The workers' steps (workers/expert-review-*.ts call these in their transaction)

export async function loadPanel(
  trx: Knex,
  reviewId: number,
  processInstanceId: string,
): Promise<{ panelSize: number; panelExpertIds: string }> {
  const review = (await trx('expert_review_projects').where('id', reviewId).first('id')) as { id: number } | undefined;
  // Not there yet: the batch's transaction has not committed (the API starts the engine inside it). Retry.
  if (!review) throw new Error(`expert review ${reviewId} not found (yet)`);
  await trx('expert_review_projects').where('id', reviewId).update({ process_instance_key: processInstanceId });
  const seats = (await trx('expert_assignments')
    .where({ review_id: reviewId, round: 0 })
    .orderBy('slot')
    .select('expert_user_id')) as Array<{ expert_user_id: number }>;
  return { panelSize: seats.length, panelExpertIds: seats.map((s) => String(s.expert_user_id)).join(',') };
}

/**
 * A seat's expert declined (the API marked it) or let the time run out (marked here): the next
 * expert in the seed's draw order who is eligible now (recusal applied again, with the ties as
 * they are today) and was not drawn for this project before takes the seat. Recorded in the
 * audit chain; no replacement left: the seat stays empty.
 */
export async function replaceExpert(
  trx: Knex,
  input: { reviewId: number; seat: number; reason: 'declined' | 'timed_out' },
  now = new Date(),
): Promise<{ seatFilled: boolean; seatExpertId: string | null }> {
  const review = (await trx('expert_review_projects as r')
    .join('expert_review_batches as b', 'b.id', 'r.batch_id')
    .join('projects as p', 'p.id', 'r.project_id')
    .where('r.id', input.reviewId)
    .first(
      'r.id',
      'r.batch_id',
      'r.project_id',
      'b.seed',
      'b.name as batch_name',
      'p.functional_code',
      'p.unit_org_id',
      'p.name',
      'p.project_no',
    )) as
    | {
        id: number;
        batch_id: number;
        project_id: number;
        seed: string;
        batch_name: string;
        functional_code: string;
        unit_org_id: number;
        name: string;
        project_no: string;
      }
    | undefined;
  if (!review) throw new Error(`expert review ${input.reviewId} not found`);
  const current = (await trx('expert_assignments')
    .where({ review_id: input.reviewId, slot: input.seat })
    .orderBy('round', 'desc')
    .first()) as AssignmentRow | undefined;
  if (!current) throw new Error(`expert review ${input.reviewId}: no expert in seat ${input.seat}`);
  if (input.reason === 'timed_out' && current.status === 'invited')
    await trx('expert_assignments').where({ id: current.id, status: 'invited' }).update({ status: 'timed_out', responded_at: now });
  const drawnBefore = new Set(
    ((await trx('expert_assignments').where('review_id', input.reviewId).select('expert_id')) as Array<{ expert_id: number }>).map((r) =>
      Number(r.expert_id),
    ),
  );
  const applicants = (await applicantsOf(trx, [Number(review.unit_org_id)])).get(Number(review.unit_org_id)) ?? [
    Number(review.unit_org_id),
  ];
  const pool: PoolExpert[] = await loadPool(trx, [specialtyOf(review.functional_code)]);
  const reviewDate = shanghaiDate(now);
  const draw = drawExperts({
    seed: review.seed,
    project: { id: Number(review.project_id), functionalCode: review.functional_code, applicantOrgIds: applicants },
    pool,
    n: 1,
    reviewDate,
    exclude: drawnBefore,
  });
  const next = draw.drawn[0];
  const round = Number(current.round) + 1;
  const userId = next === undefined ? null : pool.find((e) => e.id === next)!.userId!;
  if (next !== undefined) {
    await trx('expert_assignments').insert({
      review_id: input.reviewId,
      batch_id: review.batch_id,
      project_id: review.project_id,
      slot: input.seat,
      round,
      expert_id: next,
      expert_user_id: userId,
      status: 'invited',
      invited_at: now,
    });
    await notifyInvited(
      trx,
      [userId!],
      { name: review.name, project_no: review.project_no },
      review.batch_name,
      `${review.batch_id}:${input.reviewId}:${input.seat}:${round}`,
    );
  }
  await appendAudit(trx, {
    kind: 'expert-review.replacement',
    subjectType: 'expert_review_project',
    subjectId: input.reviewId,
    projectId: Number(review.project_id),
    actor: SYSTEM_ACTOR,
    data: {
      reviewId: input.reviewId,
      seat: input.seat,
      round,
      reason: input.reason,
      replacedExpertId: Number(current.expert_id),
      seed: review.seed,
      algorithm: 'expert-draw:v1',
      reviewDate,
      excluded: [...drawnBefore].sort((a, b) => a - b),
      drawn: next ?? null,
      eligible: draw.eligible,
      recused: draw.recused.map((r) => r.expertId),
    },
  });
  return { seatFilled: next !== undefined, seatExpertId: userId === null ? null : String(userId) };
}

export async function collectScores(trx: Knex, reviewId: number): Promise<{ scoreCount: number }> {
  const [row] = (await trx('expert_score_sheets').where('review_id', reviewId).count({ n: '*' })) as Array<{ n: number | string }>;
  const scoreCount = Number(row?.n ?? 0);
  await trx('expert_review_projects').where('id', reviewId).update({ score_count: scoreCount });
  return { scoreCount };
}

/** The project's score by the method the aggregation decision table chose; null when there is none. */
export async function aggregateScores(trx: Knex, reviewId: number, method: AggregationMethod): Promise<{ aggregateScore: number | null }> {
  const totals = (
    (await trx('expert_score_sheets').where('review_id', reviewId).select('total_centi')) as Array<{ total_centi: number }>
  ).map((r) => Number(r.total_centi));
  const centi = aggregateCenti(totals, method);
  await trx('expert_review_projects')
    .where('id', reviewId)
    .update({ aggregation_method: method, score_centi: centi, score_count: totals.length });
  return { aggregateScore: centi === null ? null : fromCenti(centi) };
}

/** The band the decision table gave, kept until 绩效处 confirms the batch. */
export async function recordResult(trx: Knex, reviewId: number, band: string | null, now = new Date()): Promise<void> {
  // The last two projects of a batch are often scored at the same moment, by two workers. Each
  // must see the other's result when it counts what is left, or both see one project still
  // reviewing and the batch never awaits confirmation (write skew; seen on MariaDB, whose plain
  // reads come from the transaction's snapshot). So the batch row is locked before anything is
  // read without a lock: the count below then reads after every earlier holder committed. Locking
  // reads only (no snapshot yet) until then; the review row first, the batch second, always.
  const r = (await forUpdate(trx, trx('expert_review_projects').where('id', reviewId)).first('batch_id')) as
    { batch_id: number } | undefined;
  if (!r) throw new Error(`expert review ${reviewId} not found`);
  await forUpdate(trx, trx('expert_review_batches').where('id', r.batch_id)).first('id');
  await trx('expert_review_projects').where('id', reviewId).update({ band, status: 'scored', scored_at: now });
  const [left] = (await trx('expert_review_projects').where({ batch_id: r.batch_id, status: 'reviewing' }).count({ n: '*' })) as Array<{
    n: number | string;
  }>;
  if (Number(left?.n ?? 0) === 0)
    await trx('expert_review_batches').where({ id: r.batch_id, status: 'reviewing' }).update({ status: 'awaiting_confirmation' });
}

/** After confirmation: each project's score and band on the project (where an allocation reads them) and its timeline. */
export async function publishResults(trx: Knex, batchId: number, now = new Date()): Promise<{ published: number }> {
  const reviews = (await trx('expert_review_projects')
    .where({ batch_id: batchId })
    .whereNot('status', 'confirmed')
    .select('id', 'project_id', 'score_centi', 'band', 'score_count', 'aggregation_method')) as Array<{
    id: number;
    project_id: number;
    score_centi: number | null;
    band: string | null;
    score_count: number | null;
    aggregation_method: AggregationMethod | null;
  }>;
  for (const r of reviews) {
    const score = r.score_centi === null ? null : fromCenti(Number(r.score_centi));
    const note = score === null ? '专家评审结束：无有效评分' : `专家评审得分 ${score.toFixed(2)} 分，结论：${bandLabel(r.band)}`;
    const data = {
      batchId,
      score,
      band: r.band,
      bandLabel: bandLabel(r.band),
      scoreCount: Number(r.score_count ?? 0),
      method: r.aggregation_method,
    };
    await trx('projects')
      .where('id', r.project_id)
      .update({ expert_score_centi: r.score_centi, expert_band: r.band, expert_batch_id: batchId, expert_scored_at: now });
    const project = (await trx('projects').where('id', r.project_id).first('status')) as { status: ProjectStatus };
    if (project.status === 'reserved')
      await changeStatus(trx, WORKER_ACTOR, Number(r.project_id), 'scored', { kind: 'expert_review_result', note, data });
    else await writeProjectEvent(trx, Number(r.project_id), WORKER_ACTOR, { kind: 'expert_review_result', note, data });
    await trx('expert_review_projects').where('id', r.id).update({ status: 'confirmed' });
  }
  return { published: reviews.length };
}
