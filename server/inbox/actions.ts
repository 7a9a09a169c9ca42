import type { Knex } from 'knex';
import { mayHold, planCompletion, type PendingSigner } from '../../domain/approval';
import { verificationCode } from '../../domain/audit-chain';
import type { Json } from '../../domain/canonical-json';
import type { AppendedRecord } from '../audit/chain';
import type { Signer } from '../seals/key-store';
import { sealWith } from '../seals/seal';
import type { OptionLists } from '../../domain/forms';
import { ROLES } from '../../domain/roles';
import { toShanghaiIso } from '../../domain/time';
import { AppError, errors } from '../errors';
import { loadPrincipal, loadPrincipals, canSee, orgInScope, type Principal } from '../auth/service';
import { readInstant } from '../db';
import { EngineError, parseEngineDate, type EngineClient } from '../engine/client';
import { formRegistry, validateFormData } from '../forms';
import { notify } from '../notifications/service';
import type { Actor } from '../projects/service';
import { decisionOf, recordCompletion } from './completion';
import { assertOpen, closeTask, getTaskRow, involvementOf, updateTask, writeTaskEvent, type Involvement, type TaskRow } from './tasks';

/**
 * What people do with their tasks. Whatever changes who acts or where the process goes goes
 * through the engine's task API with the real person's id, so the engine's history names who
 * acted: 签收 (claim), 退回签收 (unclaim), 转办 (assignee), 前加签 (delegate, then resolve back to
 * the holder) and completion. 后加签, 抄送, 催办 and comments are the inbox's own bookkeeping. Every
 * action is a task event and, where it matters to the applicant, a project timeline event.
 *
 * The inbox row moves first, in one conditional UPDATE (a second click or a concurrent approver
 * finds it taken), then the engine is told; if the engine refuses or is away, the row goes back
 * and the person is told to retry. Completion is two-phase so that nothing is lost either way:
 * open → completing (with who and what), the engine, then completed; a crash in between is healed
 * by the reconciliation sweep (sync.ts).
 */

export interface InboxDeps {
  db: Knex;
  engine: EngineClient;
  /** Brings the instance's tasks into the inbox after the engine moved it (sync.ts). */
  syncInstance?: (processInstanceId: string) => Promise<unknown>;
}

/** The engine is away or refused: the row was put back, the person may retry. */
function engineUnavailable(what: string): AppError {
  return errors.unavailable('ENGINE_UNAVAILABLE', `流程引擎暂不可用，${what}未提交，请稍后重试`);
}

/** Tells the engine who holds the task now; a task the engine no longer has is reported as gone. */
async function engineCall(deps: InboxDeps, task: TaskRow, what: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await deps.engine.retrying(call);
  } catch (err) {
    if (err instanceof EngineError && err.notFound) throw errors.conflict('TASK_GONE', '该待办已失效（流程已撤回或已结束）');
    if (err instanceof EngineError && !err.unreachable && !(await deps.engine.task(task.engine_task_id).catch(() => 'unknown')))
      throw errors.conflict('TASK_GONE', '该待办已失效（流程已撤回或已结束）');
    throw engineUnavailable(what);
  }
}

const actorOf = (p: Principal): Actor => ({ userId: p.userId, username: p.username, displayName: p.displayName });

async function taskOr404(db: Knex, taskId: number): Promise<TaskRow> {
  const task = await getTaskRow(db, taskId);
  if (!task) throw errors.notFound(`待办 #${taskId} 不存在`);
  return task;
}

/** 403 unless the person may act on the task now; claims it for them when it was offered to them. */
async function holderOrClaim(deps: InboxDeps, task: TaskRow, p: Principal): Promise<void> {
  const inv = await involvementOf(deps.db, task, p.userId);
  const holding = mayHold({
    userId: p.userId,
    assigneeId: task.assignee_user_id === null ? null : Number(task.assignee_user_id),
    candidate: inv.candidate,
  });
  if (holding.kind === 'refuse') throw new AppError(holding.status, holding.code, holding.message);
  if (holding.claim) await claimLoaded(deps, task, inv, p);
}

/** Readable by the people involved, and by anyone whose data scope holds the project's unit and who may read projects. */
export async function assertCanRead(db: Knex, task: TaskRow, p: Principal): Promise<void> {
  const inv = await involvementOf(db, task, p.userId);
  if (inv.participant) return;
  const inScope = p.permissions.has('projects:read') && (await canSee(db, p, task.unit_org_id));
  if (!inScope) throw errors.notFound(`待办 #${task.id} 不存在`);
}

export async function claim(deps: InboxDeps, taskId: number, p: Principal): Promise<void> {
  const task = await taskOr404(deps.db, taskId);
  assertOpen(task);
  await claimLoaded(deps, task, await involvementOf(deps.db, task, p.userId), p);
}

/** claim, with the task and the person's involvement already loaded (a completion that claims). */
async function claimLoaded(deps: InboxDeps, task: TaskRow, inv: Involvement, p: Principal): Promise<void> {
  const { db } = deps;
  const taskId = task.id;
  if (inv.assignee) return;
  if (!inv.candidate) throw new AppError(403, 'NOT_A_CANDIDATE', '您不是该待办的候选办理人');
  const n = await updateTask(db, taskId, { assignee_user_id: p.userId, claimed_at: new Date() }, (q) =>
    q.where('status', 'open').whereNull('assignee_user_id'),
  );
  if (n !== 1) throw errors.conflict('TASK_CLAIMED_BY_OTHER', '该待办已由他人签收，请刷新待办列表');
  try {
    // The inbox decided who wins (the conditional UPDATE above); the engine is told who it is.
    await engineCall(deps, task, '签收', () =>
      deps.engine.claimTask(task.engine_task_id, String(p.userId)).catch((err: unknown) => {
        if (err instanceof EngineError && !err.unreachable && !err.notFound)
          return deps.engine.setAssignee(task.engine_task_id, String(p.userId));
        throw err;
      }),
    );
  } catch (err) {
    await updateTask(db, taskId, { assignee_user_id: null, claimed_at: null }, (q) =>
      q.where({ status: 'open', assignee_user_id: p.userId }),
    );
    throw err;
  }
  await writeTaskEvent(db, taskId, actorOf(p), { kind: 'claimed' });
}

export async function unclaim(deps: InboxDeps, taskId: number, p: Principal): Promise<void> {
  const { db } = deps;
  const task = await taskOr404(db, taskId);
  assertOpen(task);
  const inv = await involvementOf(db, task, p.userId);
  if (!inv.assignee) throw errors.conflict('NOT_ASSIGNEE', '只有已签收的办理人可以退回签收');
  if (await db('inbox_task_signers').where({ task_id: taskId, status: 'pending' }).first('id'))
    throw errors.conflict('SIGNERS_PENDING', '有加签人尚未办理，不能退回签收');
  const n = await updateTask(db, taskId, { assignee_user_id: null, claimed_at: null }, (q) =>
    q.where({ assignee_user_id: p.userId, status: 'open' }),
  );
  if (n !== 1) throw errors.conflict('TASK_CHANGED', '待办状态已变化，请刷新后重试');
  try {
    await engineCall(deps, task, '退回签收', () => deps.engine.unclaimTask(task.engine_task_id));
  } catch (err) {
    await updateTask(db, taskId, { assignee_user_id: p.userId, claimed_at: new Date() }, (q) =>
      q.where('status', 'open').whereNull('assignee_user_id'),
    );
    throw err;
  }
  await writeTaskEvent(db, taskId, actorOf(p), { kind: 'unclaimed' });
}

export interface CompleteResult {
  taskId: number;
  /** completed: the engine moved on; signed: an added approver's opinion was recorded; forwarded: handed to the next added approver. */
  outcome: 'completed' | 'signed' | 'forwarded';
  /** The seal of a completion by a person with a signing key. */
  seal?: { auditRecordId: number; seq: number; keyId: string; verificationCode: string } | null;
}

/**
 * Completes a task with its form's data — one use case: the task and the person's involvement
 * are loaded once, the form is validated (an invalid submission leaves the task open and
 * untouched, not even claimed), domain/approval.ts `planCompletion` decides what the submission
 * means, and each phase is one transaction (the engine's part between them, see finish).
 */
export async function complete(
  deps: InboxDeps,
  taskId: number,
  p: Principal,
  data: unknown,
  signer: Signer | null = null,
): Promise<CompleteResult> {
  const { db } = deps;
  const task = await taskOr404(db, taskId);
  assertOpen(task);
  const [inv, pendingRows] = await Promise.all([
    involvementOf(db, task, p.userId),
    db('inbox_task_signers').where({ task_id: taskId, status: 'pending' }).orderBy('id') as Promise<
      Array<{ id: number; user_id: number; position: 'before' | 'after'; added_by: number }>
    >,
  ]);
  const pending: PendingSigner[] = pendingRows.map((s) => ({
    id: Number(s.id),
    userId: Number(s.user_id),
    position: s.position,
    addedBy: Number(s.added_by),
  }));
  // Who may submit is settled before the form is read: a stranger learns nothing from validation.
  const who = mayHold({
    userId: p.userId,
    assigneeId: task.assignee_user_id === null ? null : Number(task.assignee_user_id),
    candidate: inv.candidate,
  });
  if (who.kind === 'refuse') throw new AppError(who.status, who.code, who.message);

  // Run-time option lists the form's pickers draw from (会签人: the people eligible for this task).
  // Resolving them loads every reviewer's scope, so only forms that name the list pay for it —
  // not every completion, nor every task of a 批量审批.
  const needsCountersigners =
    formRegistry()
      .get(task.form_key)
      ?.fields.some((f) => 'optionsFrom' in f && f.optionsFrom === 'countersigners') ?? false;
  const lists: OptionLists = needsCountersigners ? { countersigners: (await eligibleUsers(db, task)).map((u) => u.id) } : {};
  const parsed = validateFormData(task.form_key, data, lists);
  if (!parsed.ok) throw errors.validation(parsed.issues);
  const values = parsed.data;
  const { decision, comment } = decisionOf(values);
  const plan = planCompletion({
    userId: p.userId,
    assigneeId: task.assignee_user_id === null ? null : Number(task.assignee_user_id),
    candidate: inv.candidate,
    pending,
    values,
    holderValues: task.form_data ? (JSON.parse(task.form_data) as Record<string, unknown>) : null,
  });

  switch (plan.kind) {
    case 'refuse':
      throw new AppError(plan.status, plan.code, plan.message);
    case 'sign-before': {
      // 前加签 is the engine's delegation: resolving hands the task back to the holder (its owner).
      await engineCall(deps, task, '加签意见', () => deps.engine.resolveTask(task.engine_task_id));
      await db.transaction(async (trx) => {
        await trx('inbox_task_signers').where({ id: plan.signer.id }).update({ status: 'done', decision, comment, acted_at: new Date() });
        await updateTask(trx, taskId, { assignee_user_id: plan.signer.addedBy });
        await writeTaskEvent(trx, taskId, actorOf(p), { kind: 'signed', decision, comment, data: { position: 'before', form: values } });
      });
      return { taskId, outcome: 'signed' };
    }
    case 'sign-after': {
      await db.transaction(async (trx) => {
        await trx('inbox_task_signers').where({ id: plan.signer.id }).update({ status: 'done', decision, comment, acted_at: new Date() });
        await writeTaskEvent(trx, taskId, actorOf(p), { kind: 'signed', decision, comment, data: { position: 'after', form: values } });
        if (plan.next) {
          await updateTask(trx, taskId, { assignee_user_id: plan.next.userId });
          await engineCall(deps, task, '加签意见', () => deps.engine.setAssignee(task.engine_task_id, String(plan.next!.userId)));
        }
      });
      if (plan.next) return { taskId, outcome: 'forwarded' };
      return sealedResult(taskId, await finish(deps, task, p, plan.finalValues, signer));
    }
    case 'forward': {
      if (plan.claim) await claimLoaded(deps, task, inv, p);
      await db.transaction(async (trx) => {
        await updateTask(trx, taskId, { assignee_user_id: plan.to.userId, decision, comment, form_data: JSON.stringify(values) });
        await writeTaskEvent(trx, taskId, actorOf(p), {
          kind: 'completed',
          decision,
          comment,
          data: { form: values, pendingSigners: pending.length },
        });
        // The engine's assignee follows who holds the task now (its history names each of them).
        await engineCall(deps, task, '办理', () => deps.engine.setAssignee(task.engine_task_id, String(plan.to.userId)));
      });
      return { taskId, outcome: 'forwarded' };
    }
    case 'complete':
      // An offered task is taken by its completion itself (no 签收 first): finish takes it only
      // while nobody holds it and names the person as the engine's assignee, so the engine's
      // history says who decided — one engine call, one audit record and a transaction fewer.
      return sealedResult(taskId, await finish(deps, task, p, plan.values, signer, plan.claim));
  }
}

function sealedResult(taskId: number, record: AppendedRecord): CompleteResult {
  const sealed = record.body.seal;
  return {
    taskId,
    outcome: 'completed',
    seal: sealed
      ? { auditRecordId: record.id, seq: record.seq, keyId: sealed.keyId, verificationCode: verificationCode(sealed.signature) }
      : null,
  };
}

/**
 * Tells the engine; see the two-phase note at the top. The seal (when the person has a signing
 * key, unlocked by the caller before the task was taken) is written in the transaction that marks
 * the task completed, after the engine accepted: a completion the engine refused has no seal.
 */
async function finish(
  deps: InboxDeps,
  task: TaskRow,
  p: Principal,
  values: Record<string, unknown>,
  signer: Signer | null,
  /** The task is offered to the person and nobody holds it: the completion takes it. */
  unheld = false,
): Promise<AppendedRecord> {
  const { db, engine } = deps;
  // The engine's assignee mirrors the inbox's (claim, 转办, 加签 all tell it); read who holds it now.
  const holder = (await db('inbox_tasks').where({ id: task.id }).first('assignee_user_id')) as
    { assignee_user_id: number | null } | undefined;
  const taken = await updateTask(
    db,
    task.id,
    { status: 'completing', completing_by: p.userId, completing_at: new Date(), completing_form: JSON.stringify(values) },
    (q) =>
      unheld
        ? q.where('status', 'open').where((w) => w.whereNull('assignee_user_id').orWhere('assignee_user_id', p.userId))
        : q.where('status', 'open'),
  );
  if (taken !== 1) {
    if (unheld) {
      const now = (await db('inbox_tasks').where({ id: task.id }).first('status', 'assignee_user_id')) as
        { status: string; assignee_user_id: number | null } | undefined;
      if (now?.status === 'open' && now.assignee_user_id !== null && Number(now.assignee_user_id) !== p.userId)
        throw errors.conflict('TASK_CLAIMED_BY_OTHER', '该待办已由他人签收，请刷新待办列表');
    }
    throw errors.conflict('TASK_ALREADY_COMPLETED', '该待办已办理，不能重复提交');
  }
  // Every field of the form is sent, hidden ones as null, so a gateway never reads a value left
  // over from an earlier step or round.
  const variables: Record<string, unknown> = {};
  for (const field of formRegistry().get(task.form_key)?.fields ?? []) variables[field.key] = values[field.key] ?? null;
  variables.lastDecisionBy = p.userId;
  try {
    // The real person is the assignee when the engine completes the task, so its history names them.
    if (Number(holder?.assignee_user_id) !== p.userId)
      await engine.retrying(() => engine.setAssignee(task.engine_task_id, String(p.userId)));
    await engine.retrying(() => engine.completeTask(task.engine_task_id, variables));
  } catch (err) {
    const gone =
      err instanceof EngineError &&
      (err.notFound || (!err.unreachable && !(await engine.task(task.engine_task_id).catch(() => 'unknown'))));
    if (gone) {
      // Gone because it was completed: an earlier submission of this task reached the engine but
      // its answer did not come back (the engine or this node died, a timeout), so the row was
      // put back to open and this is the retry. The completion stands; record it (unsealed, as
      // the sweep would) instead of calling the task canceled (found by the fault drill).
      const [ended] = await engine.historicTasks({ taskId: task.engine_task_id }).catch(() => []);
      if (ended?.deleteReason === 'completed') {
        const byId = ended.assignee && /^\d+$/.test(ended.assignee) ? Number(ended.assignee) : p.userId;
        const person = byId === p.userId ? p : await loadPrincipal(db, byId);
        await db.transaction(async (trx) => {
          const n = await trx('inbox_tasks')
            .where({ id: task.id, status: 'completing' })
            .update({ version: trx.raw('version + 1') });
          if (n !== 1) return;
          await recordCompletion(trx, task, person ? actorOf(person) : actorOf(p), values, {
            at: parseEngineDate(ended.endTime) ?? new Date(),
            recovered: '办理已在流程引擎中完成（上次提交的应答未送达），平台记录在重新提交时补记（未加盖电子签章）',
          });
        });
        if (deps.syncInstance) await deps.syncInstance(task.process_instance_key).catch(() => undefined);
        throw errors.conflict('TASK_ALREADY_COMPLETED', '该待办已在流程引擎中办理完成（上次提交已生效），记录已补齐，无需重复提交');
      }
      await db.transaction(async (trx) => {
        await closeTask(trx, task.id, 'canceled', { completing_by: null, completing_at: null, completing_form: null });
        await writeTaskEvent(trx, task.id, actorOf(p), { kind: 'canceled', comment: '流程引擎中已无此任务（流程已撤回或已结束）' });
      });
      throw errors.conflict('TASK_GONE', '该待办已失效（流程已撤回或已结束）');
    }
    await updateTask(db, task.id, { status: 'open', completing_by: null, completing_at: null, completing_form: null }, (q) =>
      q.where('status', 'completing'),
    );
    throw engineUnavailable('办理');
  }
  const sealing = signer
    ? sealWith(signer, {
        what: 'task.complete',
        who: { userId: p.userId, username: p.username, displayName: p.displayName, orgId: p.orgId, orgName: p.orgName },
        processInstance: task.process_instance_key,
        element: task.element_id,
        decision: { taskId: task.id, step: task.name, projectId: Number(task.business_id), ...decisionOf(values) },
        form: JSON.parse(JSON.stringify(values)) as Json,
      })
    : undefined;
  const record = await db.transaction((trx) => recordCompletion(trx, task, actorOf(p), values, { sealing }));
  if (deps.syncInstance) await deps.syncInstance(task.process_instance_key).catch(() => undefined); // the sweep catches up
  return record;
}

/** Eligible to take over or join a task: holds one of its candidate roles and sees the project's unit. */
/** One of the people eligibleUsers offers for taking the task over (转办, 加签), else a 400. */
async function assertEligible(db: Knex, task: TaskRow, userId: number, what: string): Promise<{ id: number; display_name: string }> {
  const user = (await db('users').where({ id: userId, status: 'active' }).first('id', 'display_name')) as
    { id: number; display_name: string } | undefined;
  if (!user) throw errors.badRequest('USER_NOT_FOUND', `${what}不存在或已停用`, [{ field: 'body.userId', message: '用户不存在' }]);
  const person = (await eligibleUsers(db, task)).find((u) => u.id === userId);
  if (!person?.canTakeOver)
    throw errors.badRequest('USER_NOT_ELIGIBLE', `${what}不具备办理该事项的角色或数据范围`, [
      { field: 'body.userId', message: '不能办理此事项' },
    ]);
  return user;
}

/**
 * People who may join a task, with the project's unit in their data scope: holders of a role that
 * reviews projects (会签人, 抄送) and holders of the task's own candidate roles. `canTakeOver`: holds
 * one of those candidate roles, so may be handed the task (转办, 加签) — assertEligible applies the
 * same rule, so the pickers offer exactly whom the server accepts.
 */
export async function eligibleUsers(
  db: Knex,
  task: TaskRow,
): Promise<Array<{ id: number; name: string; orgName: string; roles: string[]; canTakeOver: boolean }>> {
  const groups = JSON.parse(task.candidate_groups) as string[];
  const reviewing = ROLES.filter((r) => (r.permissions as readonly string[]).includes('projects:review')).map((r) => r.code);
  const ids = (await db('users as u')
    .join('user_roles as r', 'r.user_id', 'u.id')
    .whereIn('r.role', [...new Set([...reviewing, ...groups])])
    .where('u.status', 'active')
    .distinct('u.id')) as Array<{ id: number }>;
  // The people and the task's unit in two statements, whatever their number; the scope rule is
  // canSee's, applied in memory (orgInScope), not one query per person.
  const [people, unit] = await Promise.all([
    loadPrincipals(
      db,
      ids.map((u) => Number(u.id)),
    ),
    task.unit_org_id === null
      ? undefined
      : (db('organisations').where({ id: task.unit_org_id }).first('id', 'path', 'region_code') as Promise<
          { id: number; path: string; region_code: string } | undefined
        >),
  ]);
  const eligible = [];
  for (const target of people) {
    if (unit && orgInScope(target, unit)) {
      const canTakeOver = groups.length === 0 || target.roles.some((r) => groups.includes(r));
      eligible.push({ id: target.userId, name: target.displayName, orgName: target.orgName, roles: target.roles, canTakeOver });
    }
  }
  return eligible;
}

/** 转办: the holder hands the task to a colleague who may do it. */
export async function reassign(deps: InboxDeps, taskId: number, p: Principal, input: { userId: number; comment?: string }): Promise<void> {
  const { db } = deps;
  const task = await taskOr404(db, taskId);
  assertOpen(task);
  await holderOrClaim(deps, task, p);
  if (input.userId === p.userId) throw errors.badRequest('SAME_USER', '不能转办给自己');
  const target = await assertEligible(db, task, input.userId, '转办对象');
  await db.transaction(async (trx) => {
    const n = await updateTask(trx, taskId, { assignee_user_id: target.id, claimed_at: new Date() }, (q) =>
      q.where({ status: 'open', assignee_user_id: p.userId }),
    );
    if (n !== 1) throw errors.conflict('TASK_CHANGED', '待办状态已变化，请刷新后重试');
    // Inside the transaction: an engine that refuses leaves the inbox as it was.
    await engineCall(deps, task, '转办', () => deps.engine.setAssignee(task.engine_task_id, String(target.id)));
    // Held by the target now: a candidate, not offered.
    await trx('inbox_task_candidates')
      .insert({ task_id: taskId, user_id: target.id, offered: false })
      .onConflict(['task_id', 'user_id'])
      .ignore();
    await writeTaskEvent(trx, taskId, actorOf(p), {
      kind: 'reassigned',
      comment: input.comment ?? null,
      data: { to: target.id, toName: target.display_name },
    });
    await notifyAbout(
      trx,
      task,
      [target.id],
      'task-assigned',
      { fromName: p.displayName },
      `task-reassigned:${taskId}:${target.id}:${Date.now()}`,
    );
  });
}

/** 加签: adds an approver before (acts first, then the task returns) or after (acts after the holder). */
export async function addSigner(
  deps: InboxDeps,
  taskId: number,
  p: Principal,
  input: { userId: number; position: 'before' | 'after'; comment?: string },
): Promise<void> {
  const { db } = deps;
  const task = await taskOr404(db, taskId);
  assertOpen(task);
  await holderOrClaim(deps, task, p);
  if (input.userId === p.userId) throw errors.badRequest('SAME_USER', '不能给自己加签');
  const signer = await assertEligible(db, task, input.userId, '加签人');
  if (await db('inbox_task_signers').where({ task_id: taskId, user_id: signer.id, status: 'pending' }).first('id'))
    throw errors.conflict('ALREADY_SIGNER', '该人员已是本事项的加签人');
  await db.transaction(async (trx) => {
    await trx('inbox_task_signers').insert({
      task_id: taskId,
      user_id: signer.id,
      position: input.position,
      status: 'pending',
      added_by: p.userId,
      comment: null,
      created_at: new Date(),
    });
    // The task is held (by the holder, or by a 前加签 signer below): a candidate, not offered.
    await trx('inbox_task_candidates')
      .insert({ task_id: taskId, user_id: signer.id, offered: false })
      .onConflict(['task_id', 'user_id'])
      .ignore();
    if (input.position === 'before') {
      await updateTask(trx, taskId, { assignee_user_id: signer.id });
      // 前加签 is the engine's delegation: the signer acts first, then resolves it back to the holder.
      await engineCall(deps, task, '加签', () => deps.engine.delegateTask(task.engine_task_id, String(signer.id)));
    }
    await writeTaskEvent(trx, taskId, actorOf(p), {
      kind: 'signer_added',
      comment: input.comment ?? null,
      data: { userId: signer.id, name: signer.display_name, position: input.position },
    });
    if (input.position === 'before') await notifyAbout(trx, task, [signer.id], 'task-assigned', {}, `task-signer:${taskId}:${signer.id}`);
  });
}

/** 抄送: copies the task to people for information; they see it under 抄送我的. */
export async function copyTo(db: Knex, taskId: number, p: Principal, input: { userIds: number[]; comment?: string }): Promise<number> {
  const task = await taskOr404(db, taskId);
  const inv = await involvementOf(db, task, p.userId);
  if (!inv.participant) throw new AppError(403, 'NOT_A_PARTICIPANT', '只有办理人可以抄送');
  const users = (await db('users').whereIn('id', input.userIds).where('status', 'active').select('id')) as Array<{ id: number }>;
  if (users.length !== new Set(input.userIds).size)
    throw errors.badRequest('USER_NOT_FOUND', '抄送对象中有不存在或已停用的用户', [{ field: 'body.userIds', message: '用户不存在' }]);
  // A copy lets its reader open the task and its project (assertCanRead: a participant), so it
  // goes only to people who may read the project anyway: its unit in their data scope. Whoever is
  // not is refused like a user who does not exist, so other regions' accounts cannot be probed.
  for (const u of users) {
    const target = await loadPrincipal(db, Number(u.id));
    const mayRead = target?.permissions.has('projects:read') && (await canSee(db, target, task.unit_org_id));
    if (!mayRead)
      throw errors.badRequest('USER_NOT_FOUND', '抄送对象中有不存在、已停用或无权查看该项目的用户', [
        { field: 'body.userIds', message: '用户不存在或无权查看该项目' },
      ]);
  }
  return db.transaction(async (trx) => {
    const now = new Date();
    let added = 0;
    for (const u of users) {
      const r = await trx('inbox_copies')
        .insert({ task_id: taskId, user_id: u.id, copied_by: p.userId, created_at: now })
        .onConflict(['task_id', 'user_id'])
        .ignore();
      added += Array.isArray(r) && Number(r[0]) > 0 ? 1 : 0;
    }
    await writeTaskEvent(trx, taskId, actorOf(p), {
      kind: 'copied',
      comment: input.comment ?? null,
      data: { userIds: users.map((u) => Number(u.id)) },
    });
    await notifyAbout(
      trx,
      task,
      users.map((u) => Number(u.id)),
      'task-copied',
      { fromName: p.displayName, comment: input.comment ?? null },
      `task-copied:${taskId}:${now.getTime()}`,
    );
    return added;
  });
}

export const REMIND_INTERVAL_MINUTES = 60;

/** 催办: reminds whoever holds the task (or, unclaimed, its candidates); at most once an hour. */
export async function remind(db: Knex, taskId: number, p: Principal, now = new Date()): Promise<number> {
  const task = await taskOr404(db, taskId);
  assertOpen(task);
  await assertCanRead(db, task, p);
  const since = new Date(now.getTime() - REMIND_INTERVAL_MINUTES * 60_000);
  const n = await db('inbox_tasks')
    .where({ id: taskId, status: 'open' })
    .where((w) => w.whereNull('reminded_at').orWhere('reminded_at', '<', since))
    .update({ reminded_at: now });
  if (n !== 1) throw new AppError(429, 'REMIND_TOO_SOON', `${REMIND_INTERVAL_MINUTES} 分钟内已催办过，请稍后再催`);
  const holders =
    task.assignee_user_id !== null
      ? [Number(task.assignee_user_id)]
      : ((await db('inbox_task_candidates').where('task_id', taskId).select('user_id')) as Array<{ user_id: number }>).map((r) =>
          Number(r.user_id),
        );
  await db.transaction(async (trx) => {
    await writeTaskEvent(trx, taskId, actorOf(p), { kind: 'reminded', data: { to: holders } });
    await notifyAbout(trx, task, holders, 'task-reminder', { fromName: p.displayName }, `task-reminder:${taskId}:${now.getTime()}`);
  });
  return holders.length;
}

export async function comment(db: Knex, taskId: number, p: Principal, text: string): Promise<void> {
  const task = await taskOr404(db, taskId);
  await assertCanRead(db, task, p);
  await writeTaskEvent(db, taskId, actorOf(p), { kind: 'commented', comment: text });
}

async function notifyAbout(
  trx: Knex,
  task: TaskRow,
  userIds: number[],
  template: string,
  extra: Record<string, unknown>,
  dedupeKey: string,
): Promise<void> {
  const project = (await trx('projects').where('id', task.business_id).first('name', 'project_no')) as { name: string; project_no: string };
  const due = task.due_at ? toShanghaiIso(readInstant(task.due_at)).slice(0, 16).replace('T', ' ') : null;
  await notify(trx, {
    userIds,
    template,
    context: {
      step: task.name,
      projectName: project.name,
      projectNo: project.project_no,
      unitName: '',
      dueAt: due,
      fromName: '',
      comment: null,
      ...extra,
    },
    link: `/tasks/${task.id}`,
    dedupeKey,
  });
}
