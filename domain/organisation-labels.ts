/**
 * What people read for an organisation's kind and a finance division's type: one dictionary for
 * the SPA's pages and the server's exports (web/src/views/organisations/labels.ts re-exports it).
 * Its keys are the kinds and types themselves (ORGANISATION_KINDS, DIVISION_TYPES below), which the
 * server's schemas, the contracts and the SPA's filters read.
 */
export const ORGANISATION_KIND_LABELS = {
  finance_bureau: '财政部门',
  finance_division: '财政内设处室',
  department: '主管部门',
  budget_unit: '预算单位',
  review_centre: '评审中心',
  expert_pool: '专家库',
} as const;

/** 财政内设处室的业务类型 */
export const DIVISION_TYPE_LABELS = {
  budget: '预算',
  treasury: '国库',
  education: '教科文',
  agriculture: '农业农村',
  performance: '绩效',
} as const;

export type OrganisationKind = keyof typeof ORGANISATION_KIND_LABELS;
export type DivisionType = keyof typeof DIVISION_TYPE_LABELS;

/** The organisation kinds, in the dictionary's order: the keys above, not a second list. */
export const ORGANISATION_KINDS = Object.keys(ORGANISATION_KIND_LABELS) as [OrganisationKind, ...OrganisationKind[]];
/** The finance divisions' types, likewise. */
export const DIVISION_TYPES = Object.keys(DIVISION_TYPE_LABELS) as [DivisionType, ...DivisionType[]];

/** The organisation list's sort keys and the columns they sort by (the list query, contracts/reference.ts). */
export const ORGANISATION_SORTS = { code: 'code', name: 'name', createdAt: 'created_at', path: 'path' } as const;
