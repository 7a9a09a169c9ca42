import fc from 'fast-check';
import { issuesFromZod } from '../../server/errors';
import {
  cellCategory,
  cellCode,
  cellContent,
  cellDate,
  cellDirection,
  cellFen,
  cellSubType,
  cellText,
  cellYear,
  numberText,
  type CellContent,
} from '../../server/projects/import-cells';
import { newProjectSchema } from '../../server/projects/schemas';

const text = (t: string): CellContent => ({ kind: 'text', text: t });
const num = (value: number): CellContent => ({ kind: 'number', value });

describe('import cells', () => {
  test('number cells: Excel float artefacts vanish, typed decimals never change', () => {
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(1234.56)).toBe('1234.56');
    expect(numberText(1.234)).toBe('1.234');
    expect(numberText(1e-7)).toBeNull();
    // Every amount of whole fen up to 10^13 yuan survives the trip through a double exactly.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999_999 }), (fen) => {
        const typed = `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
        const r = cellFen(num(Number(typed)));
        expect(r).toEqual({ ok: true, value: fen });
      }),
    );
  });

  test("text cells are held to the API edge rule: a control character or a lone surrogate is the cell's error", () => {
    expect(cellText(text(' 教学楼维修\n二期 '))).toEqual({ ok: true, value: '教学楼维修\n二期' });
    expect(cellText(text('教学\u0007楼'))).toEqual({ ok: false, message: '第 3 个字符是控制字符（U+0007），请删除后重试' });
    expect(cellText(text('\uD800'))).toMatchObject({ ok: false, message: expect.stringContaining('不成对的代理字符') });
  });

  test('amounts: text as clerks type it and number cells become the same fen; more than 2 decimals is an error, never rounded', () => {
    expect(cellFen(text('1,234.56'))).toEqual({ ok: true, value: 123456 });
    expect(cellFen(num(1234.56))).toEqual({ ok: true, value: 123456 });
    expect(cellFen(text('￥１２，０００元'))).toEqual({ ok: true, value: 1_200_000 });
    expect(cellFen(num(0.1 + 0.2))).toEqual({ ok: true, value: 30 });
    expect(cellFen({ kind: 'blank' })).toEqual({ ok: true, value: undefined });
    expect(cellFen(num(1.234))).toMatchObject({ ok: false, message: expect.stringContaining('1.234') });
    expect(cellFen(text('1.234'))).toMatchObject({ ok: false });
    expect(cellFen(text('一千元'))).toMatchObject({ ok: false });
    expect(cellFen(cellContent({ formula: 'A1*2' }))).toMatchObject({ ok: false, message: expect.stringContaining('公式没有计算结果') });
    expect(cellFen(cellContent({ error: '#N/A' }))).toMatchObject({ ok: false, message: expect.stringContaining('#N/A') });
  });

  test('dates, years, codes, categories, sub-types and directions in the spellings the template documents', () => {
    expect(cellDate({ kind: 'date', value: new Date(Date.UTC(2026, 2, 1)) })).toEqual({ ok: true, value: '2026-03-01' });
    for (const t of ['2026-3-1', '2026/03/01', '2026.3.1', '2026年3月1日'])
      expect(cellDate(text(t))).toEqual({ ok: true, value: '2026-03-01' });
    expect(cellDate(text('三月一日'))).toMatchObject({ ok: false });
    expect(cellYear(num(2026))).toEqual({ ok: true, value: 2026 });
    expect(cellYear(text('2026年度'))).toEqual({ ok: true, value: 2026 });
    expect(cellYear(text('26'))).toMatchObject({ ok: false });
    expect(cellCode(text('2050204 高中教育'))).toEqual({ ok: true, value: '2050204' });
    expect(cellCode(num(30213))).toEqual({ ok: true, value: '30213' });
    for (const t of ['33', '其他特定目标类项目', '33 其他特定目标类项目', '33-其他特定目标类项目'])
      expect(cellCategory(text(t))).toEqual({ ok: true, value: '33' });
    expect(cellCategory(num(21))).toEqual({ ok: true, value: '21' });
    expect(cellCategory(text('3'))).toMatchObject({ ok: false });
    expect(cellSubType(text('牧区'))).toEqual({ ok: true, value: 'pastoral' });
    expect(cellSubType(text('海岛'))).toMatchObject({ ok: false });
    expect(cellDirection(text('＞＝'))).toEqual({ ok: true, value: '>=' });
    expect(cellDirection(text('≤'))).toEqual({ ok: true, value: '<=' });
    expect(cellDirection(text('定性'))).toEqual({ ok: true, value: 'qualitative' });
  });

  test("the schema's own Chinese messages reach the clerk; zod's English defaults are translated", () => {
    const r = newProjectSchema.safeParse({
      fiscalYear: 2026,
      name: '某项目',
      category: '33',
      functionalCode: '205',
      description: 'x',
      amounts: [{ economicCode: '30201', amountFen: 0 }],
    });
    expect(r.success).toBe(false);
    const issues = issuesFromZod(r.error!);
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'functionalCode', message: '功能分类科目应为 7 位（项）' },
        { field: 'amounts.0.amountFen', message: '金额须大于 0' },
      ]),
    );
    const missing = issuesFromZod(newProjectSchema.safeParse({}).error!);
    expect(missing).toContainEqual({ field: 'name', message: '必填项' });
  });
});
