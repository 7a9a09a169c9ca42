import { ref, watch } from 'vue';
import type { FormRules } from 'element-plus';
import { resetUserPassword, type ManagedUser } from '../../api/users';
import { useFormDialog } from '../../composables/useFormDialog';
import { newPasswordRule } from '../account/useChangePassword';

export interface ResetPasswordForm {
  password: string;
  confirm: string;
}

/** 重置密码对话框的状态（安全管理员）：新密码由管理员设定，用户下次登录须修改，其现有登录全部失效 */
export function useResetPassword(onReset: (user: ManagedUser) => void) {
  const dialog = useFormDialog<ResetPasswordForm>({ empty: () => ({ password: '', confirm: '' }) });
  const { form, serverErrors } = dialog;
  const user = ref<ManagedUser | null>(null);

  const rules: FormRules<ResetPasswordForm> = {
    password: [{ required: true, message: '请输入新密码', trigger: 'blur' }, newPasswordRule(() => user.value?.username ?? '')],
    confirm: [
      { required: true, message: '请再次输入新密码', trigger: 'blur' },
      {
        trigger: 'blur',
        validator: (_rule, value: string, callback) => (value === form.password ? callback() : callback(new Error('两次输入的密码不一致'))),
      },
    ],
  };

  watch(
    () => form.password,
    () => serverErrors.clearField('password'),
  );

  function open(target: ManagedUser): void {
    user.value = target;
    dialog.open();
  }

  async function submit(): Promise<void> {
    const target = user.value;
    if (!target) return;
    let saved: ManagedUser | undefined;
    const done = await dialog.submit(async (f) => {
      saved = await resetUserPassword(target.id, f.password);
    }, '重置密码失败，请稍后再试');
    if (done && saved) onReset(saved);
  }

  return { dialog, user, form, rules, serverErrors, open, submit };
}
