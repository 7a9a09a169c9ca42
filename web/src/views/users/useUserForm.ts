import { computed, reactive, ref, watch } from 'vue';
import type { FormRules } from 'element-plus';
import { createUser, updateUser, type ManagedUser } from '../../api/users';
import { useServerErrors } from '../../composables/useServerErrors';
import { newPasswordRule } from '../account/useChangePassword';

export interface UserForm {
  username: string;
  displayName: string;
  orgId: number | null;
  /** 初始密码（仅新增） */
  password: string;
}

const emptyForm = (): UserForm => ({ username: '', displayName: '', orgId: null, password: '' });

/** 与服务端一致：3–50 位字母、数字或 _ . - */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,50}$/;

/**
 * 新增 / 编辑用户对话框的状态（系统管理员）。新增时设初始密码，用户首次登录须修改；
 * 角色由安全管理员另行分配。编辑只改姓名和所属机构。
 */
export function useUserForm(onSaved: (user: ManagedUser, created: boolean) => void) {
  const visible = ref(false);
  const editing = ref<ManagedUser | null>(null);
  const form = reactive<UserForm>(emptyForm());
  const submitting = ref(false);
  const serverErrors = useServerErrors({ codeFields: { USERNAME_TAKEN: { field: 'username', message: '该用户名已被使用，请换一个' } } });

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
    password: editing.value ? [] : [{ required: true, message: '请输入初始密码', trigger: 'blur' }, newPasswordRule(() => form.username.trim())],
  }));

  for (const key of Object.keys(form) as Array<keyof UserForm>) {
    watch(
      () => form[key],
      () => serverErrors.clearField(key),
    );
  }

  function open(user: ManagedUser | null = null): void {
    editing.value = user;
    Object.assign(form, user ? { username: user.username, displayName: user.displayName, orgId: user.org.id, password: '' } : emptyForm());
    serverErrors.clear();
    visible.value = true;
  }

  async function submit(validate: () => Promise<boolean>): Promise<void> {
    if (submitting.value) return;
    submitting.value = true;
    try {
      if (!(await validate())) return;
      serverErrors.clear();
      const current = editing.value;
      const saved = current
        ? await updateUser(current.id, { displayName: form.displayName.trim(), orgId: form.orgId ?? undefined })
        : await createUser({ username: form.username.trim(), displayName: form.displayName.trim(), orgId: form.orgId ?? 0, password: form.password });
      visible.value = false;
      onSaved(saved, !current);
    } catch (e) {
      serverErrors.apply(e, '保存用户失败，请稍后再试');
    } finally {
      submitting.value = false;
    }
  }

  return { visible, editing, form, rules, submitting, serverErrors, open, submit };
}
