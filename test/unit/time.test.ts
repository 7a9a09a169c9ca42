import { fiscalYearOf, shanghaiDate, toShanghaiIso } from '../../domain/time';

describe('dates in Asia/Shanghai', () => {
  test('an instant is shown with the +08:00 offset', () => {
    expect(toShanghaiIso(new Date('2026-11-23T07:04:05.123Z'))).toBe('2026-11-23T15:04:05.123+08:00');
  });

  test('16:30 UTC on 31 December is already the next day and fiscal year in Shanghai', () => {
    const instant = new Date('2026-12-31T16:30:00Z');
    expect(shanghaiDate(instant)).toBe('2027-01-01');
    expect(fiscalYearOf(instant)).toBe(2027);
  });

  test('the formatted instant parses back to the same instant', () => {
    const instant = new Date('2026-03-01T00:00:00.001Z');
    expect(new Date(toShanghaiIso(instant)).getTime()).toBe(instant.getTime());
  });

  test('an invalid date is refused', () => {
    expect(() => toShanghaiIso(new Date('not a date'))).toThrow(RangeError);
  });
});
