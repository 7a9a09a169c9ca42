import type { Knex } from 'knex';
import { loadPrincipal } from '../auth/service';
import { readInstant } from '../db';
import { formatEngineDate, parseEngineDate, type EngineClient, type EngineTask, type HistoricTask } from '../engine/client';
import { namespaced, ownKey } from '../engine/namespace';
import { inInbox, processModels } from '../engine/models';
import type { Logger } from '../log';
import { recordCompletion } from './completion';
import { MissingBusinessObject } from './errors';
import { healSubmissions } from './intake';
import { closeTask, recordUserTask, SYSTEM_ACTOR, updateTask, writeTaskEvent, type TaskRow } from './tasks';

/**
 * Keeps the inbox (our org-scoped projection of the engine's user tasks) in step with the engine.
 *
 * - After every engine call the app makes (start, completion, an external task's outcome) the
 *   instance it moved is synchronised at once (`syncInstance`): new tasks recorded, tasks the
 *   engine ended closed.
 * - A sweep every few seconds (`startReconciliation`) catches what the engine did by itself or
 *   another node did: tasks created by timers or by another app node, tasks ended by boundary
 *   events, a multi-instance completing early or cancellation — and heals a completion
 *   interrupted between the engine and our database (a crash): a task left "completing" is
 *   finished when the engine completed it, reopened when the engine still has it open.
 */

export interface InboxSyncDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  log: Logger;
}

/** A completion not finished within this time is looked at by the sweep (it normally takes milliseconds). */
export const STALE_COMPLETING_MS = 60_000;

/**
 * Our process keys in the engine (namespace applied), the models that have user tasks the inbox
 * projects (not those marked inbox="none": the expert review serves its own, blind, tasks).
 */
function ourProcessKeys(namespace: string): string[] {
  return [...processModels().values()]
    .filter((m) => inInbox(m) && [...m.elements.values()].some((e) => e.kind === 'userTask'))
    .map((m) => namespaced(namespace, m.id));
}

/**
 * The process key of a definition id. The engine writes ids as key:version:uuid, except when that
 * is longer than 64 characters: then the id is the bare uuid (a namespaced expert-review-project
 * is), and the key must be asked for (once per definition).
 */
const definitionKeys = new Map<string, Promise<string>>();
function processKeyOf(deps: Pick<InboxSyncDeps, 'engine'>, definitionId: string): Promise<string> {
  if (definitionId.includes(':')) return Promise.resolve(definitionId.split(':')[0]!);
  let key = definitionKeys.get(definitionId);
  if (!key) {
    key = deps.engine.request<{ key: string }>('GET', `/process-definition/${encodeURIComponent(definitionId)}`).then((d) => d.key);
    key.catch(() => definitionKeys.delete(definitionId));
    definitionKeys.set(definitionId, key);
  }
  return key;
}

/** Our model of an engine task's process (namespace removed), by its definition. */
export async function processIdOf(
  deps: Pick<InboxSyncDeps, 'engine' | 'namespace'>,
  task: Pick<EngineTask, 'processDefinitionId'>,
): Promise<string> {
  const key = await processKeyOf(deps, task.processDefinitionId);
  return ownKey(key, deps.namespace) ?? key;
}

/** Whether an engine task belongs to a process the inbox projects. */
async function projected(deps: InboxSyncDeps, task: EngineTask): Promise<boolean> {
  return inInbox(processModels().get(await processIdOf(deps, task)));
}

const isUniqueViolation = (err: unknown) =>
  /UNIQUE|Duplicate entry|ER_DUP_ENTRY/i.test(
    String((err as { code?: string; message?: string })?.code ?? '') + String((err as Error)?.message ?? ''),
  );

async function projectIdOf(deps: InboxSyncDeps, processInstanceId: string): Promise<number> {
  const row = (await deps.db('process_instances').where('process_instance_key', processInstanceId).first('business_id')) as
    { business_id: number } | undefined;
  if (row) return Number(row.business_id);
  // Started a moment ago and not yet recorded by the node that started it: ask the engine.
  const vars = await deps.engine.processVariables(processInstanceId);
  const id = Number(vars.projectId);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new MissingBusinessObject(`process instance ${processInstanceId}: variable projectId is missing`);
  return id;
}

/** Records one engine task in the inbox, unless it is there already (another node or the sweep may race us). */
async function recordEngineTask(deps: InboxSyncDeps, task: EngineTask): Promise<boolean> {
  const processId = await processIdOf(deps, task);
  const element = processModels().get(processId)?.elements.get(task.taskDefinitionKey);
  const groups = (element?.candidateGroups ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    const { created, taskId } = await recordUserTask(deps.db, {
      engineTaskId: task.id,
      processInstanceId: task.processInstanceId,
      processId,
      elementId: task.taskDefinitionKey,
      name: task.name,
      executionId: task.executionId,
      formKey: element?.formKey ?? task.formKey ?? '',
      candidateGroups: groups,
      assignee: task.assignee,
      dueAt: parseEngineDate(task.due),
      createdAt: parseEngineDate(task.created) ?? new Date(),
      projectId: await projectIdOf(deps, task.processInstanceId),
    });
    if (created) deps.log.info({ taskId, engineTaskId: task.id, elementId: task.taskDefinitionKey }, '新待办已进入待办箱');
    return created;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/**
 * A task of ours that the engine no longer has open: completed (by our completion whose database
 * write was interrupted, or outside the app) or deleted (boundary event, multi-instance ended
 * early, instance cancelled). `ended` is its history entry, when the engine has one.
 */
async function closeEnded(
  deps: InboxSyncDeps,
  row: TaskRow,
  ended: HistoricTask | undefined,
): Promise<'healed' | 'canceled' | 'completed'> {
  const { db } = deps;
  const endedAt = parseEngineDate(ended?.endTime) ?? new Date();
  if (ended?.deleteReason === 'completed') {
    const byId = row.completing_by ?? (ended.assignee && /^\d+$/.test(ended.assignee) ? Number(ended.assignee) : null);
    const person = byId !== null ? await loadPrincipal(db, Number(byId)) : null;
    const values = row.completing_form ? (JSON.parse(row.completing_form) as Record<string, unknown>) : {};
    await db.transaction(async (trx) => {
      const n = await trx('inbox_tasks')
        .where({ id: row.id })
        .whereIn('status', ['open', 'completing'])
        .update({ version: trx.raw('version + 1') });
      if (n !== 1) return; // finished meanwhile by the node that completed it
      await recordCompletion(
        trx,
        row,
        person ? { userId: person.userId, username: person.username, displayName: person.displayName } : SYSTEM_ACTOR,
        values,
        {
          at: endedAt,
          recovered:
            row.status === 'completing'
              ? '办理已在流程引擎中完成，平台记录在中断后补记（未加盖电子签章）'
              : '流程引擎中该任务已在平台之外完成',
        },
      );
    });
    deps.log.warn({ taskId: row.id, engineTaskId: row.engine_task_id }, '待办在引擎中已完成，平台记录已补齐');
    return row.status === 'completing' ? 'healed' : 'completed';
  }
  await db.transaction(async (trx) => {
    const n = await trx('inbox_tasks')
      .where({ id: row.id })
      .whereIn('status', ['open', 'completing'])
      .update({ version: trx.raw('version + 1') });
    if (n !== 1) return;
    await closeTask(trx, row.id, 'canceled', { completed_at: endedAt });
    const why = row.element_id === 'Countersign' ? '会签已有结果，本意见无需再提交' : '流程引擎已结束该环节（流程已撤回、已转向或已终止）';
    await writeTaskEvent(trx, row.id, SYSTEM_ACTOR, {
      kind: 'canceled',
      comment: why,
      data: { deleteReason: ended?.deleteReason ?? null },
    });
  });
  return 'canceled';
}

/**
 * Brings one process instance's tasks in the inbox in step with the engine. Calls that arrive
 * while a synchronisation runs (several workers' outcomes, completions at the same moment) are
 * served together by the next one: one task query and one inbox query for all their instances
 * (`processInstanceIdIn`), not one each. Each caller's promise settles when its instance is done.
 */
export function syncInstance(deps: InboxSyncDeps, processInstanceId: string): Promise<{ created: number; closed: number }> {
  // One batcher per system (database, engine, namespace). Callers build their deps objects anew
  // (the routers do per request), so the deps object itself cannot be the key.
  let byEngine = batchers.get(deps.db);
  if (!byEngine) batchers.set(deps.db, (byEngine = new WeakMap()));
  let byNamespace = byEngine.get(deps.engine);
  if (!byNamespace) byEngine.set(deps.engine, (byNamespace = new Map()));
  let batcher = byNamespace.get(deps.namespace);
  if (!batcher) byNamespace.set(deps.namespace, (batcher = new SyncBatcher(deps)));
  return batcher.request(processInstanceId);
}

const batchers = new WeakMap<Knex, WeakMap<EngineClient, Map<string, SyncBatcher>>>();
/** At most this many instances in one task query (the query string stays short). */
const BATCH_MAX = 50;

type SyncResult = { created: number; closed: number };

class SyncBatcher {
  private readonly waiting = new Map<string, Array<{ resolve: (r: SyncResult) => void; reject: (e: unknown) => void }>>();
  private running = false;

  constructor(private readonly deps: InboxSyncDeps) {}

  request(id: string): Promise<SyncResult> {
    return new Promise((resolve, reject) => {
      this.waiting.set(id, [...(this.waiting.get(id) ?? []), { resolve, reject }]);
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.size > 0) {
        const batch = [...this.waiting.entries()].slice(0, BATCH_MAX);
        for (const [id] of batch) this.waiting.delete(id);
        let results: Map<string, SyncResult | { error: unknown }>;
        try {
          results = await syncInstances(
            this.deps,
            batch.map(([id]) => id),
          );
        } catch (error) {
          results = new Map(batch.map(([id]) => [id, { error }]));
        }
        for (const [id, callers] of batch) {
          const r = results.get(id) ?? { created: 0, closed: 0 };
          for (const c of callers)
            if ('error' in r) c.reject(r.error);
            else c.resolve(r);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/** Each instance's outcome, or the error that stopped its synchronisation (the others go on). */
async function syncInstances(deps: InboxSyncDeps, ids: string[]): Promise<Map<string, SyncResult | { error: unknown }>> {
  const open =
    ids.length === 1
      ? await deps.engine.tasks({ processInstanceId: ids[0], maxResults: 1000 })
      : await deps.engine.tasks({ processInstanceIdIn: ids.join(','), maxResults: 1000 * ids.length });
  const rows = (await deps.db('inbox_tasks').whereIn('process_instance_key', ids).whereIn('status', ['open', 'completing'])) as TaskRow[];
  const openIds = new Set(open.map((t) => t.id));
  const results = new Map<string, SyncResult | { error: unknown }>();
  for (const id of ids) {
    try {
      let created = 0;
      let closed = 0;
      for (const t of open) if (t.processInstanceId === id && (await projected(deps, t)) && (await recordEngineTask(deps, t))) created += 1;
      for (const row of rows) {
        if (row.process_instance_key !== id || openIds.has(row.engine_task_id)) continue;
        // A completion in flight on some node: its own transaction closes the row.
        if (row.status === 'completing' && !isStale(row)) continue;
        const [ended] = await deps.engine.historicTasks({ taskId: row.engine_task_id });
        if (ended && !ended.endTime) continue; // still open (created after our task list was read)
        await closeEnded(deps, row, ended);
        closed += 1;
      }
      results.set(id, { created, closed });
    } catch (error) {
      results.set(id, { error });
    }
  }
  return results;
}

function isStale(row: TaskRow, now = Date.now()): boolean {
  return !row.completing_at || now - readInstant(row.completing_at).getTime() > STALE_COMPLETING_MS;
}

export interface ReconciliationResult {
  created: number;
  closed: number;
  reopened: number;
  healed: number;
  /** 送审 cut off by a crash: instances the engine started that are now recorded, projects back to draft. */
  adopted: number;
  reverted: number;
}

/**
 * One pass of the sweep. Windows overlap by a minute (clocks, transactions committed late); what
 * was seen before is found in the inbox and left alone.
 */
export class Reconciler {
  private createdSince: Date | undefined;
  private endedSince: Date | undefined;

  /** `extraKeys`: process keys beyond those of processes/ (models deployed by hand, e.g. in tests). */
  constructor(
    private readonly deps: InboxSyncDeps,
    private readonly extraKeys: readonly string[] = [],
  ) {}

  async runOnce(now = new Date()): Promise<ReconciliationResult> {
    const result: ReconciliationResult = { created: 0, closed: 0, reopened: 0, healed: 0, adopted: 0, reverted: 0 };
    const { db, engine } = this.deps;
    const keys = [...ourProcessKeys(this.deps.namespace), ...this.extraKeys];
    if (!keys.length) return result;

    // 1. Tasks the engine created that the inbox does not have.
    if (!this.createdSince) {
      const last = (await db('inbox_tasks').max({ at: 'created_at' }).first()) as { at: unknown } | undefined;
      this.createdSince = last?.at ? readInstant(last.at) : new Date(0);
    }
    const createdAfter = new Date(this.createdSince.getTime() - 60_000);
    let newest = this.createdSince;
    for (let first = 0; ; first += 500) {
      const page = await engine.tasks({
        processDefinitionKeyIn: keys.join(','),
        createdAfter: formatEngineDate(createdAfter),
        sortBy: 'created',
        sortOrder: 'asc',
        firstResult: first,
        maxResults: 500,
      });
      const known = new Set(
        page.length
          ? (
              (await db('inbox_tasks')
                .whereIn(
                  'engine_task_id',
                  page.map((t) => t.id),
                )
                .select('engine_task_id')) as Array<{ engine_task_id: string }>
            ).map((r) => r.engine_task_id)
          : [],
      );
      for (const t of page) {
        if (!known.has(t.id) && (await recordEngineTask(this.deps, t).catch((err: unknown) => this.warn('待办入箱失败', t.id, err))))
          result.created += 1;
        const created = parseEngineDate(t.created);
        if (created && created > newest) newest = created;
      }
      if (page.length < 500) break;
    }
    this.createdSince = newest;

    // 2. Tasks the engine ended that the inbox still shows open.
    const endedAfter = new Date((this.endedSince ?? new Date(now.getTime() - 10 * 60_000)).getTime() - 60_000);
    let endedNewest = this.endedSince ?? endedAfter;
    for (let first = 0; ; first += 500) {
      const page = await engine.historicTasks({
        finished: true,
        finishedAfter: formatEngineDate(endedAfter),
        sortBy: 'endTime',
        sortOrder: 'asc',
        firstResult: first,
        maxResults: 500,
      });
      const rows = page.length
        ? ((await db('inbox_tasks')
            .whereIn(
              'engine_task_id',
              page.map((t) => t.id),
            )
            .whereIn('status', ['open', 'completing'])) as TaskRow[])
        : [];
      for (const row of rows) {
        if (row.status === 'completing' && !isStale(row, now.getTime())) continue;
        const outcome = await closeEnded(
          this.deps,
          row,
          page.find((t) => t.id === row.engine_task_id),
        ).catch((err: unknown) => this.warn('关闭已结束的待办失败', row.engine_task_id, err));
        if (outcome === 'healed') result.healed += 1;
        else if (outcome) result.closed += 1;
      }
      for (const t of page) {
        const end = parseEngineDate(t.endTime);
        if (end && end > endedNewest) endedNewest = end;
      }
      if (page.length < 500) break;
    }
    this.endedSince = endedNewest;

    // 3. Completions left half-way (the node died between the engine and our database, or the
    //    engine never answered): finished or reopened by what the engine says now.
    const stale = (await db('inbox_tasks')
      .where('status', 'completing')
      .where((w) => w.whereNull('completing_at').orWhere('completing_at', '<', new Date(now.getTime() - STALE_COMPLETING_MS)))
      .limit(200)) as TaskRow[];
    for (const row of stale) {
      try {
        const live = await engine.task(row.engine_task_id);
        if (live) {
          const n = await updateTask(db, row.id, { status: 'open', completing_by: null, completing_at: null, completing_form: null }, (q) =>
            q.where('status', 'completing'),
          );
          if (n === 1) {
            await writeTaskEvent(
              db,
              row.id,
              SYSTEM_ACTOR,
              { kind: 'reopened', comment: '上次办理未能提交到流程引擎，待办已恢复，请重新办理' },
              { timeline: false },
            );
            result.reopened += 1;
          }
          continue;
        }
        const [ended] = await engine.historicTasks({ taskId: row.engine_task_id });
        const outcome = await closeEnded(this.deps, row, ended);
        if (outcome === 'healed') result.healed += 1;
        else result.closed += 1;
      } catch (err) {
        this.warn('对账失败', row.engine_task_id, err);
      }
    }

    // 4. 送审 left half-way: the engine's instance recorded, or the project back to draft.
    try {
      const healed = await healSubmissions(this.deps, now);
      result.adopted = healed.adopted;
      result.reverted = healed.reverted;
    } catch (err) {
      this.warn('送审对账失败', '-', err);
    }
    return result;
  }

  private warn(what: string, engineTaskId: string, err: unknown): undefined {
    this.deps.log.warn({ engineTaskId, error: err instanceof Error ? err.message : String(err) }, what);
    return undefined;
  }
}

/** Runs the sweep every `intervalMs` until stopped; a failed pass is logged and the next one tries again. */
export function startReconciliation(
  deps: InboxSyncDeps,
  intervalMs = 3000,
  extraKeys: readonly string[] = [],
): { reconciler: Reconciler; stop(): Promise<void> } {
  const reconciler = new Reconciler(deps, extraKeys);
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (stopped) return;
    running = reconciler
      .runOnce()
      .then((r) => {
        if (r.created || r.closed || r.reopened || r.healed || r.adopted || r.reverted) deps.log.info(r, '待办对账：已与流程引擎同步');
      })
      .catch((err: unknown) => deps.log.warn({ error: err instanceof Error ? err.message : String(err) }, '待办对账失败，稍后重试'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, Math.min(intervalMs, 1000));
  return {
    reconciler,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
