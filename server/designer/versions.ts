import type { Knex } from 'knex';
import { toShanghaiIso } from '../../domain/time';
import { readInstant } from '../db';
import type { EngineClient } from '../engine/client';
import { processModels } from '../engine/models';
import { namespaced, withoutNamespace } from '../engine/namespace';

/**
 * The designer's view of the processes: each model the platform serves (processes/), with every
 * version the engine holds and, per version, who deployed it, when and why — from the
 * `process.deployed` audit record when the designer deployed it, else the deployment from
 * processes/ at start (no person, no reason).
 */
export interface ProcessVersion {
  version: number;
  definitionId: string;
  deployedAt: string | null;
  /** Display name of the person who deployed it; null for a deployment from processes/ at start. */
  actorName: string | null;
  username: string | null;
  reason: string | null;
  auditRecordId: number | null;
}

export interface DesignerProcess {
  processId: string;
  name: string;
  versions: ProcessVersion[];
}

interface DeployedData {
  version?: number;
  definitionId?: string;
  reason?: string;
}

export async function listDesignerProcesses(db: Knex, engine: EngineClient, namespace: string): Promise<DesignerProcess[]> {
  const models = [...processModels().values()].sort((a, b) => a.id.localeCompare(b.id));
  const records = (await db('audit_records')
    .leftJoin('users', 'users.id', 'audit_records.actor_user_id')
    .where('audit_records.kind', 'process.deployed')
    .whereIn(
      'audit_records.subject_id',
      models.map((m) => m.id),
    )
    .orderBy('audit_records.seq')
    .select(
      'audit_records.id',
      'audit_records.subject_id',
      'audit_records.actor',
      'audit_records.at',
      'audit_records.body',
      'users.display_name',
    )) as Array<{ id: number; subject_id: string; actor: string; at: unknown; body: string; display_name: string | null }>;
  const byDefinition = new Map<string, (typeof records)[number] & { data: DeployedData }>();
  for (const r of records) {
    const data = ((JSON.parse(r.body) as { data?: DeployedData }).data ?? {}) as DeployedData;
    if (data.definitionId) byDefinition.set(data.definitionId, { ...r, data });
  }

  const out: DesignerProcess[] = [];
  for (const model of models) {
    const definitions = await engine.processDefinitions({ key: namespaced(namespace, model.id), sortBy: 'version', sortOrder: 'desc' });
    const times = new Map<string, string>();
    for (const deploymentId of new Set(definitions.map((d) => d.deploymentId))) {
      const [d] = await engine.deployments({ id: deploymentId });
      if (d?.deploymentTime) times.set(deploymentId, toShanghaiIso(new Date(d.deploymentTime)));
    }
    out.push({
      processId: model.id,
      name: definitions[0]?.name ?? model.name,
      versions: definitions.map((d) => {
        const record = byDefinition.get(d.id);
        return {
          version: d.version,
          definitionId: d.id,
          deployedAt: record ? toShanghaiIso(readInstant(record.at)) : (times.get(d.deploymentId) ?? null),
          actorName: record ? (record.display_name ?? actorLabel(record.actor)) : null,
          username: record ? record.actor : null,
          reason: record?.data.reason ?? null,
          auditRecordId: record ? Number(record.id) : null,
        };
      }),
    });
  }
  return out;
}

/** One version's BPMN as its author wrote it (without the installation's namespace); null when there is no such version. */
export async function processVersionXml(
  engine: EngineClient,
  namespace: string,
  processId: string,
  version: number,
): Promise<string | null> {
  if (!processModels().has(processId)) return null;
  const [definition] = await engine.processDefinitions({ key: namespaced(namespace, processId), version });
  if (!definition) return null;
  return withoutNamespace((await engine.processDefinitionXml(definition.id)).bpmn20Xml, namespace);
}

/** Who a deployment record names: a person's display name, or 系统 for a deployment from processes/ at start. */
export function actorLabel(actor: string): string {
  return actor === 'system' ? '系统（processes/）' : actor;
}
