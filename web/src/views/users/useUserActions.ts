import { ElMessage, ElMessageBox } from 'element-plus';
import { ApiError } from '../../api/request';
import { resetSecondFactor, unlockUser, updateUser, type ManagedUser } from '../../api/users';
import { authoriseSealReenrolment } from '../../api/seals';

/**
 * 行内的确认类操作：停用 / 启用（系统管理员）、解锁（安全管理员）。
 * 先确认，成功后交回服务端返回的用户以刷新该行。
 */
export function useUserActions(onChanged: (user: ManagedUser) => void) {
  async function confirmThen(message: string, title: string, action: () => Promise<ManagedUser>, done: string): Promise<void> {
    try {
      await ElMessageBox.confirm(message, title, { type: 'warning', confirmButtonText: '确定', cancelButtonText: '取消' });
    } catch {
      return; // 取消
    }
    try {
      const user = await action();
      onChanged(user);
      ElMessage.success(done);
    } catch (e) {
      ElMessage.error(e instanceof ApiError ? e.message : '操作失败，请稍后再试');
    }
  }

  function toggleStatus(user: ManagedUser): Promise<void> {
    const disabling = user.status === 'active';
    return confirmThen(
      disabling
        ? `停用后 ${user.displayName}（${user.username}）将立即退出登录且不能再登录，确定停用？`
        : `确定启用 ${user.displayName}（${user.username}）？`,
      disabling ? '停用用户' : '启用用户',
      () => updateUser(user.id, { status: disabling ? 'disabled' : 'active' }),
      disabling ? '已停用' : '已启用',
    );
  }

  function unlock(user: ManagedUser): Promise<void> {
    return confirmThen(
      `确定解锁 ${user.displayName}（${user.username}）？登录失败次数将清零。`,
      '解锁用户',
      () => unlockUser(user.id),
      '已解锁',
    );
  }

  /** 授权重新开通电子签章（本人遗忘签章密码）：须写明原因，记入审计链 */
  async function authoriseSeal(user: ManagedUser, reload: () => Promise<void> | void): Promise<void> {
    let reason: string;
    try {
      ({ value: reason } = (await ElMessageBox.prompt(
        `授权后，${user.displayName}（${user.username}）可设置新的签章密码并生成新密钥，旧密钥随之吊销；用旧密钥加盖的签章仍可核验。请填写授权原因（如本人遗忘签章密码，已核实身份）。`,
        '授权重新开通电子签章',
        {
          confirmButtonText: '授权',
          cancelButtonText: '取消',
          inputType: 'textarea',
          inputValidator: (v) => ((v ?? '').trim() ? ((v ?? '').trim().length > 500 ? '原因不能超过 500 字' : true) : '请填写授权原因'),
          closeOnClickModal: false,
        },
      )) as { value: string });
    } catch {
      return; // 取消
    }
    try {
      const r = await authoriseSealReenrolment(user.id, reason.trim());
      ElMessage.success(r.created ? '已授权，请通知本人在“电子签章”页设置新的签章密码' : '此前已授权，本人尚未重新开通');
      await reload();
    } catch (e) {
      ElMessage.error(e instanceof ApiError ? e.message : '授权失败，请稍后再试');
    }
  }

  /** 重置动态验证码（手机丢失）：其验证器与恢复码作废、会话结束，下次登录重新绑定 */
  function resetTwoFactor(user: ManagedUser): Promise<void> {
    return confirmThen(
      `重置后 ${user.displayName}（${user.username}）的手机验证器和恢复码立即作废并退出登录，下次登录时须重新绑定。请先核实本人身份。确定重置？`,
      '重置动态验证码',
      () => resetSecondFactor(user.id),
      '已重置动态验证码',
    );
  }

  return { toggleStatus, unlock, authoriseSeal, resetTwoFactor };
}
