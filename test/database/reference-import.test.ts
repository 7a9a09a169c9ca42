import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { PROJECT_ROOT } from '../../server/config';
import type { Db } from '../../server/db';
import { CodeImportError, importCodeFile, listFunctionalCodes, type CodeFile, type CodeType } from '../../server/reference';
import { openFreshDatabase } from '../support/system';

/** Code-table imports on the real database: all rows or none. */
describe('code table import', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const seedFile = (name: string): CodeFile => ({
    format: 'csv',
    content: fs.readFileSync(path.join(PROJECT_ROOT, 'seeds', name), 'utf8'),
  });
  const count = async (table: string, year: number) =>
    Number(((await db(table).where('fiscal_year', year).count({ n: '*' }).first()) as { n: number }).n);
  const refused = async (type: CodeType, year: number, file: CodeFile) => {
    const err = await importCodeFile(db, { type, year, file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodeImportError);
    return (err as CodeImportError).issues.map((i) => [i.row, i.column, i.message]);
  };

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  test('the real CSVs import completely; importing them again changes nothing', async () => {
    expect(await importCodeFile(db, { type: 'functional', year: 2026, file: seedFile('functional-codes.csv') })).toEqual({
      type: 'functional',
      year: 2026,
      inserted: 40,
      updated: 0,
      unchanged: 0,
    });
    expect(await importCodeFile(db, { type: 'economic', year: 2026, file: seedFile('economic-codes.csv') })).toEqual({
      type: 'economic',
      year: 2026,
      inserted: 61,
      updated: 0,
      unchanged: 0,
    });
    expect(await count('functional_codes', 2026)).toBe(40);
    const row = await db('economic_codes').where({ fiscal_year: 2026, kind: 'department', code: '30211' }).first();
    expect(row).toMatchObject({ name: '差旅费', level: '款', parent_code: '302', government_code: '50201' });
    expect((await importCodeFile(db, { type: 'functional', year: 2026, file: seedFile('functional-codes.csv') })).unchanged).toBe(40);
  });

  test('a later file adds children of stored codes and renames in place, keeping ids', async () => {
    const before = await db('functional_codes').where({ fiscal_year: 2026, code: '205' }).first('id');
    const csv = '编码,名称,级次\n205,教育支出（新）,类\n2050299,其他普通教育支出,项\n';
    expect(await importCodeFile(db, { type: 'functional', year: 2026, file: { format: 'csv', content: csv } })).toEqual({
      type: 'functional',
      year: 2026,
      inserted: 1,
      updated: 1,
      unchanged: 0,
    });
    expect(await db('functional_codes').where({ fiscal_year: 2026, code: '205' }).first('id', 'name')).toEqual({
      id: before.id,
      name: '教育支出（新）',
    });
    expect((await listFunctionalCodes(db, { year: 2026, parent: '20502' })).map((c) => c.code)).toContain('2050299');
  });

  test('a malformed file writes nothing and reports every row and column', async () => {
    const csv = [
      'code,name,level',
      '301,好的类,类', // row 2: fine on its own
      '3010,长度不对,款', // row 3
      '30201,没有上级,款', // row 4: 302 is neither in the file nor stored for 2028
      '301,重复,类', // row 5
      '30101,,款', // row 6
    ].join('\n');
    expect(await refused('functional', 2028, { format: 'csv', content: csv })).toEqual([
      [3, '编码', '第 3 行，编码：级次为“款”的编码应为 5 位数字'],
      [4, '编码', '第 4 行，编码：上级编码 302 不存在（本次导入和已有科目中都没有）'],
      [5, '编码', '第 5 行，编码：与第 2 行重复'],
      [6, '名称', '第 6 行，名称：不能为空'],
    ]);
    expect(await count('functional_codes', 2028)).toBe(0);
  });

  test('an economic file whose department code maps to a missing government code writes nothing', async () => {
    const csv =
      'code,name,kind,level,government_code\n509,对个人和家庭的补助,government,类,\n303,对个人和家庭的补助,department,类,509\n30399,其他,department,款,50999\n';
    expect(await refused('economic', 2028, { format: 'csv', content: csv })).toEqual([
      [4, '政府经济分类', '第 4 行，政府经济分类：政府经济分类 50999 不存在（本次导入和已有科目中都没有）'],
    ]);
    expect(await count('economic_codes', 2028)).toBe(0);
  });

  test('.xlsx: the first sheet with Chinese headers imports; bytes that are not .xlsx are refused with nothing written', async () => {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('功能分类');
    sheet.addRows([
      ['编码', '名称', '级次'],
      [205, '教育支出', '类'],
      [20502, '普通教育', '款'],
      [2050203, '初中教育', '项'],
    ]);
    const bytes = new Uint8Array(await wb.xlsx.writeBuffer());
    expect(await importCodeFile(db, { type: 'functional', year: 2029, file: { format: 'xlsx', bytes } })).toMatchObject({ inserted: 3 });

    expect(await refused('functional', 2030, { format: 'xlsx', bytes: bytes.slice(0, 200) })).toEqual([
      [0, '文件', '文件：不是有效的 Excel（.xlsx）文件，请用 Excel 另存为 .xlsx 后重新导入'],
    ]);
    expect(await count('functional_codes', 2030)).toBe(0);
  });

  test('inside a caller’s transaction, a refused import rolls back the whole use case', async () => {
    const useCase = db.transaction(async (trx) => {
      await importCodeFile(trx, {
        type: 'functional',
        year: 2031,
        file: { format: 'csv', content: 'code,name,level\n201,一般公共服务支出,类\n' },
      });
      await importCodeFile(trx, {
        type: 'functional',
        year: 2031,
        file: { format: 'csv', content: 'code,name,level\n20101,人大事务,项\n' },
      });
    });
    await expect(useCase).rejects.toBeInstanceOf(CodeImportError);
    expect(await count('functional_codes', 2031)).toBe(0);
  });
});
