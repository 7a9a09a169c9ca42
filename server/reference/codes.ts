import { CODE_TYPES, ECONOMIC_KINDS, type CodeType, type EconomicKind } from '../../domain/reference-codes';
import { AppError, type FieldIssue } from '../errors';

/**
 * Rules of the 政府收支分类科目 tables (domain.md "Classification codes"), as plain functions:
 * what a valid row is, and what is wrong with an invalid one, in words a clerk can fix in Excel.
 * The database side is in code-tables.ts, file parsing in code-files.ts.
 */

export type CodeLevel = '类' | '款' | '项';
export { CODE_TYPES, ECONOMIC_KINDS, type CodeType, type EconomicKind };
export const LEVELS: Record<CodeType, readonly CodeLevel[]> = { functional: ['类', '款', '项'], economic: ['类', '款'] };
const DIGITS_BY_LEVEL: Record<CodeLevel, number> = { 类: 3, 款: 5, 项: 7 };
export const MAX_NAME_LENGTH = 100;
export const MAX_IMPORT_ROWS = 20_000;

/** The columns of an import file; `label` is what users read (and may use as the header). */
export const COLUMNS = {
  code: { label: '编码', headers: ['code', '编码'] },
  name: { label: '名称', headers: ['name', '名称'] },
  level: { label: '级次', headers: ['level', '级次'] },
  kind: { label: '类型', headers: ['kind', '类型'] },
  governmentCode: { label: '政府经济分类', headers: ['government_code', '政府经济分类'] },
} as const;
export type Column = keyof typeof COLUMNS;
export const REQUIRED_COLUMNS: Record<CodeType, readonly Column[]> = {
  functional: ['code', 'name', 'level'],
  economic: ['code', 'name', 'level', 'kind', 'governmentCode'],
};

// Users filling in Excel write 部门/政府 as often as the English keys.
const KIND_WORDS: Record<string, EconomicKind> = {
  department: 'department',
  部门: 'department',
  部门预算: 'department',
  government: 'government',
  政府: 'government',
  政府预算: 'government',
};

/** One data row as read from a file: raw text, and the row number the user sees in the file. */
export interface RawCodeRow {
  row: number;
  code: string;
  name: string;
  level: string;
  kind: string;
  governmentCode: string;
}

/** A row that passed every rule. kind and governmentCode are null for functional codes. */
export interface ValidCodeRow {
  code: string;
  name: string;
  level: CodeLevel;
  parentCode: string | null;
  kind: EconomicKind | null;
  governmentCode: string | null;
}

/** One problem in an import; row 0 means the file as a whole. `field` keeps FieldIssue's shape. */
export interface ImportIssue extends FieldIssue {
  row: number;
  column: string;
}

/** The codes already stored for the year, keyed as codeKey() does. */
export interface ExistingCodes {
  keys: ReadonlySet<string>;
  governmentCodes: ReadonlySet<string>;
}

export function codeKey(kind: EconomicKind | null, code: string): string {
  return kind ? `${kind}:${code}` : code;
}

/** The parent of a code is its prefix: 20502 → 205, 2050203 → 20502; a 类 has none. */
export function parentOf(code: string): string | null {
  return code.length > 3 ? code.slice(0, code.length - 2) : null;
}

export function issue(row: number, column: string, message: string): ImportIssue {
  const where = row > 0 ? `第 ${row} 行，${column}` : column;
  return { row, column, field: column, message: `${where}：${message}` };
}

/** Raised with every issue found; the API answers 400 CODE_IMPORT_INVALID with them as details. */
export class CodeImportError extends AppError {
  constructor(public readonly issues: ImportIssue[]) {
    super(400, 'CODE_IMPORT_INVALID', `导入文件有 ${issues.length} 处错误，未导入任何数据，请修改后重新导入`, issues.slice(0, 500));
    this.name = 'CodeImportError';
  }
}

/**
 * Checks every row before anything is written: format of each cell, 编码 length by 级次, no
 * duplicates, the parent present in this import or already in the year's table, and for a
 * 部门经济分类 a 政府经济分类 that exists. Returns all issues, not just the first.
 */
export function validateCodeRows(
  type: CodeType,
  rows: readonly RawCodeRow[],
  existing: ExistingCodes,
): { rows: ValidCodeRow[]; issues: ImportIssue[] } {
  const issues: ImportIssue[] = [];
  const firstRowOf = new Map<string, number>();
  const candidates: Array<ValidCodeRow & { row: number }> = [];
  const L = (c: Column) => COLUMNS[c].label;

  for (const raw of rows) {
    const before = issues.length;
    const code = raw.code.trim();
    const name = raw.name.trim();
    const levelText = raw.level.trim();
    const levels = LEVELS[type];
    const level = levels.find((l) => l === levelText);

    if (code === '') issues.push(issue(raw.row, L('code'), '不能为空'));
    else if (level && !new RegExp(`^\\d{${DIGITS_BY_LEVEL[level]}}$`).test(code)) {
      issues.push(issue(raw.row, L('code'), `级次为“${level}”的编码应为 ${DIGITS_BY_LEVEL[level]} 位数字`));
    } else if (!level && !/^(\d{3}|\d{5}|\d{7})$/.test(code)) {
      issues.push(issue(raw.row, L('code'), `应为 ${type === 'functional' ? '3、5 或 7' : '3 或 5'} 位数字`));
    }
    if (name === '') issues.push(issue(raw.row, L('name'), '不能为空'));
    else if (name.length > MAX_NAME_LENGTH) issues.push(issue(raw.row, L('name'), `不能超过 ${MAX_NAME_LENGTH} 个字符`));
    if (levelText === '') issues.push(issue(raw.row, L('level'), '不能为空'));
    else if (!level) issues.push(issue(raw.row, L('level'), `应为 ${levels.join('、')} 之一`));

    let kind: EconomicKind | null = null;
    let governmentCode: string | null = null;
    if (type === 'economic') {
      const kindText = raw.kind.trim();
      kind = KIND_WORDS[kindText.toLowerCase()] ?? null;
      if (kindText === '') issues.push(issue(raw.row, L('kind'), '不能为空'));
      else if (!kind) issues.push(issue(raw.row, L('kind'), '应为 部门（department）或 政府（government）'));
      const gov = raw.governmentCode.trim();
      if (kind === 'department') {
        if (gov === '') issues.push(issue(raw.row, L('governmentCode'), '部门经济分类必须填写对应的政府经济分类编码'));
        else if (!/^(\d{3}|\d{5})$/.test(gov)) issues.push(issue(raw.row, L('governmentCode'), '应为 3 或 5 位数字'));
        else governmentCode = gov;
      } else if (kind === 'government' && gov !== '') {
        issues.push(issue(raw.row, L('governmentCode'), '政府经济分类本身不对应其他编码，应留空'));
      }
    }

    if (code !== '' && /^\d+$/.test(code) && (type === 'functional' || kind)) {
      const key = codeKey(kind, code);
      const first = firstRowOf.get(key);
      if (first !== undefined) issues.push(issue(raw.row, L('code'), `与第 ${first} 行重复`));
      else firstRowOf.set(key, raw.row);
    }
    if (issues.length === before && level) {
      candidates.push({ row: raw.row, code, name, level, parentCode: parentOf(code), kind, governmentCode });
    }
  }

  // Second pass: references, now that every code of the import is known. A parent counts as
  // present when its row is in the file even if that row has a problem of its own.
  const governmentInImport = new Set(
    rows.filter((r) => KIND_WORDS[r.kind.trim().toLowerCase()] === 'government').map((r) => r.code.trim()),
  );
  for (const c of candidates) {
    if (c.parentCode) {
      const key = codeKey(c.kind, c.parentCode);
      if (!firstRowOf.has(key) && !existing.keys.has(key)) {
        issues.push(issue(c.row, L('code'), `上级编码 ${c.parentCode} 不存在（本次导入和已有科目中都没有）`));
      }
    }
    if (c.governmentCode && !governmentInImport.has(c.governmentCode) && !existing.governmentCodes.has(c.governmentCode)) {
      issues.push(issue(c.row, L('governmentCode'), `政府经济分类 ${c.governmentCode} 不存在（本次导入和已有科目中都没有）`));
    }
  }

  issues.sort((a, b) => a.row - b.row); // stable: columns stay in reading order within a row
  return { rows: issues.length > 0 ? [] : candidates.map(({ row: _row, ...rest }) => rest), issues };
}
