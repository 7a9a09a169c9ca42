import { z } from 'zod';
import { ALLOCATION_STATUSES, APPROVAL_CHAINS } from '../domain/allocation';
import { PROJECT_STATUSES } from '../domain/projects';

/**
 * 预算编制与批复接口的应答（/api/allocations*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/allocations.ts）。
 * 金额一律为整数“分”；时间为 ISO 8601（UTC，带 Z）。
 * Objects are strict: a field the server adds without declaring it here fails the contract.
 */
const utcIso = z.string().describe('ISO 8601（UTC）');
const fen = z.number().int().min(0);
const id = z.number().int();

const status = z.enum(ALLOCATION_STATUSES).describe('draft 编制中、approving 审批中、issued 已批复下达');
const approvalChain = z
  .enum(APPROVAL_CHAINS)
  .nullable()
  .describe('决策表选定的审批链：section 科室负责人、deputy 至分管局长、director 至局长、meeting 局长办公会会签；提交前为 null');

export const allocationSummary = z.strictObject({
  id,
  fiscalYear: z.number().int(),
  name: z.string(),
  bureauName: z.string().describe('编制方案的财政局'),
  status,
  statusLabel: z.string(),
  totalFen: fen.describe('安排金额合计（分）'),
  approvalChain,
  documentNo: z.string().nullable().describe('批复文号；下达前为 null'),
  submittedAt: utcIso.nullable(),
  issuedAt: utcIso.nullable(),
});

export const allocationList = z.strictObject({
  items: z.array(allocationSummary).describe('最近的 200 个方案，新的在前'),
  can: z.strictObject({ create: z.boolean().describe('新建分配方案（预算处）') }).describe('本人可做的事（domain/allocation.ts）'),
});

export const allocationLine = z.strictObject({
  projectId: id,
  projectNo: z.string(),
  projectName: z.string(),
  unitName: z.string().describe('申报单位'),
  departmentOrgId: id.describe('主管部门'),
  sector: z.string().describe('领域：支出功能分类类编码（3 位）'),
  rank: z.number().int().describe('排序（1 起）'),
  grade: z.string().nullable().describe('上年绩效评价等级（excellent、good、fair、poor）；没有评价时为 null'),
  band: z.string().nullable().describe('专家评审结论（support、adjust、reject）；未评审时为 null'),
  scoreCenti: z.number().int().nullable().describe('专家评审得分（百分之一分）'),
  excluded: z.boolean().describe('按绩效等级不予安排'),
  requestedFen: fen.describe('申报金额（分）'),
  suggestedFen: fen.describe('零基建议金额（分）'),
  proposedFen: fen.describe('安排金额（分）'),
  reason: z.string().nullable().describe('建议金额的依据'),
  outcome: z.string().nullable().describe('下达结果（funded 已下达指标）'),
  projectStatus: z.enum(PROJECT_STATUSES),
});

export const allocation = z.strictObject({
  id,
  fiscalYear: z.number().int(),
  name: z.string(),
  status,
  statusLabel: z.string(),
  majorDecision: z.boolean().describe('三重一大事项'),
  totalFen: fen.describe('安排金额合计（分）'),
  approvalChain,
  chainSteps: z.array(z.string()).describe('审批链的各环节名称'),
  documentNo: z.string().nullable().describe('批复文号；下达前为 null'),
  returnComment: z.string().nullable().describe('退回意见'),
  version: z.number().int().describe('修改时须带上的版本号'),
  createdAt: utcIso,
  submittedAt: utcIso.nullable(),
  issuedAt: utcIso.nullable(),
  controlTotals: z.array(
    z.strictObject({
      departmentOrgId: id,
      departmentName: z.string(),
      sector: z.string(),
      amountFen: fen.describe('控制数（分）'),
      proposedFen: fen.describe('该部门、领域已安排的金额（分）'),
    }),
  ),
  departments: z.array(z.strictObject({ id, name: z.string() })),
  lines: z.array(allocationLine),
  decisions: z.array(
    z.strictObject({
      elementId: z.string(),
      stepName: z.string(),
      decision: z.string(),
      comment: z.string().nullable(),
      userName: z.string().describe('办理人姓名'),
      sealed: z.boolean(),
      auditRecordId: id.nullable(),
      decidedAt: utcIso,
    }),
  ),
  pending: z
    .array(z.strictObject({ elementId: z.string(), name: z.string(), assignee: z.string().nullable() }))
    .describe('流程引擎中待办的环节；引擎不可用时为空'),
  can: z
    .strictObject({
      edit: z.boolean().describe('试算修改安排金额、保存（编制中，预算处）'),
      submit: z.boolean().describe('提交审批（编制中，预算处）'),
      decide: z.boolean().describe('审批本人办理的环节（审批中）'),
    })
    .describe('本人此刻可做的事（domain/allocation.ts allocationActions）；服务端同样拒绝不允许的操作'),
  quotas: z
    .array(
      z.strictObject({
        id,
        quotaNo: z.string(),
        projectId: id,
        economicCode: z.string(),
        functionalCode: z.string(),
        amountFen: fen,
        documentNo: z.string(),
      }),
    )
    .describe('批复下达的指标'),
});

export const linesSaved = z.strictObject({
  version: z.number().int().describe('新的版本号'),
  totalFen: fen.describe('安排金额合计（分）'),
});
export const totalsSaved = z.strictObject({ version: z.number().int().describe('新的版本号') });
export const submitted = z.strictObject({ processInstanceId: z.string().describe('审批流程实例') });
export const decided = z.strictObject({ step: z.string().describe('已办理的环节') });

export type AllocationSummary = z.infer<typeof allocationSummary>;
export type AllocationList = z.infer<typeof allocationList>;
export type AllocationLine = z.infer<typeof allocationLine>;
export type Allocation = z.infer<typeof allocation>;
export type ControlTotal = Allocation['controlTotals'][number];
export type LinesSaved = z.infer<typeof linesSaved>;
export type TotalsSaved = z.infer<typeof totalsSaved>;
export type Submitted = z.infer<typeof submitted>;
export type Decided = z.infer<typeof decided>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/allocation.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

const idInput = z.coerce.number().int().positive().max(2_147_483_647);
const fenInput = z.number().int('金额应为整数（分）').min(0, '金额不能为负').max(Number.MAX_SAFE_INTEGER);
const sector = z.string().regex(/^\d{3}$/, '领域应为 3 位支出功能分类类编码');

export const controlTotal = z.object({ departmentOrgId: idInput, sector, amountFen: fenInput }).strict();
export const createBody = z
  .object({
    fiscalYear: z.number().int().min(2000).max(2100),
    name: z.string().trim().min(1).max(200),
    majorDecision: z.boolean().default(false),
    controlTotals: z.array(controlTotal).max(2000).default([]),
  })
  .strict();
export const listQuery = z
  .object({
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    status: z.enum(ALLOCATION_STATUSES).optional(),
  })
  .strict();
export const linesBody = z
  .object({
    version: z.number().int().min(1),
    lines: z
      .array(z.object({ projectId: idInput, proposedFen: fenInput }).strict())
      .min(1)
      .max(20_000),
  })
  .strict();
export const totalsBody = z.object({ version: z.number().int().min(1), controlTotals: z.array(controlTotal).max(2000) }).strict();
export const submitBody = z.object({ version: z.number().int().min(1), signingPin: z.string().min(1).max(64).optional() }).strict();
export const decideBody = z
  .object({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().trim().max(500).optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => b.decision !== 'reject' || (b.comment ?? '').length > 0, { message: '不同意时须说明理由', path: ['comment'] });
