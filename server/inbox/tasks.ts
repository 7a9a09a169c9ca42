import type { Knex } from 'knex';
import { decisionLabel } from '../../domain/approval';
import { toShanghaiIso } from '../../domain/time';
import { errors } from '../errors';
import { readInstant, isMysql } from '../db';
import { processModels } from '../engine/models';
import { notify } from '../notifications/service';
import { writeProjectEvent, type Actor } from '../projects/service';
import { inTransaction } from '../reference/transaction';
import { resolveCandidates } from './candidates';
import { MissingBusinessObject } from './errors';

/**
 * The inbox projection: one row per engine user task (kept in step with the engine by sync.ts),
 * who may act on it, and its history. Reading and the bookkeeping of people's actions live here;
 * actions that tell the engine something are in actions.ts. The engine's own task query is not
 * used for inboxes: it is slow on MySQL at scale (engine.md), and it knows nothing of our data
 * scope (candidates are resolved from roles *and* the project's unit).
 */

export type TaskStatus = 'open' | 'completing' | 'completed' | 'canceled';

export interface TaskRow {
  id: number;
  engine_task_id: string;
  process_instance_key: string;
  process_id: string;
  element_id: string;
  element_instance_key: string;
  name: string;
  form_key: string;
  candidate_groups: string;
  business_type: string;
  business_id: number;
  business_title: string;
  unit_org_id: number;
  assignee_user_id: number | null;
  status: TaskStatus;
  due_at: unknown;
  decision: string | null;
  comment: string | null;
  form_data: string | null;
  completed_by: number | null;
  version: number;
  created_at: unknown;
  claimed_at: unknown;
  completed_at: unknown;
  reminded_at: unknown;
  completing_by: number | null;
  completing_at: unknown;
  completing_form: string | null;
}

/** An engine user task as the inbox records it (sync.ts reads it from the engine and the model). */
export interface EngineUserTask {
  engineTaskId: string;
  processInstanceId: string;
  /** The model's process id, namespace removed. */
  processId: string;
  elementId: string;
  /** The engine's name of the step (used when the model is not one of processes/). */
  name?: string | null;
  /** The task's execution in the engine. */
  executionId: string;
  formKey: string;
  candidateGroups: string[];
  /** A person fixed by the model or the engine (会签: each countersigner), as a user id. */
  assignee: string | null;
  dueAt: Date | null;
  createdAt: Date;
  projectId: number;
}

export const SYSTEM_ACTOR: Actor = { userId: null, username: 'system:inbox', displayName: '流程引擎' };

/**
 * Records a user task the engine created. Seen again (by the sweep, by another node) it finds its
 * row and changes nothing. Candidates are resolved now, from the task's candidate groups and the
 * project's unit; they are notified once.
 */
export async function recordUserTask(db: Knex, job: EngineUserTask): Promise<{ taskId: number; created: boolean }> {
  return db.transaction(async (trx) => {
    const existing = (await trx('inbox_tasks').where('engine_task_id', job.engineTaskId).first('id')) as { id: number } | undefined;
    if (existing) return { taskId: Number(existing.id), created: false };
    const project = (await trx('projects as p')
      .join('organisations as o', 'o.id', 'p.unit_org_id')
      .where('p.id', job.projectId)
      .first('p.id', 'p.name', 'p.project_no', 'p.unit_org_id', 'p.functional_code', 'o.name as unit_name')) as
      { id: number; name: string; project_no: string; unit_org_id: number; functional_code: string; unit_name: string } | undefined;
    if (!project) throw new MissingBusinessObject(`user task ${job.engineTaskId}: project ${job.projectId} not found`);
    const element = processModels().get(job.processId)?.elements.get(job.elementId);
    const name = element?.name ?? job.name ?? job.elementId;
    const assignee = job.assignee && /^\d+$/.test(job.assignee) ? Number(job.assignee) : null;
    const candidates =
      assignee !== null
        ? [assignee]
        : await resolveCandidates(trx, job.candidateGroups, Number(project.unit_org_id), { functionalCode: project.functional_code });
    const dueAt = job.dueAt;
    const now = job.createdAt;
    const [rawId] = await trx('inbox_tasks').insert({
      engine_task_id: job.engineTaskId,
      process_instance_key: job.processInstanceId,
      process_id: job.processId,
      element_id: job.elementId,
      element_instance_key: job.executionId,
      name,
      form_key: job.formKey,
      candidate_groups: JSON.stringify(job.candidateGroups),
      business_type: 'project',
      business_id: project.id,
      business_title: project.name,
      unit_org_id: project.unit_org_id,
      assignee_user_id: assignee,
      status: 'open',
      due_at: dueAt,
      version: 1,
      created_at: now,
      claimed_at: assignee !== null ? now : null,
    });
    const taskId = Number(rawId);
    // Offered to the candidates while nobody holds it (migration 20261203O1).
    if (candidates.length)
      await trx('inbox_task_candidates').insert(
        candidates.map((userId) => ({ task_id: taskId, user_id: userId, offered: assignee === null })),
      );
    await writeTaskEvent(
      trx,
      taskId,
      SYSTEM_ACTOR,
      { kind: 'created', data: { candidates, candidateGroups: job.candidateGroups } },
      { timeline: false },
    );
    // The audit append last: the chain's head stays locked from it to the commit.
    await notify(trx, {
      userIds: candidates,
      template: 'task-assigned',
      context: {
        step: name,
        projectName: project.name,
        projectNo: project.project_no,
        unitName: project.unit_name,
        dueAt: dueAt ? toShanghaiIso(dueAt).slice(0, 16).replace('T', ' ') : null,
      },
      link: `/tasks/${taskId}`,
      dedupeKey: `task-assigned:${job.engineTaskId}`,
    });
    await writeProjectEvent(trx, project.id, SYSTEM_ACTOR, {
      kind: 'task_created',
      note: `进入「${name}」环节`,
      data: { taskId, elementId: job.elementId, processInstanceKey: job.processInstanceId },
    });
    return { taskId, created: true };
  });
}

/**
 * Changes a task's row (bumping its version) where it still matches `where`, and — when the change
 * touches its status or assignee — its candidate rows' `offered` flag with it, in one transaction
 * (the caller's, when given one). Returns how many task rows changed (0 or 1): the conditional
 * UPDATE decides races, as before. Every change of a task's status or assignee goes through here
 * or closeTask, so 待办's offered part can read the flag alone (listTasks).
 */
export async function updateTask(
  db: Knex,
  taskId: number,
  fields: Record<string, unknown>,
  where: (q: Knex.QueryBuilder) => Knex.QueryBuilder = (q) => q,
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const n = await where(trx('inbox_tasks').where('id', taskId)).update({ ...fields, version: trx.raw('version + 1') });
    if (n > 0 && ('status' in fields || 'assignee_user_id' in fields)) await refreshOffered(trx, taskId);
    return n;
  });
}

/**
 * Sets a task's candidate rows' `offered` flag from the task as it is now: offered exactly while
 * it is open and nobody holds it (migration 20261203O1). One statement; call it in the transaction
 * that changed the task or wrote candidate rows.
 */
export async function refreshOffered(trx: Knex, taskId: number): Promise<void> {
  await trx('inbox_task_candidates')
    .where('task_id', taskId)
    .update({
      offered: trx('inbox_tasks as t')
        .where('t.id', taskId)
        .select(trx.raw("case when t.status = 'open' and t.assignee_user_id is null then 1 else 0 end")),
    });
}

/**
 * Ends a task in the projection: completed or canceled, with the given fields. Its candidate rows
 * go (who they were stays in the 'created' event), so 待办 lookups only ever touch open tasks —
 * measured by bench:inbox, a clerk's 待办 among 1,000,000 tasks otherwise read thousands of
 * closed task rows.
 */
export async function closeTask(
  trx: Knex,
  taskId: number,
  status: 'completed' | 'canceled',
  fields: Record<string, unknown> = {},
): Promise<void> {
  await trx('inbox_tasks')
    .where({ id: taskId })
    .update({ ...fields, status, version: trx.raw('version + 1') });
  await trx('inbox_task_candidates').where({ task_id: taskId }).delete();
}

/**
 * Closes the open tasks of one step of an instance that the engine ended early (a countersign
 * decided before every vote), each with a history entry saying why.
 */
export async function cancelOpenTasks(trx: Knex, processInstanceKey: string, elementId: string, comment: string): Promise<number> {
  const open = (await trx('inbox_tasks')
    .where({ process_instance_key: processInstanceKey, element_id: elementId, status: 'open' })
    .select('id')) as Array<{ id: number }>;
  for (const t of open) {
    await closeTask(trx, Number(t.id), 'canceled');
    await writeTaskEvent(trx, Number(t.id), SYSTEM_ACTOR, { kind: 'canceled', comment });
  }
  return open.length;
}

/** How a task event reads on the project's timeline (created and completed write their own). */
function timelineNote(name: string, e: { kind: string; decision?: string | null; comment?: string | null; data?: unknown }): string | null {
  const d = (e.data ?? {}) as { toName?: string; name?: string; position?: string; userIds?: unknown[]; to?: unknown[] };
  const what: Record<string, string> = {
    claimed: '签收',
    unclaimed: '退回签收',
    reassigned: `转办给 ${d.toName ?? ''}`,
    signer_added: `加签 ${d.name ?? ''}（${d.position === 'before' ? '前加签' : '后加签'}）`,
    signed: `加签意见：${decisionLabel(e.decision) || '已办理'}`,
    completed: `${decisionLabel(e.decision) || '已办理'}，待加签人审批`,
    copied: `抄送 ${Array.isArray(d.userIds) ? d.userIds.length : 0} 人`,
    reminded: '催办',
    commented: '添加意见',
    canceled: '待办作废',
  };
  const label = what[e.kind];
  if (!label) return null;
  return `${name}：${label}${e.comment ? `。${e.kind === 'canceled' ? '' : '意见：'}${e.comment}` : ''}`;
}

/**
 * A task's history entry, and — so that every action on a task is on the project's timeline and
 * in the audit chain — a timeline event beside it (kind task_action), in one transaction.
 * `timeline: false` where the caller writes the timeline event itself (arrival; the completion
 * that goes to the engine, which carries the seal).
 */
export async function writeTaskEvent(
  db: Knex,
  taskId: number,
  actor: Actor,
  e: { kind: string; decision?: string | null; comment?: string | null; data?: unknown },
  options: { timeline?: boolean } = {},
): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx('task_events').insert({
      task_id: taskId,
      kind: e.kind,
      actor_user_id: actor.userId,
      actor: actor.username,
      actor_name: actor.displayName,
      decision: e.decision ?? null,
      comment: e.comment ?? null,
      data: e.data === undefined ? null : JSON.stringify(e.data),
      created_at: new Date(),
    });
    if (options.timeline === false) return;
    const task = (await trx('inbox_tasks').where('id', taskId).first('business_id', 'name', 'element_id', 'process_instance_key')) as
      { business_id: number; name: string; element_id: string; process_instance_key: string } | undefined;
    const note = task ? timelineNote(task.name, e) : null;
    if (!task || !note) return;
    await writeProjectEvent(trx, Number(task.business_id), actor, {
      kind: 'task_action',
      note,
      data: {
        taskId,
        action: e.kind,
        elementId: task.element_id,
        processInstanceKey: task.process_instance_key,
        decision: e.decision ?? null,
        comment: e.comment ?? null,
        detail: e.data ?? null,
      },
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

export type Box = 'todo' | 'done' | 'cc';

export interface TaskQuery {
  box: Box;
  keyword?: string;
  processId?: string;
  formKey?: string;
  overdue?: boolean;
  page: number;
  pageSize: number;
}

export interface TaskSummary {
  id: number;
  name: string;
  formKey: string;
  processId: string;
  processInstanceKey: string;
  elementId: string;
  status: TaskStatus;
  projectId: number;
  projectName: string;
  unitName: string;
  assignee: { id: number; name: string } | null;
  dueAt: string | null;
  overdue: boolean;
  decision: string | null;
  decisionLabel: string;
  createdAt: string;
  completedAt: string | null;
  copiedAt?: string | null;
}

/**
 * A person's boxes, paginated in SQL. 待办: open tasks assigned to them, or unassigned with them
 * among the candidates (two indexed lookups joined by UNION, not an OR across tables); 已办: tasks
 * they completed or signed; 抄送: tasks copied to them.
 */
export async function listTasks(
  db: Knex,
  userId: number,
  q: TaskQuery,
  now = new Date(),
): Promise<{ items: TaskSummary[]; total: number; page: number; pageSize: number }> {
  const filtered = Boolean(q.keyword || q.processId || q.formKey || q.overdue);
  /** The filters, on a query whose task row is `t`; they read only the task row. */
  const filter = (query: Knex.QueryBuilder): Knex.QueryBuilder => {
    if (q.keyword) {
      const like = `%${q.keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.where((w) => w.whereRaw('t.business_title like ? escape ?', [like, '\\']).orWhereRaw('t.name like ? escape ?', [like, '\\']));
    }
    if (q.processId) query.where('t.process_id', q.processId);
    if (q.formKey) query.where('t.form_key', q.formKey);
    if (q.overdue) query.where('t.status', 'open').where('t.due_at', '<', now);
    return query;
  };
  const order = q.box === 'todo' ? 'asc' : 'desc'; // oldest work first; newest history first
  const sortKey = q.box === 'done' ? 't.completed_at' : 't.id';
  // The count and the page run side by side (on MySQL/MariaDB two or three pooled connections).
  let total: Promise<number>;
  let pageIds: Knex.QueryBuilder;
  if (q.box === 'todo') {
    // 待办 = assigned to me ∪ offered to me (open, unassigned, me among the candidates). A task is
    // either assigned or not, so no task is in both: each part is counted on its own and the counts
    // added, and each gives its first page × pageSize ids in order, which are merged for the page.
    // Nothing builds, deduplicates and sorts the whole box (bench:inbox, 23,539 tasks among
    // 1,000,000 on MariaDB: 137 ms p95 that way for page 1, 3.8 s with a keyword).
    // The offered part is the candidate rows flagged `offered` (open, unassigned: kept in step by
    // updateTask, migration 20261203O1): unfiltered it reads the index (user_id, offered, task_id)
    // and nothing else — bench:inbox, 1,000,000 tasks on MariaDB: counting the region budget
    // section's ~26,000 offered rows through the task index took 28–40 ms of a 53 ms p95.
    // A filter reads the task: both parts then read one index of inbox_tasks and no task row, the
    // offered part looking each offered task up in it under (assignee NULL, 'open', id) — redundant
    // with the flag, but what lets the index be searched by id. MySQL/MariaDB are told which index
    // (they otherwise read each candidate task's full row by primary key: 2 s with a buffer pool
    // smaller than the table); SQLite finds it itself. The keyword, process and form filters take
    // the wider index that holds what they read too (migration 20261202A); 逾期 reads due_at, in both.
    const index =
      q.keyword || q.processId || q.formKey ? 'inbox_tasks_todo_filter_index' : 'inbox_tasks_assignee_user_id_status_id_due_at_index';
    const tasksTable = isMysql(db) ? db.raw('?? force index (??)', ['inbox_tasks as t', index]) : 'inbox_tasks as t';
    const mine = () => filter(db(tasksTable).where({ 't.assignee_user_id': userId, 't.status': 'open' }));
    const candidates = isMysql(db)
      ? db.raw('?? force index (??)', ['inbox_task_candidates as c', 'inbox_task_candidates_offered_index'])
      : 'inbox_task_candidates as c';
    const offered = () => {
      const rows = db(candidates).where({ 'c.user_id': userId, 'c.offered': true });
      if (!filtered) return rows;
      return filter(rows.join(tasksTable, 't.id', 'c.task_id').whereNull('t.assignee_user_id').where('t.status', 'open'));
    };
    total = Promise.all([mine().count({ n: '*' }).first(), offered().count({ n: '*' }).first()]).then((counts) =>
      (counts as Array<{ n: number | string }>).reduce((sum, c) => sum + Number(c.n), 0),
    );
    const upTo = q.page * q.pageSize;
    // Each part in id order (the offered one along the candidate index, by c.task_id), cut at upTo.
    const head = (part: Knex.QueryBuilder, key: string, alias: string) =>
      db.from(part.select(`${key} as id`).orderBy(key, order).limit(upTo).as(alias)).select('id');
    pageIds = db
      .from(
        head(mine(), 't.id', 'm')
          .unionAll(head(offered(), 'c.task_id', 'f'))
          .as('u'),
      )
      .select('id')
      .orderBy('id', order);
  } else {
    const ids =
      q.box === 'done'
        ? db('task_events').distinct('task_id as id').where('actor_user_id', userId).whereIn('kind', ['completed', 'signed'])
        : db('inbox_copies').select('task_id as id').where('user_id', userId);
    // Every id above is a task's (foreign keys), so unfiltered the count needs no task rows. The page
    // is picked by id first (for 已办 by walking the completed_at index) and only its rows are read
    // and joined: a large box otherwise reads every one of its rows to count and sort them.
    const matching = filter(db('inbox_tasks as t').whereIn('t.id', ids));
    const counting: Knex.QueryBuilder = filtered ? matching.clone() : db.from(ids.clone().as('x'));
    total = counting
      .count({ n: '*' })
      .first()
      .then((c) => Number((c as { n: number | string }).n));
    pageIds =
      filtered || q.box === 'done'
        ? matching.clone().select('t.id as id').orderBy(sortKey, order).orderBy('t.id', order)
        : db.from(ids.clone().as('x')).select('id').orderBy('id', order);
  }
  const page = db
    .from(
      pageIds
        .limit(q.pageSize)
        .offset((q.page - 1) * q.pageSize)
        .as('p'),
    )
    .join('inbox_tasks as t', 't.id', 'p.id')
    .join('organisations as o', 'o.id', 't.unit_org_id')
    .leftJoin('users as a', 'a.id', 't.assignee_user_id')
    .select('t.*', 'o.name as unit_name', 'a.display_name as assignee_name')
    .orderBy(sortKey, order)
    .orderBy('t.id', order) as unknown as Promise<Array<TaskRow & { unit_name: string; assignee_name: string | null }>>;
  const [counted, rows] = await Promise.all([total, page]);
  return { items: rows.map((r) => taskSummary(r, now)), total: counted, page: q.page, pageSize: q.pageSize };
}

export function taskSummary(r: TaskRow & { unit_name: string; assignee_name: string | null }, now = new Date()): TaskSummary {
  const dueAt = r.due_at ? readInstant(r.due_at) : null;
  return {
    id: Number(r.id),
    name: r.name,
    formKey: r.form_key,
    processId: r.process_id,
    processInstanceKey: r.process_instance_key,
    elementId: r.element_id,
    status: r.status,
    projectId: Number(r.business_id),
    projectName: r.business_title,
    unitName: r.unit_name,
    assignee: r.assignee_user_id === null ? null : { id: Number(r.assignee_user_id), name: r.assignee_name ?? '' },
    dueAt: dueAt ? toShanghaiIso(dueAt) : null,
    overdue: r.status === 'open' && dueAt !== null && dueAt < now,
    decision: r.decision,
    decisionLabel: decisionLabel(r.decision),
    createdAt: toShanghaiIso(readInstant(r.created_at)),
    completedAt: r.completed_at ? toShanghaiIso(readInstant(r.completed_at)) : null,
  };
}

export async function getTaskRow(db: Knex, taskId: number): Promise<TaskRow | undefined> {
  return (await db('inbox_tasks').where('id', taskId).first()) as TaskRow | undefined;
}

/** How a person relates to a task: what they may do with it. */
export interface Involvement {
  assignee: boolean;
  candidate: boolean;
  /** Completed it, signed it, or was copied: may read it. */
  participant: boolean;
}

export async function involvementOf(db: Knex, task: TaskRow, userId: number): Promise<Involvement> {
  // One statement: four EXISTS probes on the (task_id, user_id) indexes.
  const probe = (table: string, column: string) =>
    db.raw('exists ?', [
      db(table)
        .where({ task_id: task.id, [column]: userId })
        .select(db.raw('1')),
    ]);
  const row = (await db
    .select({
      candidate: probe('inbox_task_candidates', 'user_id'),
      acted: probe('task_events', 'actor_user_id'),
      copied: probe('inbox_copies', 'user_id'),
      signer: probe('inbox_task_signers', 'user_id'),
    })
    .first()) as { candidate: unknown; acted: unknown; copied: unknown; signer: unknown };
  const yes = (v: unknown) => Number(v) === 1;
  const assignee = task.assignee_user_id !== null && Number(task.assignee_user_id) === userId;
  const candidate = yes(row.candidate);
  return { assignee, candidate, participant: assignee || candidate || yes(row.acted) || yes(row.copied) || yes(row.signer) };
}

/** What a person may do with a task on its page (the task page's buttons; the actions check again). */
export interface TaskPermissions {
  claim: boolean;
  unclaim: boolean;
  complete: boolean;
  delegate: boolean;
  copy: boolean;
  remind: boolean;
}

export function taskPermissions(task: TaskRow, inv: Involvement): TaskPermissions {
  const open = task.status === 'open';
  return {
    claim: open && inv.candidate && task.assignee_user_id === null,
    unclaim: open && inv.assignee,
    complete: open && (inv.assignee || (inv.candidate && task.assignee_user_id === null)),
    delegate: open && (inv.assignee || (inv.candidate && task.assignee_user_id === null)),
    copy: inv.participant,
    remind: open && !inv.assignee,
  };
}

export interface TaskEventView {
  id: number;
  kind: string;
  actor: string;
  actorName: string;
  decision: string | null;
  decisionLabel: string;
  comment: string | null;
  data: unknown;
  /** A completion's audit record (its project timeline event) and whether the chain holds it sealed. */
  auditRecordId: number | null;
  sealed: boolean;
  createdAt: string;
}

export async function taskEvents(db: Knex, taskIds: readonly number[]): Promise<Array<TaskEventView & { taskId: number }>> {
  if (!taskIds.length) return [];
  const rows = (await db('task_events').whereIn('task_id', taskIds).orderBy('id')) as Array<Record<string, unknown>>;
  const recordIdOf = (r: Record<string, unknown>): number | null => {
    const data = r.data ? (JSON.parse(String(r.data)) as { auditRecordId?: unknown }) : null;
    return typeof data?.auditRecordId === 'number' ? data.auditRecordId : null;
  };
  // Seal status from the chain itself, not from the event's copy.
  const recordIds = rows.map(recordIdOf).filter((id): id is number => id !== null);
  const sealedIds = new Set(
    recordIds.length
      ? ((await db('audit_records').whereIn('id', recordIds).where('sealed', true).select('id')) as Array<{ id: number }>).map((a) =>
          Number(a.id),
        )
      : [],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    auditRecordId: recordIdOf(r),
    sealed: sealedIds.has(recordIdOf(r) ?? 0),
    taskId: Number(r.task_id),
    kind: String(r.kind),
    actor: String(r.actor),
    actorName: String(r.actor_name),
    decision: (r.decision as string | null) ?? null,
    decisionLabel: decisionLabel(r.decision as string | null),
    comment: (r.comment as string | null) ?? null,
    data: r.data ? (JSON.parse(String(r.data)) as unknown) : null,
    createdAt: toShanghaiIso(readInstant(r.created_at)),
  }));
}

export function assertOpen(task: TaskRow): void {
  if (task.status === 'completed' || task.status === 'completing')
    throw errors.conflict('TASK_ALREADY_COMPLETED', '该待办已办理，不能重复提交');
  if (task.status === 'canceled') throw errors.conflict('TASK_GONE', '该待办已失效（流程已撤回或已结束）');
}
