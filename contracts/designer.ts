import { z } from 'zod';

/**
 * 流程设计接口的应答（/api/designer/*；试运行的应答见 contracts/trials.ts）：路由按这些 schema 应答
 * （测试中逐个核对，见 server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer
 * 得出（web/src/api/designer.ts）。时间为带 +08:00 的 ISO 8601。
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601');

/** GET /api/designer/catalogue：模型可引用的内容（流程设计页的下拉选项） */
export const designerCatalogue = z.strictObject({
  forms: z.array(z.string()).describe('forms/ 中的表单'),
  topics: z.array(z.string()).describe('已注册工作者的外部任务主题'),
  roles: z.array(z.string()).describe('角色代码'),
  roleNames: z.record(z.string(), z.string()).describe('角色代码 → 中文名'),
  decisions: z.array(z.string()).describe('已部署的决策表（及 processes/ 中的 DMN）'),
});

/** 模型检查的一条问题 */
export const lintProblem = z.strictObject({
  elementId: z.string().nullable().describe('问题所在的元素编号；整个模型的问题为 null'),
  rule: z.string().describe('规则名'),
  message: z.string(),
  severity: z.enum(['error', 'warning']),
});

/** POST /api/designer/lint */
export const lintResult = z.strictObject({ problems: z.array(lintProblem) });

/** 引擎中的一个流程（或决策表）版本；启动时由 processes/ 部署的版本没有部署人与原因 */
export const processVersion = z.strictObject({
  version: z.number().int(),
  definitionId: z.string().describe('引擎中的定义编号'),
  deployedAt: shanghaiIso.nullable(),
  actorName: z.string().nullable().describe('部署人姓名'),
  username: z.string().nullable().describe('部署人用户名'),
  reason: z.string().nullable().describe('部署原因'),
  auditRecordId: z.number().int().nullable().describe('审计链中的部署记录编号'),
});

export const designerProcess = z.strictObject({
  processId: z.string(),
  name: z.string(),
  versions: z.array(processVersion).describe('新版本在前'),
});

/** GET /api/designer/processes */
export const processList = z.strictObject({ items: z.array(designerProcess) });

/** GET /api/designer/processes/{processId}/versions/{version}/xml */
export const processVersionXml = z.strictObject({
  processId: z.string(),
  version: z.number().int(),
  xml: z.string().describe('BPMN XML（去掉本安装的命名空间前缀）'),
});

/** POST /api/designer/deploy 成功（201） */
export const deployResult = z.strictObject({
  processId: z.string(),
  definitionId: z.string(),
  version: z.number().int(),
  deploymentId: z.string(),
  auditRecordId: z.number().int(),
  warnings: z.array(lintProblem).describe('模型检查的警告（不阻止部署）'),
});

export const designerDecision = z.strictObject({
  decisionId: z.string(),
  name: z.string(),
  versions: z.array(processVersion).describe('新版本在前'),
});

/** GET /api/designer/decisions */
export const decisionList = z.strictObject({ items: z.array(designerDecision) });

/** 从 DMN 读出的决策表（测试面板用） */
export const decisionTableModel = z.strictObject({
  decisionId: z.string(),
  name: z.string(),
  hitPolicy: z.string().describe('命中策略，如 FIRST、UNIQUE'),
  inputs: z.array(
    z.strictObject({
      id: z.string(),
      label: z.string(),
      expression: z.string().describe('输入表达式（FEEL；本平台的决策表为变量名）'),
      typeRef: z.string(),
    }),
  ),
  outputs: z.array(z.strictObject({ id: z.string(), label: z.string(), name: z.string(), typeRef: z.string() })),
  rules: z.array(
    z.strictObject({
      id: z.string(),
      index: z.number().int().describe('序号，从 1 开始'),
      description: z.string(),
      inputEntries: z.array(z.string()),
      outputEntries: z.array(z.string()),
    }),
  ),
});

/** GET /api/designer/decisions/{decisionId}/versions/{version} */
export const decisionVersionDetail = z.strictObject({
  decisionId: z.string(),
  version: z.number().int(),
  xml: z.string().describe('DMN XML（去掉本安装的命名空间前缀）'),
  table: decisionTableModel.nullable().describe('读出的决策表；该决策不是决策表为 null'),
});

/** POST /api/designer/decisions/deploy 成功（201） */
export const decisionDeployResult = z.strictObject({
  decisionId: z.string(),
  definitionId: z.string(),
  version: z.number().int(),
  deploymentId: z.string(),
  auditRecordId: z.number().int(),
});

/** POST /api/designer/decisions/{decisionId}/evaluate：引擎求值的输出与命中的规则 */
export const decisionEvaluation = z.strictObject({
  decisionId: z.string(),
  version: z.number().int().describe('求值的版本'),
  outputs: z.array(z.record(z.string(), z.unknown())).describe('每条命中规则一组输出（FIRST、UNIQUE 至多一组）'),
  matchedRules: z
    .array(z.strictObject({ id: z.string(), index: z.number().int(), description: z.string() }))
    .describe('命中的规则，按表中顺序'),
  rulesKnown: z.boolean().describe('引擎的决策历史是否给出了命中的规则（否则只知道输出）'),
});

/** 一个版本运行中的实例数 */
export const versionInstances = z.strictObject({
  version: z.number().int(),
  definitionId: z.string(),
  running: z.number().int(),
});

/** GET /api/designer/processes/{processId}/instances */
export const runningInstances = z.strictObject({ processId: z.string(), versions: z.array(versionInstances) });

/** POST /api/designer/processes/{processId}/migration/preview */
export const migrationPreview = z.strictObject({
  processId: z.string(),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  mappings: z
    .array(
      z.strictObject({
        sourceActivityId: z.string(),
        sourceName: z.string(),
        targetActivityId: z.string(),
        targetName: z.string(),
        failures: z.array(z.string()).describe('引擎校验该映射的失败原因'),
      }),
    )
    .describe('引擎生成的环节映射（不论当前有无实例）'),
  activities: z
    .array(
      z.strictObject({
        activityId: z.string(),
        name: z.string(),
        instances: z.number().int().describe('此刻在该环节等待的实例数'),
        targetActivityId: z.string().nullable(),
        targetName: z.string().nullable(),
        blockedBy: z.array(z.string()).describe('不能迁移的原因（没有对应环节，或引擎校验失败）'),
      }),
    )
    .describe('此刻有实例等待的环节'),
  running: z.number().int().describe('运行中的实例数'),
  movable: z.number().int().describe('可迁移的实例数'),
  blocked: z.number().int().describe('不能迁移的实例数'),
});

/** POST /api/designer/processes/{processId}/migration */
export const migrationResult = migrationPreview.extend({
  migrated: z.number().int().describe('已迁移的实例数'),
  auditRecordId: z.number().int().nullable().describe('审计链中的迁移记录编号'),
});

export type DesignerCatalogue = z.infer<typeof designerCatalogue>;
export type LintProblem = z.infer<typeof lintProblem>;
export type LintResult = z.infer<typeof lintResult>;
export type ProcessVersion = z.infer<typeof processVersion>;
export type DesignerProcess = z.infer<typeof designerProcess>;
export type ProcessList = z.infer<typeof processList>;
export type ProcessVersionXml = z.infer<typeof processVersionXml>;
export type DeployResult = z.infer<typeof deployResult>;
export type DesignerDecision = z.infer<typeof designerDecision>;
export type DecisionList = z.infer<typeof decisionList>;
export type DecisionTableModel = z.infer<typeof decisionTableModel>;
export type DecisionVersionDetail = z.infer<typeof decisionVersionDetail>;
export type DecisionDeployResult = z.infer<typeof decisionDeployResult>;
export type DecisionEvaluation = z.infer<typeof decisionEvaluation>;
export type VersionInstances = z.infer<typeof versionInstances>;
export type RunningInstances = z.infer<typeof runningInstances>;
export type MigrationPreview = z.infer<typeof migrationPreview>;
export type MigrationResult = z.infer<typeof migrationResult>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/designer.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

export const lintBody = z.object({ xml: z.string().min(1).max(2_000_000) }).strict();
export const deployBody = z.object({ xml: z.string().min(1).max(2_000_000), reason: z.string().trim().min(2).max(500) }).strict();

export const decisionDeployBody = deployBody;
export const evaluateBody = z
  .object({
    version: z.number().int().positive().optional().describe('求值的版本；缺省为最新版本'),
    variables: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
      .refine((v) => Object.keys(v).length <= 50, '输入最多 50 项'),
  })
  .strict();

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
