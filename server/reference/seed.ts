import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { z } from 'zod';
import { PROJECT_ROOT } from '../config';
import { parseCsv } from './code-files';
import { importCodeFile, type ImportResult } from './code-tables';
import { createOrganisation, DIVISION_TYPES, ORGANISATION_KINDS } from './organisations';
import { REGION_LEVELS } from './regions';
import { inTransaction } from './transaction';

/**
 * Reference data for a fresh installation and for demos: regions, the code tables of one fiscal
 * year and a demo organisation tree for two provinces, all read from seeds/ (copies of
 * ../shared/data, which is not on every machine). Idempotent: what exists is left as it is, so a
 * second run changes nothing and an administrator's later renames survive a re-run.
 */

export const SEEDS_DIR = path.join(PROJECT_ROOT, 'seeds');

export interface SeedResult {
  regionsInserted: number;
  functional: ImportResult;
  economic: ImportResult;
  organisationsInserted: number;
}

const demoFile = z.object({
  organisations: z.array(
    z
      .object({
        code: z.string(),
        name: z.string(),
        kind: z.enum(ORGANISATION_KINDS),
        region: z.string(),
        parent: z.string().nullable(),
        divisionType: z.enum(DIVISION_TYPES).optional(),
      })
      .strict(),
  ),
});

export async function seedReferenceData(db: Knex, options: { year: number; dir?: string }): Promise<SeedResult> {
  const dir = options.dir ?? SEEDS_DIR;
  const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  return inTransaction(db, async (trx) => {
    const regionsInserted = await seedRegions(trx, read('regions.csv'));
    const functional = await importCodeFile(trx, {
      type: 'functional',
      year: options.year,
      file: { format: 'csv', content: read('functional-codes.csv') },
    });
    const economic = await importCodeFile(trx, {
      type: 'economic',
      year: options.year,
      file: { format: 'csv', content: read('economic-codes.csv') },
    });
    const organisationsInserted = await seedOrganisations(trx, demoFile.parse(JSON.parse(read('demo-organisations.json'))).organisations);
    return { regionsInserted, functional, economic, organisationsInserted };
  });
}

async function seedRegions(trx: Knex.Transaction, csv: string): Promise<number> {
  const [header, ...records] = parseCsv(csv).records.filter((r) => r.some((c) => c.trim() !== ''));
  if (header?.join(',') !== 'code,name,level,parent') throw new Error('seeds/regions.csv: 表头应为 code,name,level,parent');
  const rank = (level: string) => (REGION_LEVELS as readonly string[]).indexOf(level);
  const rows = records.map(([code = '', name = '', level = '', parent = '']) => {
    if (!/^\d{6}$/.test(code) || rank(level) < 0) throw new Error(`seeds/regions.csv: 无效的行 ${code},${name},${level}`);
    return { code, name, level, parent_code: parent || null };
  });
  const existing = new Set(((await trx('regions').select('code')) as Array<{ code: string }>).map((r) => r.code));
  // Parents before children, for the parent_code foreign key.
  const missing = rows.filter((r) => !existing.has(r.code)).sort((a, b) => rank(a.level) - rank(b.level));
  for (let i = 0; i < missing.length; i += 500) await trx('regions').insert(missing.slice(i, i + 500));
  return missing.length;
}

async function seedOrganisations(trx: Knex.Transaction, orgs: z.infer<typeof demoFile>['organisations']): Promise<number> {
  const idByCode = new Map(
    ((await trx('organisations').select('id', 'code')) as Array<{ id: number; code: string }>).map((r) => [r.code, Number(r.id)]),
  );
  let inserted = 0;
  for (const o of orgs) {
    if (idByCode.has(o.code)) continue;
    const parentId = o.parent === null ? null : idByCode.get(o.parent);
    if (parentId === undefined) throw new Error(`seeds/demo-organisations.json: ${o.code} 的上级 ${o.parent} 应排在它前面`);
    const created = await createOrganisation(trx, {
      code: o.code,
      name: o.name,
      kind: o.kind,
      regionCode: o.region,
      parentId,
      divisionType: o.divisionType ?? null,
    });
    idByCode.set(o.code, created.id);
    inserted++;
  }
  return inserted;
}
