import type { Knex } from 'knex';
import { normaliseForComparison } from '../../domain/projects';
import { AppError, issuesFromZod } from '../errors';
import {
  cellCategory,
  cellCode,
  cellDate,
  cellDirection,
  cellFen,
  cellSubType,
  cellText,
  cellYear,
  type CellContent,
  type Converted,
} from './import-cells';
import { AMOUNT_SHEET, DATA_SHEETS, PROJECT_SHEET, TARGET_SHEET, type ColumnSpec, type SheetSpec } from './import-template';
import { importIssue, ProjectImportError, readImportWorkbook, type ProjectImportIssue, type SheetRow } from './import-workbook';
import { newProjectSchema, type NewProject } from './schemas';
import { createProject, type Actor } from './service';

/**
 * 项目批量导入 (templates/project-import.md): one workbook, all or nothing. Every row is converted
 * cell by cell (import-cells.ts), every assembled project is checked by newProjectSchema (the
 * API's own schema, so both refuse the same things with the same words), the units against the
 * importer's data scope, and the codes by createProject itself, all in one transaction. Any
 * problem anywhere rolls everything back and is reported by sheet, row and column.
 */

export const MAX_REPORTED_ISSUES = 200;
const MAX_SEQ_LENGTH = 50;

export interface ImportContext {
  actor: Actor;
  /** The unit a row without 申报单位编码 is filed for: the importer's own organisation. */
  ownOrgId: number;
  /** Subquery of the organisation ids the importer may file for (auth scopeOrgIds). */
  scopeOrgIds: Knex.QueryBuilder;
  /** Named on each project's timeline. */
  fileName: string;
}

export interface ImportedProject {
  /** The 项目 sheet row it came from. */
  row: number;
  id: number;
  projectNo: string;
  name: string;
  totalAmountFen: number;
  /** Likely duplicates flagged for it (other applications of the unit and year, this file's included). */
  duplicates: number;
}

/** A project as assembled from its rows, before the schema has looked at it. */
interface Draft {
  row: number;
  seq: string;
  fields: Record<string, unknown>;
  unitCode: string | undefined;
  amounts: Array<Record<string, unknown>>;
  amountRows: number[];
  targets: Array<Record<string, unknown>>;
  targetRows: number[];
  problems: number;
  input?: NewProject & { unitOrgId: number };
}

// Schema field → template column, for mapping zod's paths back to cells.
const PROJECT_FIELD_COLUMN: Record<string, string> = {
  name: 'name',
  fiscalYear: 'fiscalYear',
  category: 'category',
  subType: 'subType',
  functionalCode: 'functionalCode',
  startDate: 'startDate',
  endDate: 'endDate',
  description: 'description',
  basis: 'basis',
  unitOrgId: 'unitCode',
};
const AMOUNT_FIELD_COLUMN: Record<string, string> = { economicCode: 'economicCode', amountFen: 'amount', note: 'note' };
const TARGET_FIELD_COLUMN: Record<string, string> = {
  level1: 'level1',
  level2: 'level2',
  name: 'name',
  direction: 'direction',
  targetValue: 'targetValue',
  unit: 'unit',
};

export async function importProjects(db: Knex, ctx: ImportContext, bytes: Uint8Array): Promise<ImportedProject[]> {
  const workbook = await readImportWorkbook(bytes);
  const report = new IssueReport();

  const drafts = assembleProjects(workbook.projects, report);
  const bySeq = new Map(drafts.map((d) => [d.seq, d]));
  attachLines(workbook.amounts, AMOUNT_SHEET, bySeq, report, (d, r, cells) => {
    d.amounts.push({
      economicCode: report.take(AMOUNT_SHEET, r, 'economicCode', cellCode(cells.economicCode!), d),
      amountFen: report.take(AMOUNT_SHEET, r, 'amount', cellFen(cells.amount!), d),
      note: report.take(AMOUNT_SHEET, r, 'note', cellText(cells.note!), d),
    });
    d.amountRows.push(r);
  });
  attachLines(workbook.targets, TARGET_SHEET, bySeq, report, (d, r, cells) => {
    const text = (key: string) => report.take(TARGET_SHEET, r, key, cellText(cells[key]!), d);
    d.targets.push({
      level1: text('level1'),
      level2: text('level2'),
      name: text('name'),
      direction: report.take(TARGET_SHEET, r, 'direction', cellDirection(cells.direction!), d),
      targetValue: text('targetValue'),
      unit: text('unit'),
    });
    d.targetRows.push(r);
  });

  await resolveUnits(db, ctx, drafts, report);
  for (const d of drafts) validateDraft(d, report);
  refuseSameNames(drafts, report);

  return db.transaction(async (trx) => {
    const created: ImportedProject[] = [];
    for (const d of drafts) {
      // Projects that already failed are not tried; the others are, so that unknown codes of
      // every row are reported at once. Nothing is kept unless every project passes.
      if (d.problems > 0 || !d.input) continue;
      try {
        const p = await createProject(trx, ctx.actor, d.input, {
          event: { kind: 'imported', note: `从 Excel 文件「${ctx.fileName}」导入（「${PROJECT_SHEET.name}」表第 ${d.row} 行）` },
        });
        created.push({ row: d.row, id: p.id, projectNo: p.projectNo, name: p.name, totalAmountFen: p.totalAmountFen, duplicates: 0 });
      } catch (e) {
        if (!(e instanceof AppError) || e.status >= 500) throw e;
        report.serviceError(d, e);
      }
    }
    if (report.count > 0) throw report.failure();
    const counts = await duplicateCounts(
      trx,
      created.map((c) => c.id),
    );
    return created.map((c) => ({ ...c, duplicates: counts.get(c.id) ?? 0 }));
  });
}

/** Collects issues, remembers which cells already have one, and counts them per project. */
class IssueReport {
  private readonly issues: Array<ProjectImportIssue & { order: number }> = [];
  private readonly flagged = new Set<string>();
  private readonly seen = new Set<string>();

  get count(): number {
    return this.issues.length;
  }

  add(sheet: SheetSpec, row: number, key: string, message: string, draft: Draft | null): void {
    const column = columnHeader(sheet, key);
    const id = `${sheet.name}|${row}|${column}`;
    if (this.seen.has(`${id}|${message}`)) return;
    this.seen.add(`${id}|${message}`);
    this.flagged.add(id);
    const order =
      DATA_SHEETS.indexOf(sheet as (typeof DATA_SHEETS)[number]) * 1e9 +
      row * 100 +
      Math.max(
        0,
        sheet.columns.findIndex((c) => c.key === key),
      );
    this.issues.push({ ...importIssue(sheet.name, row, column, message), order });
    if (draft) draft.problems++;
  }

  /** A converted cell's value, or undefined after reporting why it does not convert. */
  take<T>(sheet: SheetSpec, row: number, key: string, converted: Converted<T>, draft: Draft | null): T | undefined {
    if (converted.ok) return converted.value;
    this.add(sheet, row, key, converted.message, draft);
    return undefined;
  }

  /** A schema issue on a cell whose conversion already failed says nothing new. */
  isFlagged(sheet: SheetSpec, row: number, key: string): boolean {
    return this.flagged.has(`${sheet.name}|${row}|${columnHeader(sheet, key)}`);
  }

  /** The service's refusals (UNKNOWN_CODE, NOT_AN_APPLICANT …) carry field paths like the schema's. */
  serviceError(d: Draft, e: AppError): void {
    if (!e.details?.length) {
      this.add(PROJECT_SHEET, d.row, 'seq', e.message, d);
      return;
    }
    for (const detail of e.details) this.atPath(d, detail.field.split('.'), detail.message);
  }

  /** Maps a schema path (amounts.1.amountFen) to the sheet, row and column it came from. */
  atPath(d: Draft, path: string[], message: string): void {
    const [head, index, field] = path;
    const place = ((): [SheetSpec, number, string] => {
      if (head === 'amounts' && index !== undefined && d.amountRows[Number(index)] !== undefined)
        return [AMOUNT_SHEET, d.amountRows[Number(index)]!, AMOUNT_FIELD_COLUMN[field ?? ''] ?? 'seq'];
      if (head === 'targets' && index !== undefined && d.targetRows[Number(index)] !== undefined)
        return [TARGET_SHEET, d.targetRows[Number(index)]!, TARGET_FIELD_COLUMN[field ?? ''] ?? 'seq'];
      if (head === 'amounts') message = `${message}（「${AMOUNT_SHEET.name}」表中序号为 ${d.seq} 的行）`;
      if (head === 'targets') message = `${message}（「${TARGET_SHEET.name}」表中序号为 ${d.seq} 的行）`;
      return [PROJECT_SHEET, d.row, PROJECT_FIELD_COLUMN[head ?? ''] ?? 'seq'];
    })();
    if (!this.isFlagged(...place)) this.add(...place, message, d);
  }

  failure(): ProjectImportError {
    const sorted = [...this.issues].sort((a, b) => a.order - b.order).map(({ order: _order, ...issue }) => issue);
    const more = sorted.length - MAX_REPORTED_ISSUES;
    const message = `导入文件有 ${sorted.length} 处错误，未导入任何项目，请修改后重新导入${more > 0 ? `（以下列出前 ${MAX_REPORTED_ISSUES} 处，另有 ${more} 处未列出）` : ''}`;
    return new ProjectImportError('IMPORT_FAILED', message, sorted.slice(0, MAX_REPORTED_ISSUES));
  }
}

function columnHeader(sheet: SheetSpec, key: string): string {
  return (sheet.columns as readonly ColumnSpec[]).find((c) => c.key === key)?.header ?? '';
}

/** 序号 as a key: full-width made half-width, 01 and 1 the same. */
function seqOf(sheet: SheetSpec, r: SheetRow, report: IssueReport, draft: Draft | null): string | undefined {
  const text = report.take(sheet, r.row, 'seq', cellText(r.cells.seq!), draft);
  if (text === undefined) {
    if (r.cells.seq!.kind === 'blank') report.add(sheet, r.row, 'seq', '必填项', draft);
    return undefined;
  }
  const key = text
    .normalize('NFKC')
    .trim()
    .replace(/^0+(?=\d)/, '');
  if (key.length > MAX_SEQ_LENGTH) {
    report.add(sheet, r.row, 'seq', `不能超过 ${MAX_SEQ_LENGTH} 个字符`, draft);
    return undefined;
  }
  return key;
}

function assembleProjects(rows: SheetRow[], report: IssueReport): Draft[] {
  const drafts: Draft[] = [];
  const firstRowOfSeq = new Map<string, number>();
  for (const r of rows) {
    const d: Draft = {
      row: r.row,
      seq: '',
      fields: {},
      unitCode: undefined,
      amounts: [],
      amountRows: [],
      targets: [],
      targetRows: [],
      problems: 0,
    };
    const seq = seqOf(PROJECT_SHEET, r, report, d);
    if (seq !== undefined) {
      const first = firstRowOfSeq.get(seq);
      if (first !== undefined) report.add(PROJECT_SHEET, r.row, 'seq', `与第 ${first} 行的序号重复`, d);
      else firstRowOfSeq.set(seq, r.row);
      d.seq = first === undefined ? seq : '';
    }
    const c = r.cells;
    const take = <T>(key: string, converted: Converted<T>) => report.take(PROJECT_SHEET, r.row, key, converted, d);
    d.fields = {
      name: take('name', cellText(c.name!)),
      fiscalYear: take('fiscalYear', cellYear(c.fiscalYear!)),
      category: take('category', cellCategory(c.category!)),
      subType: take('subType', cellSubType(c.subType!)),
      functionalCode: take('functionalCode', cellCode(c.functionalCode!)),
      startDate: take('startDate', cellDate(c.startDate!)),
      endDate: take('endDate', cellDate(c.endDate!)),
      description: take('description', cellText(c.description!)),
      basis: take('basis', cellText(c.basis!)),
    };
    d.unitCode = take('unitCode', cellText(c.unitCode!));
    drafts.push(d);
  }
  return drafts;
}

/** Amount and target rows, each attached to the project its 序号 names. */
function attachLines(
  rows: SheetRow[],
  sheet: SheetSpec,
  bySeq: Map<string, Draft>,
  report: IssueReport,
  add: (d: Draft, row: number, cells: Record<string, CellContent>) => void,
): void {
  for (const r of rows) {
    const seq = seqOf(sheet, r, report, null);
    if (seq === undefined) continue;
    const d = seq === '' ? undefined : bySeq.get(seq);
    if (!d) {
      report.add(sheet, r.row, 'seq', `「${PROJECT_SHEET.name}」表中没有序号为 ${seq} 的项目`, null);
      continue;
    }
    add(d, r.row, r.cells);
  }
}

/**
 * 申报单位编码 → organisation id, within the importer's data scope. A unit that does not exist and
 * one outside the scope get the same answer, as the API's 404 does: the file cannot probe which
 * organisations exist.
 */
async function resolveUnits(db: Knex, ctx: ImportContext, drafts: Draft[], report: IssueReport): Promise<void> {
  const codes = [...new Set(drafts.map((d) => d.unitCode).filter((c): c is string => !!c))];
  const idOf = new Map<string, number>();
  for (let i = 0; i < codes.length; i += 500) {
    const rows = (await db('organisations')
      .whereIn('code', codes.slice(i, i + 500))
      .whereIn('id', ctx.scopeOrgIds.clone())
      .select('id', 'code')) as Array<{ id: number; code: string }>;
    for (const r of rows) idOf.set(r.code, Number(r.id));
  }
  for (const d of drafts) {
    if (!d.unitCode) {
      d.fields.unitOrgId = ctx.ownOrgId;
    } else if (idOf.has(d.unitCode)) {
      d.fields.unitOrgId = idOf.get(d.unitCode);
    } else {
      report.add(PROJECT_SHEET, d.row, 'unitCode', `组织机构 ${d.unitCode} 不存在或不在您的数据范围内`, d);
    }
  }
}

function validateDraft(d: Draft, report: IssueReport): void {
  const parsed = newProjectSchema.safeParse({
    ...withoutUndefined(d.fields),
    amounts: d.amounts.map(withoutUndefined),
    targets: d.targets.map(withoutUndefined),
  });
  if (!parsed.success) {
    for (const i of issuesFromZod(parsed.error)) report.atPath(d, i.field.split('.'), i.message);
    return;
  }
  if (d.problems === 0) d.input = { ...parsed.data, unitOrgId: parsed.data.unitOrgId! };
}

/** Blank cells are absent fields, so the schema says 必填项 or applies its default. */
function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Two rows of the file for the same unit and year with the same name are one project typed twice. */
function refuseSameNames(drafts: Draft[], report: IssueReport): void {
  const first = new Map<string, number>();
  for (const d of drafts) {
    const { name, fiscalYear, unitOrgId } = d.fields;
    if (typeof name !== 'string' || !normaliseForComparison(name) || typeof fiscalYear !== 'number' || typeof unitOrgId !== 'number')
      continue;
    const key = `${unitOrgId}|${fiscalYear}|${normaliseForComparison(name)}`;
    const row = first.get(key);
    if (row === undefined) first.set(key, d.row);
    else report.add(PROJECT_SHEET, d.row, 'name', `与第 ${row} 行的项目重名（同一申报单位、同一年度）`, d);
  }
}

async function duplicateCounts(trx: Knex.Transaction, ids: number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const pairs = (await trx('project_duplicates')
      .whereIn('project_id', chunk)
      .orWhereIn('similar_project_id', chunk)
      .select('project_id', 'similar_project_id')) as Array<{ project_id: number; similar_project_id: number }>;
    for (const p of pairs) {
      for (const id of [Number(p.project_id), Number(p.similar_project_id)])
        if (chunk.includes(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}
