import { shallowRef } from 'vue';
import { importCodes, type CodeImportFile, type CodeImportResult, type CodeType } from '../../api/reference';
import { ApiError, type ErrorDetail } from '../../api/request';
import { useFormDialog } from '../../composables/useFormDialog';
import { currentShanghaiYear } from '../../utils/shanghai';

/** 服务端 JSON 请求体上限 1 MB（留出余量）；.xlsx 经 base64 后约增大三分之一 */
const MAX_CSV_BYTES = 900_000;
const MAX_XLSX_BYTES = 700_000;

export interface ImportForm {
  type: CodeType;
  year: number;
  file: File | null;
}

/** 一处导入错误，供错误表格显示 */
export interface ImportProblem {
  /** 行号；0 表示整个文件 */
  row: number;
  column: string;
  message: string;
}

/**
 * 导入对话框的状态（useFormDialog）：类型、年度、文件，提交，结果（对话框留着显示）或逐行逐列的错误。
 * 任一行有误时服务端整个文件都不导入（CODE_IMPORT_INVALID），这里只负责显示。
 */
export function useCodeImport() {
  const dialog = useFormDialog<ImportForm>({ empty: () => ({ type: 'functional', year: currentShanghaiYear(), file: null }) });
  const { form, serverErrors } = dialog;
  const result = shallowRef<CodeImportResult | null>(null);
  /** 服务端逐行逐列列出的错误（整体说明在 serverErrors.message） */
  const problems = shallowRef<ImportProblem[]>([]);

  function open(defaults: { type: CodeType; year: number }): void {
    result.value = null;
    problems.value = [];
    dialog.open({ ...defaults, file: null });
  }

  function setFile(file: File | null): void {
    form.file = file;
    result.value = null;
    problems.value = [];
    serverErrors.clear();
  }

  async function submit(): Promise<CodeImportResult | null> {
    const file = form.file;
    if (!file) return null;
    let imported: CodeImportResult | undefined;
    const done = await dialog.submit(
      async (f) => {
        problems.value = [];
        let payload: CodeImportFile;
        try {
          payload = await readImportFile(file);
        } catch (e) {
          // 本地拦下的文件（扩展名、大小）：说明与服务端的拒绝显示在同一处
          throw new ApiError('IMPORT_FILE_REFUSED', e instanceof Error ? e.message : '无法读取文件');
        }
        try {
          imported = await importCodes(f.year, f.type, payload);
        } catch (e) {
          if (e instanceof ApiError) problems.value = problemsOf(e.details);
          throw e;
        }
      },
      '导入失败，请稍后再试',
      { keepOpen: true },
    );
    if (!done || !imported) return null;
    result.value = imported;
    return imported;
  }

  return { dialog, form, result, problems, open, setFile, submit };
}

/** CSV 以 UTF-8 文本发送，.xlsx 以 base64 发送；其他扩展名、过大的文件在此拦下 */
export async function readImportFile(file: File): Promise<CodeImportFile> {
  const name = file.name.toLowerCase();
  if (name.endsWith('.csv')) {
    if (file.size > MAX_CSV_BYTES) throw new Error('CSV 文件超过 900 KB，请分批导入');
    return { format: 'csv', content: await file.text() };
  }
  if (name.endsWith('.xlsx')) {
    if (file.size > MAX_XLSX_BYTES) throw new Error('Excel 文件超过 700 KB，请分批导入或另存为 CSV');
    return { format: 'xlsx', base64: toBase64(new Uint8Array(await file.arrayBuffer())) };
  }
  throw new Error('只支持 .csv 或 .xlsx 文件（.xls 请在 Excel 中另存为 .xlsx）');
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** 服务端的说明以“第 n 行，列：”开头；表格已有行、列两栏，去掉重复的前缀 */
function problemsOf(details: readonly ErrorDetail[]): ImportProblem[] {
  return details.map((d) => {
    const column = d.column ?? d.field.replace(/^(body|query)\./, '');
    const prefix = d.row && d.row > 0 ? `第 ${d.row} 行，${column}：` : `${column}：`;
    return { row: d.row ?? 0, column, message: d.message.startsWith(prefix) ? d.message.slice(prefix.length) : d.message };
  });
}
