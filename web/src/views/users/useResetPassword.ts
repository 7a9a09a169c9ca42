import { reactive, ref, watch } from 'vue';
import type { FormRules } from 'element-plus';
import { resetUserPassword, type ManagedUser } from '../../api/users';
import { useServerErrors } from '../../composables/useServerErrors';
import { newPasswordRule } from '../account/useChangePassword';

export interface ResetPasswordForm {
  password: string;
  confirm: string;
}

/** 重置密码对话框的状态（安全管理员）：新密码由管理员设定，用户下次登录须修改，其现有登录全部失效 */
export function useResetPassword(onReset: (user: ManagedUser) => void) {
  const visible = ref(false);
  const user = ref<ManagedUser | null>(null);
  const form = reactive<ResetPasswordForm>({ password: '', confirm: '' });
  const submitting = ref(false);
  const serverErrors = useServerErrors();

  const rules: FormRules<ResetPasswordForm> = {
    password: [{ required: true, message: '请输入新密码', trigger: 'blur' }, newPasswordRule(() => user.value?.username ?? '')],
    confirm: [
      { required: true, message: '请再次输入新密码', trigger: 'blur' },
      { trigger: 'blur', validator: (_rule, value: string, callback) => (value === form.password ? callback() : callback(new Error('两次输入的密码不一致'))) },
    ],
  };

  watch(
    () => form.password,
    () => serverErrors.clearField('password'),
  );

  function open(target: ManagedUser): void {
    user.value = target;
    Object.assign(form, { password: '', confirm: '' });
    serverErrors.clear();
    visible.value = true;
  }

  async function submit(validate: () => Promise<boolean>): Promise<void> {
    if (submitting.value || !user.value) return;
    submitting.value = true;
    try {
      if (!(await validate())) return;
      serverErrors.clear();
      const saved = await resetUserPassword(user.value.id, form.password);
      visible.value = false;
      onReset(saved);
    } catch (e) {
      serverErrors.apply(e, '重置密码失败，请稍后再试');
    } finally {
      submitting.value = false;
    }
  }

  return { visible, user, form, rules, submitting, serverErrors, open, submit };
}
