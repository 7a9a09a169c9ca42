import { z } from 'zod';
import type { AppConfig } from '../server/config';
import type { Db } from '../server/db';
import type { EngineClient } from '../server/engine/client';
import type { Logger } from '../server/log';

/** What a handler may use. `trx` is the transaction its writes and the task's outcome share. */
export interface TaskContext {
  trx: Db;
  task: { id: string; topic: string; processInstanceId: string; activityId: string; businessKey: string | null; retries: number | null };
  /** The step's extension properties in the model (camunda:properties), e.g. the status a step sets. */
  properties: Readonly<Record<string, string>>;
  log: Logger;
  config: AppConfig;
  /** The engine, for a step that starts other instances (the quarter's per-project reports). */
  engine: EngineClient;
  /** What the worker's `prepare` returned (undefined without one). */
  prepared?: unknown;
}

/** What `prepare` may use: the database outside any transaction (no trx is held while it waits). */
export type PrepareContext = Omit<TaskContext, 'trx' | 'prepared'> & { db: Db };

export type TaskResult<O> =
  | { outcome: 'complete'; variables: O }
  /** A business outcome the BPMN model handles with an error boundary event. */
  | { outcome: 'bpmn-error'; errorCode: string; message: string; variables?: Record<string, unknown> };

/**
 * One external-task topic, one definition: typed input (the process variables it reads), a
 * handler that calls domain rules, typed output. A thrown error is a technical fault: the task
 * fails and the engine offers it again after the backoff, until its retries run out (an incident).
 */
export interface ExternalTaskWorker<I extends z.ZodType = z.ZodType, O extends Record<string, unknown> = Record<string, unknown>> {
  topic: string;
  description: string;
  input: I;
  /** Extension properties the step must carry (checked against processes/ by the model check). */
  properties?: readonly string[];
  /** How long the task is locked for this worker; the engine offers it to another worker after that. */
  lockMs?: number;
  /** Attempts before an incident (the engine counts down). */
  retries?: number;
  /** Backoff before the first retry; doubled on each further attempt. */
  retryBackoffMs?: number;
  /**
   * Runs before the handler's transaction, for a slow call to another system (the bank): no
   * transaction (and on SQLite, no connection) is held while it waits. Its result reaches the
   * handler as ctx.prepared. A redelivered task answered from its stored outcome runs neither.
   */
  prepare?(input: z.infer<I>, ctx: PrepareContext): Promise<unknown>;
  handle(input: z.infer<I>, ctx: TaskContext): Promise<TaskResult<O>>;
}

export function complete<O extends Record<string, unknown>>(variables: O): TaskResult<O> {
  return { outcome: 'complete', variables };
}

export function bpmnError(errorCode: string, message: string, variables?: Record<string, unknown>): TaskResult<never> {
  return { outcome: 'bpmn-error', errorCode, message, variables };
}

/**
 * Declares a worker with its input and output types checked, and hands it on as the erased
 * type the registry holds (the runtime parses input with `def.input` before calling handle).
 */
export function defineWorker<I extends z.ZodType, O extends Record<string, unknown>>(def: ExternalTaskWorker<I, O>): ExternalTaskWorker {
  return def as unknown as ExternalTaskWorker;
}

/**
 * A list or object variable: the engine stores them as JSON text (server/engine/client.ts), so a
 * worker's input reads them back through this.
 */
export function json<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, schema);
}
