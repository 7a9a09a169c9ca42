import { useFormDialog } from '../../composables/useFormDialog';

export interface ReasonForm {
  reason: string;
}

/** 原因至少 2 个字（与服务端的部署、迁移原因同一条规则：server/api/designer.ts） */
export const MIN_REASON_LENGTH = 2;

/**
 * 部署流程、部署决策表、迁移实例共用的“填写原因再执行”对话框（ReasonDialog.vue）的状态：
 * useFormDialog 的提交中再点一次不会重复提交、不能关闭，服务端的拒绝显示在对话框里。
 */
export function useReasonDialog() {
  return useFormDialog<ReasonForm>({ empty: () => ({ reason: '' }) });
}
