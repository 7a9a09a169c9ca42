import { watch } from 'vue';
import type { FormItemRule, FormRules } from 'element-plus';
import { passwordProblems } from '../../../../domain/password';
import { changePassword } from '../../api/auth';
import { useFormDialog } from '../../composables/useFormDialog';

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
 * 修改密码的表单状态（管理员设置的初始密码、重置后的密码或已过期的密码，须先修改才能使用系统），
 * 在 useFormDialog 上：提交中再点不重复提交，服务端的拒绝显示在对话框里（原密码不正确归到该字段）。
 * 成功后调用 onChanged；对话框不自己关闭（keepOpen）：会话不再要求改密码时由外层不再显示它。
 */
export function useChangePassword(username: () => string, onChanged: () => Promise<void> | void) {
  const empty = (): ChangePasswordForm => ({ oldPassword: '', newPassword: '', confirm: '' });
  const dialog = useFormDialog<ChangePasswordForm>({
    empty,
    serverErrors: { codeFields: { OLD_PASSWORD_WRONG: { field: 'oldPassword', message: '原密码不正确' } } },
  });
  const { form } = dialog;

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
      () => dialog.serverErrors.clearField(key),
    );
  }

  function submit(): Promise<boolean> {
    return dialog.submit(
      async (f) => {
        await changePassword(f.oldPassword, f.newPassword);
        Object.assign(f, empty());
        await onChanged();
      },
      '修改密码失败，请稍后再试',
      { keepOpen: true },
    );
  }

  return { dialog, form, rules, submit };
}
