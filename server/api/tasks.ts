import { Router, type Response } from 'express';
import { z } from 'zod';
import { toShanghaiIso } from '../../domain/time';
import type { Principal } from '../auth/service';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { processModels } from '../engine/models';
import * as actions from '../inbox/actions';
import { syncInstance as sync } from '../inbox/sync';
import type { Logger } from '../log';
import { activeIntake, submitProject, withdrawProject } from '../inbox/intake';
import { engineProgress, engineProgressOf } from '../inbox/history';
import { getTaskRow, involvementOf, listTasks, taskEvents, taskSummary, type TaskRow } from '../inbox/tasks';
import { listNotifications, markRead } from '../notifications/service';
import { getProject } from '../projects/service';
import { projectVisibleTo } from '../projects/visibility';
import { readInstant } from '../db';
import { errors } from '../errors';
import { approvalDocument } from '../documents/approval';
import { renderApprovalPdf } from '../documents/pdf';
import type { KeyStore } from '../seals/key-store';
import { signerFor } from '../seals/seal';
import { validate } from './validate';

/**
 * The inbox over HTTP: a person's boxes, a task with everything needed to decide it, the actions
 * Chinese approvers expect, the project's process (送审, 撤回, live diagram), and notifications.
 * Every route needs a session; what a person may do with a task is decided per task (candidate,
 * holder, participant, or the project's unit in their scope), not by a blanket permission.
 */

const userId = z.number().int().positive().max(2_147_483_647);
export const taskListQuery = z
  .object({
    box: z.enum(['todo', 'done', 'cc']).default('todo'),
    keyword: z.string().trim().min(1).max(50).optional(),
    processId: z.string().trim().min(1).max(100).optional(),
    formKey: z.string().trim().min(1).max(100).optional(),
    overdue: z.enum(['true', 'false']).optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
const signingPin = z.string().min(1).max(64);
export const completeBody = z.object({ data: z.record(z.string(), z.unknown()), signingPin: signingPin.optional() }).strict();
export const reassignBody = z.object({ userId, comment: z.string().trim().max(500).optional() }).strict();
export const signerBody = z.object({ userId, position: z.enum(['before', 'after']), comment: z.string().trim().max(500).optional() }).strict();
export const copyBody = z.object({ userIds: z.array(userId).min(1).max(20), comment: z.string().trim().max(500).optional() }).strict();
export const commentBody = z.object({ text: z.string().trim().min(1).max(500) }).strict();
export const batchBody = z.object({ taskIds: z.array(userId).min(1).max(50), data: z.record(z.string(), z.unknown()), signingPin: signingPin.optional() }).strict();
export const submitBody = z.object({ version: z.number().int().positive() }).strict();
export const withdrawBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
export const notificationsQuery = z
  .object({ unread: z.enum(['true', 'false']).optional(), page: z.coerce.number().int().min(1).max(10_000).default(1), pageSize: z.coerce.number().int().min(1).max(100).default(20) })
  .strict();
export const readBody = z.union([z.object({ ids: z.array(userId).min(1).max(200) }).strict(), z.object({ all: z.literal(true) }).strict()]);

export function tasksRouter({ db, engine, namespace, keyStore, log }: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore; log: Logger }): Router {
  const router = Router();
  const login = requireLogin(db);
  const syncInstance = (processInstanceId: string) => sync({ db, engine, namespace, log }, processInstanceId);
  const deps = { db, engine, syncInstance };

  const taskParam = async (res: Response, raw: unknown): Promise<TaskRow> => {
    const id = idParam(raw, '待办');
    const task = await getTaskRow(db, id);
    if (!task) throw errors.notFound(`待办 #${String(raw)} 不存在`);
    await actions.assertCanRead(db, task, principalOf(res));
    return task;
  };
  const projectInScope = async (res: Response, raw: unknown): Promise<number> => {
    const id = idParam(raw, '项目');
    if (!(await projectVisibleTo(db, principalOf(res), id))) throw errors.notFound(`项目 #${String(raw)} 不存在`);
    return id;
  };

  router.get('/tasks', login, validate({ query: taskListQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof taskListQuery>;
    res.json(await listTasks(db, principalOf(res).userId, { ...q, overdue: q.overdue === 'true' }));
  });

  router.get('/tasks/:id', login, async (req, res) => {
    const task = await taskParam(res, req.params.id);
    const p = principalOf(res);
    const inv = await involvementOf(db, task, p.userId);
    const [row] = (await db('inbox_tasks as t')
      .join('organisations as o', 'o.id', 't.unit_org_id')
      .leftJoin('users as a', 'a.id', 't.assignee_user_id')
      .where('t.id', task.id)
      .select('t.*', 'o.name as unit_name', 'a.display_name as assignee_name')) as Array<TaskRow & { unit_name: string; assignee_name: string | null }>;
    const instanceTasks = (await db('inbox_tasks').where('process_instance_key', task.process_instance_key).orderBy('id').select('id', 'name', 'element_id')) as Array<{ id: number; name: string; element_id: string }>;
    const events = await taskEvents(db, instanceTasks.map((t) => Number(t.id)));
    const names = new Map(instanceTasks.map((t) => [Number(t.id), t.name]));
    const signers = (await db('inbox_task_signers as s').join('users as u', 'u.id', 's.user_id').where('s.task_id', task.id).orderBy('s.id').select('s.*', 'u.display_name')) as Array<Record<string, unknown>>;
    const open = task.status === 'open';
    res.json({
      task: { ...taskSummary(row!), formData: task.form_data ? (JSON.parse(task.form_data) as unknown) : null, comment: task.comment },
      project: await getProject(db, task.business_id, p.orgId).then((p2) => p2 && { ...p2, createdAt: toShanghaiIso(p2.createdAt), updatedAt: toShanghaiIso(p2.updatedAt) }),
      history: events.map((e) => ({ ...e, step: names.get(e.taskId) ?? '' })),
      signers: signers.map((s) => ({ userId: Number(s.user_id), name: String(s.display_name), position: s.position, status: s.status, decision: s.decision ?? null, comment: s.comment ?? null })),
      progress: await engineProgress(engine, db, task.process_instance_key),
      can: {
        claim: open && inv.candidate && task.assignee_user_id === null,
        unclaim: open && inv.assignee,
        complete: open && (inv.assignee || (inv.candidate && task.assignee_user_id === null)),
        delegate: open && (inv.assignee || (inv.candidate && task.assignee_user_id === null)),
        copy: inv.participant,
        remind: open && !inv.assignee,
      },
    });
  });

  const act = (path: string, body: z.ZodType | null, run: (task: TaskRow, p: Principal, body: never, from: { ip?: string }) => Promise<unknown>) =>
    router.post(`/tasks/:id/${path}`, login, ...(body ? [validate({ body })] : []), async (req, res) => {
      const task = await taskParam(res, req.params.id);
      const result = await run(task, principalOf(res), res.locals.body as never, { ip: req.ip });
      res.json(result ?? { ok: true });
    });

  act('claim', null, (t, p) => actions.claim(deps, t.id, p));
  act('unclaim', null, (t, p) => actions.unclaim(deps, t.id, p));
  // A decision is sealed: the PIN is checked before the task is taken (server/seals/seal.ts signerFor).
  act('complete', completeBody, async (t, p, b: z.infer<typeof completeBody>, from) => actions.complete(deps, t.id, p, b.data, await signerFor(keyStore, p.userId, b.signingPin, '办理审批', from)));
  act('reassign', reassignBody, (t, p, b: z.infer<typeof reassignBody>) => actions.reassign(deps, t.id, p, b));
  act('signers', signerBody, (t, p, b: z.infer<typeof signerBody>) => actions.addSigner(deps, t.id, p, b));
  act('copies', copyBody, async (t, p, b: z.infer<typeof copyBody>) => ({ added: await actions.copyTo(db, t.id, p, b) }));
  act('remind', null, async (t, p) => ({ reminded: await actions.remind(db, t.id, p) }));
  act('comments', commentBody, (t, p, b: z.infer<typeof commentBody>) => actions.comment(db, t.id, p, b.text));

  /** 批量审批: the same decision on many tasks; each succeeds or fails on its own. */
  router.post('/tasks/batch-complete', login, validate({ body: batchBody }), async (req, res) => {
    const b = res.locals.body as z.infer<typeof batchBody>;
    const p = principalOf(res);
    const signer = await signerFor(keyStore, p.userId, b.signingPin, '批量审批', { ip: req.ip }); // one PIN for the whole batch
    const results = [];
    for (const id of [...new Set(b.taskIds)]) {
      try {
        const task = await getTaskRow(db, id);
        if (!task) throw errors.notFound(`待办 #${id} 不存在`);
        await actions.assertCanRead(db, task, p);
        const r = await actions.complete(deps, id, p, b.data, signer);
        results.push({ taskId: id, ok: true, outcome: r.outcome });
      } catch (err) {
        const e = err as { status?: number; code?: string; message?: string };
        if (typeof e.status !== 'number' || e.status >= 500) throw err;
        results.push({ taskId: id, ok: false, code: e.code, message: e.message });
      }
    }
    res.json({ results, completed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length });
  });

  /** 审批单 (PDF): the completed task's decision with its seal and verification code; for whoever may read the task. */
  router.get('/tasks/:id/document.pdf', login, async (req, res) => {
    const task = await taskParam(res, req.params.id);
    const doc = await approvalDocument(db, task.id);
    const pdf = await renderApprovalPdf(doc);
    res.setHeader('content-disposition', `attachment; filename="approval-${doc.projectNo}-${task.id}.pdf"`);
    res.type('application/pdf').send(pdf);
  });

  /** People who may take over or join a task (转办, 加签, 会签人): hold a reviewing role and see its unit. */
  router.get('/tasks/:id/eligible-users', login, async (req, res) => {
    const task = await taskParam(res, req.params.id);
    res.json({ items: await actions.eligibleUsers(db, task) });
  });

  // ---------------------------------------------------------------------------------------------
  // The project's process

  router.post('/projects/:id/submit', login, requirePermission('projects:write'), validate({ body: submitBody }), async (req, res) => {
    const id = await projectInScope(res, req.params.id);
    const project = await submitProject({ db, engine, namespace, syncInstance }, principalOf(res), id, (res.locals.body as z.infer<typeof submitBody>).version);
    res.json({ ...project, createdAt: toShanghaiIso(project.createdAt), updatedAt: toShanghaiIso(project.updatedAt) });
  });

  router.post('/projects/:id/withdraw', login, requirePermission('projects:write'), validate({ body: withdrawBody }), async (req, res) => {
    const id = await projectInScope(res, req.params.id);
    const project = await withdrawProject({ db, engine }, principalOf(res), id, (res.locals.body as z.infer<typeof withdrawBody>).reason);
    res.json({ ...project, createdAt: toShanghaiIso(project.createdAt), updatedAt: toShanghaiIso(project.updatedAt) });
  });

  /**
   * Every process the project went through, newest first: where it stands (the engine's history
   * merged with our records: one engine call per instance), its steps' history, its open tasks.
   */
  router.get('/projects/:id/processes', login, requirePermission('projects:read'), async (req, res) => {
    const id = await projectInScope(res, req.params.id);
    const instances = (await db('process_instances').where({ business_type: 'project', business_id: id }).orderBy('id', 'desc')) as Array<Record<string, unknown>>;
    const keys = instances.map((i) => String(i.process_instance_key));
    const tasks = keys.length
      ? ((await db('inbox_tasks as t').leftJoin('users as a', 'a.id', 't.assignee_user_id').whereIn('t.process_instance_key', keys).orderBy('t.id').select('t.id', 't.name', 't.status', 't.process_instance_key', 'a.display_name as assignee')) as Array<{ id: number; name: string; status: string; process_instance_key: string; assignee: string | null }>)
      : [];
    const names = new Map(tasks.map((t) => [Number(t.id), t.name]));
    const instanceOf = new Map(tasks.map((t) => [Number(t.id), t.process_instance_key]));
    const events = await taskEvents(db, tasks.map((t) => Number(t.id)));
    const progress = await engineProgressOf(engine, db, keys);
    const items = instances.map((i) => {
      const key = String(i.process_instance_key);
      return {
        processInstanceKey: key,
        processId: String(i.process_id),
        processName: processModels().get(String(i.process_id))?.name ?? String(i.process_id),
        status: String(i.status),
        outcome: (i.outcome as string | null) ?? null,
        startedAt: toShanghaiIso(readInstant(i.started_at)),
        endedAt: i.ended_at ? toShanghaiIso(readInstant(i.ended_at)) : null,
        progress: progress.get(key)!,
        history: events.filter((e) => instanceOf.get(e.taskId) === key).map((e) => ({ ...e, step: names.get(e.taskId) ?? '' })),
        openTasks: tasks.filter((t) => t.process_instance_key === key && t.status === 'open').map((t) => ({ id: Number(t.id), name: t.name, assignee: t.assignee })),
      };
    });
    res.json({ items, inReview: !!(await activeIntake(db, id)) });
  });

  /** A model's diagram, as deployed from processes/ (namespaces aside). */
  router.get('/processes/:processId/diagram', login, async (req, res) => {
    const model = processModels().get(String(req.params.processId));
    if (!model) throw errors.notFound(`流程 ${String(req.params.processId)} 不存在`);
    res.type('application/xml').send(model.xml);
  });

  // ---------------------------------------------------------------------------------------------
  // Notifications

  router.get('/notifications', login, validate({ query: notificationsQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof notificationsQuery>;
    const page = await listNotifications(db, principalOf(res).userId, { unreadOnly: q.unread === 'true', page: q.page, pageSize: q.pageSize });
    res.json({ ...page, items: page.items.map((n) => ({ ...n, createdAt: toShanghaiIso(n.createdAt), readAt: n.readAt ? toShanghaiIso(n.readAt) : null })) });
  });

  router.post('/notifications/read', login, validate({ body: readBody }), async (_req, res) => {
    const b = res.locals.body as z.infer<typeof readBody>;
    await markRead(db, principalOf(res).userId, 'all' in b ? 'all' : b.ids);
    res.status(204).end();
  });

  return router;
}

function idParam(raw: unknown, what: string): number {
  const n = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (n < 1 || n > 2_147_483_647) throw errors.notFound(`${what} #${String(raw)} 不存在`);
  return n;
}
