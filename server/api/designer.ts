import { Router } from 'express';
import { z } from 'zod';
import { sm3Hex } from '../../domain/digest';
import { appendAudit } from '../audit/chain';
import { requireLogin, requirePermission, principalOf } from '../auth/middleware';
import type { Db } from '../db';
import { designerCatalogue, lintXml } from '../designer/lint';
import { listDesignerProcesses, processVersionXml } from '../designer/versions';
import { executeMigration, previewMigration, runningPerVersion } from '../designer/migration';
import { decisionVersion, deployDecision, evaluateDecision, listDesignerDecisions } from '../designer/decisions';
import { autoRunTrial, completeTrialTask, endTrial, listTrials, startTrial, trialState, trialVariables } from '../designer/trial';
import { TRIAL_ID_PATTERN } from '../designer/trial-model';
import { EngineError, type EngineClient } from '../engine/client';
import { namespaceBpmn, namespaced, withHistoryTimeToLive } from '../engine/namespace';
import type { FormRegistry } from '../forms';
import { errors } from '../errors';
import { validate } from './validate';

/**
 * 流程设计 (processes:design): what a model may refer to, the lint, and deployment of a new
 * version. A deployment is refused while the lint reports an error (400 PROCESS_LINT_FAILED, the
 * problems in details); an accepted one is an audit-chain record naming who deployed which
 * version, when and why.
 */
export const lintBody = z.object({ xml: z.string().min(1).max(2_000_000) }).strict();
export const deployBody = z.object({ xml: z.string().min(1).max(2_000_000), reason: z.string().trim().min(2).max(500) }).strict();

export const versionParams = z.object({
  processId: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
    .describe('流程标识（processes/ 中的流程编号）'),
  version: z.coerce.number().int().positive().describe('版本号'),
});

export const decisionParams = z.object({
  decisionId: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/)
    .describe('决策表标识（processes/ 中的决策编号）'),
});
export const decisionVersionParams = decisionParams.extend({ version: z.coerce.number().int().positive().describe('版本号') });
export const decisionDeployBody = deployBody;
export const evaluateBody = z
  .object({
    version: z.number().int().positive().optional().describe('求值的版本；缺省为最新版本'),
    variables: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
      .refine((v) => Object.keys(v).length <= 50, '输入最多 50 项'),
  })
  .strict();

export const processParams = versionParams.pick({ processId: true });
export const migrationPreviewBody = z
  .object({
    fromVersion: z.number().int().positive().describe('迁出的版本'),
    toVersion: z.number().int().positive().describe('迁入的版本（须更新）'),
  })
  .strict();
export const migrationBody = migrationPreviewBody
  .extend({ reason: z.string().trim().min(2).max(500).describe('迁移原因（记入审计链）') })
  .strict();

const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
const scalar = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);
export const trialBody = z
  .object({
    xml: z.string().min(1).max(2_000_000),
    variables: z
      .record(variableName, scalar)
      .refine((v) => Object.keys(v).length <= 50, '变量最多 50 项')
      .optional()
      .describe('覆盖生成的启动变量（试运行数据）'),
  })
  .strict();
export const trialParams = z.object({ trialId: z.string().regex(TRIAL_ID_PATTERN).describe('试运行编号（12 位十六进制）') });
export const trialTaskParams = trialParams.extend({
  taskId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .describe('试运行实例中的待办编号（引擎任务 id）'),
});
export const trialCompleteBody = z
  .object({
    auto: z.boolean().optional().describe('true：按表单的第一个结论（通过/同意）自动办理'),
    values: z
      .record(variableName, z.union([z.string().max(200), z.number(), z.boolean()]))
      .refine((v) => Object.keys(v).length <= 30, '最多 30 项')
      .optional()
      .describe('所选结论等，如 { decision: "return", returnTo: "department" }'),
  })
  .strict();
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

export function designerRouter({
  db,
  engine,
  forms,
  namespace,
  historyTtlDays,
}: {
  db: Db;
  engine: EngineClient;
  forms: FormRegistry;
  namespace: string;
  historyTtlDays: number;
}): Router {
  const router = Router();
  const guard = [requireLogin(db), requirePermission('processes:design')];

  router.get('/designer/catalogue', ...guard, async (_req, res) => {
    res.json(await designerCatalogue(forms, engine, namespace));
  });

  router.get('/designer/processes', ...guard, async (_req, res) => {
    res.json({ items: await fromEngine(() => listDesignerProcesses(db, engine, namespace)) });
  });

  router.get('/designer/processes/:processId/versions/:version/xml', ...guard, async (req, res) => {
    const { processId, version } = versionParams.parse(req.params);
    const xml = await fromEngine(() => processVersionXml(engine, namespace, processId, version));
    if (xml === null) throw errors.notFound(`流程 ${processId} 没有版本 ${version}`);
    res.json({ processId, version, xml });
  });

  router.post('/designer/lint', ...guard, validate({ body: lintBody }), async (_req, res) => {
    const { xml } = res.locals.body as z.infer<typeof lintBody>;
    res.json({ problems: await lintXml(xml, await designerCatalogue(forms, engine, namespace)) });
  });

  router.post('/designer/deploy', ...guard, validate({ body: deployBody }), async (_req, res) => {
    const { xml, reason } = res.locals.body as z.infer<typeof deployBody>;
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
    const p = principalOf(res);
    const record = await db.transaction((trx) =>
      appendAudit(trx, {
        kind: 'process.deployed',
        subjectType: 'process',
        subjectId: processId,
        actor: { userId: p.userId, username: p.username },
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
    res.status(201).json({
      processId,
      definitionId: definition.id,
      version: definition.version,
      deploymentId: deployment.id,
      auditRecordId: record.id,
      warnings: problems,
    });
  });

  const trials = { engine, forms, namespace };
  const trialIdOf = (params: unknown) => {
    const parsed = trialParams.safeParse(params);
    if (!parsed.success) throw errors.notFound('试运行不存在');
    return parsed.data.trialId;
  };

  router.get('/designer/trials', ...guard, async (_req, res) => {
    res.json({ items: await fromEngine(() => listTrials(trials)) });
  });

  router.get('/designer/trials/variables/:processId', ...guard, (req, res) => {
    const { processId } = trialVariablesParams.parse(req.params);
    res.json({ processId, variables: trialVariables(processId) });
  });

  router.post('/designer/trials', ...guard, validate({ body: trialBody }), async (_req, res) => {
    const { xml, variables } = res.locals.body as z.infer<typeof trialBody>;
    res.status(201).json(await fromEngine(() => startTrial(trials, xml, variables ?? {}, { username: principalOf(res).username })));
  });

  router.get('/designer/trials/:trialId', ...guard, async (req, res) => {
    const trialId = trialIdOf(req.params);
    res.json(await fromEngine(() => trialState(trials, trialId)));
  });

  router.post('/designer/trials/:trialId/tasks/:taskId/complete', ...guard, validate({ body: trialCompleteBody }), async (req, res) => {
    const parsed = trialTaskParams.safeParse(req.params);
    if (!parsed.success) throw errors.notFound('试运行的待办不存在');
    const input = res.locals.body as z.infer<typeof trialCompleteBody>;
    res.json(await fromEngine(() => completeTrialTask(trials, parsed.data.trialId, parsed.data.taskId, input)));
  });

  router.post('/designer/trials/:trialId/auto', ...guard, async (req, res) => {
    const trialId = trialIdOf(req.params);
    res.json(await fromEngine(() => autoRunTrial(trials, trialId)));
  });

  router.delete('/designer/trials/:trialId', ...guard, async (req, res) => {
    const trialId = trialIdOf(req.params);
    await fromEngine(() => endTrial(trials, trialId));
    res.status(204).end();
  });

  router.get('/designer/decisions', ...guard, async (_req, res) => {
    res.json({ items: await fromEngine(() => listDesignerDecisions(db, engine, namespace)) });
  });

  router.get('/designer/decisions/:decisionId/versions/:version', ...guard, async (req, res) => {
    const { decisionId, version } = decisionVersionParams.parse(req.params);
    const found = await fromEngine(() => decisionVersion(engine, namespace, decisionId, version));
    if (!found) throw errors.notFound(`决策表 ${decisionId} 没有版本 ${version}`);
    res.json({ decisionId, version, ...found });
  });

  router.post('/designer/decisions/deploy', ...guard, validate({ body: decisionDeployBody }), async (_req, res) => {
    const { xml, reason } = res.locals.body as z.infer<typeof decisionDeployBody>;
    const p = principalOf(res);
    res
      .status(201)
      .json(
        await fromEngine(() =>
          deployDecision({ db, engine, namespace, historyTtlDays }, xml, reason, { userId: p.userId, username: p.username }),
        ),
      );
  });

  router.post('/designer/decisions/:decisionId/evaluate', ...guard, validate({ body: evaluateBody }), async (req, res) => {
    const { decisionId } = decisionParams.parse(req.params);
    const { version, variables } = res.locals.body as z.infer<typeof evaluateBody>;
    res.json(await fromEngine(() => evaluateDecision(engine, namespace, decisionId, version, variables)));
  });

  router.get('/designer/processes/:processId/instances', ...guard, async (req, res) => {
    const { processId } = processParams.parse(req.params);
    res.json({ processId, versions: await fromEngine(() => runningPerVersion(engine, namespace, processId)) });
  });

  router.post('/designer/processes/:processId/migration/preview', ...guard, validate({ body: migrationPreviewBody }), async (req, res) => {
    const { processId } = processParams.parse(req.params);
    const { fromVersion, toVersion } = res.locals.body as z.infer<typeof migrationPreviewBody>;
    res.json(await fromEngine(() => previewMigration(engine, namespace, processId, fromVersion, toVersion)));
  });

  router.post('/designer/processes/:processId/migration', ...guard, validate({ body: migrationBody }), async (req, res) => {
    const { processId } = processParams.parse(req.params);
    const { fromVersion, toVersion, reason } = res.locals.body as z.infer<typeof migrationBody>;
    const p = principalOf(res);
    res.json(
      await fromEngine(() =>
        executeMigration({ db, engine, namespace }, processId, fromVersion, toVersion, reason, { userId: p.userId, username: p.username }),
      ),
    );
  });

  return router;
}
