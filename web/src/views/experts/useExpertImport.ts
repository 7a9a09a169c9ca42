import { ref, shallowRef } from 'vue';
import { importExperts } from '../../api/experts';
import { ApiError } from '../../api/request';
import { useFormDialog } from '../../composables/useFormDialog';

export interface ExpertImportForm {
  file: File | null;
}

/**
 * 导入专家库（useFormDialog）：全部成功才写入；失败时列出每处问题的行与列（说明显示在对话框里），
 * 成功后对话框留着显示新增、更新的人数。
 */
export function useExpertImport(onImported: () => void) {
  const dialog = useFormDialog<ExpertImportForm>({ empty: () => ({ file: null }) });
  const { form, serverErrors } = dialog;
  const result = shallowRef<{ created: number; updated: number } | null>(null);
  const issues = shallowRef<Array<{ row: number; column: string; message: string }>>([]);
  /** 已导入：对话框显示结果（FormDialog 的 resultShown） */
  const imported = ref(false);

  function open(): void {
    result.value = null;
    imported.value = false;
    issues.value = [];
    dialog.open();
  }

  function choose(event: Event): void {
    const picked = (event.target as HTMLInputElement).files?.[0] ?? null;
    serverErrors.clear();
    issues.value = [];
    form.file = picked && /\.xlsx$/i.test(picked.name) ? picked : null;
    if (picked && !form.file) serverErrors.message.value = '请选择 Excel 文件（.xlsx）';
  }

  async function submit(): Promise<void> {
    const file = form.file;
    if (!file) return;
    let counts: { created: number; updated: number } | undefined;
    const done = await dialog.submit(
      async () => {
        issues.value = [];
        try {
          counts = await importExperts(file);
        } catch (e) {
          issues.value =
            e instanceof ApiError
              ? e.details.map((d) => ({
                  row: (d as { row?: number }).row ?? 0,
                  column: (d as { column?: string }).column ?? '',
                  message: d.message,
                }))
              : [];
          throw e;
        }
      },
      '导入失败，请稍后再试',
      { keepOpen: true },
    );
    if (!done || !counts) return;
    result.value = counts;
    imported.value = true;
    onImported();
  }

  return { dialog, form, result, imported, issues, open, choose, submit };
}
