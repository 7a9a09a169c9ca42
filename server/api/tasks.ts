import type { Router } from 'express';
import { z } from 'zod';
import { toShanghaiIso } from '../../domain/time';
import type { Principal } from '../auth/service';
import type { Db } from '../db';
import { EngineError, type EngineClient } from '../engine/client';
import { processModels } from '../engine/models';
import { namespaced, withoutNamespace } from '../engine/namespace';
import * as actions from '../inbox/actions';
import { listBusinessTodo } from '../inbox/business';
import { syncInstance as sync } from '../inbox/sync';
import type { Logger } from '../log';
import { activeIntake, submitProject, withdrawProject } from '../inbox/intake';
import { engineProgress, engineProgressOf } from '../inbox/history';
import { getTaskRow, involvementOf, listTasks, taskEvents, taskPermissions, taskSummary, type TaskRow } from '../inbox/tasks';
import { listNotifications, markRead } from '../notifications/service';
import { getProject } from '../projects/service';
import { projectVisibleTo } from '../projects/visibility';
import { readInstant } from '../db';
import { errors } from '../errors';
import { approvalDocument } from '../documents/approval';
import { renderApprovalPdf } from '../documents/pdf';
import type { KeyStore } from '../seals/key-store';
import { signerFor } from '../seals/seal';
import * as contracts from '../../contracts/tasks';
import { projectDetail } from '../../contracts/projects';
import { projectDetailJson } from './project-json';
import { mountRoutes, routesWith } from './route';
import { idParams, type RouteDoc } from './route-doc';

/**
 * The inbox over HTTP: a person's boxes, a task with everything needed to decide it, the actions
 * Chinese approvers expect, the project's process (送审, 撤回, live diagram), and notifications.
 * Every route needs a session; what a person may do with a task is decided per task (candidate,
 * holder, participant, or the project's unit in their scope), not by a blanket permission.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

const PROGRESS_NOTE =
  'progress 来自流程引擎的历史并合并本平台的办理记录：completed 已经过、active 当前、failed 出错（有未处理的引擎事件）的 BPMN 元素；steps 按引擎开始的先后列出每个环节（elementId、name、type、status completed|active|failed|canceled、startedAt、endedAt、actor 办理人或“系统自动”、taskId、decision、decisionLabel、comment、sealed、auditRecordId、verificationCode、incident）。source 为 engine；引擎不可用或没有该实例的历史时为 platform（按本平台记录），notice 说明原因。';

type TaskDeps = {
  db: Db;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
  log: Logger;
  syncInstance: (processInstanceId: string) => Promise<unknown>;
};
const route = routesWith<TaskDeps>();

/** The task of the path, when the person may read it; otherwise a 404 (or the refusal of assertCanRead). */
async function readableTask(db: Db, p: Principal, id: number): Promise<TaskRow> {
  const task = await getTaskRow(db, id);
  if (!task) throw errors.notFound(`待办 #${id} 不存在`);
  await actions.assertCanRead(db, task, p);
  return task;
}

async function projectInScope(db: Db, p: Principal, id: number): Promise<number> {
  if (!(await projectVisibleTo(db, p, id))) throw errors.notFound(`项目 #${id} 不存在`);
  return id;
}

const inboxDeps = (deps: TaskDeps) => ({ db: deps.db, engine: deps.engine, syncInstance: deps.syncInstance });

/** A task action: POST /api/tasks/{id}/<action>, on a task the person may read; `{ ok: true }` when the action answers nothing. */
const taskAction = <BS extends z.ZodType | undefined = undefined>(
  decl: Pick<RouteDoc, 'path' | 'summary' | 'refusals' | 'description' | 'response'> & {
    body?: BS;
    run: (ctx: {
      deps: TaskDeps;
      task: TaskRow;
      p: Principal;
      body: BS extends z.ZodType ? z.infer<BS> : undefined;
      ip: string | undefined;
    }) => Promise<unknown>;
  },
) => {
  const { run, ...doc } = decl;
  return route({
    ...doc,
    method: 'post',
    tag: 'inbox',
    access: 'login',
    params: idParams,
    notFound: '待办',
    handle: async ({ deps, principal, params, body, req }) => {
      const task = await readableTask(deps.db, principal, params.id);
      const result = await run({ deps, task, p: principal, body: body as never, ip: req.ip });
      return result ?? { ok: true };
    },
  });
};

export const taskRoutes = [
  route({
    method: 'get',
    path: '/api/tasks',
    summary: '我的待办 / 已办 / 抄送我的，分页',
    tag: 'inbox',
    access: 'login',
    query: contracts.taskListQuery,
    response: contracts.taskPage,
    description:
      '待办箱另有 business：本人可办理的业务事项（用款申请、国库支付核实、预算调整、预算分配、决算、绩效监控），数据范围与各自页面相同，且本人持有该环节的候选角色（或已指派给本人）；在 link 所指的页面办理。引擎未应答时 business.engineAway 为 true，申报审核的待办照常列出。',
    handle: async ({ deps, principal, query }) => {
      const q = { ...query, overdue: query.overdue === 'true' };
      if (q.box !== 'todo') return listTasks(deps.db, principal.userId, q);
      // Side by side: the intake query is not slowed by the business steps' engine read.
      const [page, business] = await Promise.all([listTasks(deps.db, principal.userId, q), listBusinessTodo(deps, principal, q)]);
      return { ...page, business };
    },
  }),
  route({
    method: 'get',
    path: '/api/tasks/{id}',
    summary: '待办详情：表单数据、项目、流程历史、当前进度、可执行的操作',
    tag: 'inbox',
    access: 'login',
    params: idParams,
    notFound: '待办',
    description: PROGRESS_NOTE,
    response: contracts.taskDetail,
    handle: async ({ deps: { db, engine }, principal: p, params }) => {
      const task = await readableTask(db, p, params.id);
      const inv = await involvementOf(db, task, p.userId);
      const [row] = (await db('inbox_tasks as t')
        .join('organisations as o', 'o.id', 't.unit_org_id')
        .leftJoin('users as a', 'a.id', 't.assignee_user_id')
        .where('t.id', task.id)
        .select('t.*', 'o.name as unit_name', 'a.display_name as assignee_name')) as Array<
        TaskRow & { unit_name: string; assignee_name: string | null }
      >;
      const instanceTasks = (await db('inbox_tasks')
        .where('process_instance_key', task.process_instance_key)
        .orderBy('id')
        .select('id', 'name', 'element_id')) as Array<{
        id: number;
        name: string;
        element_id: string;
      }>;
      const events = await taskEvents(
        db,
        instanceTasks.map((t) => Number(t.id)),
      );
      const names = new Map(instanceTasks.map((t) => [Number(t.id), t.name]));
      const signers = (await db('inbox_task_signers as s')
        .join('users as u', 'u.id', 's.user_id')
        .where('s.task_id', task.id)
        .orderBy('s.id')
        .select('s.*', 'u.display_name')) as Array<Record<string, unknown>>;
      return {
        task: {
          ...taskSummary(row!),
          formData: task.form_data ? (JSON.parse(task.form_data) as Record<string, unknown>) : null,
          comment: task.comment,
        },
        project: await getProject(db, task.business_id, p.orgId).then((p2) => p2 && projectDetailJson(p2, p)),
        history: events.map((e) => ({ ...e, step: names.get(e.taskId) ?? '' })),
        signers: signers.map((s) => ({
          userId: Number(s.user_id),
          name: String(s.display_name),
          position: s.position as 'before' | 'after',
          status: String(s.status),
          decision: (s.decision as string | null) ?? null,
          comment: (s.comment as string | null) ?? null,
        })),
        progress: await engineProgress(engine, db, task.process_instance_key),
        can: taskPermissions(task, inv),
      };
    },
  }),
  taskAction({
    path: '/api/tasks/{id}/claim',
    summary: '签收',
    refusals: [409],
    response: contracts.taskDone,
    run: ({ deps, task, p }) => actions.claim(inboxDeps(deps), task.id, p),
  }),
  taskAction({
    path: '/api/tasks/{id}/unclaim',
    summary: '退回签收（回到候选人）',
    refusals: [409],
    response: contracts.taskDone,
    run: ({ deps, task, p }) => actions.unclaim(inboxDeps(deps), task.id, p),
  }),
  // A decision is sealed: the PIN is checked before the task is taken (server/seals/seal.ts signerFor).
  taskAction({
    path: '/api/tasks/{id}/complete',
    summary: '办理（提交表单与审批意见）',
    body: contracts.completeBody,
    refusals: [409, 503],
    description:
      '表单按定义校验，不合格为 400 且待办保持未办；已办理为 409 TASK_ALREADY_COMPLETED；不是办理人为 403 NOT_A_CANDIDATE。已开通电子签章者须带 signingPin（缺少为 400 SIGNING_PIN_REQUIRED，错误为 400 SEAL_PIN_WRONG，锁定为 423 SEAL_LOCKED，同一地址或同一签章人 15 分钟内错误 10 次后为 429 SEAL_PIN_RATE_LIMITED；均在领取待办之前检查，待办保持未办），办结记录在引擎接受后签章。',
    response: contracts.completeResult,
    run: async ({ deps, task, p, body, ip }) =>
      actions.complete(
        inboxDeps(deps),
        task.id,
        p,
        body.data,
        await signerFor(deps.keyStore, p.userId, body.signingPin, '办理审批', { ip }),
      ),
  }),
  taskAction({
    path: '/api/tasks/{id}/reassign',
    summary: '转办',
    body: contracts.reassignBody,
    refusals: [409],
    response: contracts.taskDone,
    run: ({ deps, task, p, body }) => actions.reassign(inboxDeps(deps), task.id, p, body),
  }),
  taskAction({
    path: '/api/tasks/{id}/signers',
    summary: '加签（前加签 / 后加签）',
    body: contracts.signerBody,
    refusals: [409],
    response: contracts.taskDone,
    run: ({ deps, task, p, body }) => actions.addSigner(inboxDeps(deps), task.id, p, body),
  }),
  taskAction({
    path: '/api/tasks/{id}/copies',
    summary: '抄送',
    body: contracts.copyBody,
    response: contracts.copiesAdded,
    run: async ({ deps, task, p, body }) => ({ added: await actions.copyTo(deps.db, task.id, p, body) }),
  }),
  taskAction({
    path: '/api/tasks/{id}/remind',
    summary: '催办（每小时至多一次）',
    refusals: [409],
    response: contracts.reminded,
    run: async ({ deps, task, p }) => ({ reminded: await actions.remind(deps.db, task.id, p) }),
  }),
  taskAction({
    path: '/api/tasks/{id}/comments',
    summary: '添加意见',
    body: contracts.commentBody,
    response: contracts.taskDone,
    run: ({ deps, task, p, body }) => actions.comment(deps.db, task.id, p, body.text),
  }),
  /** 批量审批: the same decision on many tasks; each succeeds or fails on its own. */
  route({
    method: 'post',
    path: '/api/tasks/batch-complete',
    summary: '批量审批',
    tag: 'inbox',
    access: 'login',
    body: contracts.batchBody,
    description: '逐个办理，互不影响；结果中列出每个待办成功与否及原因。签章密码（signingPin）对整批只核验一次，错误时整批不办理。',
    response: contracts.batchResult,
    handle: async ({ deps, principal: p, body: b, req }) => {
      const signer = await signerFor(deps.keyStore, p.userId, b.signingPin, '批量审批', { ip: req.ip }); // one PIN for the whole batch
      const results = [];
      for (const id of [...new Set(b.taskIds)]) {
        try {
          await readableTask(deps.db, p, id);
          const r = await actions.complete(inboxDeps(deps), id, p, b.data, signer);
          results.push({ taskId: id, ok: true, outcome: r.outcome });
        } catch (err) {
          const e = err as { status?: number; code?: string; message?: string };
          if (typeof e.status !== 'number' || e.status >= 500) throw err;
          results.push({ taskId: id, ok: false, code: e.code, message: e.message });
        }
      }
      return { results, completed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
    },
  }),
  /** 审批单 (PDF): the completed task's decision with its seal and verification code; for whoever may read the task. */
  route({
    method: 'get',
    path: '/api/tasks/{id}/document.pdf',
    summary: '审批单 PDF（审批详情、红色电子签章、核验码与审计记录编号）',
    tag: 'inbox',
    access: 'login',
    params: idParams,
    notFound: '待办',
    refusals: [409],
    ok: { status: 200, description: 'PDF 文件' },
    description: '能查看该待办的人可下载；未办结为 409 TASK_NOT_COMPLETED。',
    handle: async ({ deps: { db }, principal, params, res }) => {
      const task = await readableTask(db, principal, params.id);
      const doc = await approvalDocument(db, task.id);
      const pdf = await renderApprovalPdf(doc);
      res.setHeader('content-disposition', `attachment; filename="approval-${doc.projectNo}-${task.id}.pdf"`);
      res.type('application/pdf').send(pdf);
      return undefined;
    },
  }),
  /** People who may take over or join a task (转办, 加签, 会签人): hold a reviewing role and see its unit. */
  route({
    method: 'get',
    path: '/api/tasks/{id}/eligible-users',
    summary: '可转办、加签、会签的人员',
    tag: 'inbox',
    access: 'login',
    params: idParams,
    notFound: '待办',
    response: contracts.eligibleUsers,
    handle: async ({ deps: { db }, principal, params }) => ({
      items: await actions.eligibleUsers(db, await readableTask(db, principal, params.id)),
    }),
  }),

  // ---------------------------------------------------------------------------------------------
  // The project's process

  route({
    method: 'post',
    path: '/api/projects/{id}/submit',
    summary: '送审：启动项目申报审核流程',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    notFound: '项目',
    body: contracts.submitBody,
    refusals: [409, 503],
    response: projectDetail,
    handle: async ({ deps, principal, params, body }) => {
      const id = await projectInScope(deps.db, principal, params.id);
      const { db, engine, namespace, syncInstance } = deps;
      return projectDetailJson(await submitProject({ db, engine, namespace, syncInstance }, principal, id, body.version), principal);
    },
  }),
  route({
    method: 'post',
    path: '/api/projects/{id}/withdraw',
    summary: '撤回：审核人员办理前收回申报',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    notFound: '项目',
    body: contracts.withdrawBody,
    refusals: [409, 503],
    response: projectDetail,
    handle: async ({ deps: { db, engine }, principal, params, body }) => {
      const id = await projectInScope(db, principal, params.id);
      return projectDetailJson(await withdrawProject({ db, engine }, principal, id, body.reason), principal);
    },
  }),
  /**
   * Every process the project went through, newest first: where it stands (the engine's history
   * merged with our records: one engine call per instance), its steps' history, its open tasks.
   */
  route({
    method: 'get',
    path: '/api/projects/{id}/processes',
    summary: '项目经历的流程：进度与办理历史',
    tag: 'projects',
    access: 'projects:read',
    params: idParams,
    notFound: '项目',
    description: `每个流程的 progress 同待办详情。${PROGRESS_NOTE}`,
    response: contracts.projectProcesses,
    handle: async ({ deps: { db, engine }, principal, params }) => {
      const id = await projectInScope(db, principal, params.id);
      const instances = (await db('process_instances').where({ business_type: 'project', business_id: id }).orderBy('id', 'desc')) as Array<
        Record<string, unknown>
      >;
      const keys = instances.map((i) => String(i.process_instance_key));
      const tasks = keys.length
        ? ((await db('inbox_tasks as t')
            .leftJoin('users as a', 'a.id', 't.assignee_user_id')
            .whereIn('t.process_instance_key', keys)
            .orderBy('t.id')
            .select('t.id', 't.name', 't.status', 't.process_instance_key', 'a.display_name as assignee')) as Array<{
            id: number;
            name: string;
            status: string;
            process_instance_key: string;
            assignee: string | null;
          }>)
        : [];
      const names = new Map(tasks.map((t) => [Number(t.id), t.name]));
      const instanceOf = new Map(tasks.map((t) => [Number(t.id), t.process_instance_key]));
      const events = await taskEvents(
        db,
        tasks.map((t) => Number(t.id)),
      );
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
          openTasks: tasks
            .filter((t) => t.process_instance_key === key && t.status === 'open')
            .map((t) => ({ id: Number(t.id), name: t.name, assignee: t.assignee })),
        };
      });
      return { items, inReview: !!(await activeIntake(db, id)) };
    },
  }),
  /**
   * A model's diagram: with `instance`, the version that instance runs on (the engine's XML, so a
   * version deployed from the designer is drawn as it is); without, the model in processes/
   * (namespaces aside).
   */
  route({
    method: 'get',
    path: '/api/processes/{processId}/diagram',
    summary: '流程图（BPMN XML）：给出 instance 时为该实例实际运行的版本',
    tag: 'inbox',
    access: 'login',
    params: z.object({ processId: z.string().describe('流程标识') }),
    query: z.object({
      instance: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .optional()
        .describe('流程实例编号：给出时答该实例运行的流程版本（引擎中的定义）'),
    }),
    ok: { status: 200, description: 'BPMN 2.0 XML' },
    handle: async ({ deps: { engine, namespace }, params, query, res }) => {
      const model = processModels().get(params.processId);
      if (!model) throw errors.notFound(`流程 ${params.processId} 不存在`);
      if (!query.instance) {
        res.type('application/xml').send(model.xml);
        return undefined;
      }
      const key = namespaced(namespace, params.processId);
      // The engine away: the model of processes/ stands in (the page still draws its progress on
      // it, as before instances were drawn on their own version).
      const instance = await engine.historicProcessInstance(query.instance).catch((err: unknown) => {
        if (err instanceof EngineError && err.unreachable) return 'away' as const;
        throw err;
      });
      if (instance === 'away') {
        res.type('application/xml').send(model.xml);
        return undefined;
      }
      if (!instance || instance.processDefinitionKey !== key) throw errors.notFound(`流程 ${params.processId} 没有实例 ${query.instance}`);
      const [definition] = await engine.processDefinitions({ key, version: instance.processDefinitionVersion });
      if (!definition) throw errors.notFound(`流程 ${params.processId} 的第 ${instance.processDefinitionVersion} 版不存在`);
      res.type('application/xml').send(withoutNamespace((await engine.processDefinitionXml(definition.id)).bpmn20Xml, namespace));
      return undefined;
    },
  }),

  // ---------------------------------------------------------------------------------------------
  // Notifications

  route({
    method: 'get',
    path: '/api/notifications',
    summary: '站内通知',
    tag: 'inbox',
    access: 'login',
    query: contracts.notificationsQuery,
    response: contracts.notificationPage,
    handle: async ({ deps: { db }, principal, query: q }) => {
      const page = await listNotifications(db, principal.userId, { unreadOnly: q.unread === 'true', page: q.page, pageSize: q.pageSize });
      return {
        ...page,
        items: page.items.map((n) => ({ ...n, createdAt: toShanghaiIso(n.createdAt), readAt: n.readAt ? toShanghaiIso(n.readAt) : null })),
      };
    },
  }),
  route({
    method: 'post',
    path: '/api/notifications/read',
    summary: '标记通知已读',
    tag: 'inbox',
    access: 'login',
    body: contracts.readBody,
    ok: { status: 204, description: '已标记' },
    handle: async ({ deps: { db }, principal, body: b }) => {
      await markRead(db, principal.userId, 'all' in b ? 'all' : b.ids);
    },
  }),
];

export function tasksRouter({
  db,
  engine,
  namespace,
  keyStore,
  log,
}: {
  db: Db;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
  log: Logger;
}): Router {
  const syncInstance = (processInstanceId: string) => sync({ db, engine, namespace, log }, processInstanceId);
  return mountRoutes(db, { db, engine, namespace, keyStore, log, syncInstance }, taskRoutes);
}
