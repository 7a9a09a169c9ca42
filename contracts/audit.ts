import { z } from 'zod';
import { processStep } from './tasks';

/**
 * 审计接口的应答（server/api/audit.ts）：整条链的核验、审计记录、检查点、证据包核验与流程回放。
 * 证据包本身是文件下载（JSON，npm run verify 可离线核验，格式由 domain/evidence.ts 检查），不在这里。
 * 记录的 at、核验时间等为参与哈希或签名的原文（UTC ISO 8601），故为字符串而非北京时间。
 */

export const chainReport = z.strictObject({
  ok: z.boolean(),
  records: z.number().int(),
  sealed: z.number().int(),
  checkpoints: z.number().int(),
  lastSeq: z.number().int(),
  lastHash: z.string().nullable(),
  firstBroken: z.strictObject({ seq: z.number().int(), id: z.number().int().nullable(), reason: z.string() }).nullable(),
  verifiedAt: z.string(),
});

const sealPayload = z.strictObject({
  v: z.literal(1),
  what: z.string(),
  who: z.strictObject({
    userId: z.number().int(),
    username: z.string(),
    displayName: z.string(),
    orgId: z.number().int(),
    orgName: z.string(),
  }),
  when: z.string(),
  processInstance: z.string().nullable(),
  element: z.string().nullable(),
  decision: z.unknown(),
  formSm3: z.string().nullable(),
  attachmentsSm3: z.array(z.string()),
  prevHash: z.string(),
  keyId: z.string(),
});

/** 记录参与哈希的完整内容（domain/audit-chain.ts AuditRecordBody） */
export const auditRecordBody = z.strictObject({
  v: z.literal(1),
  seq: z.number().int(),
  at: z.string(),
  kind: z.string(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  projectId: z.number().int().nullable(),
  actor: z.strictObject({ userId: z.number().int().nullable(), username: z.string() }),
  data: z.unknown().describe('记录的业务内容；待办与状态变更记录的 data.processInstanceKey 为所属流程实例'),
  seal: z.strictObject({ payload: sealPayload, signature: z.string(), keyId: z.string() }).nullable(),
  prevHash: z.string(),
});

export const auditRecord = z.strictObject({
  id: z.number().int(),
  seq: z.number().int(),
  hash: z.string(),
  body: auditRecordBody,
  actorName: z.string().describe('操作人姓名；系统自动处理为“系统自动”'),
  projectNo: z.string().nullable().describe('记录所属项目的项目编号（XM2026-…）'),
});

export const auditRecordPage = z.strictObject({
  items: z.array(auditRecord),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

/** 平台密钥签署的检查点（链为空时 204，无内容） */
export const signedCheckpoint = z.strictObject({
  checkpoint: z.strictObject({ v: z.literal(1), seq: z.number().int(), hash: z.string(), at: z.string(), platformKeyId: z.string() }),
  signature: z.string(),
});

/** 证据包逐条核验结果（与 npm run verify 相同；domain/evidence.ts PackageReport） */
export const packageReport = z.strictObject({
  ok: z.boolean(),
  platformKeyId: z.string().nullable(),
  records: z.array(
    z.strictObject({ seq: z.number().int(), kind: z.string(), sealed: z.boolean(), ok: z.boolean(), reason: z.string().nullable() }),
  ),
  engine: z
    .strictObject({
      ok: z.boolean(),
      reason: z.string().nullable(),
      engine: z.string().nullable(),
      unavailable: z.string().nullable(),
      activities: z.number().int(),
      tasks: z.number().int(),
      decisions: z.number().int(),
      incidents: z.number().int(),
    })
    .nullable()
    .describe('流程实例证据包中流程引擎的历史记录；项目证据包为 null'),
  firstFailure: z.string().nullable(),
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** 流程回放中的一步（server/audit/replay.ts）：流程进度的一步加上变量、决策、意见与签章状态 */
export const replayStep = processStep.extend({
  index: z.number().int(),
  variables: z.array(z.strictObject({ name: z.string(), type: z.string(), value: scalar, revision: z.number().int(), at: z.string() })),
  decisions: z.array(
    z.strictObject({
      decisionKey: z.string(),
      decisionName: z.string().nullable(),
      evaluatedAt: z.string(),
      inputs: z.array(z.strictObject({ name: z.string(), value: scalar })),
      outputs: z.array(z.strictObject({ name: z.string(), value: scalar, ruleId: z.string().nullable() })),
      matchedRules: z.array(z.string()),
    }),
  ),
  comments: z.array(z.strictObject({ at: z.string(), actor: z.string(), text: z.string() })),
  seal: z.strictObject({
    status: z.enum(['verified', 'absent', 'broken']).describe('verified 签章核验通过；absent 无签章；broken 记录被修改、删除或签名不符'),
    auditRecordId: z.number().int().nullable(),
    recordSeq: z.number().int().nullable(),
    verificationCode: z.string().nullable(),
    reason: z.string().nullable(),
  }),
});

export const replay = z.strictObject({
  instance: z.strictObject({
    processInstanceKey: z.string(),
    processDefinitionId: z.string().nullable(),
    processDefinitionKey: z.string().nullable(),
    version: z.number().int().nullable(),
    state: z.string().nullable(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    project: z.strictObject({ id: z.number().int(), projectNo: z.string(), name: z.string() }),
  }),
  xml: z.string().nullable().describe('实例所运行的流程版本的 BPMN XML；引擎给不出时为 null'),
  source: z.enum(['engine', 'platform']),
  notice: z.string().nullable(),
  steps: z.array(replayStep),
  summary: z.strictObject({ steps: z.number().int(), verified: z.number().int(), absent: z.number().int(), broken: z.number().int() }),
});

export type ChainReport = z.infer<typeof chainReport>;
export type AuditRecord = z.infer<typeof auditRecord>;
export type AuditRecordPage = z.infer<typeof auditRecordPage>;
export type SignedCheckpoint = z.infer<typeof signedCheckpoint>;
export type PackageReport = z.infer<typeof packageReport>;
export type ReplayStep = z.infer<typeof replayStep>;
export type Replay = z.infer<typeof replay>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/audit.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

export const recordsQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
    subjectType: z.string().trim().min(1).max(30).optional(),
    subjectId: z.string().trim().min(1).max(64).optional(),
    projectId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    projectNo: z.string().trim().min(1).max(40).optional(),
    kind: z.string().trim().min(1).max(60).optional(),
    kindPrefix: z.string().trim().min(1).max(60).optional(),
    sealed: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();
