import { reactive, shallowRef } from 'vue';
import { ApiError } from '../api/request';

/**
 * 对话框表单中的服务端错误：整体提示（ApiError.message，服务端的中文说明）
 * 与字段级提示（ApiError.details，显示在对应字段下方）。
 *
 * fieldMap 把服务端字段名（去掉 body. 前缀后）映射到表单字段名，如 amountFen → amount。
 * codeFields 把没有 details 的业务错误码归到某个字段并给出简短提示，如 DUPLICATE_QUOTA_NO → quotaNo。
 */
export function useServerErrors(
  options: { fieldMap?: Record<string, string>; codeFields?: Record<string, { field: string; message: string }> } = {},
) {
  const message = shallowRef('');
  const fields = reactive<Record<string, string>>({});

  function clear(): void {
    message.value = '';
    for (const key of Object.keys(fields)) delete fields[key];
  }

  function clearField(field: string): void {
    delete fields[field];
  }

  /** 记录一次失败；返回 true 表示已处理（取消请求不算错误，返回 false） */
  function apply(error: unknown, fallback: string): boolean {
    clear();
    if (error instanceof ApiError && error.code === 'ABORTED') return false;
    if (!(error instanceof ApiError)) {
      message.value = fallback;
      return true;
    }
    message.value = error.message;
    for (const detail of error.details) {
      const raw = detail.field.replace(/^body\./, '');
      const field = options.fieldMap?.[raw] ?? raw;
      fields[field] = fields[field] ? `${fields[field]}；${detail.message}` : detail.message;
    }
    const byCode = options.codeFields?.[error.code];
    if (byCode && !fields[byCode.field]) fields[byCode.field] = byCode.message;
    return true;
  }

  return { message, fields, clear, clearField, apply };
}
