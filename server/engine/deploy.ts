import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import type { Db } from '../db';
import { sm3Hex } from '../../domain/digest';
import { appendAudit, SYSTEM_ACTOR } from '../audit/chain';
import type { Logger } from '../log';
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

/** Where deployProcesses reads its models (processes/ by default) and where it warns. */
export interface DeploySource {
  files?: string[];
  /** The folder resource names are relative to (processes/). */
  dir?: string;
  log?: Pick<Logger, 'warn'>;
}

/**
 * Deploys processes/ at start. A file is deployed only when its content (as deployed: namespace
 * and history time to live applied) differs from every content ever deployed from it, recorded by
 * SM3 digest in `engine_resources`, or when the engine has no definition of it (a new engine).
 * So a restart with unchanged files creates nothing, even when the designer has deployed newer
 * versions since: a version deployed from the page is never superseded by the file's older
 * content. A file a developer changed after a designer deployment does deploy; that is logged as
 * a warning and recorded in the audit chain (`process.deployed` / `decision.deployed`, actor the
 * system, source processes/). The latest definition of each key is then read back.
 */
export async function deployProcesses(client: EngineClient, db: Db, options: { namespace: string; historyTtlDays: number }, source: DeploySource = {}): Promise<DeployedResource[]> {
  const files = source.files ?? listProcessResources(source.dir);
  if (files.length === 0) return [];
  // App nodes of one installation start together: one deploys at a time, the next finds every file recorded.
  return withLease(db, `engine-deploy:${options.namespace}`, () => deployAll(client, db, options, files, source.dir ?? PROCESSES_DIR, source.log));
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

interface FileContent {
  name: string;
  file: string;
  bytes: Buffer;
  digest: string;
  kind: DeployedResource['kind'];
  /** Engine keys (namespaced ids) of the processes or decisions it holds. */
  keys: string[];
}

type Definition = { id: string; key: string; version: number; resource: string; deploymentId: string };

async function deployAll(client: EngineClient, db: Db, options: { namespace: string; historyTtlDays: number }, files: string[], dir: string, log?: Pick<Logger, 'warn'>): Promise<DeployedResource[]> {
  const deploymentName = options.namespace ? `budget-platform:${options.namespace}` : 'budget-platform';
  const contents: FileContent[] = files.map((file) => {
    const bytes = deployableBytes(file, options);
    const name = path.relative(dir, file).split(path.sep).join('/');
    const kind = KINDS[path.extname(file)]!;
    const text = bytes.toString('utf8');
    const keys = kind === 'bpmn' ? attrOf(text, /<(?:bpmn:)?process\b[^>]*\bid="([^"]+)"/g) : attrOf(text, /<(?:dmn:)?decision\b[^>]*\bid="([^"]+)"/g);
    return { name: options.namespace ? `${options.namespace}/${name}` : name, file: name, bytes, digest: sm3Hex(bytes), kind, keys };
  });
  const processKeys = contents.filter((c) => c.kind === 'bpmn').flatMap((c) => c.keys);
  const decisionKeys = contents.filter((c) => c.kind === 'dmn').flatMap((c) => c.keys);
  const latest = async () => {
    // keysIn is a filter of the engine's; the answer is checked against the keys all the same
    // (the REST API ignores a parameter it does not know).
    const processes = processKeys.length ? (await client.processDefinitions({ keysIn: processKeys.join(','), latestVersion: true })).filter((d) => processKeys.includes(d.key)) : [];
    const decisions = decisionKeys.length ? (await client.decisionDefinitions({ keysIn: decisionKeys.join(','), latestVersion: true })).filter((d) => decisionKeys.includes(d.key)) : [];
    return new Map<string, Definition & { kind: DeployedResource['kind'] }>([
      ...processes.map((d) => [d.key, { ...d, kind: 'bpmn' as const }] as const),
      ...decisions.map((d) => [d.key, { ...d, kind: 'dmn' as const }] as const),
    ]);
  };

  const before = await latest();
  const recorded = (await db('engine_resources')
    .whereIn(
      'resource_name',
      contents.map((c) => c.name),
    )
    .select('resource_name', 'digest')) as Array<{ resource_name: string; digest: string }>;
  const seen = new Set(recorded.map((r) => `${r.resource_name}\n${r.digest}`));
  const changed = contents.filter((c) => !seen.has(`${c.name}\n${c.digest}`) || c.keys.some((k) => !before.has(k)));

  if (changed.length) {
    const fileDeployments = new Set((await client.deployments({ name: deploymentName })).map((d) => d.id));
    const deployment = await client.deploy(
      deploymentName,
      changed.map(({ name, bytes }) => ({ name, bytes })),
      { source: 'budget-lifecycle-platform' },
    );
    fileDeployments.add(deployment.id);
    const created = new Map<string, Definition>(
      [...Object.values(deployment.deployedProcessDefinitions ?? {}), ...Object.values(deployment.deployedDecisionDefinitions ?? {})].map((d) => [d.key, d]),
    );
    const now = new Date();
    for (const c of changed) {
      for (const key of c.keys) {
        // The definition this file stands for: the one just created, or (the engine found the
        // content unchanged) the newest one of a deployment from processes/.
        const own =
          created.get(key) ??
          (c.kind === 'bpmn' ? await client.processDefinitions({ key, sortBy: 'version', sortOrder: 'desc' }) : await client.decisionDefinitions({ key, sortBy: 'version', sortOrder: 'desc' })).find((d) =>
            fileDeployments.has(d.deploymentId),
          );
        if (!own) throw new Error(`deployment ${deployment.id}: the engine has no definition for ${key}`);
        await db('engine_resources')
          .insert({ resource_name: c.name, kind: c.kind, digest: c.digest, resource_id: key, resource_key: own.id, version: own.version, deployment_key: own.deploymentId, deployed_at: now })
          .onConflict(['resource_name', 'digest', 'resource_key'])
          .ignore();
        const previous = before.get(key);
        if (created.has(key) && previous && !fileDeployments.has(previous.deploymentId)) await supersededDesignerVersion(db, options.namespace, c, key, own, previous, log);
      }
    }
  }

  const after = await latest();
  const missing = [...processKeys, ...decisionKeys].filter((k) => !after.has(k));
  if (missing.length) throw new Error(`the engine has no definition for ${missing.join(', ')}`);
  return [...after.values()].map((d) => ({ name: d.resource, kind: d.kind, id: d.key, key: d.id, version: d.version }));
}

/**
 * A file changed by a developer replaced a version deployed from the designer as the latest:
 * deployed all the same (the file is the developer's intent), but said loudly and kept in the
 * audit chain next to the designer's records, by the system.
 */
async function supersededDesignerVersion(db: Db, namespace: string, c: FileContent, key: string, own: Definition, previous: Definition, log?: Pick<Logger, 'warn'>): Promise<void> {
  const id = namespace && key.startsWith(`${namespace}.`) ? key.slice(namespace.length + 1) : key;
  const what = c.kind === 'bpmn' ? '流程' : '决策表';
  const reason = `启动时从 processes/${c.file} 部署（文件已被修改），取代流程设计员部署的第 ${previous.version} 版`;
  log?.warn({ file: `processes/${c.file}`, key, version: own.version, supersedes: previous.version }, `processes/${c.file} 在流程设计员部署第 ${previous.version} 版之后被修改，已部署为第 ${own.version} 版：${what} ${id} 的设计器版本不再是最新版本`);
  await db.transaction((trx) =>
    appendAudit(trx, {
      kind: c.kind === 'bpmn' ? 'process.deployed' : 'decision.deployed',
      subjectType: c.kind === 'bpmn' ? 'process' : 'decision',
      subjectId: id,
      actor: SYSTEM_ACTOR,
      data: {
        ...(c.kind === 'bpmn' ? { processId: id } : { decisionId: id }),
        definitionId: own.id,
        version: own.version,
        deploymentId: own.deploymentId,
        source: 'processes/',
        file: c.file,
        supersedes: previous.version,
        supersededDefinitionId: previous.id,
        reason,
        sm3: c.digest,
      },
    }),
  );
}

/** The newest recorded version of each deployed resource, for the health page. */
export async function latestDeployedResources(db: Db): Promise<DeployedResource[]> {
  const rows = (await db('engine_resources')
    .select('resource_name', 'kind', 'resource_id', 'resource_key', 'version')
    .whereIn('id', db('engine_resources').max('id').groupBy('resource_name'))
    .orderBy('resource_name')) as Array<{ resource_name: string; kind: DeployedResource['kind']; resource_id: string; resource_key: string; version: number }>;
  return rows.map((r) => ({ name: r.resource_name, kind: r.kind, id: r.resource_id, key: r.resource_key, version: r.version }));
}
