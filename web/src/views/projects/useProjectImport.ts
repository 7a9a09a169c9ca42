import { ref, shallowRef } from 'vue';
import { ApiError } from '../../api/request';
import {
  importIssuesOf,
  importProjects,
  MAX_IMPORT_FILE_BYTES,
  type ImportedProject,
  type ProjectImportIssue,
} from '../../api/projectImport';
import { useFormDialog } from '../../composables/useFormDialog';

export interface ProjectImportForm {
  file: File | null;
}

/**
 * “导入项目”对话框的状态（useFormDialog）：选择的文件、导入中、结果（新建的项目）或失败原因与逐条错误。
 * 导入是全部或全不：失败时没有写入任何项目，改正文件后重新导入即可；成功后对话框留着列出新建的项目。
 */
export function useProjectImport(onImported: (created: ImportedProject[]) => void) {
  const dialog = useFormDialog<ProjectImportForm>({ empty: () => ({ file: null }) });
  const { form, serverErrors } = dialog;
  const created = shallowRef<ImportedProject[]>([]);
  const issues = shallowRef<ProjectImportIssue[]>([]);
  let controller: AbortController | undefined;

  /** 已导入：对话框显示新建的项目（FormDialog 的 resultShown） */
  const imported = ref(false);

  function clearResult(): void {
    created.value = [];
    imported.value = false;
    issues.value = [];
    serverErrors.clear();
  }

  function open(): void {
    clearResult();
    dialog.open();
  }

  /** 选择文件：先在本地检查扩展名与大小，省去一次注定失败的上传（提示显示在对话框的错误处） */
  function choose(picked: File | null): void {
    clearResult();
    form.file = null;
    if (!picked) return;
    if (!/\.xlsx$/i.test(picked.name)) {
      serverErrors.message.value = '请选择 Excel 文件（.xlsx）；.xls 或 CSV 请先在 Excel 中另存为 .xlsx';
      return;
    }
    if (picked.size > MAX_IMPORT_FILE_BYTES) {
      serverErrors.message.value = `文件不能超过 ${MAX_IMPORT_FILE_BYTES / 1024} KB，请分批导入`;
      return;
    }
    form.file = picked;
  }

  async function submit(): Promise<void> {
    const file = form.file;
    if (!file) return;
    let list: ImportedProject[] = [];
    const done = await dialog.submit(
      async () => {
        issues.value = [];
        controller = new AbortController();
        try {
          list = await importProjects(file, controller.signal);
        } catch (e) {
          issues.value = e instanceof ApiError ? importIssuesOf(e) : [];
          throw e;
        } finally {
          controller = undefined;
        }
      },
      '导入失败，请稍后再试',
      { keepOpen: true },
    );
    if (!done) return;
    form.file = null;
    created.value = list;
    imported.value = true;
    onImported(list);
  }

  /** 对话框关闭后取消仍在进行的请求（服务端会整体回滚或整体提交，不会只导入一部分） */
  function cancel(): void {
    controller?.abort();
  }

  return { dialog, form, created, imported, issues, serverErrors, open, choose, submit, cancel };
}
