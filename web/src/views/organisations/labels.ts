import {
  DIVISION_TYPE_LABELS as SHARED_DIVISION_LABELS,
  ORGANISATION_KIND_LABELS as SHARED_KIND_LABELS,
} from '../../../../domain/organisation-labels';
import { ORGANISATION_KINDS, type DivisionType, type OrganisationKind } from '../../api/reference';

type TagType = 'success' | 'warning' | 'info' | 'primary' | 'danger';

/** 机构类型字典（与服务端导出共用 domain/organisation-labels.ts） */
export const ORGANISATION_KIND_LABELS: Record<OrganisationKind, string> = SHARED_KIND_LABELS;

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
export const DIVISION_TYPE_LABELS: Record<DivisionType, string> = SHARED_DIVISION_LABELS;
