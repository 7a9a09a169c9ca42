/**
 * Where a process instance stands and how it got there (server/inbox/history.ts builds it from the
 * engine's history and our records): the shape the task page, the project's 审核进度 and the SPA's
 * step list share — one definition, read by the server and by web/src/api.
 */

export type StepStatus = 'completed' | 'active' | 'canceled' | 'failed';

export interface Step {
  /** The engine's activity instance id; from the platform's records `task:<inbox id>` or `job:<external task id>`. */
  id: string;
  /** The BPMN element id (what the diagram marks). */
  elementId: string;
  name: string;
  /** The engine's activity type: userTask, serviceTask, startEvent, exclusiveGateway, noneEndEvent, … */
  type: string;
  /** completed: passed; active: open now; failed: open with an incident; canceled: ended without completing (撤回, a 会签 decided early). */
  status: StepStatus;
  startedAt: string;
  endedAt: string | null;
  /** Who acted: a user task's assignee (our user's name), 系统自动 for service tasks, the submitter for the start event; null when nobody yet (an unclaimed task) or nobody at all (a gateway). */
  actor: string | null;
  actorUserId: number | null;
  /** The inbox task of a user task (link to /tasks/:id). */
  taskId: number | null;
  decision: string | null;
  decisionLabel: string;
  comment: string | null;
  /** The completion's audit record, whether the chain holds it sealed, and the seal's verification code. */
  auditRecordId: number | null;
  sealed: boolean;
  verificationCode: string | null;
  /** The incident's message, for a failed step. */
  incident: string | null;
}

export interface InstanceProgress {
  /** engine: the engine's history; platform: our own records (the engine could not answer). */
  source: 'engine' | 'platform';
  /** Why the platform's records are shown (in Chinese, for the page); null when from the engine. */
  notice: string | null;
  /** Elements passed (not open now). */
  completed: string[];
  /** Elements open now (a failed one is open too). */
  active: string[];
  /** Elements with an open incident. */
  failed: string[];
  /** Every activity passed or open, in the order the engine started them. */
  steps: Step[];
}
