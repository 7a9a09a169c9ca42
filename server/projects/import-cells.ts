import type ExcelJS from 'exceljs';
import { MoneyError, parseYuan, type Fen } from '../../domain/money';
import {
  CATEGORY_LABELS,
  PROJECT_CATEGORIES,
  PROJECT_SUB_TYPES,
  SUB_TYPE_LABELS,
  type Direction,
  type ProjectCategory,
  type ProjectSubType,
} from '../../domain/projects';
import { describeTextProblem, textProblem } from '../../domain/input-text';

/**
 * What one cell of an import workbook holds, and how it becomes a field of a project. Pure
 * functions: no workbook I/O (import-workbook.ts) and no database (import.ts).
 *
 * A conversion either gives a value or says, in a clerk's words, what is wrong with the cell;
 * everything that converts is then checked by the same zod schema the API uses.
 */

export type CellContent =
  | { kind: 'blank' }
  | { kind: 'text'; text: string }
  | { kind: 'number'; value: number }
  | { kind: 'date'; value: Date }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'error'; text: string }
  /** A formula whose result the file does not carry (written by a program, never opened in Excel). */
  | { kind: 'uncalculated' };

export type Converted<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Converted<T> => ({ ok: true, value });
const bad = <T>(message: string): Converted<T> => ({ ok: false, message });

export function cellContent(value: ExcelJS.CellValue): CellContent {
  if (value === null || value === undefined) return { kind: 'blank' };
  if (typeof value === 'string') return value.trim() === '' ? { kind: 'blank' } : { kind: 'text', text: value };
  if (typeof value === 'number') return { kind: 'number', value };
  if (typeof value === 'boolean') return { kind: 'boolean', value };
  if (value instanceof Date) return { kind: 'date', value };
  if ('richText' in value) return cellContent(value.richText.map((r) => r.text).join(''));
  if ('formula' in value || 'sharedFormula' in value)
    return value.result === undefined ? { kind: 'uncalculated' } : cellContent(value.result);
  if ('error' in value) return { kind: 'error', text: value.error };
  if ('text' in value) return cellContent(value.text);
  return { kind: 'blank' };
}

export function isBlank(c: CellContent): boolean {
  return c.kind === 'blank';
}

/**
 * The decimal a number cell holds, as text, free of binary floating-point artefacts.
 *
 * Excel keeps 15 significant digits of what a person types, but stores binary doubles: 1234.56
 * typed is stored as the double nearest to it, and a formula such as =0.1+0.2 is stored as
 * 0.30000000000000004. Printing the double with 15 significant digits gives back exactly the
 * decimal that was typed (every decimal of at most 15 significant digits survives the round
 * trip through a double), and turns the artefacts back into the value Excel itself shows
 * (0.3). It never drops a digit a person could have typed, so 1234.567 stays 1234.567 and is
 * refused as an amount, not rounded.
 */
export function numberText(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  const text = String(Number(value.toPrecision(15)));
  return /e/i.test(text) ? null : text; // 1e-7 or 1e+21: no budget amount or target looks like this
}

/** A cell as text, whatever its type: what the person typed or sees. */
export function cellText(c: CellContent): Converted<string | undefined> {
  switch (c.kind) {
    case 'blank':
      return ok(undefined);
    case 'text': {
      // The API's edge refuses such text in JSON (server/api/input-hygiene.ts); a workbook's
      // cells arrive inside base64 and are held to the same rule here.
      const problem = textProblem(c.text);
      return problem ? bad(describeTextProblem(problem)) : ok(c.text.trim());
    }
    case 'number': {
      const t = numberText(c.value);
      return t === null ? bad('数值超出可识别的范围') : ok(t);
    }
    case 'date':
      return ok(isoDate(c.value));
    case 'boolean':
      return ok(c.value ? 'TRUE' : 'FALSE');
    case 'error':
      return bad(`单元格是错误值 ${c.text}，请修正公式或直接填写内容`);
    case 'uncalculated':
      return bad('公式没有计算结果，请在 Excel 中打开并保存后再导入');
  }
}

/** Text as clerks type it: full-width digits, letters and signs made half-width (NFKC). */
function normalised(text: string): string {
  return text.normalize('NFKC').trim();
}

/**
 * 金额（元） → fen, exactly (domain/money.ts parseYuan): "1,234.56", "¥1234.5", "1234.56元" or a
 * number cell. More than two decimals is refused, never rounded. A number cell formatted to show
 * two decimals may hold more (1234.567 shown as 1,234.57): the message says so.
 */
export function cellFen(c: CellContent): Converted<Fen | undefined> {
  if (c.kind === 'blank') return ok(undefined);
  if (c.kind === 'number') {
    const text = numberText(c.value);
    if (text === null) return bad('金额超出范围');
    if (/\.\d{3,}$/.test(text))
      return bad(`单元格中的数值是 ${text}，超过两位小数（显示的可能是四舍五入后的值）；请直接填写到分的金额，或用 ROUND(…, 2) 取整`);
    return yuan(text);
  }
  if (c.kind !== 'text') {
    const t = cellText(c);
    return t.ok ? bad('应为金额（元），如 1,234.56') : bad(t.message);
  }
  return yuan(normalised(c.text).replace(/元$/, ''));
}

function yuan(text: string): Converted<Fen> {
  try {
    return ok(parseYuan(text));
  } catch (e) {
    if (e instanceof MoneyError) return bad(e.message);
    throw e;
  }
}

/** 预算年度: 2026, "2026" or "2026年". The range is the schema's business. */
export function cellYear(c: CellContent): Converted<number | undefined> {
  const t = cellText(c);
  if (!t.ok || t.value === undefined) return t as Converted<undefined>;
  const m = /^(\d{4})(?:年(?:度)?)?$/.exec(normalised(t.value));
  return m ? ok(Number(m[1])) : bad('应为四位年份，如 2026');
}

/** A date cell, or text as 2026-03-01, 2026/3/1, 2026.3.1 or 2026年3月1日. */
export function cellDate(c: CellContent): Converted<string | undefined> {
  if (c.kind === 'date') return ok(isoDate(c.value));
  if (c.kind === 'number') return bad('应为日期，如 2026-03-01（单元格中是一个数字）');
  const t = cellText(c);
  if (!t.ok || t.value === undefined) return t;
  const m = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/.exec(normalised(t.value));
  if (!m) return bad('应为日期，如 2026-03-01');
  return ok(`${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`);
}

/** Excel dates arrive as UTC midnight (exceljs reads the serial number as UTC). */
function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A classification code: digits, or digits followed by the code's name ("2050204 高中教育"). */
export function cellCode(c: CellContent): Converted<string | undefined> {
  const t = cellText(c);
  if (!t.ok || t.value === undefined) return t;
  const text = normalised(t.value);
  const m = /^(\d+)\s+\S/.exec(text);
  return ok(m ? m[1]! : text);
}

/** 项目类别: the code (33), the name (其他特定目标类项目) or both ("33 其他特定目标类项目"). */
export function cellCategory(c: CellContent): Converted<ProjectCategory | undefined> {
  const t = cellText(c);
  if (!t.ok || t.value === undefined) return t as Converted<undefined>;
  const text = normalised(t.value);
  for (const code of PROJECT_CATEGORIES) {
    const label = CATEGORY_LABELS[code];
    if (text === code || text === label) return ok(code);
    if (text.startsWith(code) && text.slice(code.length).replace(/^[\s\-—、.:：]+/, '') === label) return ok(code);
  }
  return bad(`应为 ${PROJECT_CATEGORIES.map((code) => `${code} ${CATEGORY_LABELS[code]}`).join('、')} 之一（填编码或名称）`);
}

/** 子类型: the name (牧区) or the key (pastoral); blank for none. */
export function cellSubType(c: CellContent): Converted<ProjectSubType | null | undefined> {
  const t = cellText(c);
  if (!t.ok || t.value === undefined) return t as Converted<undefined>;
  const text = normalised(t.value);
  const found = PROJECT_SUB_TYPES.find((key) => key === text || SUB_TYPE_LABELS[key] === text);
  return found ? ok(found) : bad(`应为 ${PROJECT_SUB_TYPES.map((k) => SUB_TYPE_LABELS[k]).join('、')} 之一，或留空`);
}

const DIRECTION_WORDS: Record<string, Direction> = {
  '≥': '>=',
  '>=': '>=',
  '≧': '>=',
  '≤': '<=',
  '<=': '<=',
  '≦': '<=',
  '=': '=',
  定性: 'qualitative',
  qualitative: 'qualitative',
};

/** 指标方向: ≥ ≤ = 定性 (and >= <=, full-width or not). */
export function cellDirection(c: CellContent): Converted<Direction | undefined> {
  const t = cellText(c);
  if (!t.ok || t.value === undefined) return t as Converted<undefined>;
  const found = DIRECTION_WORDS[normalised(t.value).replace(/\s+/g, '')];
  return found ? ok(found) : bad('应为 ≥、≤、= 或 定性');
}
