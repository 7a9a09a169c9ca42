import type { z } from 'zod';
import type { AppConfig } from '../server/config';
import type { Db } from '../server/db';
import type { Logger } from '../server/log';

/** What a handler may use. `trx` is the transaction its writes and the job's outcome share. */
export interface JobContext {
  trx: Db;
  job: { key: string; type: string; processInstanceKey: string; elementId: string; retries: number };
  /** The task's headers from the model (zeebe:taskHeaders), e.g. the status a step sets. */
  headers: Readonly<Record<string, string>>;
  log: Logger;
  config: AppConfig;
}

export type JobResult<O> =
  | { outcome: 'complete'; variables: O }
  /** A business outcome the BPMN model handles with an error boundary event. */
  | { outcome: 'bpmn-error'; errorCode: string; message: string; variables?: Record<string, unknown> };

/**
 * One job type, one definition: typed input, a handler that calls domain rules, typed output.
 * A thrown error is a technical fault: the job fails and the engine retries it.
 */
export interface JobWorkerDefinition<I extends z.ZodType = z.ZodType, O extends Record<string, unknown> = Record<string, unknown>> {
  type: string;
  description: string;
  input: I;
  /** Job lock time; the engine hands the job to another worker after it. */
  timeoutMs?: number;
  maxJobsToActivate?: number;
  /** Backoff before a failed job is retried. */
  retryBackoffMs?: number;
  handle(input: z.infer<I>, ctx: JobContext): Promise<JobResult<O>>;
}

export function complete<O extends Record<string, unknown>>(variables: O): JobResult<O> {
  return { outcome: 'complete', variables };
}

export function bpmnError(errorCode: string, message: string, variables?: Record<string, unknown>): JobResult<never> {
  return { outcome: 'bpmn-error', errorCode, message, variables };
}

/**
 * Declares a worker with its input and output types checked, and hands it on as the erased
 * type the registry holds (the runtime parses input with `def.input` before calling handle).
 */
export function defineWorker<I extends z.ZodType, O extends Record<string, unknown>>(def: JobWorkerDefinition<I, O>): JobWorkerDefinition {
  return def as unknown as JobWorkerDefinition;
}
