import type { TrialState, TrialSummary, TrialTimerFired } from '../../contracts/trials';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sm3Hex } from '../../domain/digest';
import { toShanghaiIso } from '../../domain/time';
import { allWorkers } from '../../workers';
import { EngineError, fromEngineVariables, parseEngineDate, type EngineClient, type TypedValue } from '../engine/client';
import { listProcessResources } from '../engine/deploy';
import { namespaced, withoutNamespace } from '../engine/namespace';
import { errors } from '../errors';
import type { FormRegistry } from '../forms';
import type { Logger } from '../log';
import { appendAudit } from '../audit/chain';
import type { Db } from '../db';
import { withoutDecisionNamespace } from './decisions';
import { designerCatalogue, lintXml } from './lint';
import {
  decisionRefsOf,
  ownTrialTopic,
  processIdsOf,
  sandboxBpmn,
  sandboxDmn,
  trialChoicesOf,
  trialDeploymentName,
  trialIdOfDeployment,
  trialOutputs,
  trialPrefix,
  trialScope,
  trialStartVariables,
  trialTaskValues,
  trialTopic,
  TRIAL_TENANT,
  TRIAL_TTL_MS,
} from './trial-model';

/**
 * 试运行: a draft model run in the engine's sandbox (tenant budgettrial, keys and topics renamed;
 * server/designer/trial-model.ts). The engine is the only store of a trial — its deployment (name
 * = trial id, source = who started it and which process), the instance and the history — so a
 * trial writes no row of the app's database, and ending it (or its age) deletes the deployment
 * with everything in it. External tasks are answered by the trial worker (advanceTrials), user
 * tasks by the designer from the trial panel; business rule tasks evaluate the installation's
 * deployed decision tables, copied into the sandbox beside the draft.
 */

export interface TrialDeps {
  engine: EngineClient;
  forms: FormRegistry;
  namespace: string;
}

const WORKER_ID = 'budget-trial-worker';
const SOURCE_PREFIX = 'budget-trial';

const iso = (s: string | null | undefined) => {
  const d = parseEngineDate(s ?? null);
  return d ? toShanghaiIso(d) : null;
};

function sourceOf(username: string, processId: string): string {
  return `${SOURCE_PREFIX}|${username}|${processId}`;
}

function parseSource(source: string | null): { username: string; processId: string } {
  const [tag, username, processId] = (source ?? '').split('|');
  return tag === SOURCE_PREFIX ? { username: username ?? '', processId: processId ?? '' } : { username: '', processId: '' };
}

type TrialDeployment = { id: string; name: string | null; source: string | null; deploymentTime: string };

function summaryOf(d: TrialDeployment, namespace: string): TrialSummary | null {
  const trialId = trialIdOfDeployment(d.name, namespace);
  if (!trialId) return null;
  const { username, processId } = parseSource(d.source);
  const started = parseEngineDate(d.deploymentTime);
  return {
    trialId,
    processId,
    startedBy: username,
    startedAt: started ? toShanghaiIso(started) : null,
    expiresAt: started ? toShanghaiIso(new Date(started.getTime() + TRIAL_TTL_MS)) : null,
    deploymentId: d.id,
  };
}

/** This installation's trials, newest first. */
export async function listTrials(deps: Pick<TrialDeps, 'engine' | 'namespace'>): Promise<TrialSummary[]> {
  const rows = await deps.engine.deployments({
    tenantIdIn: TRIAL_TENANT,
    nameLike: `trial:${trialScope(deps.namespace)}:%`,
    sortBy: 'deploymentTime',
    sortOrder: 'desc',
    maxResults: 200,
  });
  return rows.flatMap((d) => summaryOf(d, deps.namespace) ?? []);
}

async function findTrial(deps: Pick<TrialDeps, 'engine' | 'namespace'>, trialId: string): Promise<TrialSummary> {
  const [d] = await deps.engine.deployments({ tenantIdIn: TRIAL_TENANT, name: trialDeploymentName(deps.namespace, trialId) });
  const summary = d ? summaryOf(d, deps.namespace) : null;
  if (!summary) throw errors.notFound(`试运行 ${trialId} 不存在或已结束清理`);
  return summary;
}

/** The installation's decision table (its DMN file as the author wrote it) that a model names. */
async function decisionSource(deps: Pick<TrialDeps, 'engine' | 'namespace'>, decisionId: string): Promise<string | null> {
  const [definition] = await deps.engine.decisionDefinitions({ key: namespaced(deps.namespace, decisionId), latestVersion: true });
  if (definition) return withoutDecisionNamespace((await deps.engine.decisionDefinitionXml(definition.id)).dmnXml, deps.namespace);
  for (const file of listProcessResources().filter((f) => f.endsWith('.dmn'))) {
    const xml = fs.readFileSync(file, 'utf8');
    if (new RegExp(`<(?:dmn:)?decision\\b[^>]*\\bid="${decisionId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).test(xml)) return xml;
  }
  return null;
}

/** The latest deployed version of a process the draft calls (call activity), as its author wrote it. */
async function calledProcessSource(deps: Pick<TrialDeps, 'engine' | 'namespace'>, processId: string): Promise<string | null> {
  const [definition] = await deps.engine.processDefinitions({ key: namespaced(deps.namespace, processId), latestVersion: true });
  if (definition) return withoutNamespace((await deps.engine.processDefinitionXml(definition.id)).bpmn20Xml, deps.namespace);
  const file = listProcessResources().find((f) => path.basename(f) === `${processId}.bpmn`);
  return file ? fs.readFileSync(file, 'utf8') : null;
}

const calledElementsOf = (xml: string) => [
  ...new Set([...xml.matchAll(/<(?:bpmn:)?callActivity\b[^>]*\bcalledElement="([^"$][^"]*)"/g)].map((m) => m[1]!)),
];

type StartVariables = Record<string, string | number | boolean | null>;

/** The generated start variables of a process (what the start dialog shows and may change). */
export function trialVariables(processId: string): StartVariables {
  return trialStartVariables(processId);
}

/**
 * Starts a trial: the same lint as deployment (400 PROCESS_LINT_FAILED with the list), then the
 * sandbox deployment (the draft, the processes it calls and the decision tables they name) and
 * one instance with the generated start variables (the designer's changes over them).
 */
export async function startTrial(
  deps: TrialDeps & { db: Db },
  xml: string,
  overrides: StartVariables,
  actor: { userId: number | null; username: string },
): Promise<TrialState> {
  const problems = await lintXml(xml, await designerCatalogue(deps.forms, deps.engine, deps.namespace));
  const failing = problems.filter((p) => p.severity === 'error');
  if (failing.length) {
    throw errors.badRequest(
      'PROCESS_LINT_FAILED',
      `模型检查未通过（${failing.length} 个问题），未试运行`,
      failing.map((p) => ({ field: p.elementId ?? 'model', message: `${p.message} [${p.rule}]` })),
    );
  }
  const ids = processIdsOf(xml);
  if (ids.length !== 1)
    throw errors.badRequest('ONE_PROCESS_PER_MODEL', '一个模型须恰好包含一个流程', [
      { field: 'xml', message: `找到 ${ids.length} 个流程` },
    ]);
  const processId = ids[0]!;
  await cleanupExpiredTrials(deps).catch(() => undefined);

  const trialId = crypto.randomBytes(6).toString('hex');
  const models = new Map<string, string>([[processId, xml]]);
  for (const queue = [processId]; queue.length;) {
    for (const called of calledElementsOf(models.get(queue.shift()!)!)) {
      if (models.has(called)) continue;
      const source = await calledProcessSource(deps, called);
      if (!source)
        throw errors.badRequest('TRIAL_CALLED_PROCESS_MISSING', `模型调用的子流程 ${called} 未部署，无法试运行`, [
          { field: called, message: '子流程不存在' },
        ]);
      models.set(called, source);
      queue.push(called);
    }
  }
  const dmn = new Map<string, string>();
  for (const ref of new Set([...models.values()].flatMap(decisionRefsOf))) {
    const source = await decisionSource(deps, ref);
    if (!source)
      throw errors.badRequest('TRIAL_DECISION_MISSING', `模型引用的决策表 ${ref} 未部署，无法试运行`, [
        { field: ref, message: '决策表不存在' },
      ]);
    dmn.set(ref, source);
  }
  const resources = [
    ...[...models].map(([id, source]) => ({
      name: `${trialPrefix(deps.namespace, trialId)}/${id}.bpmn`,
      bytes: Buffer.from(sandboxBpmn(source, deps.namespace, trialId)),
    })),
    ...[...new Set(dmn.values())].map((source, i) => ({
      name: `${trialPrefix(deps.namespace, trialId)}/decision-${i + 1}.dmn`,
      bytes: Buffer.from(sandboxDmn(source, deps.namespace, trialId)),
    })),
  ];
  let deploymentId: string;
  try {
    deploymentId = (
      await deps.engine.deploy(trialDeploymentName(deps.namespace, trialId), resources, {
        source: sourceOf(actor.username, processId),
        tenantId: TRIAL_TENANT,
      })
    ).id;
  } catch (err) {
    if (err instanceof EngineError && !err.unreachable && err.status < 500)
      throw errors.badRequest('TRIAL_DEPLOY_REFUSED', '流程引擎拒绝了该模型，无法试运行', [
        { field: 'xml', message: err.message.slice(0, 500) },
      ]);
    throw err;
  }
  let instanceId: string;
  try {
    const key = namespaced(trialPrefix(deps.namespace, trialId), processId);
    const [definition] = (await deps.engine.processDefinitions({ deploymentId, key })).filter((d) => d.key === key);
    if (!definition) throw errors.badRequest('TRIAL_DEPLOY_REFUSED', '试运行部署后引擎中未找到该流程定义');
    const variables = { ...trialStartVariables(processId), ...overrides, budgetTrial: true };
    instanceId = (await deps.engine.startProcessById(definition.id, { businessKey: `trial:${trialId}`, variables })).id;
  } catch (err) {
    await deps.engine.deleteDeployment(deploymentId, { cascade: true }).catch(() => undefined);
    if (err instanceof EngineError && !err.unreachable && err.status < 500)
      throw errors.badRequest('TRIAL_START_FAILED', '试运行的流程无法启动（请检查开始事件后的表达式与变量）', [
        { field: 'xml', message: err.message.slice(0, 500) },
      ]);
    throw err;
  }
  // Audited (nothing real happens, so no seal): who tried which model in the sandbox, and when.
  await deps.db.transaction((trx) =>
    appendAudit(trx, {
      kind: 'trial.started',
      subjectType: 'trial',
      subjectId: trialId,
      actor,
      data: { trialId, processId, deploymentId, processInstanceId: instanceId, sm3: sm3Hex(Buffer.from(xml)) },
    }),
  );
  await settle(deps, instanceId);
  return trialState(deps, trialId);
}

/** What the trial panel shows: the instance's tokens, open tasks, DMN outcomes and variables. */
export async function trialState(deps: TrialDeps, trialId: string): Promise<TrialState> {
  const summary = await findTrial(deps, trialId);
  const key = namespaced(trialPrefix(deps.namespace, trialId), summary.processId);
  const [definition] = (await deps.engine.processDefinitions({ deploymentId: summary.deploymentId, key })).filter((d) => d.key === key);
  if (!definition) throw errors.notFound(`试运行 ${trialId} 没有流程定义`);
  const [instance] = await deps.engine.historicProcessInstances({ processDefinitionId: definition.id, maxResults: 1 });
  const xml = (await deps.engine.processDefinitionXml(definition.id)).bpmn20Xml;
  const base = { ...summary, definitionId: definition.id, xml };
  if (!instance)
    return {
      ...base,
      processInstanceId: null,
      state: 'NONE',
      ended: true,
      completed: [],
      active: [],
      failed: [],
      steps: [],
      tasks: [],
      waiting: [],
      decisions: [],
      incidents: [],
      timers: [],
      variables: {},
    };
  const ended = instance.endTime !== null;
  const [activities, incidents, decisions, tasks, external, variables, timers] = await Promise.all([
    deps.engine.activityInstances(instance.id),
    ended ? Promise.resolve([]) : deps.engine.incidents(instance.id),
    deps.engine.historicDecisions(instance.id),
    ended ? Promise.resolve([]) : deps.engine.tasks({ processInstanceId: instance.id, maxResults: 100 }),
    ended ? Promise.resolve([]) : deps.engine.externalTasks({ processInstanceId: instance.id, maxResults: 100 }),
    deps.engine.historicVariables(instance.id),
    ended ? Promise.resolve([]) : trialTimers(deps.engine, definition.id, instance.id),
  ]);
  const visible = activities.filter((a) => !['multiInstanceBody', 'processDefinition'].includes(a.activityType));
  const failed = [...new Set(incidents.map((i) => i.activityId))];
  return {
    ...base,
    processInstanceId: instance.id,
    state: instance.state,
    ended,
    completed: [...new Set(visible.filter((a) => a.endTime !== null && !a.canceled).map((a) => a.activityId))],
    active: [...new Set(visible.filter((a) => a.endTime === null).map((a) => a.activityId))],
    failed,
    steps: visible.map((a) => ({
      elementId: a.activityId,
      name: a.activityName,
      type: a.activityType,
      startedAt: iso(a.startTime),
      endedAt: iso(a.endTime),
    })),
    tasks: tasks.map((t) => {
      const form = t.formKey ? deps.forms.get(t.formKey) : undefined;
      return {
        taskId: t.id,
        elementId: t.taskDefinitionKey,
        name: t.name,
        formKey: t.formKey,
        formTitle: form?.title ?? null,
        decisionField: form?.decisionField ?? null,
        choices: trialChoicesOf(form),
      };
    }),
    waiting: external.map((e) => ({
      elementId: e.activityId,
      topic: ownTrialTopic(deps.namespace, e.topicName) ?? e.topicName,
      incident: e.errorMessage,
    })),
    decisions: decisions.map((d) => ({
      elementId: d.activityId ?? null,
      decisionId: d.decisionDefinitionKey.startsWith(`${trialPrefix(deps.namespace, trialId)}.`)
        ? d.decisionDefinitionKey.slice(trialPrefix(deps.namespace, trialId).length + 1)
        : d.decisionDefinitionKey,
      evaluatedAt: iso(d.evaluationTime),
      inputs: (d.inputs ?? []).map((i) => ({ name: i.clauseName, value: i.value })),
      outputs: (d.outputs ?? []).map((o) => ({ name: o.clauseName, variable: o.variableName, value: o.value, ruleId: o.ruleId })),
    })),
    incidents: incidents.map((i) => ({ elementId: i.activityId, message: i.incidentMessage })),
    timers,
    variables,
  };
}

/** The trial instance's timers (their jobs), with the element each belongs to and when it is due. */
async function trialTimers(engine: EngineClient, definitionId: string, processInstanceId: string): Promise<TrialState['timers']> {
  const jobs = await engine.jobs({ processInstanceId, timers: true, tenantIdIn: TRIAL_TENANT, maxResults: 100 });
  if (!jobs.length) return [];
  const elementOf = new Map((await engine.jobDefinitions({ processDefinitionId: definitionId })).map((d) => [d.id, d.activityId]));
  return jobs.map((j) => ({ jobId: j.id, elementId: elementOf.get(j.jobDefinitionId) ?? '', dueAt: iso(j.dueDate) }));
}

/**
 * 触发定时器: executes the trial instance's timer job now through the engine's job API, lets the
 * trial worker answer what follows, and answers the state with where the token went. Only a
 * timer of this trial's own instance (tenant budgettrial) may be fired: a job of a real instance,
 * or of another trial, is refused (409 TRIAL_TIMER_NOT_TRIAL) and left alone.
 */
export async function fireTrialTimer(deps: TrialDeps, trialId: string, jobId: string): Promise<TrialTimerFired> {
  const before = await trialState(deps, trialId);
  const job = await deps.engine.job(jobId);
  if (!job) throw errors.notFound(`定时器 ${jobId} 不存在或已触发`);
  if (job.tenantId !== TRIAL_TENANT || !before.processInstanceId || job.processInstanceId !== before.processInstanceId)
    throw errors.conflict('TRIAL_TIMER_NOT_TRIAL', '只能触发本试运行实例的定时器，正式流程实例的定时器不可在此触发');
  const timer = before.timers.find((t) => t.jobId === jobId);
  if (!timer) throw errors.conflict('TRIAL_TIMER_NOT_TRIAL', '该作业不是本试运行实例的定时器');
  try {
    await deps.engine.executeJob(jobId);
  } catch (err) {
    if (err instanceof EngineError && err.notFound) throw errors.conflict('TRIAL_TIMER_GONE', '该定时器已触发或流程已离开该环节');
    if (err instanceof EngineError && !err.unreachable && err.status < 500)
      throw errors.badRequest('TRIAL_TIMER_FAILED', '引擎未能执行该定时器（请检查其后的环节与条件）', [
        { field: timer.elementId, message: err.message.slice(0, 500) },
      ]);
    throw err;
  }
  await settle(deps, before.processInstanceId);
  const after = await trialState(deps, trialId);
  const names = new Map(after.steps.map((s) => [s.elementId, s.name]));
  return {
    ...after,
    fired: {
      jobId,
      elementId: timer.elementId,
      movedTo:
        after.ended && after.active.length === 0
          ? []
          : after.active.map((elementId) => ({ elementId, name: names.get(elementId) ?? null })),
    },
  };
}

type Chosen = Record<string, string | number | boolean>;

/**
 * Completes one of the trial's user tasks with the designer's choices (or, `auto`, the form's
 * first outcome) and lets the trial worker answer what follows. A task of another instance is a 404.
 */
export async function completeTrialTask(
  deps: TrialDeps,
  trialId: string,
  taskId: string,
  input: { values?: Chosen; auto?: boolean },
): Promise<TrialState> {
  const state = await trialState(deps, trialId);
  const task = state.tasks.find((t) => t.taskId === taskId);
  if (!task) throw errors.notFound(`试运行 ${trialId} 没有待办 ${taskId}`);
  await completeWith(deps, task, input.auto ? {} : (input.values ?? {}));
  if (state.processInstanceId) await settle(deps, state.processInstanceId);
  return trialState(deps, trialId);
}

async function completeWith(deps: TrialDeps, task: TrialState['tasks'][number], chosen: Chosen): Promise<void> {
  const form = task.formKey ? deps.forms.get(task.formKey) : undefined;
  const known = new Set(form?.fields.map((f) => f.key) ?? Object.keys(chosen));
  const unknown = Object.keys(chosen).filter((k) => !known.has(k));
  if (unknown.length)
    throw errors.badRequest(
      'TRIAL_VALUES_INVALID',
      '所选内容不是该待办表单的字段',
      unknown.map((k) => ({ field: k, message: '表单中没有该字段' })),
    );
  for (const c of task.choices) {
    const v = chosen[c.field];
    if (v !== undefined && !c.options.some((o) => o.value === v))
      throw errors.badRequest('TRIAL_VALUES_INVALID', `${c.label}没有该选项`, [
        { field: c.field, message: `可选：${c.options.map((o) => o.value).join('、')}` },
      ]);
  }
  try {
    await deps.engine.completeTask(task.taskId, trialTaskValues(form, chosen));
  } catch (err) {
    if (err instanceof EngineError && err.notFound) throw errors.conflict('TRIAL_TASK_GONE', '该待办已办理或已结束');
    if (err instanceof EngineError && !err.unreachable && err.status < 500)
      throw errors.badRequest('TRIAL_TASK_FAILED', '引擎未能完成该待办（请检查其后的网关条件）', [
        { field: task.elementId, message: err.message.slice(0, 500) },
      ]);
    throw err;
  }
}

/** 自动走完: completes every open user task with its first outcome until the instance ends or nothing moves (at most `rounds` rounds). */
export async function autoRunTrial(deps: TrialDeps, trialId: string, rounds = 30): Promise<TrialState> {
  let state = await trialState(deps, trialId);
  for (let i = 0; i < rounds && !state.ended && state.tasks.length; i++) {
    for (const task of state.tasks)
      await completeWith(deps, task, {}).catch((err: unknown) => {
        if (!(err instanceof Error && 'code' in err && (err as { code: string }).code === 'TRIAL_TASK_GONE')) throw err;
      });
    if (state.processInstanceId) await settle(deps, state.processInstanceId);
    state = await trialState(deps, trialId);
  }
  return state;
}

/** 结束试运行: deletes the sandbox deployment with its instance and history (cascade). */
export async function endTrial(
  deps: Pick<TrialDeps, 'engine' | 'namespace'> & { db: Db },
  trialId: string,
  actor: { userId: number | null; username: string },
): Promise<void> {
  const summary = await findTrial(deps, trialId);
  await deps.engine.deleteDeployment(summary.deploymentId, { cascade: true });
  await deps.db.transaction((trx) =>
    appendAudit(trx, {
      kind: 'trial.ended',
      subjectType: 'trial',
      subjectId: trialId,
      actor,
      data: { trialId, processId: summary.processId, deploymentId: summary.deploymentId, startedBy: summary.startedBy },
    }),
  );
}

/** Deletes this installation's trials started more than TRIAL_TTL_MS ago. */
export async function cleanupExpiredTrials(
  deps: Pick<TrialDeps, 'engine' | 'namespace'>,
  now = new Date(),
  ttlMs = TRIAL_TTL_MS,
): Promise<number> {
  let removed = 0;
  for (const t of await listTrials(deps)) {
    const started = t.startedAt ? new Date(t.startedAt).getTime() : 0;
    if (now.getTime() - started < ttlMs) continue;
    if (await deps.engine.deleteDeployment(t.deploymentId, { cascade: true })) removed++;
  }
  return removed;
}

/**
 * The trial worker: fetches the installation's trial topics (tenant budgettrial only) and
 * completes each task with trialOutputs — no database, no other system. Runs until nothing is
 * left (bounded), so a call that moved a trial returns with it settled at the next user task.
 */
export async function advanceTrials(deps: Pick<TrialDeps, 'engine' | 'namespace'>, log?: Logger, rounds = 20): Promise<number> {
  const topics = [...new Set(allWorkers.map((w) => w.topic))].map((t) => ({
    topicName: trialTopic(deps.namespace, t),
    lockDuration: 30_000,
    tenantIdIn: [TRIAL_TENANT],
  }));
  let answered = 0;
  for (let i = 0; i < rounds; i++) {
    const tasks = await deps.engine.fetchAndLock({ workerId: WORKER_ID, maxTasks: 50, asyncResponseTimeout: 0, topics });
    if (tasks.length === 0) break;
    for (const task of tasks) {
      const topic = ownTrialTopic(deps.namespace, task.topicName) ?? task.topicName;
      try {
        await deps.engine.completeExternalTask(
          task.id,
          WORKER_ID,
          trialOutputs(topic, fromEngineVariables(task.variables as Record<string, TypedValue>)),
        );
        answered++;
      } catch (err) {
        // A trial ended meanwhile (deployment deleted): nothing to answer.
        if (!(err instanceof EngineError && err.notFound))
          log?.warn({ topic, error: err instanceof Error ? err.message : String(err) }, '试运行工作者未能完成外部任务');
      }
    }
  }
  return answered;
}

/**
 * Answers the instance's external tasks until none is left that the trial worker may still
 * answer (at most `waitMs`): the background sweeper may hold one of them locked for a moment, and
 * a caller that moved the trial wants to see it settled at its next user task.
 */
async function settle(deps: Pick<TrialDeps, 'engine' | 'namespace'>, processInstanceId: string, waitMs = 5000): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    await advanceTrials(deps);
    const open = await deps.engine.externalTasks({ processInstanceId, maxResults: 100 });
    if (!open.some((e) => !e.errorMessage && (e.retries === null || e.retries > 0)) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The trial worker and the clean-up in the background (server/system.ts). */
export function startTrialSweeper(deps: Pick<TrialDeps, 'engine' | 'namespace'>, log: Logger, everyMs = 2000): { stop(): void } {
  let running = false;
  let lastCleanup = 0;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        await advanceTrials(deps, log);
        if (Date.now() - lastCleanup > 60_000) {
          lastCleanup = Date.now();
          const removed = await cleanupExpiredTrials(deps);
          if (removed) log.info({ removed }, '已清理过期的试运行');
        }
      } catch {
        /* the engine is away: next tick */
      } finally {
        running = false;
      }
    })();
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export type { TrialState, TrialSummary };
