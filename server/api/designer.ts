import type { Router } from 'express';
import { z } from 'zod';
import * as contracts from '../../contracts/designer';
import * as trialContracts from '../../contracts/trials';
import { sm3Hex } from '../../domain/digest';
import { appendAudit } from '../audit/chain';
import type { Principal } from '../auth/service';
import type { Db } from '../db';
import { designerCatalogue, lintXml } from '../designer/lint';
import { listDesignerProcesses, processVersionXml } from '../designer/versions';
import { executeMigration, previewMigration, runningPerVersion } from '../designer/migration';
import { decisionVersion, deployDecision, evaluateDecision, listDesignerDecisions } from '../designer/decisions';
import {
  autoRunTrial,
  completeTrialTask,
  endTrial,
  fireTrialTimer,
  listTrials,
  startTrial,
  trialState,
  trialVariables,
} from '../designer/trial';
import { TRIAL_ID_PATTERN } from '../designer/trial-model';
import { EngineError, type EngineClient } from '../engine/client';
import { namespaceBpmn, namespaced, withHistoryTimeToLive } from '../engine/namespace';
import type { FormRegistry } from '../forms';
import { errors } from '../errors';
import { mountRoutes, routesWith } from './route';
import { pathId } from './route-doc';

/**
 * 流程设计 (processes:design): what a model may refer to, the lint, and deployment of a new
 * version. A deployment is refused while the lint reports an error (400 PROCESS_LINT_FAILED, the
 * problems in details); an accepted one is an audit-chain record naming who deployed which
 * version, when and why. Also the decision tables, instance migration and trial runs.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 * Mounted by server/api/app.ts.
 */

export const versionParams = z.object({
  processId: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
    .describe('流程标识（processes/ 中的流程编号）'),
  version: pathId('版本号'),
});

export const decisionParams = z.object({
  decisionId: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
    .describe('决策表标识（processes/ 中的决策编号）'),
});
export const decisionVersionParams = decisionParams.extend({ version: pathId('版本号') });
export const processParams = versionParams.pick({ processId: true });
export const trialParams = z.object({ trialId: z.string().regex(TRIAL_ID_PATTERN).describe('试运行编号（12 位十六进制）') });
export const trialTaskParams = trialParams.extend({
  taskId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .describe('试运行实例中的待办编号（引擎任务 id）'),
});
export const trialTimerParams = trialParams.extend({
  jobId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .describe('试运行实例中定时器的作业编号（引擎 job id）'),
});
export const trialVariablesParams = versionParams.pick({ processId: true });

/** The engine not answering is a state (503), not a fault of ours. */
async function fromEngine<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof EngineError && err.unreachable) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂不可用，请稍后再试');
    throw err;
  }
}

type DesignerDeps = { db: Db; engine: EngineClient; forms: FormRegistry; namespace: string; historyTtlDays: number };
const route = routesWith<DesignerDeps>();

const trialsOf = ({ db, engine, forms, namespace }: DesignerDeps) => ({ db, engine, forms, namespace });
const actorOf = (p: Principal) => ({ userId: p.userId, username: p.username });

/**
 * 部署新版本: the lint (an error refuses it, nothing deployed), exactly one process, the engine's
 * deployment under the installation's namespace, and the audit record (who, which version, why,
 * the SM3 of what was deployed).
 */
async function deployProcess(deps: DesignerDeps, xml: string, reason: string, principal: Principal): Promise<contracts.DeployResult> {
  const { db, engine, forms, namespace, historyTtlDays } = deps;
  const problems = await lintXml(xml, await designerCatalogue(forms, engine, namespace));
  const failing = problems.filter((p) => p.severity === 'error');
  if (failing.length) {
    throw errors.badRequest(
      'PROCESS_LINT_FAILED',
      `模型检查未通过（${failing.length} 个问题），未部署`,
      failing.map((p) => ({ field: p.elementId ?? 'model', message: `${p.message} [${p.rule}]` })),
    );
  }
  const ids = [...xml.matchAll(/<(?:bpmn:)?process\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!);
  if (ids.length !== 1)
    throw errors.badRequest('ONE_PROCESS_PER_MODEL', '一个模型须恰好包含一个流程', [
      { field: 'xml', message: `找到 ${ids.length} 个流程` },
    ]);
  const processId = ids[0]!;
  const bytes = Buffer.from(withHistoryTimeToLive(namespaceBpmn(xml, namespace), historyTtlDays));
  const resource = namespace ? `${namespace}/${processId}.bpmn` : `${processId}.bpmn`;
  const deployment = await engine.deploy(
    namespace ? `designer:${namespace}:${processId}` : `designer:${processId}`,
    [{ name: resource, bytes }],
    { source: 'budget-designer' },
  );
  const key = namespaced(namespace, processId);
  const [definition] = await engine.processDefinitions({ key, latestVersion: true });
  if (!definition) throw errors.badRequest('DEPLOY_NOT_FOUND', '部署后引擎中未找到该流程定义');
  const record = await db.transaction((trx) =>
    appendAudit(trx, {
      kind: 'process.deployed',
      subjectType: 'process',
      subjectId: processId,
      actor: actorOf(principal),
      data: {
        processId,
        definitionId: definition.id,
        version: definition.version,
        deploymentId: deployment.id,
        reason,
        sm3: sm3Hex(bytes),
      },
    }),
  );
  return {
    processId,
    definitionId: definition.id,
    version: definition.version,
    deploymentId: deployment.id,
    auditRecordId: record.id,
    warnings: problems,
  };
}

export const designerRoutes = [
  route({
    method: 'get',
    path: '/api/designer/catalogue',
    summary: '模型可引用的内容：表单（forms/）、外部任务主题（已注册的工作者）、角色、已部署的决策表',
    tag: 'designer',
    access: 'processes:design',
    response: contracts.designerCatalogue,
    refusals: [503],
    description: '已部署的决策表取自流程引擎；引擎不可用为 503 ENGINE_UNAVAILABLE。',
    handle: ({ deps }) => designerCatalogue(deps.forms, deps.engine, deps.namespace),
  }),
  route({
    method: 'get',
    path: '/api/designer/processes',
    summary: '可设计的流程（processes/ 中的模型）及引擎中的各版本：版本号、部署时间、部署人与原因（来自审计链的 process.deployed 记录）',
    tag: 'designer',
    access: 'processes:design',
    response: contracts.processList,
    refusals: [503],
    description: '启动时由 processes/ 部署的版本没有部署人与原因（actorName、reason 为 null）。',
    handle: async ({ deps }): Promise<contracts.ProcessList> => ({
      items: await fromEngine(() => listDesignerProcesses(deps.db, deps.engine, deps.namespace)),
    }),
  }),
  route({
    method: 'get',
    path: '/api/designer/processes/{processId}/versions/{version}/xml',
    summary: '某版本的 BPMN XML（去掉本安装的命名空间前缀，即作者所写）',
    tag: 'designer',
    access: 'processes:design',
    params: versionParams,
    notFound: { processId: '流程', version: '流程版本' },
    response: contracts.processVersionXml,
    refusals: [503],
    description: '流程或版本不存在时为 404。',
    handle: async ({ deps, params: { processId, version } }): Promise<contracts.ProcessVersionXml> => {
      const xml = await fromEngine(() => processVersionXml(deps.engine, deps.namespace, processId, version));
      if (xml === null) throw errors.notFound(`流程 ${processId} 没有版本 ${version}`);
      return { processId, version, xml };
    },
  }),
  route({
    method: 'post',
    path: '/api/designer/lint',
    summary: '模型检查（bpmnlint 推荐规则与本平台规则），逐条列出问题',
    tag: 'designer',
    access: 'processes:design',
    body: contracts.lintBody,
    response: contracts.lintResult,
    refusals: [503],
    description: '决策引用按流程引擎中已部署的决策表检查；引擎不可用为 503 ENGINE_UNAVAILABLE。',
    handle: async ({ deps, body }): Promise<contracts.LintResult> => ({
      problems: await lintXml(body.xml, await designerCatalogue(deps.forms, deps.engine, deps.namespace)),
    }),
  }),
  route({
    method: 'post',
    path: '/api/designer/deploy',
    summary: '部署新版本（须填写原因；记入审计链：谁、何时、为何、哪个版本）',
    tag: 'designer',
    access: 'processes:design',
    body: contracts.deployBody,
    ok: { status: 201, description: '已部署：流程定义编号、版本号、审计记录编号' },
    response: contracts.deployResult,
    refusals: [503],
    description: '模型检查有错误时为 400 PROCESS_LINT_FAILED，details 逐条列出（field 为元素编号），不部署；已运行的实例留在原版本。',
    handle: ({ deps, principal, body }) => deployProcess(deps, body.xml, body.reason, principal),
  }),
  route({
    method: 'get',
    path: '/api/designer/decisions',
    summary: '可设计的决策表（processes/ 中的 DMN）及引擎中的各版本：版本号、部署时间、部署人与原因（来自审计链的 decision.deployed 记录）',
    tag: 'designer',
    access: 'processes:design',
    response: contracts.decisionList,
    refusals: [503],
    handle: async ({ deps }): Promise<contracts.DecisionList> => ({
      items: await fromEngine(() => listDesignerDecisions(deps.db, deps.engine, deps.namespace)),
    }),
  }),
  route({
    method: 'get',
    path: '/api/designer/decisions/{decisionId}/versions/{version}',
    summary: '某版本的决策表：DMN XML（去掉本安装的命名空间前缀）与读出的输入、输出、规则（测试面板用）',
    tag: 'designer',
    access: 'processes:design',
    params: decisionVersionParams,
    notFound: { decisionId: '决策表', version: '决策表版本' },
    response: contracts.decisionVersionDetail,
    refusals: [503],
    description: '决策表或版本不存在时为 404。',
    handle: async ({ deps, params: { decisionId, version } }): Promise<contracts.DecisionVersionDetail> => {
      const found = await fromEngine(() => decisionVersion(deps.engine, deps.namespace, decisionId, version));
      if (!found) throw errors.notFound(`决策表 ${decisionId} 没有版本 ${version}`);
      return { decisionId, version, ...found };
    },
  }),
  route({
    method: 'post',
    path: '/api/designer/decisions/deploy',
    summary: '部署决策表的新版本（须填写原因；记入审计链）；引用它的流程从下一次求值起使用新版本',
    tag: 'designer',
    access: 'processes:design',
    body: contracts.decisionDeployBody,
    ok: { status: 201, description: '已部署：决策定义编号、版本号、审计记录编号' },
    response: contracts.decisionDeployResult,
    refusals: [503],
    description:
      '须恰好包含一个平台已有的决策（processes/ 中的 DMN）且为决策表；检查不通过或引擎拒绝时为 400 DECISION_INVALID，details 逐条列出，不部署。',
    handle: ({ deps, principal, body }): Promise<contracts.DecisionDeployResult> =>
      fromEngine(() => deployDecision(deps, body.xml, body.reason, actorOf(principal))),
  }),
  route({
    method: 'get',
    path: '/api/designer/processes/{processId}/instances',
    summary: '流程各版本运行中的实例数（迁移前查看）',
    tag: 'designer',
    access: 'processes:design',
    params: processParams,
    notFound: '流程',
    response: contracts.runningInstances,
    refusals: [503],
    description: '流程不存在时为 404。',
    handle: async ({ deps, params: { processId } }): Promise<contracts.RunningInstances> => ({
      processId,
      versions: await fromEngine(() => runningPerVersion(deps.engine, deps.namespace, processId)),
    }),
  }),
  route({
    method: 'post',
    path: '/api/designer/processes/{processId}/migration/preview',
    summary: '实例迁移预览：引擎生成的环节映射、各环节等待的实例数、不能迁移的环节及原因',
    tag: 'designer',
    access: 'processes:design',
    params: processParams,
    notFound: '流程',
    body: contracts.migrationPreviewBody,
    response: contracts.migrationPreview,
    refusals: [503],
    description: '只能迁往更新的版本（否则 400 MIGRATION_TARGET_NOT_NEWER）；版本不存在为 404。',
    handle: ({ deps, params, body }): Promise<contracts.MigrationPreview> =>
      fromEngine(() => previewMigration(deps.engine, deps.namespace, params.processId, body.fromVersion, body.toVersion)),
  }),
  route({
    method: 'post',
    path: '/api/designer/processes/{processId}/migration',
    summary: '执行实例迁移：把某版本可迁移的运行中实例迁到更新的版本（引擎迁移接口），记入审计链（原因、实例）；不能迁移的留在原版本',
    tag: 'designer',
    access: 'processes:design',
    params: processParams,
    notFound: '流程',
    body: contracts.migrationBody,
    response: contracts.migrationResult,
    refusals: [503],
    description: '没有可迁移的实例为 409 NOTHING_TO_MIGRATE；引擎拒绝为 409 MIGRATION_REFUSED；一次最多 1000 个实例。',
    handle: ({ deps, principal, params, body }): Promise<contracts.MigrationResult> =>
      fromEngine(() => executeMigration(deps, params.processId, body.fromVersion, body.toVersion, body.reason, actorOf(principal))),
  }),
  route({
    method: 'get',
    path: '/api/designer/trials',
    summary: '试运行列表：本安装正在沙箱中的试运行（发起人、开始与到期清理时间）',
    tag: 'designer',
    access: 'processes:design',
    response: trialContracts.trialList,
    refusals: [503],
    handle: async ({ deps }): Promise<trialContracts.TrialList> => ({
      items: await fromEngine(() => listTrials(trialsOf(deps))),
    }),
  }),
  route({
    method: 'get',
    path: '/api/designer/trials/variables/{processId}',
    summary: '试运行的生成数据：该流程真实启动时携带的启动变量（虚构的项目、金额等）',
    tag: 'designer',
    access: 'processes:design',
    params: trialVariablesParams,
    notFound: '流程',
    response: trialContracts.trialStartVariables,
    description: '平台不认识的流程只有 budgetTrial 标记。',
    handle: ({ params: { processId } }): trialContracts.TrialStartVariables => ({
      processId,
      variables: trialVariables(processId),
    }),
  }),
  route({
    method: 'post',
    path: '/api/designer/trials',
    summary: '试运行草稿模型：检查后部署到沙箱（引擎租户 budgettrial，流程、决策、主题与消息均加试运行前缀），以生成的数据启动一个实例',
    tag: 'designer',
    access: 'processes:design',
    body: contracts.trialBody,
    ok: { status: 201, description: '已开始：试运行编号与实例状态（同 GET /api/designer/trials/{trialId}）' },
    response: trialContracts.trialState,
    refusals: [503],
    description:
      '与部署相同的模型检查，有错误时为 400 PROCESS_LINT_FAILED（details 逐条列出），不部署。外部任务由试运行工作者以合理的输出完成（不写平台数据），业务规则任务在引擎中按已部署的决策表真实求值。不写项目、指标账、签章与审计记录；2 小时后自动清理。引擎拒绝模型为 400 TRIAL_DEPLOY_REFUSED，启动失败为 400 TRIAL_START_FAILED。',
    handle: ({ deps, principal, body }): Promise<trialContracts.TrialState> =>
      fromEngine(() => startTrial(trialsOf(deps), body.xml, body.variables ?? {}, actorOf(principal))),
  }),
  route({
    method: 'get',
    path: '/api/designer/trials/{trialId}',
    summary: '试运行状态：已经过、当前与出错的环节（引擎运行时与历史），待办及可选结论，DMN 决策的输入、输出与命中规则，变量',
    tag: 'designer',
    access: 'processes:design',
    params: trialParams,
    notFound: '试运行',
    response: trialContracts.trialState,
    refusals: [503],
    description: '试运行不存在或已清理时为 404。',
    handle: ({ deps, params }): Promise<trialContracts.TrialState> => fromEngine(() => trialState(trialsOf(deps), params.trialId)),
  }),
  route({
    method: 'post',
    path: '/api/designer/trials/{trialId}/tasks/{taskId}/complete',
    summary: '办理试运行中的一个待办：所选结论（如通过或退回），或 auto 自动按第一个结论办理',
    tag: 'designer',
    access: 'processes:design',
    params: trialTaskParams,
    notFound: { trialId: '试运行', taskId: '试运行的待办' },
    body: contracts.trialCompleteBody,
    response: trialContracts.trialState,
    refusals: [409, 503],
    description: '不是该试运行的待办为 404；字段或选项不在表单中为 400 TRIAL_VALUES_INVALID；已办理为 409 TRIAL_TASK_GONE。',
    handle: ({ deps, params, body }): Promise<trialContracts.TrialState> =>
      fromEngine(() => completeTrialTask(trialsOf(deps), params.trialId, params.taskId, body)),
  }),
  route({
    method: 'post',
    path: '/api/designer/trials/{trialId}/auto',
    summary: '试运行自动走完：每个待办按表单的第一个结论办理，直到流程结束（最多 30 轮）',
    tag: 'designer',
    access: 'processes:design',
    params: trialParams,
    notFound: '试运行',
    response: trialContracts.trialState,
    refusals: [409, 503],
    handle: ({ deps, params }): Promise<trialContracts.TrialState> => fromEngine(() => autoRunTrial(trialsOf(deps), params.trialId)),
  }),
  route({
    method: 'post',
    path: '/api/designer/trials/{trialId}/timers/{jobId}/fire',
    summary:
      '触发定时器：立即执行试运行实例正在等待的定时器作业（引擎作业接口），试运行工作者接着应答其后的外部任务，答状态与令牌到达的环节',
    tag: 'designer',
    access: 'processes:design',
    params: trialTimerParams,
    notFound: { trialId: '试运行', jobId: '定时器' },
    response: trialContracts.trialTimerFired,
    refusals: [409, 503],
    description:
      '只能触发本试运行实例（引擎租户 budgettrial）的定时器：正式流程实例或其他试运行的作业为 409 TRIAL_TIMER_NOT_TRIAL，不执行；已触发为 409 TRIAL_TIMER_GONE。',
    handle: ({ deps, params }): Promise<trialContracts.TrialTimerFired> =>
      fromEngine(() => fireTrialTimer(trialsOf(deps), params.trialId, params.jobId)),
  }),
  route({
    method: 'delete',
    path: '/api/designer/trials/{trialId}',
    summary: '结束并清理试运行：删除沙箱部署及其实例与历史',
    tag: 'designer',
    access: 'processes:design',
    params: trialParams,
    notFound: '试运行',
    ok: { status: 204, description: '已清理' },
    refusals: [503],
    handle: ({ deps, params, principal }) => fromEngine(() => endTrial(trialsOf(deps), params.trialId, actorOf(principal))),
  }),
  route({
    method: 'post',
    path: '/api/designer/decisions/{decisionId}/evaluate',
    summary: '决策表测试：由流程引擎按给定输入求值（缺省为最新版本），答输出与命中的规则（取自引擎的决策历史）',
    tag: 'designer',
    access: 'processes:design',
    params: decisionParams,
    notFound: '决策表',
    body: contracts.evaluateBody,
    response: contracts.decisionEvaluation,
    refusals: [503],
    description: '输入按决策表声明的类型转换，不符为 400 DECISION_INPUT_INVALID；FEEL 求值失败为 400 DECISION_EVALUATION_FAILED。',
    handle: ({ deps, params, body }): Promise<contracts.DecisionEvaluation> =>
      fromEngine(() => evaluateDecision(deps.engine, deps.namespace, params.decisionId, body.version, body.variables)),
  }),
];

export function designerRouter(deps: DesignerDeps): Router {
  return mountRoutes(deps.db, deps, designerRoutes);
}
