/**
 * 项目库的类别、状态、绩效指标体系与 SMART 检查：与服务端共用同一份代码（domain/projects.ts），此处只转出。
 */
export {
  CATEGORY_LABELS,
  DIRECTION_LABELS,
  DIRECTIONS,
  INDICATOR_FRAMEWORK,
  LEVEL1_INDICATORS,
  PROJECT_CATEGORIES,
  PROJECT_STATUSES,
  PROJECT_SUB_TYPES,
  STATUS_LABELS,
  SUB_TYPE_LABELS,
  canTransition,
  isEditable,
  isSpecificPurpose,
  smartProblems,
  targetProblems,
  type Direction,
  type Level1,
  type PerformanceTarget,
  type ProjectActions,
  type ProjectCategory,
  type ProjectStatus,
  type ProjectSubType,
  type TargetProblem,
} from '../../../domain/projects';
