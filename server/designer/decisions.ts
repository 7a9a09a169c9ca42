/// <reference path="../../domain/process-lint/bpmnlint.d.ts" />
import fs from 'node:fs';
import type { Knex } from 'knex';
import { DmnModdle } from 'dmn-moddle';
import { sm3Hex } from '../../domain/digest';
import { checkDecisionModel, coerceInput, readDecisions, type DecisionTableModel } from '../../domain/decision-table';
import { toShanghaiIso } from '../../domain/time';
import type { AuditActor } from '../../domain/audit-chain';
import { appendAudit } from '../audit/chain';
import { readInstant } from '../db';
import { EngineError, formatEngineDate, type EngineClient, type TypedValue } from '../engine/client';
import { listProcessResources } from '../engine/deploy';
import { namespaced, namespaceDmn, withHistoryTimeToLive, withoutNamespace } from '../engine/namespace';
import { errors } from '../errors';
import { actorLabel, type ProcessVersion } from './versions';

/**
 * The designer's decision tables (processes/*.dmn): their versions in the engine with who, when
 * and why (the `decision.deployed` audit record), one version's table, deployment of a new
 * version from the page, and the test panel's evaluation by the engine itself — the outputs and
 * the rules that matched, read back from the engine's decision history.
 */

export interface DesignerDecision {
  decisionId: string;
  name: string;
  versions: ProcessVersion[];
}

/** The decisions of processes/*.dmn (id → name), in a stable order. */
export function platformDecisions(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of listProcessResources().filter((f) => f.endsWith('.dmn'))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/<(?:dmn:)?decision\b([^>]*)>/g)) {
      const id = /\bid="([^"]+)"/.exec(m[1]!)?.[1];
      if (id) out.set(id, /\bname="([^"]*)"/.exec(m[1]!)?.[1] ?? id);
    }
  }
  return new Map([...out.entries()].sort((a, b) => a[0].localeCompare(b[0])));
}

export async function parseDmn(xml: string): Promise<unknown> {
  const moddle = DmnModdle();
  try {
    return (await moddle.fromXML(xml, 'dmn:Definitions')).rootElement;
  } catch (err) {
    throw errors.badRequest('DECISION_INVALID', '决策模型无法解析', [
      { field: 'xml', message: err instanceof Error ? err.message.slice(0, 300) : String(err) },
    ]);
  }
}

export async function listDesignerDecisions(db: Knex, engine: EngineClient, namespace: string): Promise<DesignerDecision[]> {
  const decisions = platformDecisions();
  const records = (await db('audit_records')
    .leftJoin('users', 'users.id', 'audit_records.actor_user_id')
    .where('audit_records.kind', 'decision.deployed')
    .whereIn('audit_records.subject_id', [...decisions.keys()])
    .select('audit_records.id', 'audit_records.actor', 'audit_records.at', 'audit_records.body', 'users.display_name')) as Array<{
    id: number;
    actor: string;
    at: unknown;
    body: string;
    display_name: string | null;
  }>;
  const byDefinition = new Map<string, { record: (typeof records)[number]; reason: string | null }>();
  for (const r of records) {
    const data = (JSON.parse(r.body) as { data?: { definitionId?: string; reason?: string } }).data ?? {};
    if (data.definitionId) byDefinition.set(data.definitionId, { record: r, reason: data.reason ?? null });
  }
  const out: DesignerDecision[] = [];
  for (const [decisionId, name] of decisions) {
    const definitions = await engine.decisionDefinitions({ key: namespaced(namespace, decisionId), sortBy: 'version', sortOrder: 'desc' });
    const times = new Map<string, string>();
    for (const deploymentId of new Set(definitions.map((d) => d.deploymentId))) {
      const [d] = await engine.deployments({ id: deploymentId });
      if (d?.deploymentTime) times.set(deploymentId, toShanghaiIso(new Date(d.deploymentTime)));
    }
    out.push({
      decisionId,
      name: definitions[0]?.name ?? name,
      versions: definitions.map((d) => {
        const own = byDefinition.get(d.id);
        return {
          version: d.version,
          definitionId: d.id,
          deployedAt: own ? toShanghaiIso(readInstant(own.record.at)) : (times.get(d.deploymentId) ?? null),
          actorName: own ? (own.record.display_name ?? actorLabel(own.record.actor)) : null,
          username: own ? own.record.actor : null,
          reason: own?.reason ?? null,
          auditRecordId: own ? Number(own.record.id) : null,
        };
      }),
    });
  }
  return out;
}

async function definitionOf(engine: EngineClient, namespace: string, decisionId: string, version: number | undefined) {
  if (!platformDecisions().has(decisionId)) return null;
  const query =
    version === undefined
      ? { key: namespaced(namespace, decisionId), latestVersion: true }
      : { key: namespaced(namespace, decisionId), version };
  const [definition] = await engine.decisionDefinitions(query);
  return definition ?? null;
}

/** One version's DMN as its author wrote it, with its table read for the test panel; null when there is no such version. */
export async function decisionVersion(
  engine: EngineClient,
  namespace: string,
  decisionId: string,
  version: number,
): Promise<{ xml: string; table: DecisionTableModel | null } | null> {
  const definition = await definitionOf(engine, namespace, decisionId, version);
  if (!definition) return null;
  const xml = withoutDecisionNamespace((await engine.decisionDefinitionXml(definition.id)).dmnXml, namespace);
  const table = readDecisions(await parseDmn(xml)).find((d) => d.id === decisionId)?.table ?? null;
  return { xml, table };
}

/** The inverse of namespaceDmn (decision ids without this installation's prefix). */
export function withoutDecisionNamespace(xml: string, namespace: string): string {
  if (!namespace) return xml;
  const prefix = `${namespace}.`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return withoutNamespace(xml, namespace).replace(new RegExp(`(<(?:dmn:)?decision\\b[^>]*\\bid=")${prefix}`, 'g'), '$1');
}

export interface DecisionDeployResult {
  decisionId: string;
  definitionId: string;
  version: number;
  deploymentId: string;
  auditRecordId: number;
}

/**
 * Deploys a new version of one of the platform's decision tables: checked first (400
 * DECISION_INVALID with the problems, nothing deployed), then deployed under the installation's
 * namespace and recorded in the audit chain (who, which version, why, the SM3 of what was
 * deployed). Processes whose business rule task names the decision take the new version from
 * their next evaluation (decisionRefBinding latest).
 */
export async function deployDecision(
  deps: { db: Knex; engine: EngineClient; namespace: string; historyTtlDays: number },
  xml: string,
  reason: string,
  actor: AuditActor,
): Promise<DecisionDeployResult> {
  const { table, problems } = checkDecisionModel(await parseDmn(xml), [...platformDecisions().keys()]);
  if (problems.length || !table)
    throw errors.badRequest('DECISION_INVALID', `决策表检查未通过（${problems.length} 个问题），未部署`, problems);
  const decisionId = table.decisionId;
  const bytes = Buffer.from(withHistoryTimeToLive(namespaceDmn(xml, deps.namespace), deps.historyTtlDays));
  const resource = deps.namespace ? `${deps.namespace}/${decisionId}.dmn` : `${decisionId}.dmn`;
  let deploymentId: string;
  try {
    deploymentId = (
      await deps.engine.deploy(
        deps.namespace ? `designer:${deps.namespace}:${decisionId}` : `designer:${decisionId}`,
        [{ name: resource, bytes }],
        { source: 'budget-designer' },
      )
    ).id;
  } catch (err) {
    if (err instanceof EngineError && !err.unreachable && err.status < 500)
      throw errors.badRequest('DECISION_INVALID', '流程引擎拒绝了该决策表', [{ field: 'xml', message: err.message.slice(0, 500) }]);
    throw err;
  }
  const [definition] = await deps.engine.decisionDefinitions({ key: namespaced(deps.namespace, decisionId), latestVersion: true });
  if (!definition) throw errors.badRequest('DEPLOY_NOT_FOUND', '部署后引擎中未找到该决策表');
  const record = await deps.db.transaction((trx) =>
    appendAudit(trx, {
      kind: 'decision.deployed',
      subjectType: 'decision',
      subjectId: decisionId,
      actor,
      data: { decisionId, definitionId: definition.id, version: definition.version, deploymentId, reason, sm3: sm3Hex(bytes) },
    }),
  );
  return { decisionId, definitionId: definition.id, version: definition.version, deploymentId, auditRecordId: record.id };
}

export interface EvaluationResult {
  decisionId: string;
  version: number;
  /** One map per matched rule (a FIRST or UNIQUE table has at most one). */
  outputs: Array<Record<string, unknown>>;
  /** The rules that matched, in table order, as the engine's history records them. */
  matchedRules: Array<{ id: string; index: number; description: string }>;
  /** Whether the engine's history named the rules (else only the outputs are known). */
  rulesKnown: boolean;
}

const sameValue = (a: unknown, b: unknown) => a === b || (a !== null && b !== null && String(a) === String(b));

/**
 * The test panel: the engine evaluates the chosen version (the latest by default) with the
 * inputs typed as the table declares them; the matched rules come from the history the engine
 * writes for the evaluation (the REST answer holds outputs only).
 */
export async function evaluateDecision(
  engine: EngineClient,
  namespace: string,
  decisionId: string,
  version: number | undefined,
  raw: Record<string, unknown>,
): Promise<EvaluationResult> {
  const definition = await definitionOf(engine, namespace, decisionId, version);
  if (!definition)
    throw errors.notFound(version === undefined ? `决策表 ${decisionId} 不存在` : `决策表 ${decisionId} 没有版本 ${version}`);
  const loaded = await decisionVersion(engine, namespace, decisionId, definition.version);
  const table = loaded?.table;
  if (!table) throw errors.badRequest('DECISION_NOT_TABLE', `决策 ${decisionId} 不是决策表`);
  const variables: Record<string, TypedValue> = {};
  const issues: Array<{ field: string; message: string }> = [];
  for (const input of table.inputs) {
    const coerced = coerceInput(input.typeRef, raw[input.expression]);
    if ('error' in coerced) issues.push({ field: input.expression, message: `${input.label}${coerced.error}` });
    else variables[input.expression] = typed(input.typeRef, coerced.value);
  }
  if (issues.length) throw errors.badRequest('DECISION_INPUT_INVALID', '测试输入有误', issues);
  const since = formatEngineDate(new Date(Date.now() - 5000));
  let answer: Array<Record<string, TypedValue>>;
  try {
    answer = await engine.evaluateDecision(definition.id, variables);
  } catch (err) {
    if (err instanceof EngineError && !err.unreachable && !err.notFound)
      throw errors.badRequest('DECISION_EVALUATION_FAILED', '决策表求值失败（请检查 FEEL 表达式与输入）', [
        { field: 'decision', message: err.message.slice(0, 500) },
      ]);
    throw err;
  }
  const outputs = answer.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value])));

  // The history of this evaluation: the newest standalone one of this definition with these inputs.
  const history = await engine.historicDecisionInstances({
    decisionDefinitionId: definition.id,
    evaluatedAfter: since,
    includeInputs: true,
    includeOutputs: true,
    sortBy: 'evaluationTime',
    sortOrder: 'desc',
    maxResults: 10,
  });
  const mine = history.find(
    (h) =>
      !h.processInstanceId &&
      table.inputs.every((i) => {
        const got = h.inputs?.find((x) => x.clauseId === i.id);
        return got !== undefined && sameValue(got.value, variables[i.expression]?.value ?? null);
      }),
  );
  const ruleIds = [...new Set((mine?.outputs ?? []).map((o) => o.ruleId))];
  const matchedRules = table.rules
    .filter((r) => ruleIds.includes(r.id))
    .map((r) => ({ id: r.id, index: r.index, description: r.description }));
  return { decisionId, version: definition.version, outputs, matchedRules, rulesKnown: mine !== undefined };
}

function typed(typeRef: string, value: string | number | boolean | null): TypedValue {
  if (value === null) return { value: null, type: 'Null' };
  if (typeof value === 'boolean') return { value, type: 'Boolean' };
  if (typeof value === 'number')
    return typeRef === 'double' || !Number.isSafeInteger(value) ? { value, type: 'Double' } : { value, type: 'Long' };
  return { value, type: 'String' };
}
