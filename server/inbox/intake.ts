import type { Knex } from 'knex';
import { errors } from '../errors';
import type { Principal } from '../auth/service';
import type { EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import { changeStatus, getProject, type Actor, type ProjectDetail } from '../projects/service';
import { closeTask, SYSTEM_ACTOR, updateTask, writeTaskEvent, type TaskRow } from './tasks';

/**
 * Starting and withdrawing the intake review (申报审核, processes/project-intake.bpmn) of a
 * project. The engine owns where the review stands; the project's status follows it through the
 * process's own steps (workers/project-intake.ts). Here only the two edges people cause:
 * 送审 (submit a draft) and 撤回 (withdraw before anyone acted).
 */
export const INTAKE_PROCESS_ID = 'project-intake';
/** The first step people act on; 撤回 is possible while it is untouched. */
export const FIRST_REVIEW_ELEMENT = 'DepartmentReview';

const actorOf = (p: Principal): Actor => ({ userId: p.userId, username: p.username, displayName: p.displayName });

/** A lifecycle process reached its end: the outcome the model names (reserved, …). */
export async function endProcessInstance(db: Knex, processInstanceKey: string, outcome: string): Promise<void> {
  await db('process_instances')
    .where({ process_instance_key: processInstanceKey })
    .update({ status: 'completed', outcome, ended_at: new Date() });
}

export async function activeIntake(db: Knex, projectId: number): Promise<{ process_instance_key: string } | undefined> {
  return (await db('process_instances')
    .where({ business_type: 'project', business_id: projectId, process_id: INTAKE_PROCESS_ID, status: 'active' })
    .first('process_instance_key')) as { process_instance_key: string } | undefined;
}

/**
 * 送审: the draft becomes submitted and an intake instance starts. If the engine cannot start it,
 * the status goes back to draft (with the attempt on the timeline) and the clerk is told to retry:
 * no project is left "submitted" with no review running.
 */
export async function submitProject(
  deps: { db: Knex; engine: EngineClient; namespace: string; syncInstance?: (processInstanceId: string) => Promise<unknown> },
  p: Principal,
  projectId: number,
  version: number,
): Promise<ProjectDetail> {
  const { db, engine } = deps;
  if (await activeIntake(db, projectId)) throw errors.conflict('ALREADY_IN_REVIEW', '该项目已在审核中');
  const submitted = await changeStatus(db, actorOf(p), projectId, 'submitted', { version, kind: 'submitted', note: '提交申报审核' });
  let started: { id: string; definitionId: string };
  const key = namespaced(deps.namespace, INTAKE_PROCESS_ID);
  try {
    // A 送审 whose start went through in the engine but whose answer never came back (the engine
    // or this node died, a timeout) left an instance running that we never recorded, and the
    // project a draft again: the retry takes that instance over instead of starting a second
    // review of the same project (found by the fault drill, bench/drill.ts).
    // Only a project sent before can have one: every engine start follows a committed 送审, so on a
    // first 送审 (the only one on its timeline) the engine is not asked.
    const sentBefore =
      Number(
        ((await db('project_events').where({ project_id: projectId, kind: 'submitted' }).count({ n: '*' }))[0] as { n: number | string }).n,
      ) > 1;
    const running = sentBefore ? await engine.processInstances({ processDefinitionKey: key, businessKey: `project:${projectId}` }) : [];
    const known = running.length
      ? ((await db('process_instances')
          .whereIn(
            'process_instance_key',
            running.map((r) => r.id),
          )
          .select('process_instance_key')) as Array<{ process_instance_key: string }>)
      : [];
    const orphan = running.find((r) => !known.some((k) => k.process_instance_key === r.id));
    started =
      orphan ??
      (await engine.startProcess(key, {
        businessKey: `project:${projectId}`,
        variables: {
          projectId,
          projectNo: submitted.projectNo,
          projectName: submitted.name,
          unitOrgId: submitted.unitOrgId,
          applicantUserId: p.userId,
        },
      }));
  } catch {
    await changeStatus(db, actorOf(p), projectId, 'draft', { kind: 'submit_failed', note: '流程引擎不可用，送审未成功，已恢复为草稿' });
    throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂不可用，送审未成功，项目仍为草稿，请稍后重试');
  }
  await db('process_instances')
    .insert({
      process_instance_key: started.id,
      process_id: INTAKE_PROCESS_ID,
      process_version: Number(started.definitionId.split(':')[1] ?? 0),
      business_type: 'project',
      business_id: projectId,
      status: 'active',
      started_by: p.userId,
      started_at: new Date(),
    })
    .onConflict('process_instance_key')
    .ignore();
  if (deps.syncInstance) await deps.syncInstance(started.id).catch(() => undefined); // the sweep catches up
  return (await getProject(db, projectId))!;
}

/** A 送审 not through within this time (it normally takes well under a second) is looked at by the sweep. */
export const STALE_SUBMIT_MS = 60_000;

/**
 * Heals a 送审 cut off by a crash (found by the fault drill, bench/drill.ts): a project left
 * "submitted" for longer than STALE_SUBMIT_MS with no intake instance recorded. When the engine
 * runs one for it (the start went through, our database write did not), that instance is
 * recorded; when it runs none (the node died before the engine heard of it), the project goes
 * back to draft with the attempt on its timeline, so the clerk can submit again. Run by the
 * reconciliation sweep (sync.ts).
 */
export async function healSubmissions(
  deps: { db: Knex; engine: EngineClient; namespace: string },
  now = new Date(),
): Promise<{ adopted: number; reverted: number }> {
  const { db, engine } = deps;
  const result = { adopted: 0, reverted: 0 };
  const rows = (await db('projects as p')
    .where('p.status', 'submitted')
    .where('p.updated_at', '<', new Date(now.getTime() - STALE_SUBMIT_MS))
    .whereNotExists(
      db('process_instances as i')
        .whereRaw('i.business_id = p.id')
        .where({ 'i.business_type': 'project', 'i.process_id': INTAKE_PROCESS_ID, 'i.status': 'active' })
        .select('i.id'),
    )
    .limit(50)
    .select('p.id')) as Array<{ id: number }>;
  const key = namespaced(deps.namespace, INTAKE_PROCESS_ID);
  for (const { id } of rows) {
    const running = await engine.processInstances({ processDefinitionKey: key, businessKey: `project:${id}` });
    const known = running.length
      ? ((await db('process_instances')
          .whereIn(
            'process_instance_key',
            running.map((r) => r.id),
          )
          .select('process_instance_key')) as Array<{ process_instance_key: string }>)
      : [];
    const orphan = running.find((r) => !known.some((k) => k.process_instance_key === r.id));
    if (orphan) {
      const vars = await engine.processVariables(orphan.id);
      const by = Number(vars.applicantUserId);
      await db('process_instances')
        .insert({
          process_instance_key: orphan.id,
          process_id: INTAKE_PROCESS_ID,
          process_version: Number(orphan.definitionId.split(':')[1] ?? 0),
          business_type: 'project',
          business_id: Number(id),
          status: 'active',
          started_by: Number.isSafeInteger(by) && by > 0 ? by : null,
          started_at: now,
        })
        .onConflict('process_instance_key')
        .ignore();
      result.adopted += 1;
      continue;
    }
    await changeStatus(db, SYSTEM_ACTOR, Number(id), 'draft', {
      kind: 'submit_failed',
      note: '送审在提交流程引擎时中断，未启动审核，已恢复为草稿，请重新送审',
    }).catch(() => undefined);
    result.reverted += 1;
  }
  result.adopted += await adoptUnrecordedInstances(deps, now);
  return result;
}

/**
 * The other side of a cut-off 送审: an intake instance the engine runs for longer than
 * STALE_SUBMIT_MS with no process_instances row, whose project has moved on from "submitted"
 * already (the instance's first step set its status, so the look above never sees it — the fault
 * drill with payments found one). It is recorded as the project's instance.
 */
async function adoptUnrecordedInstances(deps: { db: Knex; engine: EngineClient; namespace: string }, now: Date): Promise<number> {
  const { db, engine } = deps;
  const key = namespaced(deps.namespace, INTAKE_PROCESS_ID);
  const before = new Date(now.getTime() - STALE_SUBMIT_MS).toISOString().replace('Z', '+0000');
  const running = await engine.request<Array<{ id: string; businessKey: string | null; processDefinitionId: string }>>(
    'GET',
    '/history/process-instance',
    { query: { processDefinitionKey: key, unfinished: true, startedBefore: before, maxResults: 500 } },
  );
  if (!running.length) return 0;
  const known = new Set(
    (
      (await db('process_instances')
        .whereIn(
          'process_instance_key',
          running.map((r) => r.id),
        )
        .select('process_instance_key')) as Array<{ process_instance_key: string }>
    ).map((r) => r.process_instance_key),
  );
  let adopted = 0;
  for (const i of running) {
    const projectId = Number(/^project:(\d+)$/.exec(i.businessKey ?? '')?.[1]);
    if (known.has(i.id) || !Number.isSafeInteger(projectId) || projectId <= 0) continue;
    if (!(await db('projects').where('id', projectId).first('id'))) continue;
    const vars = await engine.processVariables(i.id).catch(() => ({}) as Record<string, unknown>);
    const by = Number(vars.applicantUserId);
    await db('process_instances')
      .insert({
        process_instance_key: i.id,
        process_id: INTAKE_PROCESS_ID,
        process_version: Number(i.processDefinitionId.split(':')[1] ?? 0),
        business_type: 'project',
        business_id: projectId,
        status: 'active',
        started_by: Number.isSafeInteger(by) && by > 0 ? by : null,
        started_at: now,
      })
      .onConflict('process_instance_key')
      .ignore();
    adopted += 1;
  }
  return adopted;
}

/**
 * 撤回: the applicant takes the application back before anyone acted on it — the first review
 * is still unclaimed and untouched. The instance is cancelled in the engine, its tasks close,
 * and the project is a draft again.
 */
export async function withdrawProject(
  deps: { db: Knex; engine: EngineClient },
  p: Principal,
  projectId: number,
  reason: string,
): Promise<ProjectDetail> {
  const { db, engine } = deps;
  const instance = await activeIntake(db, projectId);
  if (!instance) throw errors.conflict('NOT_IN_REVIEW', '该项目不在审核中，无需撤回');
  const open = (await db('inbox_tasks')
    .where({ process_instance_key: instance.process_instance_key })
    .whereIn('status', ['open', 'completing'])) as TaskRow[];
  const acted = (await db('task_events')
    .whereIn('task_id', db('inbox_tasks').select('id').where('process_instance_key', instance.process_instance_key))
    .whereNot('kind', 'created')
    .first('id')) as { id: number } | undefined;
  const untouched =
    open.length === 1 &&
    open[0]!.element_id === FIRST_REVIEW_ELEMENT &&
    open[0]!.assignee_user_id === null &&
    open[0]!.status === 'open' &&
    !acted;
  if (!untouched) throw errors.conflict('ALREADY_ACTED', '审核人员已开始办理，不能撤回；如需修改请联系审核人员退回');
  const task = open[0]!;
  // Take the task first, so no approver can complete it while the engine cancels.
  const taken = await updateTask(db, task.id, { status: 'completing' }, (q) => q.where('status', 'open').whereNull('assignee_user_id'));
  if (taken !== 1) throw errors.conflict('ALREADY_ACTED', '审核人员已开始办理，不能撤回');
  try {
    await engine.retrying(() => engine.cancelProcessInstance(instance.process_instance_key, `申报单位撤回：${reason}`)); // false: ended already
  } catch {
    await updateTask(db, task.id, { status: 'open' }, (q) => q.where('status', 'completing'));
    throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂不可用，撤回未成功，请稍后重试');
  }
  await db.transaction(async (trx) => {
    await closeTask(trx, task.id, 'canceled');
    await writeTaskEvent(trx, task.id, actorOf(p), { kind: 'canceled', comment: `申报单位撤回：${reason}` });
    await trx('process_instances')
      .where({ process_instance_key: instance.process_instance_key })
      .update({ status: 'canceled', outcome: 'withdrawn', ended_at: new Date() });
    await changeStatus(trx, actorOf(p), projectId, 'draft', { kind: 'withdrawn', note: reason });
  });
  return (await getProject(db, projectId))!;
}
