import { z } from 'zod';
import { CHOICES, FINAL_ACCOUNT_STATUSES } from '../domain/final-accounts';
import { instant } from './time';

/**
 * 决算接口的应答（/api/final-accounts/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出（web/src/api/finalAccounts.ts）。
 * Built from server/final-accounts/service.ts (getFinalAccount, listFinalAccounts, regenerate,
 * saveItems, submit, decide) and figures.ts. Money is integer fen. Objects are strict: a field the
 * server adds without declaring it here fails the contract. The Excel and PDF routes answer files
 * and have no contract here.
 */
const fen = z.number().int();
const int = z.number().int();

export const finalAccountStatus = z
  .enum(FINAL_ACCOUNT_STATUSES)
  .describe('draft 单位编制中、reviewing 审核中、closing 结转处理中、closed 已决算');
export const choice = z.enum(CHOICES).describe('carry-over 结转下年、recover 结余收回');

/** 决算的各列（domain/final-accounts.ts Figures）：指标数 = 下达 + 调入 − 调出 − 结转；结余 = 指标数 − 已支付 − 冻结 */
const figuresShape = {
  issuedFen: fen.describe('下达（分）'),
  adjustedInFen: fen.describe('调整调入（分）'),
  adjustedOutFen: fen.describe('调整调出（分）'),
  carriedOutFen: fen.describe('结转转出（分）'),
  budgetFen: fen.describe('指标数（分）'),
  paidFen: fen.describe('已支付（分）'),
  frozenFen: fen.describe('冻结（分）'),
  balanceFen: fen.describe('结余（分）'),
};
export const figures = z.strictObject(figuresShape);

export const finalAccountSummary = z.strictObject({
  id: int,
  fiscalYear: int,
  unitName: z.string(),
  departmentName: z.string().nullable().describe('主管部门；单位不在部门之下为 null'),
  status: finalAccountStatus,
  statusLabel: z.string(),
  currentStep: z.string().nullable().describe('当前环节编号（UnitConfirm、DepartmentReview、TreasuryReview、BudgetReview）；没有为 null'),
  currentStepLabel: z.string().nullable(),
  budgetFen: fen.describe('指标数（分）'),
  paidFen: fen.describe('已支付（分）'),
  frozenFen: fen.describe('冻结（分）'),
  balanceFen: fen.describe('结余（分）'),
  submittedAt: instant.nullable(),
});

export const finalAccountList = z.strictObject({
  items: z.array(finalAccountSummary),
  total: int,
  totals: z
    .strictObject({ budgetFen: fen, paidFen: fen, frozenFen: fen, balanceFen: fen })
    .describe('全部符合条件的决算（不只本页）的合计（分）'),
  page: int,
  pageSize: int,
  /** 本人在列表上可做的操作（domain/final-accounts.ts finalAccountListActions）：页面只看它，不自行判断角色 */
  can: z.strictObject({
    open: z.boolean().describe('可以生成所选年度的本单位决算（尚未生成）'),
    openAll: z.boolean().describe('可以为数据范围内全部单位生成所选年度的决算（预算处；已生成的不重复生成）'),
  }),
});

/** 一个指标在决算中的一行 */
export const finalAccountLine = z.strictObject({
  id: int,
  finalAccountId: int,
  quotaId: int,
  quotaNo: z.string(),
  projectId: int.nullable(),
  functionalCode: z.string().describe('功能分类科目'),
  economicCode: z.string().describe('经济分类科目'),
  ...figuresShape,
  entries: int.describe('该指标在本年度的指标账流水笔数'),
  postedKind: choice.nullable().describe('办结时已记账的处理：carry-over 结转、recover 收回；未记账为 null'),
  postedJournalId: int.nullable().describe('办结记账的指标账流水编号'),
  postedQuotaId: int.nullable().describe('结转生成的下年度指标编号'),
  postedQuotaNo: z.string().nullable().describe('结转生成的下年度指标号'),
});

/** 决算的一项：一个项目（其各指标），或不属于项目的一个指标 */
export const finalAccountItem = z.strictObject({
  id: int,
  projectId: int.nullable(),
  projectNo: z.string().nullable(),
  label: z.string().describe('项目「名称」或 指标 指标号'),
  explanation: z.string().nullable().describe('结余说明'),
  choice: choice.nullable().describe('结余处理；未选择为 null'),
  choiceLabel: z.string().nullable(),
  ...figuresShape,
  lines: z.array(finalAccountLine),
});

export const finalAccountDecision = z.strictObject({
  elementId: z.string(),
  stepName: z.string(),
  decision: z.string().describe('submit 提交、approve 同意、reject 退回'),
  comment: z.string().nullable(),
  userName: z.string(),
  sealed: z.boolean().describe('已加盖电子签章'),
  auditRecordId: int.nullable().describe('审计链记录编号'),
  decidedAt: instant,
});

export const finalAccount = z.strictObject({
  id: int,
  fiscalYear: int,
  unitOrgId: int,
  unitName: z.string(),
  departmentOrgId: int.nullable(),
  departmentName: z.string().nullable(),
  status: finalAccountStatus,
  statusLabel: z.string(),
  currentStep: z.string().nullable(),
  currentStepLabel: z.string().nullable(),
  version: int.describe('保存、提交时带回，不符为 409 FINAL_ACCOUNT_CHANGED'),
  returnComment: z.string().nullable().describe('退回理由'),
  generatedAt: instant,
  submittedAt: instant.nullable(),
  closedAt: instant.nullable(),
  totals: figures,
  items: z.array(finalAccountItem),
  byFunctional: z.array(z.strictObject({ key: z.string().describe('功能分类科目'), ...figuresShape })),
  byEconomic: z.array(z.strictObject({ key: z.string().describe('经济分类科目'), ...figuresShape })),
  freezes: z
    .array(
      z.strictObject({
        quotaNo: z.string(),
        projectName: z.string().nullable(),
        frozenFen: fen,
        reference: z.string().nullable().describe('冻结来源（如 支付申请 #12）'),
      }),
    )
    .describe('尚未解除的冻结（已决算为空）'),
  decisions: z.array(finalAccountDecision),
  /** 本人可对该决算做的操作（domain/final-accounts.ts finalAccountActions）：页面只看它，不自行判断状态 */
  can: z.strictObject({
    edit: z.boolean().describe('本人可以重新生成、编辑结余说明与处理并提交（单位编制中、单位确认环节）'),
    decide: z.boolean().describe('本人可以审核当前环节（审核中）'),
  }),
});

const bulkUnit = { unitOrgId: int, unitName: z.string() };
/** 为全部单位生成决算的结果：逐个单位办理，失败的单位逐个列出，不影响其他单位 */
export const finalAccountsStartedAll = z.strictObject({
  fiscalYear: int,
  units: int.describe('数据范围内该年度有指标的单位数'),
  started: z
    .array(
      z.strictObject({
        ...bulkUnit,
        finalAccountId: int,
        openFreezes: int.describe('尚未解除的冻结笔数；解除前单位不能提交，预算处不能办结'),
      }),
    )
    .describe('本次生成并启动决算流程的单位'),
  existing: int.describe('已有该年度决算、本次未重复生成的单位数'),
  skipped: z
    .array(z.strictObject({ ...bulkUnit, code: z.string(), reason: z.string() }))
    .describe('未生成的单位及原因（如没有单位经办人）'),
  failed: z
    .array(z.strictObject({ ...bulkUnit, code: z.string(), reason: z.string() }))
    .describe('生成失败的单位（该单位未写入任何数据，可再次生成）'),
});

export const finalAccountVersion = z.strictObject({ version: int.describe('保存后的版本') });
export const finalAccountSubmitted = z.strictObject({ step: z.string().nullable().describe('提交后的当前环节编号') });
export const finalAccountDecided = z.strictObject({
  step: z.string().nullable().describe('办理后的当前环节编号；没有为 null'),
  status: finalAccountStatus,
});

export type Figures = z.infer<typeof figures>;
export type FinalAccountStatus = z.infer<typeof finalAccountStatus>;
export type Choice = z.infer<typeof choice>;
export type FinalAccountSummary = z.infer<typeof finalAccountSummary>;
export type FinalAccountList = z.infer<typeof finalAccountList>;
export type FinalAccountLine = z.infer<typeof finalAccountLine>;
export type FinalAccountItem = z.infer<typeof finalAccountItem>;
export type FinalAccount = z.infer<typeof finalAccount>;
export type FinalAccountVersion = z.infer<typeof finalAccountVersion>;
export type FinalAccountsStartedAll = z.infer<typeof finalAccountsStartedAll>;
export type FinalAccountSubmitted = z.infer<typeof finalAccountSubmitted>;
export type FinalAccountDecided = z.infer<typeof finalAccountDecided>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/final-accounts.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

/** An item id in a body (items[].itemId; a numeric string is taken, as before). */
const itemId = z.coerce.number().int().positive().max(2_147_483_647);
const year = z.number().int().min(2000).max(2100);

export const listQuery = z
  .object({
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    status: z.enum(FINAL_ACCOUNT_STATUSES).optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export const exportQuery = listQuery.omit({ page: true, pageSize: true });
export const openBody = z.object({ fiscalYear: year }).strict();
export const openAllBody = openBody;
export const versionBody = z.object({ version: z.number().int().min(1) }).strict();
const item = z
  .object({ itemId, explanation: z.string().max(500).nullable().optional(), choice: z.enum(CHOICES).nullable().optional() })
  .strict();
export const itemsBody = z.object({ version: z.number().int().min(1), items: z.array(item).max(5000) }).strict();
export const submitBody = z
  .object({ version: z.number().int().min(1), items: z.array(item).max(5000).optional(), signingPin: z.string().min(1).max(64).optional() })
  .strict();
export const decideBody = z
  .object({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().trim().max(500).optional(),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((b) => b.decision !== 'reject' || (b.comment ?? '').length > 0, { message: '不同意时须说明理由', path: ['comment'] });
