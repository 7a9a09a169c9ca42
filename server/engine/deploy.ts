import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import type { Db } from '../db';
import { sm3Hex } from '../../domain/digest';
import type { EngineClient } from './client';
import { namespaceBpmn } from './namespace';

export const PROCESSES_DIR = path.join(PROJECT_ROOT, 'processes');

export interface DeployedResource {
  name: string;
  kind: 'bpmn' | 'dmn' | 'form';
  id: string;
  key: string;
  version: number;
}

const KINDS: Record<string, DeployedResource['kind']> = { '.bpmn': 'bpmn', '.dmn': 'dmn', '.form': 'form' };

/** The model files in processes/ (recursively), in a stable order. */
export function listProcessResources(dir = PROCESSES_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => KINDS[path.extname(f)] !== undefined && !f.split(path.sep).some((part) => part.startsWith('.')))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Deploys every model in one atomic deployment. The engine keeps the version of a resource whose
 * name and content are unchanged, so restarts create no new versions; we record what it answered.
 */
export async function deployProcesses(client: EngineClient, db: Db, namespace = '', files = listProcessResources()): Promise<DeployedResource[]> {
  if (files.length === 0) return [];
  const contents = files.map((file) => {
    const raw = fs.readFileSync(file);
    const bytes = namespace && path.extname(file) === '.bpmn' ? Buffer.from(namespaceBpmn(raw.toString('utf8'), namespace)) : raw;
    const name = path.relative(PROCESSES_DIR, file).split(path.sep).join('/');
    return { file, name: namespace ? `${namespace}/${name}` : name, bytes };
  });
  const response = await client.deployResources(
    contents.map(({ name, bytes, file }) => {
      const kind = KINDS[path.extname(file)];
      if (kind === 'dmn') return { name, decision: bytes };
      if (kind === 'form') return { name, form: bytes };
      return { name, process: bytes };
    }),
  );
  const deployed: DeployedResource[] = [];
  for (const d of response.deployments as Array<Record<string, Record<string, string | number>>>) {
    if (d.process) {
      deployed.push({ name: String(d.process.resourceName), kind: 'bpmn', id: String(d.process.bpmnProcessId), key: String(d.process.processDefinitionKey), version: Number(d.process.version) });
    } else if (d.decisionRequirements) {
      deployed.push({ name: String(d.decisionRequirements.resourceName), kind: 'dmn', id: String(d.decisionRequirements.dmnDecisionRequirementsId), key: String(d.decisionRequirements.decisionRequirementsKey), version: Number(d.decisionRequirements.version) });
    } else if (d.form) {
      deployed.push({ name: String(d.form.resourceName), kind: 'form', id: String(d.form.formId), key: String(d.form.formKey), version: Number(d.form.version) });
    }
  }
  const now = new Date();
  for (const r of deployed) {
    const source = contents.find((c) => c.name === r.name);
    const row = {
      resource_name: r.name,
      kind: r.kind,
      digest: source ? sm3Hex(source.bytes) : '',
      resource_id: r.id,
      resource_key: r.key,
      version: r.version,
      deployment_key: String(response.key),
      deployed_at: now,
    };
    await db('engine_resources').insert(row).onConflict(['resource_name', 'digest', 'resource_key']).ignore();
  }
  return deployed;
}

/** The newest recorded version of each deployed resource, for the health page. */
export async function latestDeployedResources(db: Db): Promise<DeployedResource[]> {
  const rows = (await db('engine_resources')
    .select('resource_name', 'kind', 'resource_id', 'resource_key', 'version')
    .whereIn('id', db('engine_resources').max('id').groupBy('resource_name'))
    .orderBy('resource_name')) as Array<{ resource_name: string; kind: DeployedResource['kind']; resource_id: string; resource_key: string; version: number }>;
  return rows.map((r) => ({ name: r.resource_name, kind: r.kind, id: r.resource_id, key: r.resource_key, version: r.version }));
}
