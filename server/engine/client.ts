import type { EngineConfig } from '../config';

/**
 * The one place the platform talks to the engine: Operaton's REST API (`/engine-rest`, the
 * Camunda 7 API). Everything else receives an EngineClient; nothing else builds URLs.
 *
 * Answers are classified by HTTP status and the engine's exception type, never by the message:
 * `EngineError.status` 0 means the engine was not reached at all (down, timeout), 404 that the
 * thing asked for does not exist, 409/500 with type OptimisticLockingException a concurrent change
 * (safe to retry). The client does not retry on its own except where a caller asks (`retrying`).
 */

export class EngineError extends Error {
  constructor(
    /** HTTP status, 0 when the engine could not be reached. */
    public readonly status: number,
    /** The engine's exception type (e.g. InvalidRequestException, OptimisticLockingException), or UNREACHABLE. */
    public readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }

  get unreachable(): boolean {
    return this.status === 0;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /** Two transactions in the engine touched the same rows; the loser rolled back and may retry. */
  /**
   * The engine's transaction lost a race and was rolled back whole, so the same call may simply be
   * made again: an optimistic-locking conflict, or (on MySQL/MariaDB) a deadlock between two
   * engine transactions, which the REST API reports only as a ProcessEnginePersistenceException —
   * seen when an instance is cancelled while a worker locks its external task.
   */
  get concurrentChange(): boolean {
    return this.type === 'OptimisticLockingException' || (this.status === 500 && this.type === 'ProcessEnginePersistenceException');
  }
}

export const isEngineError = (err: unknown): err is EngineError => err instanceof EngineError;

/** The answer, or null when the engine says the thing does not exist (404); any other failure stands. */
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof EngineError && err.notFound) return null;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Variables: plain JSON values in, plain JSON values out.

export interface TypedValue {
  value: unknown;
  type: string;
  valueInfo?: Record<string, unknown>;
}

/**
 * Plain values as the engine's typed variables. Numbers that are whole become Long (Integer
 * overflows at 2^31; fen amounts do not fit), others Double; arrays and objects are stored as
 * JSON text (type String): the engine has no JSON type without the Spin plugin, whose JSON module
 * Maven Central does not serve for 1.0.3. Workers read them back with `json()` (workers/types.ts);
 * models never branch on them (a model that needs a list gets it prepared as scalars by a worker).
 */
export function toEngineVariables(vars: Record<string, unknown>): Record<string, TypedValue> {
  const out: Record<string, TypedValue> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) continue;
    if (value === null) out[name] = { value: null, type: 'Null' };
    else if (typeof value === 'boolean') out[name] = { value, type: 'Boolean' };
    else if (typeof value === 'number') out[name] = Number.isSafeInteger(value) ? { value, type: 'Long' } : { value, type: 'Double' };
    else if (typeof value === 'string') out[name] = { value, type: 'String' };
    else if (value instanceof Date) out[name] = { value: formatEngineDate(value), type: 'Date' };
    else out[name] = { value: JSON.stringify(value), type: 'String' };
  }
  return out;
}

export function fromEngineVariables(vars: Record<string, TypedValue> | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(vars ?? {})) out[name] = v.value;
  return out;
}

/** The engine's date format: 2026-12-01T21:22:30.238+0000. */
export function formatEngineDate(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

export function parseEngineDate(s: string | null | undefined): Date | null {
  if (!s) return null;
  const d = new Date(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(d.getTime()) ? null : d;
}

// ---------------------------------------------------------------------------------------------
// What the engine answers (the fields the platform reads).

export interface EngineTask {
  id: string;
  name: string | null;
  assignee: string | null;
  owner: string | null;
  created: string;
  due: string | null;
  delegationState: 'PENDING' | 'RESOLVED' | null;
  executionId: string;
  processDefinitionId: string;
  processInstanceId: string;
  taskDefinitionKey: string;
  formKey: string | null;
  tenantId: string | null;
}

export interface HistoricTask {
  id: string;
  processDefinitionKey: string;
  processDefinitionId: string;
  processInstanceId: string;
  taskDefinitionKey: string;
  name: string | null;
  assignee: string | null;
  owner: string | null;
  startTime: string;
  endTime: string | null;
  /** completed, deleted (e.g. a multi-instance ended early, a boundary event), or a cancellation reason. */
  deleteReason: string | null;
  due: string | null;
}

export interface ExternalTask {
  id: string;
  topicName: string;
  workerId: string;
  activityId: string;
  activityInstanceId: string;
  executionId: string;
  processInstanceId: string;
  processDefinitionId: string;
  processDefinitionKey: string;
  businessKey: string | null;
  retries: number | null;
  variables: Record<string, TypedValue>;
  extensionProperties?: Record<string, string>;
}

export interface ActivityInstance {
  id: string;
  activityId: string;
  activityName: string | null;
  activityType: string;
  assignee: string | null;
  taskId: string | null;
  startTime: string;
  endTime: string | null;
  canceled: boolean;
  completeScope: boolean;
  processInstanceId: string;
  calledProcessInstanceId: string | null;
}

export interface Incident {
  id: string;
  activityId: string;
  incidentType: string;
  incidentMessage: string | null;
  processInstanceId: string;
  incidentTimestamp: string;
}

export interface ProcessDefinition {
  id: string;
  key: string;
  name: string | null;
  version: number;
  resource: string;
  deploymentId: string;
}

export interface DecisionDefinition {
  id: string;
  key: string;
  name: string | null;
  version: number;
  resource: string;
  deploymentId: string;
}

export interface MigrationInstruction {
  sourceActivityIds: string[];
  targetActivityIds: string[];
  updateEventTrigger?: boolean;
}

export interface MigrationPlan {
  sourceProcessDefinitionId: string;
  targetProcessDefinitionId: string;
  instructions: MigrationInstruction[];
  variables?: Record<string, TypedValue> | null;
}

export interface HistoricDecisionInstance {
  id: string;
  decisionDefinitionId: string;
  decisionDefinitionKey: string;
  processInstanceId: string | null;
  activityId: string | null;
  evaluationTime: string;
  inputs?: Array<{ clauseId: string; clauseName: string | null; value: unknown }>;
  outputs?: Array<{ clauseId: string; clauseName: string | null; variableName: string; value: unknown; ruleId: string; ruleOrder: number }>;
}

export interface EngineJob {
  id: string;
  jobDefinitionId: string;
  dueDate: string | null;
  processInstanceId: string | null;
  processDefinitionId: string | null;
  processDefinitionKey: string | null;
  retries: number;
  exceptionMessage: string | null;
  suspended: boolean;
  tenantId: string | null;
}

export interface Deployment {
  id: string;
  name: string | null;
  deploymentTime: string;
  deployedProcessDefinitions: Record<string, ProcessDefinition> | null;
  deployedDecisionDefinitions: Record<string, DecisionDefinition> | null;
}

export interface StartedInstance {
  id: string;
  definitionId: string;
  businessKey: string | null;
  ended: boolean;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface FetchAndLockRequest {
  workerId: string;
  maxTasks: number;
  asyncResponseTimeout?: number;
  topics: Array<{ topicName: string; lockDuration: number; includeExtensionProperties?: boolean; processDefinitionKeyIn?: string[]; tenantIdIn?: string[] }>;
}

// ---------------------------------------------------------------------------------------------

export interface EngineClientOptions {
  /** Per-request timeout for ordinary calls (long polls add their own wait). */
  timeoutMs?: number;
  /** The platform's account on the engine (HTTP Basic), when its REST API asks for one. */
  credentials?: { user: string; password: string };
}

/** The Authorization header for an engine account. */
export function basicAuthorization(credentials: { user: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`;
}

export class EngineClient {
  readonly restUrl: string;
  private readonly timeoutMs: number;
  private readonly authorization: Record<string, string>;

  constructor(restUrl: string, options: EngineClientOptions = {}) {
    this.restUrl = restUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.authorization = options.credentials ? { authorization: basicAuthorization(options.credentials) } : {};
  }

  /** A request to the engine; resolves with the parsed JSON body (undefined for 204). */
  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown; form?: FormData; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    const url = new URL(this.restUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: options.body !== undefined ? { 'content-type': 'application/json', accept: 'application/json', ...this.authorization } : { accept: 'application/json', ...this.authorization },
        body: options.form ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
        signal,
      });
    } catch (err) {
      const reason = (err as Error)?.name === 'TimeoutError' ? '请求超时' : (err as Error)?.name === 'AbortError' ? '请求已取消' : '无法连接';
      throw new EngineError(0, 'UNREACHABLE', `流程引擎${reason}（${method} ${path}）：${(err as Error)?.message ?? err}`);
    }
    const text = await res.text();
    if (res.status === 401) {
      // Not an error of this call: the platform's engine account is missing, wrong or not configured.
      throw new EngineError(401, 'CredentialsRefused', `流程引擎拒绝了平台的账号（${method} ${path}）：请检查 ENGINE_REST_USER / ENGINE_REST_PASSWORD 与引擎的账号是否一致`);
    }
    if (!res.ok) {
      let type = 'HttpError';
      let message = text.slice(0, 500);
      try {
        const body = JSON.parse(text) as { type?: string; message?: string };
        type = body.type ?? type;
        message = body.message ?? message;
      } catch {
        /* not JSON: keep the text */
      }
      throw new EngineError(res.status, type, `${method} ${path} → ${res.status} ${type}: ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Retries a call that lost an optimistic-locking race in the engine (a few times, short pauses). */
  async retrying<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof EngineError && err.concurrentChange) || i >= attempts) throw err;
        await new Promise((r) => setTimeout(r, 20 * i + Math.random() * 30));
      }
    }
  }

  version(timeoutMs = 3000): Promise<{ version: string }> {
    return this.request('GET', '/version', { timeoutMs });
  }

  engines(timeoutMs = 3000): Promise<Array<{ name: string }>> {
    return this.request('GET', '/engine', { timeoutMs });
  }

  // --- deployment and definitions -------------------------------------------------------------

  /** One deployment of several resources; the engine keeps versions of unchanged ones (deploy-changed-only). */
  deploy(name: string, resources: Array<{ name: string; bytes: Buffer }>, options: { source?: string; tenantId?: string } = {}): Promise<Deployment> {
    const form = new FormData();
    form.set('deployment-name', name);
    form.set('deploy-changed-only', 'true');
    form.set('enable-duplicate-filtering', 'true');
    if (options.source) form.set('deployment-source', options.source);
    if (options.tenantId) form.set('tenant-id', options.tenantId);
    for (const r of resources) form.set(r.name, new Blob([new Uint8Array(r.bytes)], { type: 'application/octet-stream' }), r.name);
    return this.request('POST', '/deployment/create', { form, timeoutMs: 60_000 });
  }

  processDefinitions(query: Query): Promise<ProcessDefinition[]> {
    return this.request('GET', '/process-definition', { query });
  }

  decisionDefinitions(query: Query): Promise<DecisionDefinition[]> {
    return this.request('GET', '/decision-definition', { query });
  }

  /** Deployments by query (e.g. id), for their deployment time. */
  deployments(query: Query): Promise<Array<{ id: string; name: string | null; source: string | null; deploymentTime: string }>> {
    return this.request('GET', '/deployment', { query });
  }

  /** Deletes a deployment; cascade also deletes its instances (running and historic) and jobs. False when it does not exist. */
  async deleteDeployment(id: string, options: { cascade?: boolean } = {}): Promise<boolean> {
    const done = await orNull(this.request('DELETE', `/deployment/${encodeURIComponent(id)}`, { query: { cascade: options.cascade ?? false, skipCustomListeners: true, skipIoMappings: true }, timeoutMs: 60_000 }).then(() => true));
    return done ?? false;
  }

  decisionDefinitionXml(id: string): Promise<{ id: string; dmnXml: string }> {
    return this.request('GET', `/decision-definition/${encodeURIComponent(id)}/xml`);
  }

  /** Evaluates a decision definition; one map of typed outputs per matched rule. */
  evaluateDecision(id: string, variables: Record<string, TypedValue>): Promise<Array<Record<string, TypedValue>>> {
    return this.request('POST', `/decision-definition/${encodeURIComponent(id)}/evaluate`, { body: { variables } });
  }

  historicDecisionInstances(query: Query): Promise<HistoricDecisionInstance[]> {
    return this.request('GET', '/history/decision-instance', { query });
  }

  processDefinitionXml(id: string): Promise<{ id: string; bpmn20Xml: string }> {
    return this.request('GET', `/process-definition/${encodeURIComponent(id)}/xml`);
  }

  // --- process instances ----------------------------------------------------------------------

  startProcess(key: string, input: { businessKey?: string; variables?: Record<string, unknown> }): Promise<StartedInstance> {
    return this.request('POST', `/process-definition/key/${encodeURIComponent(key)}/start`, {
      body: { businessKey: input.businessKey, variables: toEngineVariables(input.variables ?? {}) },
    });
  }

  /** Starts one definition by id (a definition of a tenant is not started by key). */
  startProcessById(definitionId: string, input: { businessKey?: string; variables?: Record<string, unknown> }): Promise<StartedInstance> {
    return this.request('POST', `/process-definition/${encodeURIComponent(definitionId)}/start`, {
      body: { businessKey: input.businessKey, variables: toEngineVariables(input.variables ?? {}) },
    });
  }

  async processInstanceCount(query: Query): Promise<number> {
    return (await this.request<{ count: number }>('GET', '/process-instance/count', { query })).count;
  }

  processInstances(query: Query): Promise<Array<{ id: string; definitionId: string; businessKey: string | null; suspended: boolean }>> {
    return this.request('GET', '/process-instance', { query });
  }

  /** Running activity instances per activity of a definition (tokens waiting there). */
  activityStatistics(definitionId: string): Promise<Array<{ id: string; instances: number; failedJobs: number; incidents: unknown[] }>> {
    return this.request('GET', `/process-definition/${encodeURIComponent(definitionId)}/statistics`, { query: { incidents: true } });
  }

  // --- migration ------------------------------------------------------------------------------

  /** The engine's plan mapping equal activities of two definitions. */
  generateMigrationPlan(sourceProcessDefinitionId: string, targetProcessDefinitionId: string): Promise<MigrationPlan> {
    return this.request('POST', '/migration/generate', { body: { sourceProcessDefinitionId, targetProcessDefinitionId, updateEventTriggers: true } });
  }

  validateMigrationPlan(plan: MigrationPlan): Promise<{ instructionReports: Array<{ instruction: MigrationInstruction; failures: string[] }>; variableReports?: Record<string, { failures: string[] }> }> {
    return this.request('POST', '/migration/validate', { body: plan });
  }

  executeMigration(plan: MigrationPlan, processInstanceIds: string[]): Promise<void> {
    return this.request('POST', '/migration/execute', { body: { migrationPlan: plan, processInstanceIds, skipCustomListeners: false, skipIoMappings: false }, timeoutMs: 120_000 });
  }

  processInstance(id: string): Promise<StartedInstance | null> {
    return orNull(this.request<StartedInstance>('GET', `/process-instance/${encodeURIComponent(id)}`));
  }

  /** Cancels a running instance; false when it does not exist (ended already). */
  async cancelProcessInstance(id: string, reason?: string): Promise<boolean> {
    const done = await orNull(this.request('DELETE', `/process-instance/${encodeURIComponent(id)}`, { query: { skipCustomListeners: false, skipIoMappings: true, failIfNotExists: true, ...(reason ? { deleteReason: reason } : {}) } }).then(() => true));
    return done ?? false;
  }

  async processVariables(processInstanceId: string): Promise<Record<string, unknown>> {
    return fromEngineVariables(await this.request<Record<string, TypedValue>>('GET', `/process-instance/${encodeURIComponent(processInstanceId)}/variables`, { query: { deserializeValues: false } }));
  }

  correlateMessage(messageName: string, input: { processInstanceId?: string; businessKey?: string; variables?: Record<string, unknown> }): Promise<unknown> {
    return this.request('POST', '/message', {
      body: { messageName, processInstanceId: input.processInstanceId, businessKey: input.businessKey, processVariables: toEngineVariables(input.variables ?? {}), resultEnabled: true },
    });
  }

  // --- external tasks -------------------------------------------------------------------------

  fetchAndLock(req: FetchAndLockRequest, signal?: AbortSignal): Promise<ExternalTask[]> {
    return this.request('POST', '/external-task/fetchAndLock', { body: req, signal, timeoutMs: (req.asyncResponseTimeout ?? 0) + this.timeoutMs });
  }

  completeExternalTask(id: string, workerId: string, variables: Record<string, unknown>): Promise<void> {
    return this.request('POST', `/external-task/${encodeURIComponent(id)}/complete`, { body: { workerId, variables: toEngineVariables(variables) } });
  }

  externalTaskBpmnError(id: string, workerId: string, errorCode: string, errorMessage: string, variables: Record<string, unknown> = {}): Promise<void> {
    return this.request('POST', `/external-task/${encodeURIComponent(id)}/bpmnError`, { body: { workerId, errorCode, errorMessage, variables: toEngineVariables(variables) } });
  }

  externalTaskFailure(id: string, workerId: string, failure: { errorMessage: string; errorDetails?: string; retries: number; retryTimeout: number }): Promise<void> {
    return this.request('POST', `/external-task/${encodeURIComponent(id)}/failure`, { body: { workerId, ...failure } });
  }

  // --- user tasks -----------------------------------------------------------------------------

  tasks(query: Query): Promise<EngineTask[]> {
    return this.request('GET', '/task', { query });
  }

  task(id: string): Promise<EngineTask | null> {
    return orNull(this.request<EngineTask>('GET', `/task/${encodeURIComponent(id)}`));
  }

  claimTask(id: string, userId: string): Promise<void> {
    return this.request('POST', `/task/${encodeURIComponent(id)}/claim`, { body: { userId } });
  }

  unclaimTask(id: string): Promise<void> {
    return this.request('POST', `/task/${encodeURIComponent(id)}/unclaim`, { body: {} });
  }

  setAssignee(id: string, userId: string | null): Promise<void> {
    return this.request('POST', `/task/${encodeURIComponent(id)}/assignee`, { body: { userId } });
  }

  delegateTask(id: string, userId: string): Promise<void> {
    return this.request('POST', `/task/${encodeURIComponent(id)}/delegate`, { body: { userId } });
  }

  resolveTask(id: string, variables: Record<string, unknown> = {}): Promise<void> {
    return this.request('POST', `/task/${encodeURIComponent(id)}/resolve`, { body: { variables: toEngineVariables(variables) } });
  }

  completeTask(id: string, variables: Record<string, unknown>): Promise<void> {
    return this.request('POST', `/task/${encodeURIComponent(id)}/complete`, { body: { variables: toEngineVariables(variables) } });
  }

  // --- history --------------------------------------------------------------------------------

  historicTasks(query: Query): Promise<HistoricTask[]> {
    return this.request('GET', '/history/task', { query });
  }

  activityInstances(processInstanceId: string, options: { timeoutMs?: number } = {}): Promise<ActivityInstance[]> {
    return this.request('GET', '/history/activity-instance', { query: { processInstanceId, sortBy: 'occurrence', sortOrder: 'asc' }, timeoutMs: options.timeoutMs });
  }

  incidents(processInstanceId: string, options: { timeoutMs?: number } = {}): Promise<Incident[]> {
    return this.request('GET', '/incident', { query: { processInstanceId }, timeoutMs: options.timeoutMs });
  }

  historicProcessInstances(query: Query): Promise<Array<{ id: string; processDefinitionId: string; processDefinitionKey: string; startTime: string; endTime: string | null; state: string; businessKey: string | null }>> {
    return this.request('GET', '/history/process-instance', { query });
  }

  /** An instance's variables from the history (the last value of each), also after it ended. */
  async historicVariables(processInstanceId: string): Promise<Record<string, unknown>> {
    const rows = await this.request<Array<{ name: string; value: unknown; activityInstanceId: string | null }>>('GET', '/history/variable-instance', { query: { processInstanceId, deserializeValues: false, maxResults: 500 } });
    return Object.fromEntries(rows.filter((r) => r.activityInstanceId === processInstanceId).map((r) => [r.name, r.value]));
  }

  externalTasks(query: Query): Promise<Array<{ id: string; topicName: string; activityId: string; processInstanceId: string; workerId: string | null; lockExpirationTime: string | null; errorMessage: string | null; retries: number | null }>> {
    return this.request('GET', '/external-task', { query });
  }

  /** Jobs by query (e.g. processInstanceId, timers=true): timers, async continuations. */
  jobs(query: Query): Promise<EngineJob[]> {
    return this.request('GET', '/job', { query });
  }

  /** One job; null when there is none. */
  job(id: string): Promise<EngineJob | null> {
    return orNull(this.request('GET', `/job/${encodeURIComponent(id)}`));
  }

  /** The job definitions of a process definition: which element each job belongs to. */
  jobDefinitions(query: Query): Promise<Array<{ id: string; processDefinitionId: string; activityId: string; jobType: string }>> {
    return this.request('GET', '/job-definition', { query });
  }

  /** Executes a job now (a timer fires whatever its due date). */
  executeJob(id: string): Promise<void> {
    return this.request('POST', `/job/${encodeURIComponent(id)}/execute`);
  }

  historicProcessInstance(id: string): Promise<{ id: string; processDefinitionKey: string; processDefinitionVersion: number; startTime: string; endTime: string | null; state: string; businessKey: string | null } | null> {
    return orNull(this.request<{ id: string; processDefinitionKey: string; processDefinitionVersion: number; startTime: string; endTime: string | null; state: string; businessKey: string | null }>('GET', `/history/process-instance/${encodeURIComponent(id)}`));
  }

  historicDecisions(processInstanceId: string): Promise<Array<{ id: string; decisionDefinitionKey: string; activityId: string; evaluationTime: string; inputs?: Array<{ clauseName: string | null; value: unknown }>; outputs?: Array<{ clauseName: string | null; variableName: string; value: unknown; ruleId: string }> }>> {
    return this.request('GET', '/history/decision-instance', { query: { processInstanceId, includeInputs: true, includeOutputs: true } });
  }
}

/** The one place an engine client is built from configuration. */
export function createEngineClient(engine: EngineConfig, options: Omit<EngineClientOptions, 'credentials'> = {}): EngineClient {
  return new EngineClient(engine.restUrl, { ...options, credentials: engine.credentials });
}

/** What /api/health shows of the engine. */
export interface EngineInfo {
  product: 'Operaton';
  version: string;
  engines: string[];
}

/** Version and engine names, bounded in time: a dead engine answers "down", never hangs. */
export async function fetchEngineInfo(client: EngineClient, timeoutMs = 3000): Promise<EngineInfo> {
  const [{ version }, engines] = await Promise.all([client.version(timeoutMs), client.engines(timeoutMs)]);
  return { product: 'Operaton', version, engines: engines.map((e) => e.name) };
}
