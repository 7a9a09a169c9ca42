import { reactive, ref, shallowRef, type UnwrapRef } from 'vue';
import type { FormInstance } from 'element-plus';
import { useServerErrors } from './useServerErrors';

export interface FormDialogOptions<T extends object> {
  /** 空表单（每次打开都从它重新开始） */
  empty: () => T;
  /** 传给 useServerErrors：服务端字段名映射、错误码归属字段 */
  serverErrors?: Parameters<typeof useServerErrors>[0];
}

/**
 * 表单对话框的共同状态：是否可见、是否提交中、表单模型、服务端错误。
 * submit(fn) 先校验 el-form，再调用 fn；成功则关闭（keepOpen 时留在对话框里显示结果），失败把服务端错误
 * 显示在对话框里且不关闭；提交中再点一次不会重复提交；提交中不允许关闭（beforeClose）。
 */
export function useFormDialog<T extends object>(options: FormDialogOptions<T>) {
  const visible = ref(false);
  const submitting = ref(false);
  const form = reactive(options.empty()) as UnwrapRef<T>;
  const formRef = shallowRef<Pick<FormInstance, 'validate' | 'clearValidate'>>();
  const serverErrors = useServerErrors(options.serverErrors);

  function open(initial: Partial<T> = {}): void {
    Object.assign(form as object, options.empty(), initial);
    serverErrors.clear();
    visible.value = true;
  }

  function close(): void {
    if (!submitting.value) visible.value = false;
  }

  function beforeClose(done: () => void): void {
    if (!submitting.value) done();
  }

  /** FormDialog 的 el-form 挂载或卸载时登记它（提交前用它校验） */
  function bindForm(instance: Pick<FormInstance, 'validate' | 'clearValidate'> | undefined): void {
    formRef.value = instance;
  }

  /** el-dialog 的 v-model：提交中不能关闭 */
  function setVisible(value: boolean): void {
    if (value) visible.value = true;
    else close();
  }

  /** 关闭动画结束后：清除校验提示 */
  function onClosed(): void {
    formRef.value?.clearValidate();
  }

  async function validate(): Promise<boolean> {
    const instance = formRef.value;
    if (!instance) return true;
    return instance.validate().catch(() => false);
  }

  /**
   * 返回 true 表示已提交成功：对话框已关闭，或 keepOpen 时仍打开（由调用方显示结果，FormDialog 的 resultShown）。
   */
  async function submit(
    fn: (form: UnwrapRef<T>) => Promise<void>,
    fallback = '提交失败，请稍后再试',
    options: { keepOpen?: boolean } = {},
  ): Promise<boolean> {
    if (submitting.value) return false;
    submitting.value = true;
    try {
      if (!(await validate())) return false;
      serverErrors.clear();
      await fn(form);
      if (!options.keepOpen) visible.value = false;
      return true;
    } catch (e) {
      serverErrors.apply(e, fallback);
      return false;
    } finally {
      submitting.value = false;
    }
  }

  return { visible, submitting, form, formRef, serverErrors, open, close, beforeClose, onClosed, submit, bindForm, setVisible };
}

export type FormDialogState = Pick<
  ReturnType<typeof useFormDialog<object>>,
  'visible' | 'submitting' | 'formRef' | 'serverErrors' | 'close' | 'beforeClose' | 'onClosed' | 'bindForm' | 'setVisible'
>;
