import { computed, ref, watch } from 'vue';
import type { FormRules } from 'element-plus';
import { createUser, updateUser, type ManagedUser } from '../../api/users';
import { useFormDialog } from '../../composables/useFormDialog';
import { newPasswordRule } from '../account/useChangePassword';
import { USERNAME_PATTERN } from '../../../../domain/users';

export interface UserForm {
  username: string;
  displayName: string;
  orgId: number | null;
  /** 初始密码（仅新增） */
  password: string;
}

const emptyForm = (): UserForm => ({ username: '', displayName: '', orgId: null, password: '' });

/** 与服务端一致：3–50 位字母、数字或 _ . - */
export { USERNAME_PATTERN };

/**
 * 新增 / 编辑用户对话框的状态（系统管理员）。新增时设初始密码，用户首次登录须修改；
 * 角色由安全管理员另行分配。编辑只改姓名和所属机构。
 */
export function useUserForm(onSaved: (user: ManagedUser, created: boolean) => void) {
  const dialog = useFormDialog<UserForm>({
    empty: emptyForm,
    serverErrors: { codeFields: { USERNAME_TAKEN: { field: 'username', message: '该用户名已被使用，请换一个' } } },
  });
  const { form, serverErrors } = dialog;
  const editing = ref<ManagedUser | null>(null);

  const rules = computed<FormRules<UserForm>>(() => ({
    username: editing.value
      ? []
      : [
          { required: true, message: '请输入用户名', trigger: 'blur' },
          { pattern: USERNAME_PATTERN, message: '用户名应为 3–50 位字母、数字或 _ . -', trigger: 'blur' },
        ],
    displayName: [
      { required: true, whitespace: true, message: '请输入姓名', trigger: 'blur' },
      { max: 50, message: '姓名不能超过 50 个字', trigger: 'blur' },
    ],
    orgId: [{ required: true, message: '请选择所属机构', trigger: 'change' }],
    password: editing.value
      ? []
      : [{ required: true, message: '请输入初始密码', trigger: 'blur' }, newPasswordRule(() => form.username.trim())],
  }));

  for (const key of Object.keys(form) as Array<keyof UserForm>) {
    watch(
      () => form[key],
      () => serverErrors.clearField(key),
    );
  }

  function open(user: ManagedUser | null = null): void {
    editing.value = user;
    dialog.open(user ? { username: user.username, displayName: user.displayName, orgId: user.org.id, password: '' } : {});
  }

  async function submit(): Promise<void> {
    const current = editing.value;
    let saved: ManagedUser | undefined;
    const done = await dialog.submit(async (f) => {
      saved = current
        ? await updateUser(current.id, { displayName: f.displayName.trim(), orgId: f.orgId ?? undefined })
        : await createUser({ username: f.username.trim(), displayName: f.displayName.trim(), orgId: f.orgId ?? 0, password: f.password });
    }, '保存用户失败，请稍后再试');
    if (done && saved) onSaved(saved, !current);
  }

  return { dialog, editing, form, rules, serverErrors, open, submit };
}
