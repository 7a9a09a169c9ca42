import { initialValues, visibleFields, type FormDefinition, type FormValues } from '../../domain/forms';
import type { TrialChoice } from '../../contracts/trials';
import { namespaceBpmn, namespaceDmn, withHistoryTimeToLive } from '../engine/namespace';

/**
 * 试运行 (trial run) of a draft model, the pure part: how a draft becomes a sandbox model, the
 * made-up start variables, what the trial worker answers for each topic and the values a user task
 * is completed with. Nothing here talks to the engine or the database (server/designer/trial.ts
 * does), so it is unit-tested on its own (test/unit/trial-model.test.ts).
 *
 * A trial is deployed under the engine tenant `budgettrial` with everything that could meet a
 * real instance renamed: process ids and decision ids get the trial's own prefix
 * (`budgettrial[.<namespace>].<trialId>.`), so no start, query or call activity of the platform
 * ever finds them (ownKey() rejects them); topics get the installation's trial prefix
 * (`budgettrial[.<namespace>].`), so only the trial worker fetches them; message and signal names
 * get the trial's prefix, so no correlation of a real business key reaches a trial instance.
 */
export const TRIAL_TENANT = 'budgettrial';
/** Trials are deleted (deployment cascade) this long after they were started. */
export const TRIAL_TTL_MS = 2 * 60 * 60 * 1000;
/** The engine's history of a trial is kept one day (the deployment is deleted long before). */
export const TRIAL_HISTORY_DAYS = 1;
export const TRIAL_ID_PATTERN = /^[a-f0-9]{12}$/;

/** The installation's trial scope: prefix of its trial topics and of its trials' keys. */
export function trialScope(namespace: string): string {
  return namespace ? `${TRIAL_TENANT}.${namespace}` : TRIAL_TENANT;
}

/** The prefix of one trial's process ids, decision ids and message names. */
export function trialPrefix(namespace: string, trialId: string): string {
  return `${trialScope(namespace)}.${trialId}`;
}

/** The deployment name that identifies a trial (and its installation) in the engine. */
export function trialDeploymentName(namespace: string, trialId: string): string {
  return `trial:${trialScope(namespace)}:${trialId}`;
}

/** The trial id of one of this installation's trial deployments, or null. */
export function trialIdOfDeployment(name: string | null, namespace: string): string | null {
  const prefix = `trial:${trialScope(namespace)}:`;
  if (!name?.startsWith(prefix)) return null;
  const id = name.slice(prefix.length);
  return TRIAL_ID_PATTERN.test(id) ? id : null;
}

export function trialTopic(namespace: string, topic: string): string {
  return `${trialScope(namespace)}.${topic}`;
}

/** The model's topic of a trial topic of this installation, or null. */
export function ownTrialTopic(namespace: string, topicName: string): string | null {
  const prefix = `${trialScope(namespace)}.`;
  return topicName.startsWith(prefix) ? topicName.slice(prefix.length) : null;
}

/** The decision refs a model names (literal ones; an expression is resolved at run time). */
export function decisionRefsOf(xml: string): string[] {
  return [...new Set([...xml.matchAll(/\bcamunda:decisionRef="([^"$][^"]*)"/g)].map((m) => m[1]!))];
}

export function processIdsOf(xml: string): string[] {
  return [...xml.matchAll(/<(?:bpmn:)?process\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!);
}

/** The draft as the sandbox deploys it (see the module comment). */
export function sandboxBpmn(xml: string, namespace: string, trialId: string): string {
  const prefix = trialPrefix(namespace, trialId);
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let out = namespaceBpmn(xml, prefix);
  // namespaceBpmn gave the topics the trial's prefix; the trial worker fetches the installation's.
  out = out.replace(new RegExp(`(\\bcamunda:topic=")${escaped}\\.`, 'g'), `$1${trialScope(namespace)}.`);
  out = out.replace(
    /(<(?:bpmn:)?(?:message|signal)\b[^>]*\bname=")([^"$][^"]*)(")/g,
    (_m, a: string, name: string, c: string) => `${a}${prefix}.${name}${c}`,
  );
  return withHistoryTimeToLive(out, TRIAL_HISTORY_DAYS);
}

/** A decision table as the sandbox deploys it beside the draft (ids with the trial's prefix). */
export function sandboxDmn(xml: string, namespace: string, trialId: string): string {
  return withHistoryTimeToLive(namespaceDmn(xml, trialPrefix(namespace, trialId)), TRIAL_HISTORY_DAYS);
}

type Vars = Record<string, string | number | boolean | null>;

/** Two made-up countersigners (user ids no account has). */
const FAKE_COUNTERSIGNERS = '[990001,990002]';

/**
 * The start variables a real start of the process carries (server/inbox/intake.ts,
 * server/payments/service.ts …), made up: no project, request or quota of the platform has these
 * ids (0), names say 试运行. Amounts are integer fen. A model the platform does not know starts
 * with the trial marker only.
 */
export function trialStartVariables(processId: string): Vars {
  const base: Vars = { budgetTrial: true };
  switch (processId) {
    case 'project-intake':
      return { ...base, projectId: 0, projectNo: 'SY-0000-000001', projectName: '试运行项目（虚构）', unitOrgId: 0, applicantUserId: 0 };
    case 'payment-approval':
      return {
        ...base,
        paymentRequestId: 0,
        amountFen: 3_000_000,
        category: '1',
        majorDecision: false,
        countersigners: FAKE_COUNTERSIGNERS,
        countersignRule: 'majority',
      };
    case 'budget-allocation':
      return {
        ...base,
        allocationId: 0,
        totalFen: 120_000_000,
        majorDecision: false,
        countersigners: FAKE_COUNTERSIGNERS,
        countersignRule: 'majority',
      };
    case 'budget-adjustment':
      return { ...base, adjustmentId: 0, kind: 'increase', amountFen: 5_000_000, formal: true };
    case 'final-accounts':
      return { ...base, finalAccountId: 0, unitOrgId: 0, fiscalYear: 2026 };
    case 'performance-evaluation':
      return { ...base, evaluationId: 0, projectId: 0, unitOrgId: 0, fiscalYear: 2026, applicantUserId: 0 };
    case 'performance-monitoring':
      return { ...base, roundId: 0 };
    case 'performance-monitoring-report':
      return { ...base, reportId: 0, projectId: 0, fiscalYear: 2026, quarter: 1 };
    case 'expert-review':
      return { ...base, batchId: 0, reviewIds: '0', projectIds: '0', projectCount: 1, respondWithin: 'P3D', scoreWithin: 'P7D' };
    case 'expert-review-project':
      return { ...base, reviewId: 0, projectId: 0, respondWithin: 'P3D', scoreWithin: 'P7D' };
    case 'treasury-payment':
      return { ...base, orderId: 0, orderNo: 'SY-ZF-000001', noticeWithin: 'PT10M' };
    default:
      return base;
  }
}

/**
 * What the trial worker completes a topic's task with: the outputs the real worker would give on
 * its usual path (domain/approval.ts counts for the countersign), made up where the real one reads
 * the database. Never writes anything; a topic without a plausible output completes with none.
 */
export function trialOutputs(topic: string, vars: Record<string, unknown>): Record<string, unknown> {
  const num = (name: string, fallback = 0) => (Number.isFinite(Number(vars[name])) ? Number(vars[name]) : fallback);
  switch (topic) {
    case 'project.smart-check':
      return { smartOk: true, smartProblems: '[]' };
    case 'approval.countersign-prepare': {
      let ids: unknown[] = [];
      try {
        ids = JSON.parse(String(vars.countersigners ?? FAKE_COUNTERSIGNERS)) as unknown[];
      } catch {
        ids = JSON.parse(FAKE_COUNTERSIGNERS) as unknown[];
      }
      const unique = [...new Set((Array.isArray(ids) && ids.length ? ids : (JSON.parse(FAKE_COUNTERSIGNERS) as unknown[])).map(String))];
      return { countersignerCount: unique.length, countersignerIds: unique.join(','), csApprovals: 0, csRejections: 0 };
    }
    case 'approval.countersign-tally': {
      const count = num('countersignerCount', 1);
      const approvals = num('csApprovals');
      const rejections = num('csRejections');
      const rule = String(vars.countersignRule ?? 'all');
      const passed =
        rule === 'any' ? approvals >= 1 : rule === 'majority' ? approvals * 2 > count : approvals === count && rejections === 0;
      return { countersignPassed: passed, countersignTally: JSON.stringify({ approvals, rejections }) };
    }
    case 'payment.risk-check':
      return { riskSevere: false, riskHits: 0 };
    case 'payment.to-treasury':
      return { paymentOrderNo: 'SY-ZF-000001' };
    case 'allocation.issue':
      return { documentNo: '试运行〔2026〕1号' };
    case 'final-accounts.close':
      return { carriedFen: 0, recoveredFen: 0 };
    case 'expert-review.load-panel':
      return { panelSize: 3, panelExpertIds: '990001,990002,990003' };
    case 'expert-review.replace':
      return { seatFilled: true, seatExpertId: '990004' };
    case 'expert-review.collect':
      return { scoreCount: 3 };
    case 'expert-review.aggregate':
      return { aggregateScore: 85 };
    case 'performance.score':
      return { score: 88, scoreCenti: 8800, external: false };
    case 'performance.draw-experts':
      return { panelCount: 3, panelUserIds: '990001,990002,990003', extSum: 0, extMin: 101, extMax: -1, scoreCount: 0 };
    case 'performance.external-aggregate':
      return { score: 86, scoreCenti: 8600 };
    case 'monitoring.open-quarter':
      return { roundId: 0, fiscalYear: 2026, quarter: 1, reportCount: 0 };
    case 'monitoring.start-reports':
      return { started: 0, moreReports: false };
    case 'monitoring.claim-report':
      return { duplicate: false };
    case 'monitoring.assess':
      return { warning: false, deviationLevel: 'none' };
    case 'treasury.send':
      return { sendResult: 'accepted' };
    case 'treasury.query':
      return { bankResult: 'paid' };
    case 'treasury.settle':
      return { orderStatus: 'paid' };
    case 'platform.record-smoke-check':
      return { smokeCheck: JSON.stringify({ recordedAt: new Date(0).toISOString(), databaseClient: 'trial' }) };
    default:
      return {};
  }
}

/** The choices a user task's form offers the designer: the decision field's options first. */

export function trialChoicesOf(form: FormDefinition | undefined): TrialChoice[] {
  if (!form) return [];
  const choices: TrialChoice[] = [];
  for (const f of form.fields) {
    if ((f.type === 'radio' || f.type === 'select') && f.options?.length) {
      choices.push({
        field: f.key,
        label: f.label,
        options: f.options.map((o) => ({ value: o.value, label: o.label })),
        visibleWhen: f.visibleWhen && 'equals' in f.visibleWhen ? { field: f.visibleWhen.field, equals: f.visibleWhen.equals } : null,
      });
    }
  }
  const decision = form.decisionField;
  return decision ? [...choices.filter((c) => c.field === decision), ...choices.filter((c) => c.field !== decision)] : choices;
}

/**
 * The variables a trial completes a user task with: the designer's choices, and for every other
 * visible field a plausible value (its default, the first option, a switch off, 试运行 for text,
 * two made-up people for a picker), so the model's conditions find every variable they read.
 * `auto` takes the first option of the decision field (通过/同意 in the platform's forms).
 */
export function trialTaskValues(
  form: FormDefinition | undefined,
  chosen: Record<string, string | number | boolean>,
): Record<string, unknown> {
  if (!form) return { ...chosen };
  const values: FormValues = { ...initialValues(form), ...chosen };
  // Choices made visible by the decision are filled in order (conditions name earlier fields).
  for (const f of form.fields) {
    const visible = visibleFields(form, values);
    if (!visible.get(f.key) || values[f.key] !== undefined) continue;
    if ((f.type === 'radio' || f.type === 'select') && f.options?.length) values[f.key] = f.options[0]!.value;
    else if (f.type === 'checkbox-group' && f.options?.length) values[f.key] = [f.options[0]!.value];
    else if (f.type === 'switch') values[f.key] = false;
    else if (f.type === 'text' || f.type === 'textarea') values[f.key] = '试运行';
    else if (f.type === 'number' || f.type === 'money') values[f.key] = 'min' in f && typeof f.min === 'number' ? f.min : 0;
    else if (f.type === 'user-picker') values[f.key] = JSON.parse(FAKE_COUNTERSIGNERS) as number[];
    else if (f.type === 'date') values[f.key] = '2026-12-31';
  }
  const visible = visibleFields(form, values);
  return Object.fromEntries(Object.entries(values).filter(([k]) => visible.get(k) !== false));
}

export type { TrialChoice };
