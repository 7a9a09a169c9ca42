import type { AppConfig } from '../server/config';
import type { Db } from '../server/db';
import type { EngineClient } from '../server/engine/client';
import type { Logger } from '../server/log';
import { namespaced } from '../server/engine/namespace';
import type { JobResult, JobWorkerDefinition } from './types';

type ZBWorker = ReturnType<EngineClient['createWorker']>;
/** The SDK does not export its job type; take it from the worker's handler signature. */
type Job = Parameters<Parameters<EngineClient['createWorker']>[0]['taskHandler']>[0];
type JsonDoc = Parameters<Job['error']>[0] extends infer E ? (E extends { variables: infer V } ? V : never) : never;

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
}

/**
 * Turns a definition into a running engine worker. Every path ends in complete, BPMN error or
 * fail-with-retries; nothing a handler does can crash the process. Zeebe delivers a job at least
 * once, so the outcome is stored under the job key in the same transaction as the handler's
 * writes, and a redelivered job is answered from that row without running the handler again.
 */
export function startWorker(def: JobWorkerDefinition, deps: WorkerDeps): ZBWorker {
  const taskType = namespaced(deps.config.engine.namespace, def.type);
  const log = deps.log.child({ worker: taskType });
  return deps.client.createWorker({
    taskType,
    timeout: def.timeoutMs ?? 60_000,
    maxJobsToActivate: def.maxJobsToActivate ?? 16,
    failProcessOnException: false,
    // A shorter long poll than the SDK's 50 s: the SDK keeps its poll timer alive after close,
    // so this bounds how long a stopped process lingers; an idle worker asks every 10 s.
    longPoll: 10_000,
    taskHandler: (job: Job) => handleJob(def, job, { ...deps, log }),
  });
}

export async function handleJob(def: JobWorkerDefinition, job: Job, deps: WorkerDeps): Promise<'JOB_ACTION_ACKNOWLEDGEMENT'> {
  const { db, log } = deps;
  const jobKey = String(job.key);
  try {
    const previous = (await db('job_outcomes').where({ job_key: jobKey }).first()) as StoredOutcome | undefined;
    if (previous) {
      log.info({ jobKey }, '作业已处理过（引擎重复投递），返回原结果');
      return await replay(job, previous);
    }

    const parsed = def.input.safeParse(job.variables);
    if (!parsed.success) {
      // A model that hands a worker the wrong data will not heal by retrying: raise an incident.
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(变量)'}: ${i.message}`).join('; ');
      log.error({ jobKey, detail }, '作业输入变量无效');
      return await job.fail({ errorMessage: `输入变量无效：${detail}`, retries: 0 });
    }

    let result: JobResult<Record<string, unknown>> | undefined;
    await db.transaction(async (trx) => {
      result = await def.handle(parsed.data, {
        trx,
        job: { key: jobKey, type: job.type, processInstanceKey: String(job.processInstanceKey), elementId: job.elementId, retries: job.retries },
        headers: (job.customHeaders ?? {}) as Record<string, string>,
        log,
        config: deps.config,
      });
      await trx('job_outcomes').insert({
        job_key: jobKey,
        job_type: job.type,
        process_instance_key: String(job.processInstanceKey),
        element_id: job.elementId,
        outcome: result.outcome === 'complete' ? 'completed' : 'bpmn-error',
        error_code: result.outcome === 'bpmn-error' ? result.errorCode : null,
        variables: JSON.stringify(result.variables ?? {}),
        handled_at: new Date(),
      });
    });
    if (!result) throw new Error('handler returned no result');
    if (result.outcome === 'complete') return await job.complete(result.variables);
    return await job.error({ errorCode: result.errorCode, errorMessage: result.message, variables: (result.variables ?? {}) as JsonDoc });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const retries = Math.max(0, job.retries - 1);
    log.warn({ jobKey, retries, error: message }, '作业处理失败，交由引擎重试');
    try {
      return await job.fail({ errorMessage: message.slice(0, 2000), retries, retryBackOff: def.retryBackoffMs ?? 1000 });
    } catch (failErr) {
      // The engine is unreachable too: the job's lock runs out and it is delivered again.
      log.error({ jobKey, error: failErr instanceof Error ? failErr.message : String(failErr) }, '无法向引擎报告作业失败');
      return 'JOB_ACTION_ACKNOWLEDGEMENT';
    }
  }
}

function replay(job: Job, stored: StoredOutcome): Promise<'JOB_ACTION_ACKNOWLEDGEMENT'> {
  const variables = JSON.parse(stored.variables) as Record<string, unknown>;
  if (stored.outcome === 'completed') return job.complete(variables);
  return job.error({ errorCode: stored.error_code ?? 'ERROR', variables: variables as JsonDoc });
}

export interface RunningWorkers {
  count: number;
  close(): Promise<void>;
}

export function startWorkers(defs: JobWorkerDefinition[], deps: WorkerDeps): RunningWorkers {
  const seen = new Set<string>();
  for (const d of defs) {
    if (seen.has(d.type)) throw new Error(`job type registered twice: ${d.type}`);
    seen.add(d.type);
  }
  const workers = defs.map((d) => startWorker(d, deps));
  deps.log.info({ types: defs.map((d) => d.type) }, `已注册 ${defs.length} 个作业处理器`);
  return {
    count: workers.length,
    // Stop polling, let jobs in hand finish (bounded), then return.
    close: async () => {
      await Promise.all(workers.map((w) => w.close(10_000).catch(() => null)));
    },
  };
}
