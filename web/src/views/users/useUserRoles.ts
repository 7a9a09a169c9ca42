import { computed, ref } from 'vue';
import { setUserRoles, type ManagedUser } from '../../api/users';
import { useServerErrors } from '../../composables/useServerErrors';
import { separationProblem } from './labels';

/** 分配角色对话框的状态（安全管理员）：整体替换角色；三员兼任在提交前就提示，服务端同样拒绝 */
export function useUserRoles(onSaved: (user: ManagedUser) => void) {
  const visible = ref(false);
  const user = ref<ManagedUser | null>(null);
  const roles = ref<string[]>([]);
  const submitting = ref(false);
  const serverErrors = useServerErrors();
  const separation = computed(() => separationProblem(roles.value));

  function open(target: ManagedUser): void {
    user.value = target;
    roles.value = target.roles.map((r) => r.code);
    serverErrors.clear();
    visible.value = true;
  }

  async function submit(): Promise<void> {
    if (submitting.value || !user.value || separation.value) return;
    submitting.value = true;
    try {
      serverErrors.clear();
      const saved = await setUserRoles(user.value.id, roles.value);
      visible.value = false;
      onSaved(saved);
    } catch (e) {
      serverErrors.apply(e, '分配角色失败，请稍后再试');
    } finally {
      submitting.value = false;
    }
  }

  return { visible, user, roles, submitting, serverErrors, separation, open, submit };
}
