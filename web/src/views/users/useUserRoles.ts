import { computed, ref } from 'vue';
import { setUserRoles, type ManagedUser } from '../../api/users';
import { useFormDialog } from '../../composables/useFormDialog';
import { separationProblem } from './labels';

/** 分配角色对话框的状态（安全管理员）：整体替换角色；三员兼任在提交前就提示，服务端同样拒绝 */
export function useUserRoles(onSaved: (user: ManagedUser) => void) {
  const dialog = useFormDialog<{ roles: string[] }>({ empty: () => ({ roles: [] }) });
  const { form, serverErrors } = dialog;
  const user = ref<ManagedUser | null>(null);
  const separation = computed(() => separationProblem(form.roles));

  function open(target: ManagedUser): void {
    user.value = target;
    dialog.open({ roles: target.roles.map((r) => r.code) });
  }

  async function submit(): Promise<void> {
    const target = user.value;
    if (!target || separation.value) return;
    let saved: ManagedUser | undefined;
    const done = await dialog.submit(async (f) => {
      saved = await setUserRoles(target.id, [...f.roles]);
    }, '分配角色失败，请稍后再试');
    if (done && saved) onSaved(saved);
  }

  return { dialog, user, form, serverErrors, separation, open, submit };
}
