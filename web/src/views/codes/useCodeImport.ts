import { reactive, ref, shallowRef } from 'vue';
import { importCodes, type CodeImportFile, type CodeImportResult, type CodeType } from '../../api/reference';
import { ApiError, type ErrorDetail } from '../../api/request';
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
 * 导入对话框的状态：类型、年度、文件，提交，结果或逐行逐列的错误。
 * 任一行有误时服务端整个文件都不导入（CODE_IMPORT_INVALID），这里只负责显示。
 */
export function useCodeImport() {
  const visible = ref(false);
  const submitting = ref(false);
  const form = reactive<ImportForm>({ type: 'functional', year: currentShanghaiYear(), file: null });
  const result = shallowRef<CodeImportResult | null>(null);
  const failure = shallowRef<{ message: string; problems: ImportProblem[] } | null>(null);

  function open(defaults: { type: CodeType; year: number }): void {
    Object.assign(form, { ...defaults, file: null });
    result.value = null;
    failure.value = null;
    visible.value = true;
  }

  function setFile(file: File | null): void {
    form.file = file;
    result.value = null;
    failure.value = null;
  }

  async function submit(): Promise<CodeImportResult | null> {
    const file = form.file;
    result.value = null;
    failure.value = null;
    if (!file) {
      failure.value = { message: '请选择要导入的 .csv 或 .xlsx 文件', problems: [] };
      return null;
    }
    submitting.value = true;
    try {
      const payload = await readImportFile(file);
      result.value = await importCodes(form.year, form.type, payload);
      return result.value;
    } catch (e) {
      if (e instanceof ApiError) failure.value = { message: e.message, problems: problemsOf(e.details) };
      else failure.value = { message: e instanceof Error ? e.message : '导入失败，请稍后再试', problems: [] };
      return null;
    } finally {
      submitting.value = false;
    }
  }

  return { visible, submitting, form, result, failure, open, setFile, submit };
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
