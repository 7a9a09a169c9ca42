import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import type { Db } from '../db';
import { sm3Hex } from '../../domain/digest';
import type { EngineClient } from './client';
import { namespaceBpmn, namespaceDmn, withHistoryTimeToLive } from './namespace';

export const PROCESSES_DIR = path.join(PROJECT_ROOT, 'processes');

export interface DeployedResource {
  name: string;
  kind: 'bpmn' | 'dmn';
  id: string;
  key: string;
  version: number;
}

const KINDS: Record<string, DeployedResource['kind']> = { '.bpmn': 'bpmn', '.dmn': 'dmn' };

/** The model files in processes/ (recursively), in a stable order. */
export function listProcessResources(dir = PROCESSES_DIR): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => KINDS[path.extname(f)] !== undefined && !f.split(path.sep).some((part) => part.startsWith('.')))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A model file as it is deployed: namespace applied, history time to live from configuration. */
export function deployableBytes(file: string, options: { namespace: string; historyTtlDays: number }): Buffer {
  const xml = fs.readFileSync(file, 'utf8');
  const kind = KINDS[path.extname(file)];
  const namespacedXml = kind === 'dmn' ? namespaceDmn(xml, options.namespace) : namespaceBpmn(xml, options.namespace);
  return Buffer.from(withHistoryTimeToLive(namespacedXml, options.historyTtlDays));
}

const attrOf = (xml: string, tag: RegExp): string[] => [...xml.matchAll(tag)].map((m) => m[1]!);

/**
 * Deploys every model in one deployment. The engine keeps the version of a resource whose name
 * and content are unchanged (deploy-changed-only), so restarts create no new versions; the
 * latest definition of each key is then read back and recorded.
 */
export async function deployProcesses(client: EngineClient, db: Db, options: { namespace: string; historyTtlDays: number }, files = listProcessResources()): Promise<DeployedResource[]> {
  if (files.length === 0) return [];
  // App nodes of one installation start together: one deploys at a time, the next finds nothing changed.
  return withLease(db, `engine-deploy:${options.namespace}`, () => deployAll(client, db, options, files));
}

const LEASE_MS = 120_000;

/**
 * Runs `fn` holding the named lease of app_leases (migrations/20261202G-app-leases.ts): taken by
 * inserting the row, or by taking over one that has expired; waited for otherwise; released after.
 */
export async function withLease<T>(db: Db, name: string, fn: () => Promise<T>, waitMs = LEASE_MS): Promise<T> {
  const holder = crypto.randomUUID();
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = new Date();
    const until = new Date(now.getTime() + LEASE_MS);
    const inserted = await db('app_leases')
      .insert({ name, holder, expires_at: until })
      .onConflict('name')
      .ignore()
      .then(async () => ((await db('app_leases').where({ name, holder }).first('name')) as unknown) !== undefined);
    if (inserted) break;
    if ((await db('app_leases').where({ name }).where('expires_at', '<', now).update({ holder, expires_at: until })) === 1) break;
    if (Date.now() > deadline) throw new Error(`lease ${name}: still held by another node after ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    await db('app_leases').where({ name, holder }).delete();
  }
}

async function deployAll(client: EngineClient, db: Db, options: { namespace: string; historyTtlDays: number }, files: string[]): Promise<DeployedResource[]> {
  const contents = files.map((file) => {
    const bytes = deployableBytes(file, options);
    const name = path.relative(PROCESSES_DIR, file).split(path.sep).join('/');
    const kind = KINDS[path.extname(file)]!;
    const text = bytes.toString('utf8');
    const keys = kind === 'bpmn' ? attrOf(text, /<(?:bpmn:)?process\b[^>]*\bid="([^"]+)"/g) : attrOf(text, /<(?:dmn:)?decision\b[^>]*\bid="([^"]+)"/g);
    return { name: options.namespace ? `${options.namespace}/${name}` : name, bytes, kind, keys };
  });
  const deployment = await client.deploy(options.namespace ? `budget-platform:${options.namespace}` : 'budget-platform', contents.map(({ name, bytes }) => ({ name, bytes })), { source: 'budget-lifecycle-platform' });
  const processKeys = contents.filter((c) => c.kind === 'bpmn').flatMap((c) => c.keys);
  const decisionKeys = contents.filter((c) => c.kind === 'dmn').flatMap((c) => c.keys);
  // keysIn is a filter of the engine's; the answer is checked against the keys all the same
  // (the REST API ignores a parameter it does not know).
  const processes = processKeys.length ? (await client.processDefinitions({ keysIn: processKeys.join(','), latestVersion: true })).filter((d) => processKeys.includes(d.key)) : [];
  const decisions = decisionKeys.length ? (await client.decisionDefinitions({ keysIn: decisionKeys.join(','), latestVersion: true })).filter((d) => decisionKeys.includes(d.key)) : [];
  const deployed: Array<DeployedResource & { deploymentId: string }> = [
    ...processes.map((d) => ({ name: d.resource, kind: 'bpmn' as const, id: d.key, key: d.id, version: d.version, deploymentId: d.deploymentId })),
    ...decisions.map((d) => ({ name: d.resource, kind: 'dmn' as const, id: d.key, key: d.id, version: d.version, deploymentId: d.deploymentId })),
  ];
  const missing = [...processKeys, ...decisionKeys].filter((k) => !deployed.some((d) => d.id === k));
  if (missing.length) throw new Error(`deployment ${deployment.id}: the engine has no definition for ${missing.join(', ')}`);
  const now = new Date();
  for (const r of deployed) {
    const source = contents.find((c) => c.name === r.name);
    await db('engine_resources')
      .insert({ resource_name: r.name, kind: r.kind, digest: source ? sm3Hex(source.bytes) : '', resource_id: r.id, resource_key: r.key, version: r.version, deployment_key: r.deploymentId, deployed_at: now })
      .onConflict(['resource_name', 'digest', 'resource_key'])
      .ignore();
  }
  return deployed.map(({ deploymentId: _d, ...r }) => r);
}

/** The newest recorded version of each deployed resource, for the health page. */
export async function latestDeployedResources(db: Db): Promise<DeployedResource[]> {
  const rows = (await db('engine_resources')
    .select('resource_name', 'kind', 'resource_id', 'resource_key', 'version')
    .whereIn('id', db('engine_resources').max('id').groupBy('resource_name'))
    .orderBy('resource_name')) as Array<{ resource_name: string; kind: DeployedResource['kind']; resource_id: string; resource_key: string; version: number }>;
  return rows.map((r) => ({ name: r.resource_name, kind: r.kind, id: r.resource_id, key: r.resource_key, version: r.version }));
}
