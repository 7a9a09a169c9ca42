import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import type { Logger } from '../log';
import { MissingBusinessObject } from './errors';
import { recordUserTask } from './tasks';

/**
 * The engine's user tasks reach the inbox through this worker. Camunda 8.6 (the newest
 * distribution our Maven mirror serves) has no task listeners, and without secondary storage no
 * task search, so the platform's user tasks are job-worker user tasks (no zeebe:userTask
 * element): each is a job of type io.camunda.zeebe:userTask, with the form key, candidate groups
 * and assignee in its headers. The worker records it in the inbox and keeps the job — it is
 * completed by the inbox (actions.ts) when a person decides. On 8.8+, zeebe:userTask with a
 * "creating" task listener would feed the same recordUserTask.
 *
 * The job type is the engine's, not ours, so it cannot carry our namespace: a job of another
 * installation's (or test run's) process is handed straight back (failed with its retries
 * unchanged and no backoff) for its own worker to take.
 */
export const USER_TASK_JOB_TYPE = 'io.camunda.zeebe:userTask';
/** Held this long; a job that outlives it is delivered again and found already recorded. */
const LOCK_MS = 30 * 24 * 3600_000;

export function startUserTaskWorker(deps: { client: EngineClient; db: Db; log: Logger; namespace: string }) {
  const log = deps.log.child({ worker: USER_TASK_JOB_TYPE });
  return deps.client.createWorker({
    taskType: USER_TASK_JOB_TYPE,
    timeout: LOCK_MS,
    maxJobsToActivate: 32,
    longPoll: 10_000,
    failProcessOnException: false,
    taskHandler: async (job) => {
      const processId = ownProcessId(job.bpmnProcessId, deps.namespace);
      if (processId === null) return job.fail({ errorMessage: 'not this installation’s process', retries: job.retries, retryBackOff: 0 });
      const headers = job.customHeaders as Record<string, string | undefined>;
      const variables = job.variables as Record<string, unknown>;
      try {
        const projectId = Number(variables.projectId);
        if (!Number.isSafeInteger(projectId) || projectId <= 0) throw new MissingBusinessObject('process variable projectId is missing');
        const { taskId, created } = await recordUserTask(deps.db, {
          jobKey: String(job.key),
          processInstanceKey: String(job.processInstanceKey),
          processId,
          elementId: job.elementId,
          elementInstanceKey: String(job.elementInstanceKey),
          formKey: headers['io.camunda.zeebe:formKey'] ?? '',
          candidateGroups: parseList(headers['io.camunda.zeebe:candidateGroups']),
          assignee: headers['io.camunda.zeebe:assignee'] ?? null,
          dueIn: headers.dueIn ?? null,
          projectId,
        });
        if (created) log.info({ taskId, jobKey: String(job.key), elementId: job.elementId }, '新待办已进入待办箱');
        return job.forward();
      } catch (err) {
        // A model that names no project will not heal: an incident for operators. Anything else
        // (the database away) is retried every 5 s without using up the job's single retry.
        const message = err instanceof Error ? err.message : String(err);
        const permanent = err instanceof MissingBusinessObject;
        log.error({ jobKey: String(job.key), error: message, permanent }, '待办入箱失败');
        return job.fail({ errorMessage: message, retries: permanent ? 0 : Math.max(1, job.retries), retryBackOff: 5_000 });
      }
    },
  });
}

/** The model's process id when the job belongs to this installation, else null. */
export function ownProcessId(bpmnProcessId: string, namespace: string): string | null {
  if (namespace) return bpmnProcessId.startsWith(`${namespace}.`) ? bpmnProcessId.slice(namespace.length + 1) : null;
  return bpmnProcessId.includes('.') ? null : bpmnProcessId;
}

function parseList(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.map(String) : [String(v)];
  } catch {
    return raw.split(',').map((s) => s.trim()).filter(Boolean);
  }
}
