import { reactive, ref, watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { passwordProblems } from '../../../../domain/password';
import { changePassword } from '../../api/auth';
import { useServerErrors } from '../../composables/useServerErrors';

export interface ChangePasswordForm {
  oldPassword: string;
  newPassword: string;
  confirm: string;
}

/** 新密码的校验：与服务端同一份规则（domain/password.ts） */
export function newPasswordRule(username: () => string): FormItemRule {
  return {
    trigger: 'blur',
    validator: (_rule, value: string, callback) => {
      const problems = passwordProblems(value ?? '', username());
      if (problems.length) callback(new Error(`密码${problems.join('，')}`));
      else callback();
    },
  };
}

/**
 * 修改密码的表单状态（管理员设置的初始密码、重置后的密码或已过期的密码，须先修改才能使用系统）。
 * 提交成功后调用 onChanged。
 */
export function useChangePassword(username: () => string, onChanged: () => Promise<void> | void) {
  const form = reactive<ChangePasswordForm>({ oldPassword: '', newPassword: '', confirm: '' });
  const submitting = ref(false);
  const serverErrors = useServerErrors({ codeFields: { OLD_PASSWORD_WRONG: { field: 'oldPassword', message: '原密码不正确' } } });

  const rules: FormRules<ChangePasswordForm> = {
    oldPassword: [{ required: true, message: '请输入当前密码', trigger: 'blur' }],
    newPassword: [{ required: true, message: '请输入新密码', trigger: 'blur' }, newPasswordRule(username)],
    confirm: [
      { required: true, message: '请再次输入新密码', trigger: 'blur' },
      {
        trigger: 'blur',
        validator: (_rule, value: string, callback) =>
          value === form.newPassword ? callback() : callback(new Error('两次输入的新密码不一致')),
      },
    ],
  };

  for (const key of Object.keys(form) as Array<keyof ChangePasswordForm>) {
    watch(
      () => form[key],
      () => serverErrors.clearField(key),
    );
  }

  async function submit(validate: () => Promise<boolean>): Promise<void> {
    if (submitting.value) return;
    submitting.value = true;
    try {
      if (!(await validate())) return;
      serverErrors.clear();
      await changePassword(form.oldPassword, form.newPassword);
      Object.assign(form, { oldPassword: '', newPassword: '', confirm: '' });
      await onChanged();
    } catch (e) {
      serverErrors.apply(e, '修改密码失败，请稍后再试');
    } finally {
      submitting.value = false;
    }
  }

  return { form, rules, submitting, serverErrors, submit };
}
