import type { AppConfig } from '../server/config';
import type { Db } from '../server/db';
import { EngineError, fromEngineVariables, type EngineClient, type ExternalTask } from '../server/engine/client';
import { namespaced } from '../server/engine/namespace';
import type { Logger } from '../server/log';
import type { ExternalTaskWorker, TaskResult } from './types';

interface StoredOutcome {
  outcome: 'completed' | 'bpmn-error';
  error_code: string | null;
  variables: string;
}

export interface WorkerDeps {
  client: EngineClient;
  db: Db;
  log: Logger;
  config: AppConfig;
  /**
   * Called after the engine accepted an outcome, with the process instance it moved: the inbox
   * records the user tasks the instance reached (server/inbox/sync.ts). Failures are logged only;
   * the reconciliation sweep catches up.
   */
  onAdvanced?: (processInstanceId: string) => Promise<void>;
}

/** This node's worker id: the engine records which node locked and finished each external task. */
export function workerIdOf(config: AppConfig, loop: number): string {
  return `${config.engine.nodeName}#${loop}`;
}

/**
 * Runs one definition's handler for one locked external task. Every path ends in complete, BPMN
 * error or failure with retries; nothing a handler does can crash the process. An external task
 * may be delivered again (its lock ran out, or our answer to the engine was lost), so the outcome
 * is stored under the external task's id in the same transaction as the handler's writes, and a
 * redelivered task is answered from that row without running the handler again.
 */
export async function handleTask(
  def: ExternalTaskWorker,
  task: ExternalTask,
  workerId: string,
  deps: WorkerDeps,
): Promise<'completed' | 'bpmn-error' | 'failed' | 'lost'> {
  const { db, log, client } = deps;
  try {
    const previous = (await db('job_outcomes').where({ external_task_id: task.id }).first()) as StoredOutcome | undefined;
    if (previous) {
      log.info({ externalTaskId: task.id }, '外部任务已处理过（引擎重复投递），返回原结果');
      return await report(client, task, workerId, replay(previous), deps);
    }

    const variables = fromEngineVariables(task.variables);
    const parsed = def.input.safeParse(variables);
    if (!parsed.success) {
      // A model that hands a worker the wrong data will not heal by retrying: raise an incident.
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(变量)'}: ${i.message}`).join('; ');
      log.error({ externalTaskId: task.id, detail }, '外部任务输入变量无效');
      await client.externalTaskFailure(task.id, workerId, {
        errorMessage: `输入变量无效：${detail}`.slice(0, 600),
        retries: 0,
        retryTimeout: 0,
      });
      return 'failed';
    }

    let result: TaskResult<Record<string, unknown>> | undefined;
    const context = {
      task: {
        id: task.id,
        topic: task.topicName,
        processInstanceId: task.processInstanceId,
        activityId: task.activityId,
        businessKey: task.businessKey,
        retries: task.retries,
      },
      properties: task.extensionProperties ?? {},
      log,
      config: deps.config,
      engine: client,
    };
    const prepared = def.prepare ? await def.prepare(parsed.data, { ...context, db }) : undefined;
    await db.transaction(async (trx) => {
      result = await def.handle(parsed.data, { ...context, trx, prepared });
      await trx('job_outcomes').insert({
        external_task_id: task.id,
        topic: task.topicName,
        process_instance_key: task.processInstanceId,
        element_id: task.activityId,
        outcome: result.outcome === 'complete' ? 'completed' : 'bpmn-error',
        error_code: result.outcome === 'bpmn-error' ? result.errorCode : null,
        variables: JSON.stringify(result.variables ?? {}),
        handled_at: new Date(),
      });
    });
    if (!result) throw new Error('handler returned no result');
    return await report(client, task, workerId, result, deps);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const left = (task.retries ?? def.retries ?? 3) - 1;
    const attempt = (def.retries ?? 3) - left;
    const backoff = (def.retryBackoffMs ?? 1000) * 2 ** Math.max(0, attempt - 1);
    log.warn({ externalTaskId: task.id, retries: left, error: message }, '外部任务处理失败，交由引擎重试');
    try {
      await client.externalTaskFailure(task.id, workerId, {
        errorMessage: message.slice(0, 600),
        errorDetails: err instanceof Error ? (err.stack ?? message) : message,
        retries: Math.max(0, left),
        retryTimeout: backoff,
      });
      return 'failed';
    } catch (failErr) {
      // The engine is unreachable too: the lock runs out and the task is offered again.
      log.error(
        { externalTaskId: task.id, error: failErr instanceof Error ? failErr.message : String(failErr) },
        '无法向引擎报告外部任务失败',
      );
      return 'lost';
    }
  }
}

function replay(stored: StoredOutcome): TaskResult<Record<string, unknown>> {
  const variables = JSON.parse(stored.variables) as Record<string, unknown>;
  if (stored.outcome === 'completed') return { outcome: 'complete', variables };
  return { outcome: 'bpmn-error', errorCode: stored.error_code ?? 'ERROR', message: '', variables };
}

async function report(
  client: EngineClient,
  task: ExternalTask,
  workerId: string,
  result: TaskResult<Record<string, unknown>>,
  deps: WorkerDeps,
): Promise<'completed' | 'bpmn-error' | 'lost'> {
  try {
    // A completion that lost an optimistic-locking race in the engine (parallel branches of one
    // instance finishing together) was rolled back there: answer again at once, not after the lock.
    if (result.outcome === 'complete') await client.retrying(() => client.completeExternalTask(task.id, workerId, result.variables));
    else
      await client.retrying(() =>
        client.externalTaskBpmnError(task.id, workerId, result.errorCode, result.message, result.variables ?? {}),
      );
  } catch (err) {
    // 404: already answered (an earlier delivery's answer did reach the engine) — nothing to do.
    if (err instanceof EngineError && err.notFound) return result.outcome === 'complete' ? 'completed' : 'bpmn-error';
    // Anything else: the lock runs out, the task comes again and is answered from job_outcomes.
    deps.log.warn({ externalTaskId: task.id, error: (err as Error).message }, '外部任务结果未能报告给引擎，锁到期后重新投递时补报');
    return 'lost';
  }
  if (deps.onAdvanced)
    await deps
      .onAdvanced(task.processInstanceId)
      .catch((err: unknown) =>
        deps.log.warn({ processInstanceId: task.processInstanceId, error: (err as Error).message }, '待办同步失败，由定时对账补齐'),
      );
  return result.outcome === 'complete' ? 'completed' : 'bpmn-error';
}

export interface RunningWorkers {
  count: number;
  /** Stop fetching, let tasks in hand finish (bounded), then return. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Concurrent fetch loops on this node (each long-polls the engine for every topic). */
  loops?: number;
  /** Tasks one fetch may lock. */
  maxTasks?: number;
  /** Long poll: the engine holds the request until a task is there or this passes. */
  longPollMs?: number;
}

/**
 * Our own fetch-and-lock loop over the REST client rather than camunda-external-task-client-js:
 * it is small, typed, shares the one EngineClient (timeouts, error classes), and treats the 500
 * that fetchAndLock answers now and then under concurrent fetching (engine.md) as "try again" —
 * never as a crash — with a short backoff; an unreachable engine backs off up to 5 s.
 */
export function startWorkers(defs: ExternalTaskWorker[], deps: WorkerDeps, options: RuntimeOptions = {}): RunningWorkers {
  const byTopic = new Map<string, ExternalTaskWorker>();
  for (const d of defs) {
    const topic = namespaced(deps.config.engine.namespace, d.topic);
    if (byTopic.has(topic)) throw new Error(`topic registered twice: ${d.topic}`);
    byTopic.set(topic, d);
  }
  const loops = options.loops ?? 2;
  const abort = new AbortController();
  let stopped = false;
  const log = deps.log.child({ component: 'workers' });
  const topics = [...byTopic.entries()].map(([topicName, d]) => ({
    topicName,
    lockDuration: d.lockMs ?? 60_000,
    includeExtensionProperties: true,
  }));

  const longPollMs = options.longPollMs ?? 10_000;
  const loop = async (n: number): Promise<void> => {
    const workerId = workerIdOf(deps.config, n);
    let failures = 0;
    // A long poll the engine never answers (seen once: its long-poll handler died after the jar
    // was replaced under the running engine) would stall the worker: after one, fetch without
    // long polling, every half second, for a minute, then try long polling again.
    let shortPollingUntil = 0;
    while (!stopped) {
      let tasks: ExternalTask[];
      const shortPolling = Date.now() < shortPollingUntil;
      try {
        tasks = await deps.client.fetchAndLock(
          { workerId, maxTasks: options.maxTasks ?? 10, asyncResponseTimeout: shortPolling ? 0 : longPollMs, topics },
          abort.signal,
        );
        failures = 0;
        if (shortPolling && tasks.length === 0) await sleep(500, abort.signal);
      } catch (err) {
        if (stopped) break;
        failures += 1;
        const e = err as EngineError;
        if (
          e instanceof EngineError &&
          e.unreachable &&
          !shortPolling &&
          (await deps.client.version().then(
            () => true,
            () => false,
          ))
        ) {
          shortPollingUntil = Date.now() + 60_000;
          log.error({ workerId }, '流程引擎未在长轮询时限内应答（引擎其余接口正常），一分钟内改为短轮询');
          continue;
        }
        const delay =
          e instanceof EngineError && !e.unreachable ? 100 + Math.random() * 400 : Math.min(5000, 250 * 2 ** Math.min(failures, 5));
        if (e instanceof EngineError && e.unreachable)
          log.warn({ workerId, error: e.message, retryInMs: delay }, '获取外部任务失败：流程引擎不可达');
        else
          log.info(
            { workerId, status: e instanceof EngineError ? e.status : undefined, error: e.message },
            '获取外部任务失败（引擎偶发错误），重试',
          );
        await sleep(delay, abort.signal);
        continue;
      }
      await Promise.all(
        tasks.map((task) => {
          const def = byTopic.get(task.topicName);
          if (!def) return Promise.resolve();
          return handleTask(def, task, workerId, { ...deps, log: log.child({ topic: task.topicName }) });
        }),
      );
    }
  };
  const running = Array.from({ length: topics.length ? loops : 0 }, (_, i) => loop(i + 1));
  log.info({ topics: [...byTopic.keys()], loops }, `已注册 ${defs.length} 个外部任务处理器`);
  return {
    count: byTopic.size,
    close: async () => {
      stopped = true;
      abort.abort();
      await Promise.race([Promise.all(running), sleep(15_000)]);
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
