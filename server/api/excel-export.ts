import { PassThrough } from 'node:stream';
import { MONEY_FORMAT } from '../documents/spreadsheet';
import type { Response } from 'express';
import ExcelJS from 'exceljs';
import { shanghaiDate, toShanghaiIso } from '../../domain/time';
import { errors } from '../errors';

/**
 * Excel export of a list (导出): one column list and one page source make an .xlsx answer. Every
 * list exports through here with the same filters, sort and data scope as its list route: the
 * route parses its list's query schema minus page/pageSize and hands over the very list function
 * it calls for a page.
 *
 * Rows are read page by page from SQL (never one unbounded query). The first page's total decides
 * before anything is written: above `maxRows` the answer is 400 EXPORT_TOO_LARGE. The workbook is
 * streamed into memory (the finished .xlsx, a few MB at the cap, not exceljs' cell objects) and
 * sent only when complete, so a failure half way is an ordinary error answer, not a cut-off file.
 */

/** `centi`: an integer of hundredths (a score of 74.26 points is 7426), shown with 2 decimals. */
export type ExportColumnType = 'text' | 'money-fen' | 'centi' | 'integer' | 'datetime';

export interface ExportColumn<T> {
  /** What the clerk reads in the header row. */
  header: string;
  /** Excel character widths. */
  width: number;
  type: ExportColumnType;
  /** text: string; money-fen, centi and integer: integer; datetime: Date. null/undefined: empty cell. */
  value: (row: T) => string | number | Date | null | undefined;
}

/** A list function's page: the items of page `page` and the total under the same filters. */
export type PageSource<T> = (page: number, pageSize: number) => Promise<{ items: T[]; total: number }>;

export interface ExportRequest<T> {
  /** Chinese base name, e.g. 指标台账; the date (Shanghai) and .xlsx are appended. */
  filename: string;
  /** ASCII base name for clients that cannot read filename*, e.g. quotas. */
  asciiFilename: string;
  sheetName: string;
  columns: ReadonlyArray<ExportColumn<T>>;
  source: PageSource<T>;
  /**
   * Called once per page before its rows are written, e.g. to look up names for the page's ids
   * in one query. The columns' getters may then read what it loaded.
   */
  preparePage?: (items: T[]) => Promise<void>;
  /** Lines for a second sheet 填写说明 (import templates explain their columns there). */
  notes?: readonly string[];
}

export interface ExportLimits {
  /** Above this many rows the export is refused (the clerk narrows the filters). */
  maxRows: number;
  /** Rows per SQL page. */
  pageSize: number;
}

export const DEFAULT_EXPORT_LIMITS: ExportLimits = { maxRows: 50_000, pageSize: 1_000 };

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Builds the workbook from the source and sends it as an attachment. */
export async function sendXlsxExport<T>(
  res: Response,
  request: ExportRequest<T>,
  limits: ExportLimits = DEFAULT_EXPORT_LIMITS,
): Promise<void> {
  const first = await request.source(1, limits.pageSize);
  if (first.total > limits.maxRows) {
    throw errors.badRequest(
      'EXPORT_TOO_LARGE',
      `符合条件的数据有 ${first.total} 条，超过单次导出上限 ${limits.maxRows} 条，请缩小查询条件（如按年度、单位筛选）后分批导出`,
    );
  }
  const bytes = await buildWorkbook(request, first.items, limits);
  const date = shanghaiDate(new Date()).replace(/-/g, '');
  res.setHeader('Content-Type', XLSX_MIME);
  res.setHeader('Content-Disposition', contentDisposition(`${request.filename}-${date}.xlsx`, `${request.asciiFilename}-${date}.xlsx`));
  res.setHeader('Cache-Control', 'no-store');
  res.send(bytes);
}

async function buildWorkbook<T>(request: ExportRequest<T>, firstItems: T[], limits: ExportLimits): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });

  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const { columns } = request;
  const sheet = workbook.addWorksheet(request.sheetName, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
  sheet.columns = columns.map((c) => ({ width: c.width, style: styleOf(c.type) }));
  const header = sheet.addRow(columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();

  // Stops at the cap even if rows were added since the count: the count decided the answer.
  let written = 0;
  let items = firstItems;
  for (let page = 1; items.length > 0 && written < limits.maxRows;) {
    await request.preparePage?.(items);
    for (const item of items.slice(0, limits.maxRows - written)) {
      sheet.addRow(columns.map((c) => cellValue(c.type, c.value(item)))).commit();
      written++;
    }
    if (items.length < limits.pageSize) break;
    page++;
    items = (await request.source(page, limits.pageSize)).items;
  }
  sheet.commit();
  if (request.notes) {
    const notes = workbook.addWorksheet('填写说明');
    notes.columns = [{ width: 100 }];
    for (const line of request.notes) notes.addRow([line]).commit();
    notes.commit();
  }
  await workbook.commit();
  await finished;
  return Buffer.concat(chunks);
}

function styleOf(type: ExportColumnType): Partial<ExcelJS.Style> {
  if (type === 'money-fen') return { numFmt: MONEY_FORMAT };
  if (type === 'centi') return { numFmt: '0.00' };
  if (type === 'integer') return { numFmt: '0' };
  // Text cells stay text: a code such as 2050203 or 0101 must not become a number in Excel.
  return { numFmt: '@' };
}

function cellValue(type: ExportColumnType, value: string | number | Date | null | undefined): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'money-fen':
      // The cell holds a number so the clerk can sum it. fen / 100 is the double nearest the exact
      // yuan amount, and with 2 decimals shown (#,##0.00) it displays exactly for every amount
      // below 10^13 yuan (Excel keeps 15 significant digits); Math.round(cell × 100) gives the fen
      // back. The exact integer stays in the database; the sheet is for reading and summing.
      return Number(value) / 100;
    case 'centi':
      return Number(value) / 100;
    case 'integer':
      return Number(value);
    case 'datetime':
      return value instanceof Date ? shanghaiText(value) : String(value);
    case 'text':
      return String(value);
  }
}

/** 2026-11-23 15:04:05 in Asia/Shanghai, as text: Excel has no time zones and would guess. */
export function shanghaiText(instant: Date): string {
  return toShanghaiIso(instant).slice(0, 19).replace('T', ' ');
}

/**
 * attachment with an ASCII filename for old clients and the UTF-8 one in filename* (RFC 5987 /
 * RFC 6266), which every current browser prefers.
 */
export function contentDisposition(filename: string, asciiFallback: string): string {
  const ascii = asciiFallback.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Characters Windows and Excel refuse in file names, and control characters, become '_'. */
export function safeFilePart(text: string): string {
  return text.replace(/[\\/:*?"<>|\x00-\x1f]/g, '_').slice(0, 80);
}
