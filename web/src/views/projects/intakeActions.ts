import { ElMessage, ElMessageBox } from 'element-plus';
import { ApiError } from '../../api/request';
import { submitProject, withdrawProject } from '../../api/tasks';
import type { ProjectDetail } from '../../api/projects';

/**
 * 送审：确认后带上读到的 version 提交。成功返回送审后的项目；取消或失败为 null（失败已提示）。
 * 流程引擎不可用（503）时项目仍是草稿，提示稍后重试。
 */
export async function confirmSubmit(project: {
  id: number;
  projectNo: string;
  name: string;
  version: number;
}): Promise<ProjectDetail | null> {
  try {
    await ElMessageBox.confirm(
      `送审后项目进入审核流程（主管部门审核 → 财政审核 → 预算处审定），审核期间不能修改。确定送审「${project.name}」吗？`,
      `送审项目 ${project.projectNo}`,
      {
        confirmButtonText: '送审',
        cancelButtonText: '取消',
        type: 'info',
      },
    );
  } catch {
    return null;
  }
  return submitNow(project);
}

/** 不再确认，直接送审（新建对话框“保存并送审”时用） */
export async function submitNow(project: { id: number; projectNo: string; version: number }): Promise<ProjectDetail | null> {
  try {
    const p = await submitProject(project.id, project.version);
    ElMessage.success(`项目 ${project.projectNo} 已送审`);
    return p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) ElMessage.error(e.message || '流程引擎暂不可用，送审未成功，项目仍为草稿，请稍后重试');
    else if (e instanceof ApiError && e.code === 'PROJECT_CHANGED') ElMessage.error('项目已被他人修改或状态已变化，请刷新后重试');
    else ElMessage.error(e instanceof ApiError ? e.message : '送审失败，请稍后再试');
    return null;
  }
}

/** 撤回：填写原因；审核人员已开始办理时（409 ALREADY_ACTED）说明须联系审核人员退回。 */
export async function promptWithdraw(project: { id: number; projectNo: string }): Promise<ProjectDetail | null> {
  let result: ProjectDetail | null = null;
  try {
    await ElMessageBox.prompt(
      '撤回后项目回到草稿，可修改后重新送审。审核人员已开始办理的不能撤回。请填写撤回原因：',
      `撤回项目 ${project.projectNo}`,
      {
        confirmButtonText: '撤回',
        cancelButtonText: '取消',
        inputType: 'textarea',
        inputPlaceholder: '如：金额有误，需修改后重新申报',
        inputValidator: (value) => {
          const v = (value ?? '').trim();
          if (!v) return '请填写撤回原因';
          if (v.length > 500) return '撤回原因不能超过 500 字';
          return true;
        },
        closeOnClickModal: false,
        customClass: 'withdraw-prompt',
        beforeClose: (action, instance, done) => {
          if (action !== 'confirm') return done();
          if (instance.confirmButtonLoading) return;
          instance.confirmButtonLoading = true;
          withdrawProject(project.id, instance.inputValue.trim())
            .then((p) => {
              result = p;
              ElMessage.success(`项目 ${project.projectNo} 已撤回，现为草稿`);
            })
            .catch((e: unknown) => {
              if (e instanceof ApiError && e.code === 'ALREADY_ACTED')
                ElMessage.error('审核人员已开始办理，不能撤回；如需修改，请联系审核人员退回');
              else ElMessage.error(e instanceof ApiError ? e.message : '撤回失败，请稍后再试');
            })
            .finally(() => {
              instance.confirmButtonLoading = false;
              done();
            });
        },
      },
    );
  } catch {
    return null;
  }
  return result;
}
