import type { Knex } from 'knex';
import { canonicalJson } from '../../domain/canonical-json';
import {
  EVIDENCE_FORMAT,
  engineHistoryDigest,
  processInstanceOf,
  type EngineHistory,
  type EngineSection,
  type EngineStatement,
  type EngineValue,
  type EvidencePackage,
} from '../../domain/evidence';
import { isEngineError, type EngineClient } from '../engine/client';
import { keyRecordsByIds } from '../seals/key-store';
import { platformSign, type PlatformSigner } from '../seals/platform-key';
import { createCheckpoint, viewOf, type AuditRecordView } from './service';

/**
 * Builds a project's evidence package (domain/evidence.ts): its audit records (timeline events,
 * quota journal entries and seals of its quotas), signed as of a checkpoint taken now.
 */
export async function projectEvidence(db: Knex, platform: PlatformSigner, project: { id: number }): Promise<EvidencePackage> {
  return buildPackage(db, platform, { type: 'project', id: String(project.id) }, (upTo) => projectRows(db, project.id, upTo), null);
}

/**
 * A process instance's package: the records of its project that belong to the instance — the
 * timeline events of its tasks (created, completed and sealed) and of the status changes its
 * workers made (domain/evidence.ts processInstanceOf, the rule the verifier checks too) — and what
 * the engine recorded of the instance, under a statement the platform key signs.
 */
export async function processEvidence(
  db: Knex,
  engine: EngineClient,
  platform: PlatformSigner,
  instance: { processInstanceKey: string; projectId: number },
): Promise<EvidencePackage> {
  const key = instance.processInstanceKey;
  const history = await engineHistory(engine, db, key);
  return buildPackage(
    db,
    platform,
    { type: 'process', id: key },
    async (upTo) => (await projectRows(db, instance.projectId, upTo)).filter((r) => processInstanceOf(r.body) === key),
    history,
  );
}

async function projectRows(db: Knex, projectId: number, upTo: number): Promise<AuditRecordView[]> {
  const rows = (await db('audit_records')
    .where('project_id', projectId)
    .where('seq', '<=', upTo)
    .orderBy('seq')
    .select('id', 'seq', 'hash', 'body')) as Array<{ id: number; seq: number; hash: string; body: string }>;
  return rows.map(viewOf);
}

/** What the engine answered about an instance, or why it did not. */
type EngineAnswer = { history: EngineHistory; engine: string } | { unavailable: string };

async function buildPackage(
  db: Knex,
  platform: PlatformSigner,
  subject: EvidencePackage['subject'],
  recordsUpTo: (seq: number) => Promise<AuditRecordView[]>,
  engine: EngineAnswer | null,
): Promise<EvidencePackage> {
  const checkpoint = await createCheckpoint(db, platform);
  const upTo = checkpoint?.checkpoint.seq ?? 0;
  const records = (await recordsUpTo(upTo)).map((r) => ({ seq: r.seq, hash: r.hash, body: r.body }));
  const from = records[0]?.seq ?? upTo;
  const chain = (
    (await db('audit_records').whereBetween('seq', [from, upTo]).orderBy('seq').select('seq', 'prev_hash', 'hash')) as Array<{
      seq: number;
      prev_hash: string;
      hash: string;
    }>
  ).map((c) => ({ seq: Number(c.seq), prevHash: c.prev_hash, hash: c.hash }));
  const keyIds = records.flatMap((r) => (r.body.seal ? [r.body.seal.keyId] : []));
  const packageCheckpoint = records.length ? checkpoint : null;
  let section: EngineSection | null = null;
  if (engine && subject.type === 'process') {
    const history = 'history' in engine ? engine.history : null;
    const statement: EngineStatement = {
      v: 1,
      subject: { type: 'process', id: subject.id },
      at: new Date().toISOString(),
      engine: 'engine' in engine ? engine.engine : null,
      historySm3: history ? engineHistoryDigest(history) : null,
      unavailable: 'unavailable' in engine ? engine.unavailable : null,
      checkpointSeq: packageCheckpoint?.checkpoint.seq ?? null,
      checkpointHash: packageCheckpoint?.checkpoint.hash ?? null,
      platformKeyId: platform.keyId,
    };
    section = { statement, signature: platformSign(platform, statement), history };
  }
  return {
    format: EVIDENCE_FORMAT,
    subject,
    platformKey: { keyId: platform.keyId, publicKey: platform.publicKey },
    keys: await keyRecordsByIds(db, keyIds),
    records,
    chain: records.length ? chain : [],
    checkpoint: packageCheckpoint,
    engine: section,
  };
}

export function packageText(p: EvidencePackage): string {
  return canonicalJson(p);
}

// ---------------------------------------------------------------------------------------------
// The engine's history of an instance, for the package (docs/canonical-form.md lists the fields)

type Raw = Record<string, unknown>;

/** The named fields of an engine answer, absent ones as null (canonical JSON has no undefined). */
function pick(raw: Raw, fields: readonly string[]): Record<string, EngineValue> {
  const out: Record<string, EngineValue> = {};
  for (const f of fields) out[f] = (raw[f] ?? null) as EngineValue;
  return out;
}

const PROCESS_FIELDS = [
  'id',
  'businessKey',
  'processDefinitionId',
  'processDefinitionKey',
  'processDefinitionVersion',
  'startTime',
  'endTime',
  'state',
  'deleteReason',
] as const;
const ACTIVITY_FIELDS = [
  'id',
  'parentActivityInstanceId',
  'activityId',
  'activityName',
  'activityType',
  'executionId',
  'taskId',
  'assignee',
  'calledProcessInstanceId',
  'startTime',
  'endTime',
  'canceled',
  'completeScope',
] as const;
const TASK_FIELDS = [
  'id',
  'activityInstanceId',
  'taskDefinitionKey',
  'name',
  'assignee',
  'owner',
  'startTime',
  'endTime',
  'due',
  'deleteReason',
  'taskState',
] as const;
const DECISION_FIELDS = [
  'id',
  'decisionDefinitionId',
  'decisionDefinitionKey',
  'decisionDefinitionName',
  'activityId',
  'activityInstanceId',
  'evaluationTime',
] as const;
const INCIDENT_FIELDS = [
  'id',
  'activityId',
  'failedActivityId',
  'incidentType',
  'incidentMessage',
  'createTime',
  'endTime',
  'open',
  'resolved',
  'deleted',
] as const;

/**
 * What the engine recorded of a process instance: the historic process instance, its activity
 * instances in order, its user tasks (assignee, times, how they ended), the decisions it
 * evaluated with their inputs and outputs, its incidents (open and resolved) — and, from our side,
 * which inbox task and which audit record each engine user task became.
 */
export async function engineHistory(engine: EngineClient, db: Knex, processInstanceId: string): Promise<EngineAnswer> {
  const q = { processInstanceId };
  try {
    const [version, instance, activities, tasks, decisions, incidents] = await Promise.all([
      engine.version(),
      engine.historicProcessInstance(processInstanceId),
      engine.activityInstances(processInstanceId),
      engine.request<Raw[]>('GET', '/history/task', { query: { ...q, sortBy: 'startTime', sortOrder: 'asc' } }),
      engine.request<Raw[]>('GET', '/history/decision-instance', {
        query: { ...q, includeInputs: true, includeOutputs: true, sortBy: 'evaluationTime', sortOrder: 'asc' },
      }),
      engine.request<Raw[]>('GET', '/history/incident', { query: { ...q, sortBy: 'createTime', sortOrder: 'asc' } }),
    ]);
    if (!instance) return { unavailable: '流程引擎中没有该流程实例的历史记录（可能已按保存期限清理）' };
    const taskRows = (await db('inbox_tasks')
      .where('process_instance_key', processInstanceId)
      .orderBy('id')
      .select('id', 'engine_task_id')) as Array<{ id: number; engine_task_id: string }>;
    const events = taskRows.length
      ? ((await db('task_events')
          .whereIn(
            'task_id',
            taskRows.map((t) => t.id),
          )
          .where('kind', 'completed')
          .select('task_id', 'data')) as Array<{ task_id: number; data: string | null }>)
      : [];
    const recordOf = new Map<number, number>();
    for (const e of events) {
      const id = e.data ? (JSON.parse(e.data) as { auditRecordId?: unknown }).auditRecordId : undefined;
      if (typeof id === 'number') recordOf.set(Number(e.task_id), id);
    }
    const seqs = recordOf.size
      ? ((await db('audit_records')
          .whereIn('id', [...recordOf.values()])
          .select('id', 'seq')) as Array<{ id: number; seq: number }>)
      : [];
    const seqOf = new Map(seqs.map((r) => [Number(r.id), Number(r.seq)]));
    const engineTaskIds = new Set(tasks.map((t) => String(t.id)));
    return {
      engine: `Operaton ${version.version}`,
      history: {
        processInstance: pick(instance as unknown as Raw, PROCESS_FIELDS),
        activityInstances: activities.map((a) => pick(a as unknown as Raw, ACTIVITY_FIELDS)),
        tasks: tasks.map((t) => pick(t, TASK_FIELDS)),
        decisions: decisions.map((d) => ({
          ...pick(d, DECISION_FIELDS),
          inputs: ((d.inputs as Raw[] | undefined) ?? []).map((i) => pick(i, ['clauseId', 'clauseName', 'type', 'value'])),
          outputs: ((d.outputs as Raw[] | undefined) ?? []).map((o) =>
            pick(o, ['clauseId', 'clauseName', 'ruleId', 'variableName', 'type', 'value']),
          ),
        })),
        incidents: incidents.map((i) => pick(i, INCIDENT_FIELDS)),
        links: taskRows
          .filter((t) => engineTaskIds.has(t.engine_task_id))
          .map((t) => {
            const recordId = recordOf.get(Number(t.id));
            return {
              engineTaskId: t.engine_task_id,
              taskId: Number(t.id),
              recordSeq: recordId !== undefined ? (seqOf.get(recordId) ?? null) : null,
            };
          }),
      },
    };
  } catch (err) {
    if (!isEngineError(err)) throw err;
    return {
      unavailable: err.unreachable ? '导出时流程引擎不可用，未能取得引擎历史' : `导出时流程引擎未能提供历史（${err.status} ${err.type}）`,
    };
  }
}
