import type { Knex } from 'knex';
import { verificationCode, type AuditRecordBody } from '../../domain/audit-chain';
import { toShanghaiIso } from '../../domain/time';
import { readInstant } from '../db';
import { isEngineError, parseEngineDate, type EngineClient } from '../engine/client';
import { engineProgress, type Step } from '../inbox/history';
import type { PlatformKey } from '../../domain/audit-chain';
import { recordSealStatuses, type RecordSealStatus } from './verify';

/**
 * 流程回放: a process instance as compliance staff step through it — every element it passed, in
 * the engine's order (server/inbox/history.ts engineProgress), with what happened at each step:
 * actor and times, the decision and comments of a user task, the variables the step changed
 * (/history/detail), the DMN decisions it evaluated with their inputs and the rule that matched
 * (/history/decision-instance), and the seal status of its audit record, checked against the
 * chain now (verified / absent / broken). The diagram is the very version the instance ran on.
 */

export interface ReplayVariable {
  name: string;
  type: string;
  value: string | number | boolean | null;
  revision: number;
  at: string;
}

export interface ReplayDecision {
  decisionKey: string;
  decisionName: string | null;
  evaluatedAt: string;
  inputs: Array<{ name: string; value: string | number | boolean | null }>;
  outputs: Array<{ name: string; value: string | number | boolean | null; ruleId: string | null }>;
  /** The rules that matched (empty: no rule matched). */
  matchedRules: string[];
}

export interface ReplayComment {
  at: string;
  actor: string;
  text: string;
}

export interface ReplaySeal {
  status: RecordSealStatus['status'];
  auditRecordId: number | null;
  recordSeq: number | null;
  verificationCode: string | null;
  reason: string | null;
}

export type ReplayStep = Step & {
  index: number;
  variables: ReplayVariable[];
  decisions: ReplayDecision[];
  comments: ReplayComment[];
  seal: ReplaySeal;
};

export interface Replay {
  instance: {
    processInstanceKey: string;
    processDefinitionId: string | null;
    processDefinitionKey: string | null;
    version: number | null;
    state: string | null;
    startedAt: string | null;
    endedAt: string | null;
    project: { id: number; projectNo: string; name: string };
  };
  /** BPMN XML of the definition version the instance ran on (null when the engine cannot give it). */
  xml: string | null;
  source: 'engine' | 'platform';
  notice: string | null;
  steps: ReplayStep[];
  summary: { steps: number; verified: number; absent: number; broken: number };
}

type Raw = Record<string, unknown>;
type Scalar = string | number | boolean | null;

const scalar = (v: unknown): Scalar =>
  v === null || v === undefined ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
const shanghai = (s: unknown): string => toShanghaiIso(parseEngineDate(typeof s === 'string' ? s : null) ?? new Date(0));

/** Kinds of step that do work (a variable changed at the same instant belongs to them rather than to the gateway after). */
const WORKING = new Set([
  'userTask',
  'serviceTask',
  'sendTask',
  'scriptTask',
  'businessRuleTask',
  'externalTask',
  'callActivity',
  'receiveTask',
  'startEvent',
]);

/** The step a variable update at `at` belongs to: a working step open at that moment, else the last one started before it. */
export function stepAt(steps: ReadonlyArray<Pick<Step, 'type' | 'startedAt' | 'endedAt'>>, at: number): number {
  let best = -1;
  let bestScore = -Infinity;
  steps.forEach((s, i) => {
    const start = new Date(s.startedAt).getTime();
    const end = s.endedAt ? new Date(s.endedAt).getTime() : Infinity;
    if (start > at) return;
    const open = at <= end;
    // Open working steps first, then open others, then the latest started; later starts win ties.
    const score = (open ? (WORKING.has(s.type) ? 2 : 1) : 0) * 1e15 + start + i * 1e-3;
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best < 0 ? 0 : best;
}

export async function instanceReplay(
  db: Knex,
  engine: EngineClient,
  platform: PlatformKey,
  instance: { processInstanceKey: string; project: Replay['instance']['project'] },
): Promise<Replay> {
  const key = instance.processInstanceKey;

  // What the engine recorded beyond the activity instances; an unreachable engine leaves these empty.
  let historic: Raw | null = null;
  let details: Raw[] = [];
  let decisions: Raw[] = [];
  let xml: string | null = null;
  try {
    [historic, details, decisions] = await Promise.all([
      engine.historicProcessInstance(key) as Promise<Raw | null>,
      engine.request<Raw[]>('GET', '/history/detail', {
        query: {
          processInstanceId: key,
          variableUpdates: true,
          deserializeValues: false,
          sortBy: 'time',
          sortOrder: 'asc',
          maxResults: 5000,
        },
      }),
      engine.request<Raw[]>('GET', '/history/decision-instance', {
        query: {
          processInstanceId: key,
          includeInputs: true,
          includeOutputs: true,
          disableBinaryFetching: true,
          sortBy: 'evaluationTime',
          sortOrder: 'asc',
        },
      }),
    ]);
    const definitionId = typeof historic?.processDefinitionId === 'string' ? historic.processDefinitionId : null;
    if (definitionId) xml = (await engine.processDefinitionXml(definitionId)).bpmn20Xml;
  } catch (err) {
    if (!isEngineError(err)) throw err;
  }
  // After the historic instance: an instance it reports ended has all its steps in the list.
  const progress = await engineProgress(engine, db, key);

  // Comments written on the instance's tasks (添加意见), beside the completion's own comment.
  const taskIds = progress.steps.flatMap((s) => (s.taskId === null ? [] : [s.taskId]));
  const commentRows = taskIds.length
    ? ((await db('task_events')
        .whereIn('task_id', taskIds)
        .where('kind', 'commented')
        .orderBy('id')
        .select('task_id', 'actor_name', 'comment', 'data', 'created_at')) as Array<{
        task_id: number;
        actor_name: string;
        comment: string | null;
        data: string | null;
        created_at: unknown;
      }>)
    : [];

  // The audit record each task's completion names — also one that is no longer in the chain
  // (engineProgress leaves a missing record out; here it is a broken step).
  const completedRows = taskIds.length
    ? ((await db('task_events').whereIn('task_id', taskIds).where('kind', 'completed').orderBy('id').select('task_id', 'data')) as Array<{
        task_id: number;
        data: string | null;
      }>)
    : [];
  const namedRecord = new Map<number, number>();
  for (const e of completedRows) {
    const id = e.data ? (JSON.parse(e.data) as { auditRecordId?: unknown }).auditRecordId : undefined;
    if (typeof id === 'number') namedRecord.set(Number(e.task_id), id);
  }
  for (const s of progress.steps)
    if (s.auditRecordId === null && s.taskId !== null && namedRecord.has(s.taskId)) s.auditRecordId = namedRecord.get(s.taskId)!;

  // The seal status of each step's audit record, verified now.
  const recordIds = progress.steps.flatMap((s) => (s.auditRecordId === null ? [] : [s.auditRecordId]));
  const statuses = await recordSealStatuses(db, platform, recordIds);
  const sealedBodies = recordIds.length
    ? ((await db('audit_records').whereIn('id', recordIds).select('id', 'body')) as Array<{ id: number; body: string }>)
    : [];
  const codeOf = new Map<number, string | null>();
  for (const r of sealedBodies) {
    try {
      const seal = (JSON.parse(r.body) as AuditRecordBody).seal;
      codeOf.set(Number(r.id), seal ? verificationCode(seal.signature) : null);
    } catch {
      codeOf.set(Number(r.id), null);
    }
  }

  const steps: ReplayStep[] = progress.steps.map((s, index) => {
    const status = s.auditRecordId === null ? null : statuses.get(s.auditRecordId)!;
    const comments: ReplayComment[] = commentRows
      .filter((c) => Number(c.task_id) === s.taskId)
      .map((c) => ({
        at: toShanghaiIso(readInstant(c.created_at)),
        actor: c.actor_name,
        text: c.comment ?? (c.data ? String((JSON.parse(c.data) as { comment?: unknown }).comment ?? '') : ''),
      }));
    return {
      ...s,
      index,
      variables: [],
      decisions: [],
      comments,
      seal: status
        ? {
            status: status.status,
            auditRecordId: s.auditRecordId,
            recordSeq: status.seq,
            verificationCode: status.status === 'broken' ? null : (codeOf.get(s.auditRecordId!) ?? null),
            reason: status.reason,
          }
        : { status: 'absent', auditRecordId: null, recordSeq: null, verificationCode: null, reason: null },
    };
  });

  if (steps.length) {
    const byActivity = new Map(steps.map((s, i) => [s.id, i]));
    for (const d of details) {
      if (d.type !== 'variableUpdate') continue;
      const at = parseEngineDate(typeof d.time === 'string' ? d.time : null)?.getTime() ?? 0;
      const i = byActivity.get(String(d.activityInstanceId)) ?? stepAt(steps, at);
      steps[i]!.variables.push({
        name: String(d.variableName),
        type: String(d.variableType ?? d.type),
        value: scalar(d.value),
        revision: Number(d.revision ?? 0),
        at: shanghai(d.time),
      });
    }
    for (const d of decisions) {
      const at = parseEngineDate(typeof d.evaluationTime === 'string' ? d.evaluationTime : null)?.getTime() ?? 0;
      const i = byActivity.get(String(d.activityInstanceId)) ?? stepAt(steps, at);
      const outputs = ((d.outputs as Raw[] | undefined) ?? []).map((o) => ({
        name: String(o.clauseName ?? o.variableName ?? o.clauseId),
        value: scalar(o.value),
        ruleId: typeof o.ruleId === 'string' ? o.ruleId : null,
      }));
      steps[i]!.decisions.push({
        decisionKey: String(d.decisionDefinitionKey),
        decisionName: typeof d.decisionDefinitionName === 'string' ? d.decisionDefinitionName : null,
        evaluatedAt: shanghai(d.evaluationTime),
        inputs: ((d.inputs as Raw[] | undefined) ?? []).map((x) => ({ name: String(x.clauseName ?? x.clauseId), value: scalar(x.value) })),
        outputs,
        matchedRules: [...new Set(outputs.flatMap((o) => (o.ruleId ? [o.ruleId] : [])))],
      });
    }
  }

  const count = (st: ReplaySeal['status']) => steps.filter((s) => s.auditRecordId !== null && s.seal.status === st).length;
  return {
    instance: {
      processInstanceKey: key,
      processDefinitionId: typeof historic?.processDefinitionId === 'string' ? historic.processDefinitionId : null,
      processDefinitionKey: typeof historic?.processDefinitionKey === 'string' ? historic.processDefinitionKey : null,
      version: typeof historic?.processDefinitionVersion === 'number' ? historic.processDefinitionVersion : null,
      state: typeof historic?.state === 'string' ? historic.state : null,
      startedAt: historic?.startTime ? shanghai(historic.startTime) : null,
      endedAt: historic?.endTime ? shanghai(historic.endTime) : null,
      project: instance.project,
    },
    xml,
    source: progress.source,
    notice: progress.notice,
    steps,
    summary: { steps: steps.length, verified: count('verified'), absent: count('absent'), broken: count('broken') },
  };
}
