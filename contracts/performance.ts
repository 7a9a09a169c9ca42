import { z } from 'zod';
import { GRADES } from '../domain/allocation';
import { EVALUATION_STATUSES } from '../domain/evaluation';
import { QUALITATIVE_BANDS } from '../domain/performance-scoring';
import { PROJECT_STATUSES } from '../domain/projects';

/**
 * 绩效评价接口的应答（/api/performance/*）：路由按这些 schema 应答（测试中逐个核对，见
 * server/api/contracts.ts），OpenAPI 文档由它们生成，页面的类型由 z.infer 得出
 * （web/src/api/performance.ts）。金额为整数“分”；得分为百分之一分（centi，6753 即 67.53 分）；
 * 执行率为万分比（basis points，6753 即 67.53%）。
 * Objects are strict: a field the server adds without declaring it here fails the contract.
 */
const shanghaiIso = z.string().describe('北京时间 ISO 8601');
const centi = z.number().int().describe('百分之一分');
const fen = z.number().int();

export const evaluationStatus = z.enum(EVALUATION_STATUSES).describe('单位自评、绩效处审核、专家外部评价、评定等级、已评定');
export const grade = z.enum(GRADES).describe('评价等级：excellent 优、good 良、fair 中、poor 差');
export const qualitativeBand = z.enum(QUALITATIVE_BANDS).describe('定性指标：achieved 达成、partial 部分达成、not_achieved 未达成');

export const evaluationSummary = z.strictObject({
  id: z.number().int(),
  projectId: z.number().int(),
  projectNo: z.string(),
  projectName: z.string(),
  unitName: z.string(),
  fiscalYear: z.number().int(),
  status: evaluationStatus,
  statusLabel: z.string(),
  scoreCenti: centi.nullable().describe('最终得分，未评定时为审核或自评得分；尚未打分为 null'),
  grade: grade.nullable(),
  gradeLabel: z.string().nullable(),
  gradedAt: shanghaiIso.nullable().describe('评定时间'),
});

export const evaluationPage = z.strictObject({
  total: z.number().int().describe('符合条件的总数'),
  page: z.number().int(),
  pageSize: z.number().int(),
  items: z.array(evaluationSummary),
  can: z.strictObject({ start: z.boolean().describe('开展绩效评价（绩效处）') }).describe('本人可做的事（domain/evaluation.ts）'),
});

export const candidate = z.strictObject({
  projectId: z.number().int(),
  projectNo: z.string(),
  projectName: z.string(),
  unitName: z.string(),
  totalAmountFen: fen.describe('项目总金额（分）'),
  status: z.enum(PROJECT_STATUSES),
  statusLabel: z.string(),
});
export const candidates = z.strictObject({ items: z.array(candidate) });

export const started = z.strictObject({
  started: z.array(
    z.strictObject({
      id: z.number().int().describe('绩效评价编号'),
      projectId: z.number().int(),
      processInstanceId: z.string().describe('评价流程实例编号'),
    }),
  ),
});

export const indicator = z.strictObject({
  actualId: z.number().int().describe('实际值编号（自评、审核调整、佐证材料均按它关联）'),
  targetId: z.number().int().describe('绩效目标编号'),
  level1: z.string().describe('一级指标'),
  level2: z.string().describe('二级指标'),
  name: z.string().describe('三级指标'),
  direction: z.enum(['>=', '<=', '=', 'qualitative']).describe('指标方向'),
  directionLabel: z.string(),
  targetValue: z.string(),
  unit: z.string(),
  qualitative: z.boolean().describe('定性指标（按达成程度评价）'),
  selfValue: z.string().nullable().describe('单位自评的实际完成值（定量）'),
  selfBand: qualitativeBand.nullable().describe('单位自评的达成程度（定性）'),
  selfPercent: z.number().nullable().describe('定性：档内得分比例（%）'),
  gapExplanation: z.string().nullable().describe('差距说明'),
  reviewedValue: z.string().nullable().describe('绩效处审核调整后的实际值'),
  reviewedBand: qualitativeBand.nullable(),
  reviewedPercent: z.number().nullable(),
  reviewReason: z.string().nullable().describe('调整理由'),
  effective: z.string().nullable().describe('计分所用的实际值（定性为达成程度的中文）'),
  weightCenti: centi.nullable().describe('权重'),
  scoreCenti: centi.nullable().describe('得分'),
});

export const evidence = z.strictObject({
  id: z.number().int(),
  actualId: z.number().int().nullable().describe('关联的指标；null 为整体佐证'),
  fileName: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sm3: z.string().describe('内容的 SM3 摘要（十六进制）'),
  uploadedBy: z.string().describe('上传人用户名'),
  uploadedAt: shanghaiIso,
});

export const evaluation = z.strictObject({
  id: z.number().int(),
  fiscalYear: z.number().int(),
  status: evaluationStatus,
  statusLabel: z.string(),
  version: z.number().int().describe('自评的版本号（保存时须带上，过期为 409）'),
  project: z.strictObject({
    id: z.number().int(),
    projectNo: z.string(),
    name: z.string(),
    unitName: z.string(),
    totalAmountFen: fen,
    functionalCode: z.string().describe('支出功能分类科目'),
  }),
  execution: z
    .strictObject({
      issuedFen: fen.describe('下达（分）'),
      paidFen: fen.describe('已支付（分）'),
      rateBasisPoints: z.number().int().nullable().describe('预算执行率（万分比）；没有下达时为 null'),
      fromLedger: z.literal(true).describe('取自指标账，不由单位填写'),
      snapshot: z.boolean().describe('true：计分时的数字；false：指标账当前的数字'),
    })
    .describe('预算执行情况'),
  explanation: z.string().nullable().describe('自评总体说明'),
  indicators: z.array(indicator),
  evidence: z.array(evidence),
  scores: z.strictObject({
    selfCenti: centi.nullable(),
    reviewedCenti: centi.nullable(),
    externalCenti: centi.nullable(),
    finalCenti: centi.nullable(),
    groups: z.array(
      z.strictObject({
        group: z.string().describe('output 产出、benefit 效益、satisfaction 满意度'),
        label: z.string(),
        weightCenti: centi,
        scoreCenti: centi,
        count: z.number().int().describe('指标数'),
      }),
    ),
    execution: z
      .strictObject({ weightCenti: centi, scoreCenti: centi, rateBasisPoints: z.number().int().nullable() })
      .nullable()
      .describe('预算执行率部分的得分；尚未打分为 null'),
  }),
  external: z.boolean().describe('须经专家外部评价'),
  panelSize: z.number().int().describe('外部评价专家人数'),
  grade: grade.nullable(),
  gradeLabel: z.string().nullable(),
  gradedAt: shanghaiIso.nullable(),
  reviewAuditRecordId: z.number().int().nullable().describe('绩效处审核签章的审计记录编号'),
  history: z.strictObject({
    unit: z
      .array(
        z.strictObject({ fiscalYear: z.number().int(), grade, gradeLabel: z.string(), scoreCenti: centi.nullable(), source: z.string() }),
      )
      .describe('单位历年的绩效等级'),
    project: z
      .array(
        z.strictObject({
          evaluationId: z.number().int(),
          fiscalYear: z.number().int(),
          grade: grade.nullable(),
          gradeLabel: z.string().nullable(),
          scoreCenti: centi.nullable(),
          status: evaluationStatus,
        }),
      )
      .describe('本项目历年的评价'),
  }),
  can: z
    .strictObject({ selfEvaluate: z.boolean(), review: z.boolean(), report: z.boolean() })
    .describe('本人此刻可做的事：自评、审核、下载报告（domain/evaluation.ts evaluationActions）'),
  taskId: z.number().int().nullable().describe('本人可办理的自评或审核待办'),
});

export const saved = z.strictObject({ version: z.number().int().describe('保存后的版本号') });

/** 办理待办的结果（自评提交、审核）。 */
export const completed = z.strictObject({
  taskId: z.number().int(),
  outcome: z
    .enum(['completed', 'signed', 'forwarded'])
    .describe('completed 流程已继续；signed 加签人意见已记录；forwarded 已转给下一位加签人'),
  seal: z
    .strictObject({
      auditRecordId: z.number().int(),
      seq: z.number().int(),
      keyId: z.string(),
      verificationCode: z.string().describe('核验码'),
    })
    .nullable()
    .optional()
    .describe('本人有签章密钥时的电子签章'),
});

export type EvaluationStatus = z.infer<typeof evaluationStatus>;
export type Grade = z.infer<typeof grade>;
export type QualitativeBand = z.infer<typeof qualitativeBand>;
export type EvaluationSummary = z.infer<typeof evaluationSummary>;
export type EvaluationPage = z.infer<typeof evaluationPage>;
export type Candidate = z.infer<typeof candidate>;
export type Candidates = z.infer<typeof candidates>;
export type Started = z.infer<typeof started>;
export type Indicator = z.infer<typeof indicator>;
export type Evidence = z.infer<typeof evidence>;
export type Evaluation = z.infer<typeof evaluation>;
export type Saved = z.infer<typeof saved>;
export type Completed = z.infer<typeof completed>;

// Request bodies

/**
 * 请求体与查询参数：路由按这些 schema 解析（server/api/performance.ts），页面的请求类型由 z.input 得出（web/src/api/）。
 */

const id = z.coerce.number().int().positive().max(2_147_483_647);
const fiscalYear = z.number().int().min(2000).max(2100);
const decimal = z
  .string()
  .trim()
  .regex(/^-?\d{1,12}(\.\d{1,4})?$/, '应为数字（最多 4 位小数）');
const percent = z.number().min(0).max(100);

export const startBody = z.object({ fiscalYear, projectIds: z.array(id).min(1).max(200) }).strict();
export const listQuery = z
  .object({
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    status: z.enum(['self_evaluation', 'review', 'external', 'grading', 'graded']).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
// The export takes the list's filters, without paging.
export const exportQuery = listQuery.omit({ page: true, pageSize: true });
export const candidatesQuery = z.object({ fiscalYear: z.coerce.number().int().min(2000).max(2100).optional() }).strict();
const actual = z
  .object({
    actualId: id,
    value: decimal.nullable().optional(),
    band: z.enum(QUALITATIVE_BANDS).nullable().optional(),
    percent: percent.nullable().optional(),
    gapExplanation: z.string().trim().max(1000).nullable().optional(),
  })
  .strict();
export const selfBody = z
  .object({
    version: z.number().int().min(1),
    explanation: z.string().trim().max(2000).nullable().optional(),
    actuals: z.array(actual).max(200),
  })
  .strict();
export const submitBody = z
  .object({ comment: z.string().trim().max(1000).optional(), signingPin: z.string().min(1).max(64).optional() })
  .strict();
export const reviewBody = z
  .object({
    decision: z.enum(['approve', 'return']),
    comment: z.string().trim().max(500).optional(),
    adjustments: z
      .array(
        z
          .object({
            actualId: id,
            value: decimal.nullable().optional(),
            band: z.enum(QUALITATIVE_BANDS).nullable().optional(),
            percent: percent.nullable().optional(),
            reason: z.string().trim().min(1, '调整实际值须写明理由').max(500),
          })
          .strict(),
      )
      .max(200)
      .default([]),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();
export const evidenceQuery = z.object({ actualId: id.optional() }).strict();
