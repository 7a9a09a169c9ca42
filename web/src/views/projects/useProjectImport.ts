import { computed, ref, shallowRef } from 'vue';
import { ApiError } from '../../api/request';
import {
  importIssuesOf,
  importProjects,
  MAX_IMPORT_FILE_BYTES,
  type ImportedProject,
  type ProjectImportIssue,
} from '../../api/projectImport';

/**
 * “导入项目”对话框的状态：选择的文件、导入中、结果（新建的项目）或失败原因与逐条错误。
 * 导入是全部或全不：失败时没有写入任何项目，改正文件后重新导入即可。
 */
export function useProjectImport(onImported: (created: ImportedProject[]) => void) {
  const visible = ref(false);
  const file = shallowRef<File | null>(null);
  const importing = ref(false);
  const created = shallowRef<ImportedProject[]>([]);
  const errorMessage = ref('');
  const issues = shallowRef<ProjectImportIssue[]>([]);
  let controller: AbortController | undefined;

  const canImport = computed(() => file.value !== null && !importing.value);

  function clearResult(): void {
    created.value = [];
    errorMessage.value = '';
    issues.value = [];
  }

  function open(): void {
    file.value = null;
    clearResult();
    visible.value = true;
  }

  /** 选择文件：先在本地检查扩展名与大小，省去一次注定失败的上传 */
  function choose(picked: File | null): void {
    clearResult();
    file.value = null;
    if (!picked) return;
    if (!/\.xlsx$/i.test(picked.name)) {
      errorMessage.value = '请选择 Excel 文件（.xlsx）；.xls 或 CSV 请先在 Excel 中另存为 .xlsx';
      return;
    }
    if (picked.size > MAX_IMPORT_FILE_BYTES) {
      errorMessage.value = `文件不能超过 ${MAX_IMPORT_FILE_BYTES / 1024} KB，请分批导入`;
      return;
    }
    file.value = picked;
  }

  async function submit(): Promise<void> {
    if (!file.value || importing.value) return;
    clearResult();
    importing.value = true;
    controller = new AbortController();
    try {
      created.value = await importProjects(file.value, controller.signal);
      file.value = null;
      onImported(created.value);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'ABORTED') return;
      errorMessage.value = e instanceof Error ? e.message : '导入失败，请稍后再试';
      issues.value = e instanceof ApiError ? importIssuesOf(e) : [];
    } finally {
      importing.value = false;
      controller = undefined;
    }
  }

  /** 关闭对话框时取消仍在进行的请求（服务端会整体回滚或整体提交，不会只导入一部分） */
  function cancel(): void {
    controller?.abort();
  }

  return { visible, file, importing, created, errorMessage, issues, canImport, open, choose, submit, cancel };
}
