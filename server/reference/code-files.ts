import ExcelJS from 'exceljs';
import { COLUMNS, MAX_IMPORT_ROWS, REQUIRED_COLUMNS, issue, type CodeType, type Column, type ImportIssue, type RawCodeRow } from './codes';

/**
 * Reads code-table files into rows for validateCodeRows: CSV in the shared/data format (UTF-8,
 * with or without BOM) and .xlsx (first sheet). Headers may be English (code, name, level, kind,
 * government_code) or Chinese (编码, 名称, 级次, 类型, 政府经济分类); other columns are ignored.
 * Row numbers are the ones the user sees: the header is row 1 of a CSV, Excel keeps its own.
 */

export interface ParsedCodeFile {
  rows: RawCodeRow[];
  issues: ImportIssue[];
}

export type CodeFile = { format: 'csv'; content: string } | { format: 'xlsx'; bytes: Uint8Array };

const FILE = '文件';

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF. */
export function parseCsv(text: string): { records: string[][]; unclosedQuote: boolean } {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = '';
  };
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') {
        field += c;
      } else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoted = false;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      records.push(record);
      record = [];
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length > 0) {
    endField();
    records.push(record);
  }
  return { records, unclosedQuote: quoted };
}

export function parseCodeCsv(content: string, type: CodeType): ParsedCodeFile {
  // A GBK file read as UTF-8 arrives full of U+FFFD; say how to fix it instead of "编码不能为空".
  if (content.includes('\uFFFD')) return fail('不是 UTF-8 编码，请在 Excel 中另存为「CSV UTF-8（逗号分隔）」后重新导入');
  const { records, unclosedQuote } = parseCsv(content);
  if (unclosedQuote) return fail('有未闭合的引号，请检查文件内容');
  return rowsFromTable(
    records.map((cells, i) => ({ row: i + 1, cells })),
    type,
  );
}

export async function parseCodeXlsx(bytes: Uint8Array, type: CodeType): Promise<ParsedCodeFile> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its input as an ArrayBuffer; a copy gives one without a cast.
    await workbook.xlsx.load(new Uint8Array(bytes).buffer);
  } catch {
    return fail('不是有效的 Excel（.xlsx）文件，请用 Excel 另存为 .xlsx 后重新导入');
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return fail('工作簿中没有工作表');
  if (sheet.rowCount > MAX_IMPORT_ROWS + 1) return tooManyRows();
  const table: Array<{ row: number; cells: string[] }> = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c).value));
    table.push({ row: rowNumber, cells });
  });
  return rowsFromTable(table, type);
}

export function parseCodeFile(file: CodeFile, type: CodeType): Promise<ParsedCodeFile> {
  return file.format === 'csv' ? Promise.resolve(parseCodeCsv(file.content, type)) : parseCodeXlsx(file.bytes, type);
}

/** The first non-blank row is the header; blank rows are skipped (Excel sheets are full of them). */
function rowsFromTable(table: Array<{ row: number; cells: string[] }>, type: CodeType): ParsedCodeFile {
  const nonBlank = table.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const header = nonBlank[0];
  if (!header) return fail('内容为空');
  if (nonBlank.length - 1 > MAX_IMPORT_ROWS) return tooManyRows();

  const index = new Map<Column, number>();
  header.cells.forEach((cell, i) => {
    const name = cell.trim().toLowerCase();
    const column = (Object.keys(COLUMNS) as Column[]).find((c) => (COLUMNS[c].headers as readonly string[]).includes(name));
    if (column && !index.has(column)) index.set(column, i);
  });
  const missing = REQUIRED_COLUMNS[type].filter((c) => !index.has(c));
  if (missing.length > 0) {
    return {
      rows: [],
      issues: missing.map((c) => issue(header.row, COLUMNS[c].label, `缺少这一列（表头可写 ${COLUMNS[c].headers.join(' 或 ')}）`)),
    };
  }
  const data = nonBlank.slice(1);
  if (data.length === 0) return fail('只有表头，没有数据行');

  const get = (cells: string[], c: Column) => {
    const i = index.get(c);
    return i === undefined ? '' : (cells[i] ?? '');
  };
  const rows = data.map(({ row, cells }) => ({
    row,
    code: get(cells, 'code'),
    name: get(cells, 'name'),
    level: get(cells, 'level'),
    kind: get(cells, 'kind'),
    governmentCode: get(cells, 'governmentCode'),
  }));
  return { rows, issues: [] };
}

/** What a cell shows: codes typed as numbers, rich text, formulas' results, hyperlinks' text. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value !== 'object') return String(value);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const result = value.result;
    return result === undefined || (typeof result === 'object' && !(result instanceof Date)) ? '' : cellText(result);
  }
  if ('text' in value) return typeof value.text === 'string' ? value.text : cellText(value.text);
  return ''; // an error value such as #N/A
}

function fail(message: string): ParsedCodeFile {
  return { rows: [], issues: [issue(0, FILE, message)] };
}

function tooManyRows(): ParsedCodeFile {
  return fail(`数据行超过 ${MAX_IMPORT_ROWS} 行，请分批导入`);
}
