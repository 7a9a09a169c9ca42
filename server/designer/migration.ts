import type { Knex } from 'knex';
import type { AuditActor } from '../../domain/audit-chain';
import { appendAudit } from '../audit/chain';
import { EngineError, type EngineClient, type MigrationPlan, type ProcessDefinition } from '../engine/client';
import { parseProcesses, processModels } from '../engine/models';
import { namespaced } from '../engine/namespace';
import { errors } from '../errors';

/**
 * Moving running instances of one version of a process to a newer one, with the engine's
 * migration API. Running instances stay on their version unless a designer does this: the
 * preview shows the engine's plan (which activity maps to which), how many instances wait at
 * each activity, and which of them cannot move (their activity has no counterpart in the newer
 * version, or the engine's validation refuses its instruction). Executing recomputes the plan on
 * the server, moves the movable instances and writes a `process.migrated` audit record with the
 * reason; the others stay where they are.
 */

export const MIGRATION_LIMIT = 1000;

export interface VersionInstances {
  version: number;
  definitionId: string;
  running: number;
}

export interface MigrationActivity {
  activityId: string;
  name: string;
  /** Tokens (activity instances) waiting there now. */
  instances: number;
  targetActivityId: string | null;
  targetName: string | null;
  /** Why its instances cannot move (no mapping, or the engine's validation failures). */
  blockedBy: string[];
}

export interface MigrationPreview {
  processId: string;
  fromVersion: number;
  toVersion: number;
  /** The engine's plan: every mapped activity (with or without instances now). */
  mappings: Array<{ sourceActivityId: string; sourceName: string; targetActivityId: string; targetName: string; failures: string[] }>;
  /** Activities where instances wait now. */
  activities: MigrationActivity[];
  running: number;
  movable: number;
  blocked: number;
}

async function definitionsOf(engine: EngineClient, namespace: string, processId: string): Promise<ProcessDefinition[]> {
  if (!processModels().has(processId)) throw errors.notFound(`流程 ${processId} 不存在`);
  return engine.processDefinitions({ key: namespaced(namespace, processId), sortBy: 'version', sortOrder: 'desc' });
}

export async function runningPerVersion(engine: EngineClient, namespace: string, processId: string): Promise<VersionInstances[]> {
  const definitions = await definitionsOf(engine, namespace, processId);
  return Promise.all(
    definitions.map(async (d) => ({
      version: d.version,
      definitionId: d.id,
      running: await engine.processInstanceCount({ processDefinitionId: d.id }),
    })),
  );
}

async function names(engine: EngineClient, definitionId: string): Promise<Map<string, string>> {
  const xml = (await engine.processDefinitionXml(definitionId)).bpmn20Xml;
  const out = new Map<string, string>();
  for (const p of parseProcesses(xml)) for (const e of p.elements.values()) out.set(e.id, e.name);
  return out;
}

interface Planned {
  preview: MigrationPreview;
  plan: MigrationPlan;
  blockedActivities: string[];
  sourceId: string;
}

async function plan(engine: EngineClient, namespace: string, processId: string, fromVersion: number, toVersion: number): Promise<Planned> {
  if (toVersion <= fromVersion)
    throw errors.badRequest('MIGRATION_TARGET_NOT_NEWER', `只能迁移到更新的版本（版本 ${fromVersion} → 版本 ${toVersion} 不可）`, [
      { field: 'toVersion', message: '须大于 fromVersion' },
    ]);
  const definitions = await definitionsOf(engine, namespace, processId);
  const source = definitions.find((d) => d.version === fromVersion);
  const target = definitions.find((d) => d.version === toVersion);
  if (!source) throw errors.notFound(`流程 ${processId} 没有版本 ${fromVersion}`);
  if (!target) throw errors.notFound(`流程 ${processId} 没有版本 ${toVersion}`);
  const [generated, sourceNames, targetNames, statistics, running] = await Promise.all([
    engine.generateMigrationPlan(source.id, target.id),
    names(engine, source.id),
    names(engine, target.id),
    engine.activityStatistics(source.id),
    engine.processInstanceCount({ processDefinitionId: source.id }),
  ]);
  const report = await engine.validateMigrationPlan(generated);
  const failuresOf = (sourceActivityId: string) =>
    report.instructionReports.filter((r) => r.instruction.sourceActivityIds.includes(sourceActivityId)).flatMap((r) => r.failures);
  const targetOf = new Map(generated.instructions.map((i) => [i.sourceActivityIds[0]!, i.targetActivityIds[0]!]));
  const activities: MigrationActivity[] = statistics
    .filter((s) => s.instances > 0)
    .map((s) => {
      const targetActivityId = targetOf.get(s.id) ?? null;
      const blockedBy = targetActivityId === null ? [`版本 ${toVersion} 中没有对应的环节`] : failuresOf(s.id);
      return {
        activityId: s.id,
        name: sourceNames.get(s.id) ?? s.id,
        instances: s.instances,
        targetActivityId,
        targetName: targetActivityId ? (targetNames.get(targetActivityId) ?? targetActivityId) : null,
        blockedBy,
      };
    })
    .sort((a, b) => a.activityId.localeCompare(b.activityId));
  const blockedActivities = activities.filter((a) => a.blockedBy.length).map((a) => a.activityId);
  const blocked = blockedActivities.length
    ? await engine.processInstanceCount({ processDefinitionId: source.id, activityIdIn: blockedActivities.join(',') })
    : 0;
  // Instructions the engine itself refused are left out of the plan it executes.
  const plan: MigrationPlan = {
    ...generated,
    instructions: generated.instructions.filter((i) => failuresOf(i.sourceActivityIds[0]!).length === 0),
  };
  return {
    plan,
    blockedActivities,
    sourceId: source.id,
    preview: {
      processId,
      fromVersion,
      toVersion,
      mappings: generated.instructions.map((i) => ({
        sourceActivityId: i.sourceActivityIds[0]!,
        sourceName: sourceNames.get(i.sourceActivityIds[0]!) ?? i.sourceActivityIds[0]!,
        targetActivityId: i.targetActivityIds[0]!,
        targetName: targetNames.get(i.targetActivityIds[0]!) ?? i.targetActivityIds[0]!,
        failures: failuresOf(i.sourceActivityIds[0]!),
      })),
      activities,
      running,
      movable: Math.max(0, running - blocked),
      blocked,
    },
  };
}

export async function previewMigration(
  engine: EngineClient,
  namespace: string,
  processId: string,
  fromVersion: number,
  toVersion: number,
): Promise<MigrationPreview> {
  return (await plan(engine, namespace, processId, fromVersion, toVersion)).preview;
}

export interface MigrationResult extends MigrationPreview {
  migrated: number;
  auditRecordId: number | null;
}

/** Moves the movable running instances of fromVersion to toVersion; the blocked ones stay. */
export async function executeMigration(
  deps: { db: Knex; engine: EngineClient; namespace: string },
  processId: string,
  fromVersion: number,
  toVersion: number,
  reason: string,
  actor: AuditActor,
): Promise<MigrationResult> {
  const planned = await plan(deps.engine, deps.namespace, processId, fromVersion, toVersion);
  const all = await deps.engine.processInstances({ processDefinitionId: planned.sourceId, maxResults: MIGRATION_LIMIT + 1 });
  if (all.length > MIGRATION_LIMIT) throw errors.badRequest('MIGRATION_TOO_MANY', `一次最多迁移 ${MIGRATION_LIMIT} 个实例`);
  const blocked = planned.blockedActivities.length
    ? new Set(
        (
          await deps.engine.processInstances({
            processDefinitionId: planned.sourceId,
            activityIdIn: planned.blockedActivities.join(','),
            maxResults: MIGRATION_LIMIT + 1,
          })
        ).map((i) => i.id),
      )
    : new Set<string>();
  const ids = all.map((i) => i.id).filter((id) => !blocked.has(id));
  if (ids.length === 0) throw errors.conflict('NOTHING_TO_MIGRATE', `版本 ${fromVersion} 没有可迁移的运行中实例`);
  try {
    await deps.engine.executeMigration(planned.plan, ids);
  } catch (err) {
    if (err instanceof EngineError && !err.unreachable && err.status < 500)
      throw errors.conflict('MIGRATION_REFUSED', `流程引擎拒绝迁移：${err.message.slice(0, 300)}`);
    throw err;
  }
  const record = await deps.db.transaction((trx) =>
    appendAudit(trx, {
      kind: 'process.migrated',
      subjectType: 'process',
      subjectId: processId,
      actor,
      data: {
        processId,
        fromVersion,
        toVersion,
        sourceDefinitionId: planned.plan.sourceProcessDefinitionId,
        targetDefinitionId: planned.plan.targetProcessDefinitionId,
        reason,
        processInstanceIds: ids,
        left: blocked.size,
        instructions: planned.plan.instructions.map((i) => `${i.sourceActivityIds[0]}→${i.targetActivityIds[0]}`),
      },
    }),
  );
  return { ...planned.preview, migrated: ids.length, auditRecordId: record.id };
}
