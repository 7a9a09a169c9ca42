import ExcelJS from 'exceljs';
import { AppError, type FieldIssue } from '../errors';
import { cellContent, isBlank, type CellContent } from './import-cells';
import { DATA_SHEETS, PROJECT_SHEET, type SheetSpec } from './import-template';

/**
 * Reads an import workbook into rows of cells keyed by the template's columns (import-template.ts),
 * with the row numbers Excel shows. A workbook that does not have the template's shape is refused
 * as a whole (INVALID_FILE, MISSING_SHEET, MISSING_COLUMN, TOO_MANY_ROWS, EMPTY_IMPORT) before any
 * cell is looked at; what is wrong inside the cells is import.ts's business.
 */

/** One problem, where the clerk finds it: sheet, row as Excel numbers it (0: the sheet or file), Chinese column header. */
export interface ProjectImportIssue extends FieldIssue {
  sheet: string;
  row: number;
  column: string;
}

export function importIssue(sheet: string, row: number, column: string, message: string): ProjectImportIssue {
  return { sheet, row, column, field: [sheet, row > 0 ? `第${row}行` : '', column].filter(Boolean).join('/'), message };
}

export class ProjectImportError extends AppError {
  constructor(code: string, message: string, issues: ProjectImportIssue[]) {
    super(400, code, message, issues);
    this.name = 'ProjectImportError';
  }
}

export interface SheetRow {
  row: number;
  cells: Record<string, CellContent>;
}

export interface ImportWorkbook {
  projects: SheetRow[];
  amounts: SheetRow[];
  targets: SheetRow[];
}

/** Parser limits: a bound on what a hostile file can make us build, well above the template's caps. */
const PARSE_MAX_ROWS = 100_000;
const PARSE_MAX_COLUMNS = 200;

export async function readImportWorkbook(bytes: Uint8Array): Promise<ImportWorkbook> {
  const wb = new ExcelJS.Workbook();
  // An .xlsx is a zip: refuse anything else before the parser sees it.
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw invalidFile();
  const options = {
    // A validation or formatting rule over A1:XFD1048576 would be expanded cell by cell on
    // load; the importer needs neither.
    ignoreNodes: ['dataValidations', 'conditionalFormatting', 'extLst'],
    // Passed through to the sheet parser, which then stops at these counts (not in the typings).
    maxRows: PARSE_MAX_ROWS,
    maxCols: PARSE_MAX_COLUMNS,
  };
  try {
    await wb.xlsx.load(new Uint8Array(bytes).buffer, options);
  } catch (e) {
    if (e instanceof Error && /^Max (row|column) count/.test(e.message))
      throw tooManyRows('', `工作表超过 ${PARSE_MAX_ROWS} 行或 ${PARSE_MAX_COLUMNS} 列`);
    throw invalidFile();
  }
  if (wb.worksheets.length === 0) throw invalidFile();

  const sheets = new Map(wb.worksheets.map((ws) => [normalise(ws.name), ws]));
  const missing = DATA_SHEETS.filter((spec) => !sheets.has(normalise(spec.name)));
  if (missing.length) {
    throw new ProjectImportError(
      'MISSING_SHEET',
      `工作簿缺少工作表：${missing.map((s) => `「${s.name}」`).join('、')}。请下载导入模板，在模板中填写后导入`,
      missing.map((s) => importIssue(s.name, 0, '', `缺少工作表「${s.name}」（请勿修改模板中的工作表名称）`)),
    );
  }

  const tables = DATA_SHEETS.map((spec) => readSheet(sheets.get(normalise(spec.name))!, spec));
  const missingColumns = tables.flatMap((t) => t.missing);
  if (missingColumns.length) {
    throw new ProjectImportError(
      'MISSING_COLUMN',
      `缺少必填列：${missingColumns.map((i) => `「${i.sheet}」表的「${i.column}」`).join('、')}`,
      missingColumns,
    );
  }
  for (const [i, spec] of DATA_SHEETS.entries()) {
    if (tables[i]!.rows.length > spec.maxRows)
      throw tooManyRows(spec.name, `「${spec.name}」表有 ${tables[i]!.rows.length} 行数据，每次最多导入 ${spec.maxRows} 行，请分批导入`);
  }
  const [projects, amounts, targets] = tables.map((t) => t.rows) as [SheetRow[], SheetRow[], SheetRow[]];
  if (projects.length === 0) {
    throw new ProjectImportError('EMPTY_IMPORT', '「项目」表没有数据行，未导入任何项目', [
      importIssue(PROJECT_SHEET.name, 0, '', '没有数据行：请从第 2 行起每行填写一个项目'),
    ]);
  }
  return { projects, amounts, targets };
}

/** The first non-blank row is the header; data rows are those with a value in a template column. */
function readSheet(ws: ExcelJS.Worksheet, spec: SheetSpec): { rows: SheetRow[]; missing: ProjectImportIssue[] } {
  let headerRow = 0;
  const columnOf = new Map<string, number>();
  const rows: SheetRow[] = [];
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    if (headerRow === 0) {
      if (!row.hasValues) return;
      headerRow = rowNumber;
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        const text = cellContent(cell.value);
        if (text.kind !== 'text') return;
        const header = normalise(text.text).replace(/^\*|\*$/g, '');
        const match = spec.columns.find((c) => normalise(c.header) === header);
        if (match && !columnOf.has(match.key)) columnOf.set(match.key, col);
      });
      return;
    }
    const cells: Record<string, CellContent> = {};
    let any = false;
    for (const c of spec.columns) {
      const col = columnOf.get(c.key);
      const content: CellContent = col === undefined ? { kind: 'blank' } : cellContent(row.getCell(col).value);
      cells[c.key] = content;
      if (!isBlank(content)) any = true;
    }
    if (any) rows.push({ row: rowNumber, cells });
  });
  const missing = spec.columns
    .filter((c) => !c.optional && !columnOf.has(c.key))
    .map((c) => importIssue(spec.name, headerRow || 1, c.header, `缺少「${c.header}」列（表头应在第一行，请勿修改模板表头）`));
  return { rows, missing };
}

/** Sheet names and headers as typed: full-width brackets and stray spaces do not matter. */
function normalise(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '');
}

function invalidFile(): ProjectImportError {
  return new ProjectImportError('INVALID_FILE', '不是有效的 Excel（.xlsx）文件，请下载导入模板，填写后另存为 .xlsx 再导入', [
    importIssue('', 0, '', '文件无法按 .xlsx 读取'),
  ]);
}

function tooManyRows(sheet: string, message: string): ProjectImportError {
  return new ProjectImportError('TOO_MANY_ROWS', message, [importIssue(sheet, 0, '', message)]);
}
