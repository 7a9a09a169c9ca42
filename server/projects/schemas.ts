import { z } from 'zod';
import { DIRECTIONS, PROJECT_CATEGORIES, PROJECT_STATUSES, PROJECT_SUB_TYPES, targetProblems } from '../../domain/projects';

/**
 * What a project application may contain, as zod schemas: parsed once at the API's edge, and by
 * the Excel import for each row, so both refuse the same things with the same words.
 */

export const MAX_AMOUNT_LINES = 50;
export const MAX_TARGETS = 100;
export const MAX_DESCRIPTION = 4000;

const amountFen = z.number().int('金额须为整数分').positive('金额须大于 0').max(Number.MAX_SAFE_INTEGER);
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), '不是有效的日期');

export const amountLine = z
  .object({
    economicCode: z.string().regex(/^\d{5}$/, '经济分类科目应为 5 位（款）'),
    amountFen,
    note: z.string().trim().max(200).optional(),
  })
  .strict();

export const targetSchema = z
  .object({
    level1: z.string().trim().min(1).max(10),
    level2: z.string().trim().min(1).max(20),
    name: z.string().trim().min(1).max(200),
    direction: z.enum(DIRECTIONS),
    targetValue: z.string().trim().min(1).max(200),
    unit: z.string().trim().max(20).default(''),
  })
  .strict();

const projectFields = {
  name: z.string().trim().min(2, '项目名称至少 2 个字').max(200),
  category: z.enum(PROJECT_CATEGORIES),
  subType: z.enum(PROJECT_SUB_TYPES).nullable().default(null),
  functionalCode: z.string().regex(/^\d{7}$/, '功能分类科目应为 7 位（项）'),
  description: z.string().trim().min(1).max(MAX_DESCRIPTION),
  basis: z.string().trim().max(MAX_DESCRIPTION).nullable().default(null),
  startDate: isoDate.nullable().default(null),
  endDate: isoDate.nullable().default(null),
  amounts: z.array(amountLine).min(1, '至少填写一条预算金额').max(MAX_AMOUNT_LINES),
  targets: z.array(targetSchema).max(MAX_TARGETS).default([]),
};

type Fields = {
  startDate: string | null;
  endDate: string | null;
  amounts: Array<{ economicCode: string }>;
  targets: Array<z.infer<typeof targetSchema>>;
};

/** Rules across fields: dates in order, one line per economic code, targets in the framework. */
function crossFieldRules(p: Fields, ctx: z.RefinementCtx): void {
  if (p.startDate && p.endDate && p.endDate < p.startDate)
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: '结束日期不能早于开始日期' });
  const seen = new Set<string>();
  p.amounts.forEach((a, i) => {
    if (seen.has(a.economicCode))
      ctx.addIssue({ code: 'custom', path: ['amounts', i, 'economicCode'], message: `经济分类 ${a.economicCode} 重复，请合并为一行` });
    seen.add(a.economicCode);
  });
  for (const problem of targetProblems(p.targets)) {
    ctx.addIssue({
      code: 'custom',
      path: problem.index === null ? ['targets'] : ['targets', problem.index, problem.field ?? 'name'],
      message: problem.message,
    });
  }
}

export const newProjectSchema = z
  .object({
    ...projectFields,
    fiscalYear: z.number().int().min(2000).max(2100),
    /** Defaults to the applicant's own organisation. */
    unitOrgId: z.number().int().positive().max(2_147_483_647).optional(),
  })
  .strict()
  .superRefine(crossFieldRules);
export type NewProject = z.infer<typeof newProjectSchema>;

/** An edit replaces every editable field; `version` is the one the editor read. */
export const projectEditSchema = z
  .object({ ...projectFields, version: z.number().int().positive() })
  .strict()
  .superRefine(crossFieldRules);
export type ProjectEdit = z.infer<typeof projectEditSchema>;

export const PROJECT_SORTS = {
  id: 'p.id',
  projectNo: 'p.project_no',
  name: 'p.name',
  fiscalYear: 'p.fiscal_year',
  totalAmountFen: 'p.total_amount_fen',
  createdAt: 'p.created_at',
  updatedAt: 'p.updated_at',
} as const;

export const projectListQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    order: z.enum(['asc', 'desc']).default('desc'),
    sort: z.enum(Object.keys(PROJECT_SORTS) as [keyof typeof PROJECT_SORTS]).default('id'),
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    unitOrgId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    category: z.enum(PROJECT_CATEGORIES).optional(),
    status: z.enum(PROJECT_STATUSES).optional(),
    functionalCode: z
      .string()
      .regex(/^\d{3}(\d{2}){0,2}$/, '功能分类科目应为 3、5 或 7 位数字')
      .optional(),
    keyword: z.string().trim().min(1).max(50).optional(),
    duplicates: z.enum(['true', 'false']).optional(),
  })
  .strict();
export type ProjectListQuery = z.infer<typeof projectListQuery>;

export const voidBody = z.object({ reason: z.string().trim().min(1).max(500), version: z.number().int().positive() }).strict();
