/// <reference lib="dom" />
import { ApiError, NETWORK_ERROR_MESSAGE, buildUrl, errorFromBody, type QueryValue } from './request';

/**
 * 文件下载（导出 Excel、下载模板）：带会话 Cookie 请求，取回文件内容，
 * 按服务端 Content-Disposition 中的文件名（RFC 5987 UTF-8 名优先）保存。
 * 失败时与 request() 一样抛出 ApiError（如 400 EXPORT_TOO_LARGE「…请缩小查询条件…」）。
 * 返回保存的文件名。
 */
export async function downloadFile(
  path: string,
  query: Record<string, QueryValue> = {},
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const url = buildUrl(path, query);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 120_000);
  try {
    let response: Response;
    let blob: Blob;
    try {
      response = await fetch(url, { credentials: 'same-origin', signal: controller.signal });
      if (!response.ok) throw errorFromBody(path, response.status, await response.json().catch(() => undefined));
      blob = await response.blob();
    } catch (cause) {
      if (cause instanceof ApiError) throw cause;
      if (controller.signal.aborted) throw new ApiError('TIMEOUT', '下载超时，请缩小查询条件后再试', 0, { cause });
      throw new ApiError('NETWORK', NETWORK_ERROR_MESSAGE, 0, { cause });
    }
    const filename = filenameFromDisposition(response.headers.get('content-disposition')) ?? fallbackName(path);
    saveBlob(blob, filename);
    return filename;
  } finally {
    clearTimeout(timer);
  }
}

/** filename*=UTF-8''… 优先，其次 filename="…" */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // 编码有误时退回 ASCII 文件名
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header);
  return plain?.[1]?.trim() || null;
}

function fallbackName(path: string): string {
  return `${path.split('/').filter(Boolean).join('-') || 'download'}.xlsx`;
}

function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // 留给浏览器开始保存的时间再释放
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}
