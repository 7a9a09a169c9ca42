import { ElMessage, ElMessageBox } from 'element-plus';
import { voidProject, type ProjectDetail } from '../../api/projects';
import { ApiError } from '../../api/request';

/**
 * 作废：弹框填写原因（必填），带上读到的 version 提交。确定按钮在请求期间转圈且不可再点，
 * 同一次作废只发一次请求。返回作废后的项目；失败为 'failed'（已提示，调用方宜刷新）；取消为 null。
 */
export async function promptVoid(project: {
  id: number;
  projectNo: string;
  name: string;
  version: number;
}): Promise<ProjectDetail | 'failed' | null> {
  let result: ProjectDetail | 'failed' | null = null;
  try {
    await ElMessageBox.prompt(`作废后项目不能再修改或送审，记录和办理记录保留。请填写作废原因：`, `作废项目 ${project.projectNo}`, {
      confirmButtonText: '作废',
      cancelButtonText: '取消',
      confirmButtonClass: 'el-button--danger',
      inputType: 'textarea',
      inputPlaceholder: '如：与市级统一实施项目重复，撤销申报',
      inputValidator: (value) => {
        const v = (value ?? '').trim();
        if (!v) return '请填写作废原因';
        if (v.length > 500) return '作废原因不能超过 500 字';
        return true;
      },
      closeOnClickModal: false,
      customClass: 'void-prompt',
      beforeClose: (action, instance, done) => {
        if (action !== 'confirm') return done();
        if (instance.confirmButtonLoading) return;
        instance.confirmButtonLoading = true;
        voidProject(project.id, { reason: instance.inputValue.trim(), version: project.version })
          .then((p) => {
            result = p;
            done();
          })
          .catch((e: unknown) => {
            if (e instanceof ApiError && e.code === 'PROJECT_CHANGED')
              ElMessage.error('项目已被他人修改或状态已变化，已为您刷新，请查看后重试');
            else ElMessage.error(e instanceof ApiError ? e.message : '作废失败，请稍后再试');
            result = 'failed';
            done();
          })
          .finally(() => {
            instance.confirmButtonLoading = false;
          });
      },
    });
  } catch {
    return null; // 取消
  }
  const outcome = result as ProjectDetail | 'failed' | null; // 在 beforeClose 回调中赋值
  if (outcome && outcome !== 'failed') ElMessage.success(`项目 ${project.projectNo} 已作废`);
  return outcome;
}
