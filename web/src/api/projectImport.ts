import { ApiError, request } from './request';
import type { z } from 'zod';
import type { ImportedProjectAnswer, projectImportBody } from '../../../contracts/projects';
import { MAX_IMPORT_FILE_BYTES } from '../../../domain/projects';

/**
 * 项目批量导入接口（模板说明见 templates/project-import.md）。
 * 导入是“全部或全不”：有任何错误时以 ApiError 抛出（400 IMPORT_FAILED 等），
 * 逐条错误（工作表、行、列、问题）用 importIssuesOf 取出。
 */

/** 模板下载地址（GET，需 projects:write；浏览器带会话 Cookie 直接下载） */
export const PROJECT_IMPORT_TEMPLATE_URL = '/api/projects/import-template';
export const PROJECT_IMPORT_TEMPLATE_NAME = '项目导入模板.xlsx';
/** 与服务端同一个常量（domain/projects.ts）：JSON 请求体上限 1 MB，base64 后约 750 KB 的 .xlsx */
export { MAX_IMPORT_FILE_BYTES };

/** 请求体的类型来自路由解析用的同一份 schema（contracts/projects.ts，z.input）。 */
export type ProjectImportRequest = z.input<typeof projectImportBody>;

/** 导入成功的每个项目（类型来自 contracts/projects.ts）：行号、编号、金额与疑似重复数 */
export type ImportedProject = ImportedProjectAnswer;

export interface ProjectImportIssue {
  /** 工作表名；整个文件的问题为空 */
  sheet: string;
  /** Excel 中显示的行号；0 表示整张表或整个文件 */
  row: number;
  /** 列（中文表头）；空表示整行 */
  column: string;
  message: string;
}

/** 读取文件并导入；成功时返回新建的项目（均为草稿） */
export async function importProjects(file: File, signal?: AbortSignal): Promise<ImportedProject[]> {
  const base64 = await toBase64(file);
  const body: ProjectImportRequest = { format: 'xlsx', base64, fileName: file.name };
  const data = await request<{ created: ImportedProject[] }>('/api/projects/import', {
    method: 'POST',
    body,
    signal,
    timeoutMs: 180_000,
  });
  return data.created;
}

/** 导入失败时服务端给出的逐条错误（按工作表、行、列排序，最多 200 条） */
export function importIssuesOf(error: ApiError): ProjectImportIssue[] {
  return error.details.map((detail) => {
    // details 的运行时形状多于 request.ts 声明的 { field, message }
    const d = detail as typeof detail & Partial<ProjectImportIssue>;
    return { sheet: d.sheet ?? '', row: typeof d.row === 'number' ? d.row : 0, column: d.column ?? '', message: d.message };
  });
}

export async function toBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  // 分块转换，避免 String.fromCharCode 参数过多
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
