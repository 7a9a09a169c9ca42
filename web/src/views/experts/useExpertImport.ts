import { ref, shallowRef } from 'vue';
import { importExperts } from '../../api/experts';
import { ApiError } from '../../api/request';

/** 导入专家库：全部成功才写入；失败时列出每处问题的行与列。 */
export function useExpertImport(onImported: () => void) {
  const visible = ref(false);
  const file = shallowRef<File | null>(null);
  const importing = ref(false);
  const result = shallowRef<{ created: number; updated: number } | null>(null);
  const errorMessage = ref('');
  const issues = shallowRef<Array<{ row: number; column: string; message: string }>>([]);

  function open(): void {
    file.value = null;
    result.value = null;
    errorMessage.value = '';
    issues.value = [];
    visible.value = true;
  }

  function choose(event: Event): void {
    const picked = (event.target as HTMLInputElement).files?.[0] ?? null;
    errorMessage.value = '';
    issues.value = [];
    result.value = null;
    file.value = picked && /\.xlsx$/i.test(picked.name) ? picked : null;
    if (picked && !file.value) errorMessage.value = '请选择 Excel 文件（.xlsx）';
  }

  async function submit(): Promise<void> {
    if (!file.value || importing.value) return;
    importing.value = true;
    try {
      result.value = await importExperts(file.value);
      onImported();
    } catch (e) {
      errorMessage.value = e instanceof Error ? e.message : '导入失败，请稍后再试';
      issues.value =
        e instanceof ApiError
          ? e.details.map((d) => ({
              row: (d as { row?: number }).row ?? 0,
              column: (d as { column?: string }).column ?? '',
              message: d.message,
            }))
          : [];
    } finally {
      importing.value = false;
    }
  }

  return { visible, file, importing, result, errorMessage, issues, open, choose, submit };
}
