import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { PROJECT_ROOT } from '../../server/config';
import {
  parseCodeCsv,
  parseCodeXlsx,
  parseCsv,
  parentOf,
  validateCodeRows,
  type ExistingCodes,
  type RawCodeRow,
} from '../../server/reference';

const none: ExistingCodes = { keys: new Set(), governmentCodes: new Set() };
const row = (n: number, code: string, name: string, level: string, kind = '', governmentCode = ''): RawCodeRow => ({
  row: n,
  code,
  name,
  level,
  kind,
  governmentCode,
});
const messages = (r: { issues: Array<{ message: string }> }) => r.issues.map((i) => i.message);

describe('CSV reading', () => {
  test('quoted fields keep commas, doubled quotes and line breaks; CRLF and a BOM are accepted', () => {
    const { records, unclosedQuote } = parseCsv('\uFEFFcode,name\r\n201,"一般公共服务支出,含""人大"""\r\n202,"多\n行"\n');
    expect(unclosedQuote).toBe(false);
    expect(records).toEqual([
      ['code', 'name'],
      ['201', '一般公共服务支出,含"人大"'],
      ['202', '多\n行'],
    ]);
  });

  test('an unclosed quote is reported, not silently swallowed', () => {
    expect(parseCsv('code,name\n201,"未闭合\n').unclosedQuote).toBe(true);
    expect(messages(parseCodeCsv('code,name,level\n201,"未闭合,类\n', 'functional'))).toEqual(['文件：有未闭合的引号，请检查文件内容']);
  });

  test('the shared data files parse with their row numbers (header = row 1)', () => {
    const content = fs.readFileSync(path.join(PROJECT_ROOT, 'seeds', 'functional-codes.csv'), 'utf8');
    const parsed = parseCodeCsv(content, 'functional');
    expect(parsed.issues).toEqual([]);
    expect(parsed.rows[0]).toEqual(row(2, '201', '一般公共服务支出', '类'));
    expect(validateCodeRows('functional', parsed.rows, none).issues).toEqual([]);
  });

  test('Chinese headers work, extra columns are ignored, blank lines are skipped', () => {
    const parsed = parseCodeCsv('\uFEFF编码,名称,级次,备注\n205,教育支出,类,x\n\n20502,普通教育,款,\n', 'functional');
    expect(parsed.issues).toEqual([]);
    expect(parsed.rows.map((r) => [r.row, r.code, r.name, r.level])).toEqual([
      [2, '205', '教育支出', '类'],
      [4, '20502', '普通教育', '款'],
    ]);
  });

  test('a missing column is reported on the header row; an economic file needs 类型 and 政府经济分类', () => {
    expect(messages(parseCodeCsv('code,name\n201,x\n', 'functional'))).toEqual(['第 1 行，级次：缺少这一列（表头可写 level 或 级次）']);
    expect(parseCodeCsv('code,name,level\n301,x,类\n', 'economic').issues.map((i) => i.column)).toEqual(['类型', '政府经济分类']);
  });

  test('an empty file, a header without data and a GBK file read as UTF-8 each get a plain message', () => {
    expect(messages(parseCodeCsv('', 'functional'))).toEqual(['文件：内容为空']);
    expect(messages(parseCodeCsv('code,name,level\n', 'functional'))).toEqual(['文件：只有表头，没有数据行']);
    expect(messages(parseCodeCsv('code,name,level\n201,\uFFFD\uFFFD,类\n', 'functional'))[0]).toContain('不是 UTF-8 编码');
  });
});

describe('functional code rules (类/款/项 = 3/5/7 digits)', () => {
  test('the parent of a code is its prefix', () => {
    expect(parentOf('205')).toBeNull();
    expect(parentOf('20502')).toBe('205');
    expect(parentOf('2050203')).toBe('20502');
  });

  test('valid rows come back with their level and parent', () => {
    const r = validateCodeRows(
      'functional',
      [row(2, '205', '教育支出', '类'), row(3, '20502', '普通教育', '款'), row(4, '2050203', '初中教育', '项')],
      none,
    );
    expect(r.issues).toEqual([]);
    expect(r.rows).toEqual([
      { code: '205', name: '教育支出', level: '类', parentCode: null, kind: null, governmentCode: null },
      { code: '20502', name: '普通教育', level: '款', parentCode: '205', kind: null, governmentCode: null },
      { code: '2050203', name: '初中教育', level: '项', parentCode: '20502', kind: null, governmentCode: null },
    ]);
  });

  test('code length must match the level; every row and column is reported, in Chinese', () => {
    const r = validateCodeRows(
      'functional',
      [
        row(2, '205', '教育支出', '类'),
        row(3, '2050', '普通教育', '款'),
        row(4, '20502', '', '节'),
        row(5, '', '小学', '项'),
        row(12, '2050x', '乱码', '款'),
      ],
      none,
    );
    expect(r.rows).toEqual([]);
    expect(r.issues.map((i) => [i.row, i.column])).toEqual([
      [3, '编码'],
      [4, '名称'],
      [4, '级次'],
      [5, '编码'],
      [12, '编码'],
    ]);
    expect(r.issues[0]!.message).toBe('第 3 行，编码：级次为“款”的编码应为 5 位数字');
    expect(r.issues[2]!.message).toBe('第 4 行，级次：应为 类、款、项 之一');
    expect(r.issues[4]!.message).toBe('第 12 行，编码：级次为“款”的编码应为 5 位数字');
  });

  test('a parent must be in the same import or already stored for the year', () => {
    const rows = [row(2, '20502', '普通教育', '款'), row(3, '2050203', '初中教育', '项')];
    expect(messages(validateCodeRows('functional', rows, none))).toEqual([
      '第 2 行，编码：上级编码 205 不存在（本次导入和已有科目中都没有）',
    ]);
    expect(validateCodeRows('functional', rows, { keys: new Set(['205']), governmentCodes: new Set() }).issues).toEqual([]);
  });

  test('a duplicate code names the row it repeats', () => {
    const r = validateCodeRows('functional', [row(2, '205', '教育支出', '类'), row(3, '205', '教育', '类')], none);
    expect(messages(r)).toEqual(['第 3 行，编码：与第 2 行重复']);
  });
});

describe('economic code rules (类/款 = 3/5 digits, 部门 → 政府 mapping)', () => {
  const base = [
    row(2, '502', '机关商品和服务支出', '类', 'government'),
    row(3, '50201', '办公经费', '款', 'government'),
    row(4, '302', '商品和服务支出', '类', 'department', '502'),
  ];

  test('a department code maps to a government code of the import or the table; 部门/政府 are accepted as kinds', () => {
    const r = validateCodeRows('economic', [...base, row(5, '30211', '差旅费', '款', '部门', '50201')], none);
    expect(r.issues).toEqual([]);
    expect(r.rows[3]).toEqual({
      code: '30211',
      name: '差旅费',
      level: '款',
      parentCode: '302',
      kind: 'department',
      governmentCode: '50201',
    });
    const later = validateCodeRows('economic', [row(2, '30211', '差旅费', '款', 'department', '50201')], {
      keys: new Set(['department:302']),
      governmentCodes: new Set(['50201']),
    });
    expect(later.issues).toEqual([]);
  });

  test('the mapping is required for department codes, must exist, and is refused on government codes', () => {
    const r = validateCodeRows(
      'economic',
      [
        ...base,
        row(5, '30201', '办公费', '款', 'department', ''),
        row(6, '30211', '差旅费', '款', 'department', '50999'),
        row(7, '50202', '会议费', '款', 'government', '50201'),
      ],
      none,
    );
    expect(messages(r)).toEqual([
      '第 5 行，政府经济分类：部门经济分类必须填写对应的政府经济分类编码',
      '第 6 行，政府经济分类：政府经济分类 50999 不存在（本次导入和已有科目中都没有）',
      '第 7 行，政府经济分类：政府经济分类本身不对应其他编码，应留空',
    ]);
  });

  test('项 is not an economic level, the kind must be known, and the same code may exist once per kind', () => {
    const r = validateCodeRows(
      'economic',
      [
        ...base,
        row(5, '3021101', '差旅费', '项', 'department', '50201'),
        row(6, '303', '补助', '类', 'other', '509'),
        row(7, '302', '重复', '类', 'department', '502'),
      ],
      none,
    );
    expect(messages(r)).toEqual([
      '第 5 行，级次：应为 类、款 之一',
      '第 6 行，类型：应为 部门（department）或 政府（government）',
      '第 7 行，编码：与第 4 行重复',
    ]);
  });
});

describe('.xlsx reading (first sheet)', () => {
  async function xlsx(rows: unknown[][], extraSheet = false): Promise<Uint8Array> {
    const wb = new ExcelJS.Workbook();
    const sheet = wb.addWorksheet('科目');
    for (const r of rows) sheet.addRow(r);
    if (extraSheet) wb.addWorksheet('说明').addRow(['不读这一页']);
    return new Uint8Array(await wb.xlsx.writeBuffer());
  }

  test('Chinese headers, codes typed as numbers, rich text and formula results become text', async () => {
    const bytes = await xlsx(
      [
        ['编码', '名称', '级次', '类型', '政府经济分类'],
        [302, { richText: [{ text: '商品和' }, { text: '服务支出' }] }, '类', '部门', 502],
        [{ formula: '30200+11', result: 30211 }, '差旅费', '款', 'department', '50201'],
      ],
      true,
    );
    const parsed = await parseCodeXlsx(bytes, 'economic');
    expect(parsed.issues).toEqual([]);
    expect(parsed.rows).toEqual([
      row(2, '302', '商品和服务支出', '类', '部门', '502'),
      row(3, '30211', '差旅费', '款', 'department', '50201'),
    ]);
  });

  test('bytes that are not an .xlsx file are one file-level issue', async () => {
    const parsed = await parseCodeXlsx(new TextEncoder().encode('code,name,level\n201,x,类\n'), 'functional');
    expect(parsed.rows).toEqual([]);
    expect(parsed.issues).toEqual([
      { row: 0, column: '文件', field: '文件', message: '文件：不是有效的 Excel（.xlsx）文件，请用 Excel 另存为 .xlsx 后重新导入' },
    ]);
  });
});
