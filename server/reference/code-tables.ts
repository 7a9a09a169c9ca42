import type { Knex } from 'knex';
import { parseCodeFile, type CodeFile } from './code-files';
import { CodeImportError, codeKey, validateCodeRows, type CodeLevel, type CodeType, type EconomicKind, type RawCodeRow } from './codes';
import { inTransaction } from './transaction';

/** The code tables of a fiscal year: cascading pickers (类 → 款 → 项) and imports. */

export interface FunctionalCode {
  code: string;
  name: string;
  level: CodeLevel;
  parentCode: string | null;
  hasChildren: boolean;
}

export interface EconomicCode extends FunctionalCode {
  kind: EconomicKind;
  governmentCode: string | null;
}

export interface ImportResult {
  type: CodeType;
  year: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

const TABLE: Record<CodeType, string> = { functional: 'functional_codes', economic: 'economic_codes' };

/** The children of `parent` (a 类 or 款), or the 类 when no parent is given, in code order. */
export async function listFunctionalCodes(db: Knex, query: { year: number; parent?: string }): Promise<FunctionalCode[]> {
  const rows = await db('functional_codes as c')
    .select('c.code', 'c.name', 'c.level', 'c.parent_code', childExists(db, 'functional_codes', ['fiscal_year']))
    .where('c.fiscal_year', query.year)
    .modify((q) => (query.parent ? q.where('c.parent_code', query.parent) : q.whereNull('c.parent_code')))
    .orderBy('c.code');
  return rows.map(functionalFromRow);
}

export async function listEconomicCodes(db: Knex, query: { year: number; kind?: EconomicKind; parent?: string }): Promise<EconomicCode[]> {
  const rows = await db('economic_codes as c')
    .select(
      'c.code',
      'c.name',
      'c.level',
      'c.parent_code',
      'c.kind',
      'c.government_code',
      childExists(db, 'economic_codes', ['fiscal_year', 'kind']),
    )
    .where('c.fiscal_year', query.year)
    .modify((q) => {
      if (query.kind) q.where('c.kind', query.kind);
      if (query.parent) q.where('c.parent_code', query.parent);
      else q.whereNull('c.parent_code');
    })
    .orderBy(['c.kind', 'c.code']);
  return rows.map(economicFromRow);
}

/**
 * Every code of a year in tree order (a parent's code is a prefix of its children's, so code
 * order is 类, its 款, their 项, next 类), paginated in SQL: for tree tables and exports.
 */
export async function listFunctionalCodeTable(
  db: Knex,
  query: { year: number },
  page: { page: number; pageSize: number },
): Promise<{ items: FunctionalCode[]; total: number }> {
  const base = db('functional_codes as c').where('c.fiscal_year', query.year);
  const [count] = await base.clone().count({ n: '*' });
  const rows = await base
    .select('c.code', 'c.name', 'c.level', 'c.parent_code', childExists(db, 'functional_codes', ['fiscal_year']))
    .orderBy('c.code')
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
  return { items: rows.map(functionalFromRow), total: Number(count?.n ?? 0) };
}

/** The same for economic codes: 部门 then 政府 (or one kind), each in tree order. */
export async function listEconomicCodeTable(
  db: Knex,
  query: { year: number; kind?: EconomicKind },
  page: { page: number; pageSize: number },
): Promise<{ items: EconomicCode[]; total: number }> {
  const base = db('economic_codes as c').where('c.fiscal_year', query.year);
  if (query.kind) base.where('c.kind', query.kind);
  const [count] = await base.clone().count({ n: '*' });
  const rows = await base
    .select(
      'c.code',
      'c.name',
      'c.level',
      'c.parent_code',
      'c.kind',
      'c.government_code',
      childExists(db, 'economic_codes', ['fiscal_year', 'kind']),
    )
    .orderBy(['c.kind', 'c.code'])
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
  return { items: rows.map(economicFromRow), total: Number(count?.n ?? 0) };
}

/**
 * Validates every row against the rules and the year's stored codes, then writes them all or
 * nothing (CodeImportError lists each problem by row and column). Codes already stored are
 * updated in place (their ids stay, so references survive), codes not in the file are kept:
 * re-importing the same file changes nothing.
 */
export async function importCodes(db: Knex, input: { type: CodeType; year: number; rows: readonly RawCodeRow[] }): Promise<ImportResult> {
  const { type, year } = input;
  const table = TABLE[type];
  return inTransaction(db, async (trx) => {
    const stored = (await trx(table)
      .where('fiscal_year', year)
      .select(type === 'economic' ? ['id', 'code', 'name', 'kind', 'government_code'] : ['id', 'code', 'name'])) as Array<{
      id: number;
      code: string;
      name: string;
      kind?: EconomicKind;
      government_code?: string | null;
    }>;
    const byKey = new Map(stored.map((s) => [codeKey(s.kind ?? null, s.code), s]));
    const governmentCodes = new Set(stored.filter((s) => s.kind === 'government').map((s) => s.code));

    const { rows, issues } = validateCodeRows(type, input.rows, { keys: new Set(byKey.keys()), governmentCodes });
    if (issues.length > 0) throw new CodeImportError(issues);

    const toInsert: Array<Record<string, unknown>> = [];
    let updated = 0;
    for (const r of rows) {
      const existing = byKey.get(codeKey(r.kind, r.code));
      const values = type === 'economic' ? { name: r.name, government_code: r.governmentCode } : { name: r.name };
      if (!existing) {
        toInsert.push({
          fiscal_year: year,
          code: r.code,
          level: r.level,
          parent_code: r.parentCode,
          ...(type === 'economic' ? { kind: r.kind } : {}),
          ...values,
        });
      } else if (existing.name !== r.name || (type === 'economic' && (existing.government_code ?? null) !== r.governmentCode)) {
        await trx(table).where('id', existing.id).update(values);
        updated++;
      }
    }
    // Parents before children: the (year, parent_code) foreign key is checked row by row.
    toInsert.sort((a, b) => String(a.code).length - String(b.code).length || String(a.code).localeCompare(String(b.code)));
    for (let i = 0; i < toInsert.length; i += 500) await trx(table).insert(toInsert.slice(i, i + 500));
    return { type, year, inserted: toInsert.length, updated, unchanged: rows.length - toInsert.length - updated };
  });
}

/** Parses a CSV or .xlsx file and imports it; a file that cannot be read is reported the same way. */
export async function importCodeFile(db: Knex, input: { type: CodeType; year: number; file: CodeFile }): Promise<ImportResult> {
  const parsed = await parseCodeFile(input.file, input.type);
  if (parsed.issues.length > 0) throw new CodeImportError(parsed.issues);
  return importCodes(db, { type: input.type, year: input.year, rows: parsed.rows });
}

interface CodeRow {
  code: string;
  name: string;
  level: CodeLevel;
  parent_code: string | null;
  kind?: string;
  government_code?: string | null;
  has_children: number | boolean;
}

function functionalFromRow(r: CodeRow): FunctionalCode {
  return { code: r.code, name: r.name, level: r.level, parentCode: r.parent_code, hasChildren: Boolean(r.has_children) };
}

function economicFromRow(r: CodeRow): EconomicCode {
  return { ...functionalFromRow(r), kind: r.kind as EconomicKind, governmentCode: r.government_code ?? null };
}

/** has_children for a picker's "leaf" flag, in the same query (no N+1). */
function childExists(db: Knex, table: string, sameColumns: string[]): Knex.Raw {
  const same = sameColumns.map((c) => `k.${c} = c.${c}`).join(' and ');
  return db.raw(`exists (select 1 from ${table} k where ${same} and k.parent_code = c.code) as has_children`);
}
