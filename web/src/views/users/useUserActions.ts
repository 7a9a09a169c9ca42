import { ElMessage, ElMessageBox } from 'element-plus';
import { ApiError } from '../../api/request';
import { unlockUser, updateUser, type ManagedUser } from '../../api/users';

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
      disabling ? `停用后 ${user.displayName}（${user.username}）将立即退出登录且不能再登录，确定停用？` : `确定启用 ${user.displayName}（${user.username}）？`,
      disabling ? '停用用户' : '启用用户',
      () => updateUser(user.id, { status: disabling ? 'disabled' : 'active' }),
      disabling ? '已停用' : '已启用',
    );
  }

  function unlock(user: ManagedUser): Promise<void> {
    return confirmThen(`确定解锁 ${user.displayName}（${user.username}）？登录失败次数将清零。`, '解锁用户', () => unlockUser(user.id), '已解锁');
  }

  return { toggleStatus, unlock };
}
