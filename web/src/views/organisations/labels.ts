import { ORGANISATION_KINDS, type DivisionType, type OrganisationKind } from '../../api/reference';

type TagType = 'success' | 'warning' | 'info' | 'primary' | 'danger';

/** 机构类型字典 */
export const ORGANISATION_KIND_LABELS: Record<OrganisationKind, string> = {
  finance_bureau: '财政部门',
  finance_division: '财政内设处室',
  department: '主管部门',
  budget_unit: '预算单位',
  review_centre: '评审中心',
  expert_pool: '专家库',
};

export const ORGANISATION_KIND_OPTIONS = ORGANISATION_KINDS.map((value) => ({ value, label: ORGANISATION_KIND_LABELS[value] }));

export function organisationKindLabel(kind: string): string {
  return ORGANISATION_KIND_LABELS[kind as OrganisationKind] ?? kind;
}

const KIND_TAG_TYPES: Record<OrganisationKind, TagType> = {
  finance_bureau: 'danger',
  finance_division: 'warning',
  department: 'primary',
  budget_unit: 'success',
  review_centre: 'info',
  expert_pool: 'info',
};

export function organisationKindTagType(kind: string): TagType {
  return KIND_TAG_TYPES[kind as OrganisationKind] ?? 'info';
}

/** 财政内设处室的业务类型 */
export const DIVISION_TYPE_LABELS: Record<DivisionType, string> = {
  budget: '预算',
  treasury: '国库',
  education: '教科文',
  agriculture: '农业农村',
  performance: '绩效',
};
