/**
 * The answers of the trial-run routes (/api/designer/trials…), one declaration for the server
 * (server/designer/trial.ts builds them) and the SPA (web/src/api/designer.ts reads them).
 * Times are ISO-8601 with +08:00.
 */
export interface TrialChoice {
  field: string;
  label: string;
  options: Array<{ value: string; label: string }>;
  /** Shown only when another field has a value (e.g. 退回至 when 退回). */
  visibleWhen: { field: string; equals: unknown } | null;
}

export interface TrialSummary {
  trialId: string;
  processId: string;
  startedBy: string;
  startedAt: string | null;
  expiresAt: string | null;
  deploymentId: string;
}

/** GET /api/designer/trials/{trialId}: the sandbox instance, from the engine's runtime and history. */
export interface TrialState extends TrialSummary {
  definitionId: string;
  processInstanceId: string | null;
  /** ACTIVE, COMPLETED, EXTERNALLY_TERMINATED, INTERNALLY_TERMINATED (the engine's history state). */
  state: string;
  ended: boolean;
  xml: string;
  completed: string[];
  active: string[];
  failed: string[];
  steps: Array<{ elementId: string; name: string | null; type: string; startedAt: string | null; endedAt: string | null }>;
  tasks: Array<{
    taskId: string;
    elementId: string;
    name: string | null;
    formKey: string | null;
    formTitle: string | null;
    decisionField: string | null;
    choices: TrialChoice[];
  }>;
  waiting: Array<{ elementId: string; topic: string; incident: string | null }>;
  decisions: Array<{
    elementId: string | null;
    decisionId: string;
    evaluatedAt: string | null;
    inputs: Array<{ name: string | null; value: unknown }>;
    outputs: Array<{ name: string | null; variable: string; value: unknown; ruleId: string }>;
  }>;
  incidents: Array<{ elementId: string; message: string | null }>;
  variables: Record<string, unknown>;
}
