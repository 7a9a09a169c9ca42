import type { Knex } from 'knex';
import { decisionLabel } from '../../domain/approval';
import { verificationCode, type AuditRecordBody } from '../../domain/audit-chain';
import { toShanghaiIso } from '../../domain/time';
import { readInstant } from '../db';
import { isEngineError, parseEngineDate, type ActivityInstance, type EngineClient, type Incident } from '../engine/client';
import { processModels } from '../engine/models';
import type { InstanceProgress, Step, StepStatus } from '../../domain/process-progress';
import type { TaskStatus } from './tasks';

/**
 * Where a process instance stands and how it got there, for the live diagram and the step list
 * of the task page and the project's 审核进度: the engine's history (its activity instances in
 * order, its open incidents) merged with what only the platform knows — who our users are, the
 * decision and comment of each user task, and whether that decision is a sealed record of the
 * audit chain.
 *
 * The engine is asked once per instance (GET /history/activity-instance), and once more for the
 * open incidents of an instance that has not ended (an ended instance has none); our rows are read
 * in bulk for all instances. When the engine cannot answer (down, or it holds no history of the
 * instance — cleaned up, or started on another engine), the platform's own records stand in
 * (`source: 'platform'`, `notice` says why): the inbox's tasks and the workers' job outcomes.
 */

export type { InstanceProgress, Step, StepStatus } from '../../domain/process-progress';

export const SYSTEM_ACTOR_NAME = '系统自动';

/** Activity types the engine runs by itself (their actor is 系统自动). */
const AUTOMATIC = new Set(['serviceTask', 'sendTask', 'scriptTask', 'businessRuleTask', 'externalTask']);

/** One instance's progress (see engineProgressOf for several). */
export async function engineProgress(engine: EngineClient, db: Knex, processInstanceId: string): Promise<InstanceProgress> {
  return (await engineProgressOf(engine, db, [processInstanceId])).get(processInstanceId)!;
}

interface InboxRow {
  id: number;
  engine_task_id: string;
  process_instance_key: string;
  element_id: string;
  name: string;
  status: TaskStatus;
  decision: string | null;
  comment: string | null;
  assignee_user_id: number | null;
  completed_by: number | null;
  created_at: unknown;
  completed_at: unknown;
}

interface Completion {
  auditRecordId: number | null;
  sealed: boolean;
  verificationCode: string | null;
}

/** What the platform knows of a set of instances, read in a handful of queries whatever their number. */
interface PlatformRows {
  tasks: InboxRow[];
  taskByEngineId: Map<string, InboxRow>;
  completions: Map<number, Completion>;
  users: Map<number, string>;
  startedBy: Map<string, number | null>;
  processOf: Map<string, string>;
}

async function platformRows(db: Knex, keys: readonly string[], engineAssignees: readonly string[]): Promise<PlatformRows> {
  const tasks = (await db('inbox_tasks')
    .whereIn('process_instance_key', keys)
    .orderBy('id')
    .select(
      'id',
      'engine_task_id',
      'process_instance_key',
      'element_id',
      'name',
      'status',
      'decision',
      'comment',
      'assignee_user_id',
      'completed_by',
      'created_at',
      'completed_at',
    )) as InboxRow[];
  const instances = (await db('process_instances')
    .whereIn('process_instance_key', keys)
    .select('process_instance_key', 'process_id', 'started_by')) as Array<{
    process_instance_key: string;
    process_id: string;
    started_by: number | null;
  }>;

  // The completion that went to the engine carries its audit record (task_events 'completed', data.auditRecordId).
  const events = tasks.length
    ? ((await db('task_events')
        .whereIn(
          'task_id',
          tasks.map((t) => t.id),
        )
        .where('kind', 'completed')
        .orderBy('id')
        .select('task_id', 'data')) as Array<{ task_id: number; data: string | null }>)
    : [];
  const recordOf = new Map<number, number>();
  for (const e of events) {
    const data = e.data ? (JSON.parse(e.data) as { auditRecordId?: unknown }) : null;
    if (typeof data?.auditRecordId === 'number') recordOf.set(Number(e.task_id), data.auditRecordId);
  }
  // Sealed or not, and the verification code, from the chain itself rather than the event's copy.
  const recordIds = [...new Set(recordOf.values())];
  const records = recordIds.length
    ? ((await db('audit_records').whereIn('id', recordIds).select('id', 'sealed', 'body')) as Array<{
        id: number;
        sealed: unknown;
        body: string;
      }>)
    : [];
  const recordById = new Map(records.map((r) => [Number(r.id), r]));
  const completions = new Map<number, Completion>();
  for (const [taskId, recordId] of recordOf) {
    const r = recordById.get(recordId);
    const seal = r && Boolean(Number(r.sealed)) ? (JSON.parse(r.body) as AuditRecordBody).seal : null;
    completions.set(taskId, {
      auditRecordId: r ? recordId : null,
      sealed: Boolean(seal),
      verificationCode: seal ? verificationCode(seal.signature) : null,
    });
  }

  const userIds = new Set<number>();
  for (const a of engineAssignees) if (/^\d{1,10}$/.test(a)) userIds.add(Number(a));
  for (const t of tasks) for (const u of [t.assignee_user_id, t.completed_by]) if (u !== null && u !== undefined) userIds.add(Number(u));
  for (const i of instances) if (i.started_by !== null && i.started_by !== undefined) userIds.add(Number(i.started_by));
  const users = userIds.size
    ? ((await db('users')
        .whereIn('id', [...userIds])
        .select('id', 'display_name')) as Array<{ id: number; display_name: string }>)
    : [];

  return {
    tasks,
    taskByEngineId: new Map(tasks.map((t) => [t.engine_task_id, t])),
    completions,
    users: new Map(users.map((u) => [Number(u.id), u.display_name])),
    startedBy: new Map(instances.map((i) => [i.process_instance_key, i.started_by === null ? null : Number(i.started_by)])),
    processOf: new Map(instances.map((i) => [i.process_instance_key, i.process_id])),
  };
}

/** The engine's answer for one instance, or why there is none. */
type EngineAnswer = { ok: true; activities: ActivityInstance[]; incidents: Incident[] } | { ok: false; notice: string };

/** A page waits this long for the engine before it shows our own records instead. */
export const HISTORY_TIMEOUT_MS = 5_000;

async function askEngine(engine: EngineClient, processInstanceId: string): Promise<EngineAnswer> {
  try {
    const activities = await engine.activityInstances(processInstanceId, { timeoutMs: HISTORY_TIMEOUT_MS });
    if (activities.length === 0) return { ok: false, notice: '流程引擎中没有该流程实例的历史记录，以下按本平台的办理记录显示' };
    // Only an instance that has not ended can have open incidents.
    const incidents = activities.some((a) => !a.endTime)
      ? await engine.incidents(processInstanceId, { timeoutMs: HISTORY_TIMEOUT_MS })
      : [];
    return { ok: true, activities, incidents };
  } catch (err) {
    if (!isEngineError(err)) throw err;
    return {
      ok: false,
      notice: err.unreachable
        ? '流程引擎暂不可用，以下按本平台的办理记录显示'
        : `流程引擎未能提供历史记录（${err.status} ${err.type}），以下按本平台的办理记录显示`,
    };
  }
}

/**
 * The progress of several instances: one history call per instance (and one for the open
 * incidents of each instance still running), our rows read in bulk. Keyed by instance id.
 */
export async function engineProgressOf(
  engine: EngineClient,
  db: Knex,
  processInstanceIds: readonly string[],
): Promise<Map<string, InstanceProgress>> {
  const keys = [...new Set(processInstanceIds)];
  const answers = new Map<string, EngineAnswer>();
  // A few at a time: a project has a handful of instances, and the engine serves many users.
  for (let i = 0; i < keys.length; i += 4) {
    const batch = keys.slice(i, i + 4);
    const got = await Promise.all(batch.map((k) => askEngine(engine, k)));
    batch.forEach((k, j) => answers.set(k, got[j]!));
  }
  const assignees = [...answers.values()].flatMap((a) => (a.ok ? a.activities.map((x) => x.assignee ?? '') : []));
  const rows = await platformRows(db, keys, assignees);
  const fallbackKeys = keys.filter((k) => !answers.get(k)!.ok);
  const jobs = fallbackKeys.length
    ? ((await db('job_outcomes')
        .whereIn('process_instance_key', fallbackKeys)
        .orderBy('handled_at')
        .select('external_task_id', 'process_instance_key', 'element_id', 'handled_at')) as JobRow[])
    : [];

  const out = new Map<string, InstanceProgress>();
  for (const key of keys) {
    const answer = answers.get(key)!;
    out.set(key, answer.ok ? fromEngine(key, answer.activities, answer.incidents, rows) : fromPlatform(key, answer.notice, rows, jobs));
  }
  return out;
}

const iso = (d: Date | null): string | null => (d ? toShanghaiIso(d) : null);

function fromEngine(
  key: string,
  activities: readonly ActivityInstance[],
  incidents: readonly Incident[],
  rows: PlatformRows,
): InstanceProgress {
  const incidentOf = new Map<string, string>();
  for (const i of incidents) if (!incidentOf.has(i.activityId)) incidentOf.set(i.activityId, i.incidentMessage ?? i.incidentType);
  const steps: Step[] = [];
  for (const a of activities) {
    // A multi-instance activity's body: its instances are listed on their own.
    if (a.activityType === 'multiInstanceBody') continue;
    const task = a.taskId ? rows.taskByEngineId.get(a.taskId) : undefined;
    const ended = parseEngineDate(a.endTime);
    const failed = !ended && incidentOf.has(a.activityId);
    const status: StepStatus = failed ? 'failed' : !ended ? 'active' : a.canceled ? 'canceled' : 'completed';
    const completion = task ? rows.completions.get(Number(task.id)) : undefined;
    steps.push({
      id: a.id,
      elementId: a.activityId,
      name: a.activityName ?? task?.name ?? a.activityId,
      type: a.activityType,
      status,
      startedAt: toShanghaiIso(parseEngineDate(a.startTime) ?? new Date(0)),
      endedAt: iso(ended),
      ...actorOf(a, task, rows, key),
      taskId: task ? Number(task.id) : null,
      decision: task?.decision ?? null,
      decisionLabel: decisionLabel(task?.decision),
      comment: task?.comment ?? null,
      auditRecordId: completion?.auditRecordId ?? null,
      sealed: completion?.sealed ?? false,
      verificationCode: completion?.verificationCode ?? null,
      incident: failed ? incidentOf.get(a.activityId)! : null,
    });
  }
  return { source: 'engine', notice: null, ...markers(steps, [...incidentOf.keys()]) };
}

function actorOf(
  a: ActivityInstance,
  task: InboxRow | undefined,
  rows: PlatformRows,
  key: string,
): { actor: string | null; actorUserId: number | null } {
  if (a.activityType === 'userTask') {
    // The engine's assignee (our user id as a string); our row when the engine has none recorded.
    const fromEngine = a.assignee && /^\d{1,10}$/.test(a.assignee) ? Number(a.assignee) : null;
    const id = fromEngine ?? (task ? (task.completed_by ?? task.assignee_user_id) : null);
    if (id === null || id === undefined) return { actor: a.assignee ?? null, actorUserId: null };
    return { actor: rows.users.get(Number(id)) ?? a.assignee ?? String(id), actorUserId: Number(id) };
  }
  if (AUTOMATIC.has(a.activityType)) return { actor: SYSTEM_ACTOR_NAME, actorUserId: null };
  if (a.activityType === 'startEvent') {
    const by = rows.startedBy.get(key) ?? null;
    return by === null ? { actor: null, actorUserId: null } : { actor: rows.users.get(by) ?? String(by), actorUserId: by };
  }
  return { actor: null, actorUserId: null };
}

/** The diagram's markers from the steps: an element open now is not also "passed". */
function markers(
  steps: readonly Step[],
  failedIds: readonly string[],
): Pick<InstanceProgress, 'completed' | 'active' | 'failed' | 'steps'> {
  const active = [...new Set(steps.filter((s) => s.status === 'active' || s.status === 'failed').map((s) => s.elementId))];
  const failed = [...new Set(failedIds)].filter((id) => steps.some((s) => s.elementId === id));
  const completed = [...new Set(steps.filter((s) => s.status === 'completed').map((s) => s.elementId))].filter(
    (id) => !active.includes(id),
  );
  return { completed, active, failed, steps: [...steps] };
}

interface JobRow {
  external_task_id: string;
  process_instance_key: string;
  element_id: string;
  handled_at: unknown;
}

const STATUS_OF: Record<TaskStatus, StepStatus> = { open: 'active', completing: 'active', completed: 'completed', canceled: 'canceled' };

/** The platform's own records of an instance: its inbox tasks and the job outcomes of its workers. */
function fromPlatform(key: string, notice: string, rows: PlatformRows, jobs: readonly JobRow[]): InstanceProgress {
  const model = processModels().get(rows.processOf.get(key) ?? '');
  const steps: Array<Step & { at: number }> = [];
  for (const t of rows.tasks.filter((x) => x.process_instance_key === key)) {
    const started = readInstant(t.created_at);
    const id = t.completed_by ?? t.assignee_user_id;
    const completion = rows.completions.get(Number(t.id));
    steps.push({
      at: started.getTime(),
      id: `task:${t.id}`,
      elementId: t.element_id,
      name: t.name,
      type: model?.elements.get(t.element_id)?.kind ?? 'userTask',
      status: STATUS_OF[t.status],
      startedAt: toShanghaiIso(started),
      endedAt: t.completed_at ? toShanghaiIso(readInstant(t.completed_at)) : null,
      actor: id === null || id === undefined ? null : (rows.users.get(Number(id)) ?? String(id)),
      actorUserId: id === null || id === undefined ? null : Number(id),
      taskId: Number(t.id),
      decision: t.decision,
      decisionLabel: decisionLabel(t.decision),
      comment: t.comment,
      auditRecordId: completion?.auditRecordId ?? null,
      sealed: completion?.sealed ?? false,
      verificationCode: completion?.verificationCode ?? null,
      incident: null,
    });
  }
  for (const j of jobs.filter((x) => x.process_instance_key === key)) {
    const at = readInstant(j.handled_at);
    const element = model?.elements.get(j.element_id);
    steps.push({
      at: at.getTime(),
      id: `job:${j.external_task_id}`,
      elementId: j.element_id,
      name: element?.name ?? j.element_id,
      type: element?.kind ?? 'serviceTask',
      status: 'completed',
      startedAt: toShanghaiIso(at),
      endedAt: toShanghaiIso(at),
      actor: SYSTEM_ACTOR_NAME,
      actorUserId: null,
      taskId: null,
      decision: null,
      decisionLabel: '',
      comment: null,
      auditRecordId: null,
      sealed: false,
      verificationCode: null,
      incident: null,
    });
  }
  // Stable: equal times keep tasks before the jobs they led to.
  const ordered = steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.at - b.s.at || a.i - b.i)
    .map(({ s: { at: _at, ...step } }) => step);
  return { source: 'platform', notice, ...markers(ordered, []) };
}
