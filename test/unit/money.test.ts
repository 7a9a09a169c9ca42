import { fen, formatWanYuan, formatYuan, MoneyError, parseYuan } from '../../domain/money';

describe('money is integer fen', () => {
  test.each([
    ['1234.56', 123456],
    ['1,234.56', 123456],
    ['¥1234.5', 123450],
    ['￥0.01', 1],
    ['1234', 123400],
    [' 20000 ', 2000000],
    ['-5.00', -500],
  ])('parseYuan(%s) = %i fen', (text, expected) => {
    expect(parseYuan(text)).toBe(expected);
  });

  test.each(['1.234', '12a', '', '1..2', '¥', '1e3', '0x10'])('parseYuan rejects %p instead of rounding or guessing', (text) => {
    expect(() => parseYuan(text)).toThrow(MoneyError);
  });

  test('0.1 + 0.2 yuan is exactly 0.30 yuan when kept in fen', () => {
    expect(parseYuan('0.1') + parseYuan('0.2')).toBe(parseYuan('0.3'));
  });

  test('fractional and unsafe fen cannot be constructed', () => {
    expect(() => fen(1.5)).toThrow(MoneyError);
    expect(() => fen(Number.MAX_SAFE_INTEGER + 1)).toThrow(MoneyError);
    expect(() => fen(Number.NaN)).toThrow(MoneyError);
  });

  test.each([
    [123456, '¥1,234.56'],
    [1, '¥0.01'],
    [0, '¥0.00'],
    [100000000000, '¥1,000,000,000.00'],
    [-2050, '-¥20.50'],
  ])('formatYuan(%i) = %s', (amount, text) => {
    expect(formatYuan(fen(amount))).toBe(text);
  });

  test('formatting refuses what is not integer fen (e.g. a yuan float passed by mistake)', () => {
    expect(() => formatYuan(12.5)).toThrow(MoneyError);
    expect(() => formatWanYuan(Number.NaN)).toThrow(MoneyError);
  });

  test.each([
    [1_000_000, '1.00万元'],
    [12_345_678, '12.345678万元'],
    [50_000_000_000, '50000.00万元'],
    [1_230_000, '1.23万元'],
    [1_234_500, '1.2345万元'],
  ])('formatWanYuan(%i) = %s (exact, never rounded)', (amount, text) => {
    expect(formatWanYuan(fen(amount))).toBe(text);
  });
});
