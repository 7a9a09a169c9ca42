import {
  rateBasisPoints,
  asOfDate,
  assessDeviation,
  checkDeviationRule,
  daysInYear,
  executionLevel,
  executionRate,
  gapForDisplay,
  gapPoints,
  percent,
  previousQuarter,
  quarterEnd,
  quarterEndInstant,
  quarterOf,
  timeProgress,
} from '../../domain/execution';
import { executionRate as executionRateBp } from '../../domain/performance-scoring';

describe('execution rate (预算执行率)', () => {
  test('paid ÷ budget, exact', () => {
    expect(executionRate(33_333, 100_000)).toEqual({ numerator: 33_333, denominator: 100_000 });
    expect(percent(executionRate(1, 3))).toBe(33.33);
    expect(percent(executionRate(2, 3))).toBe(66.67);
  });
  test('a zero budget has no rate, and no deviation', () => {
    const r = executionRate(0, 0);
    expect(percent(r)).toBeNull();
    expect(gapPoints(timeProgress(2026, '2026-12-31'), r)).toBeNull();
    expect(executionLevel(timeProgress(2026, '2026-12-31'), r)).toBe('none');
  });
  test('fractional fen and negative amounts are refused', () => {
    expect(() => executionRate(1.5, 100)).toThrow();
    expect(() => executionRate(-1, 100)).toThrow(RangeError);
  });
  test('amounts near the safe-integer limit stay exact', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const time = timeProgress(2026, '2026-12-31');
    expect(gapPoints(time, executionRate(big, big))).toEqual({ n: 0n, d: 365n * BigInt(big) });
    expect(executionLevel(time, executionRate(big - 1, big))).toBe('none');
  });
});

describe('time progress (时间进度) in Asia/Shanghai', () => {
  test('1 January is one day of the year, 31 December all of it', () => {
    expect(timeProgress(2026, '2026-01-01')).toEqual({ numerator: 1, denominator: 365 });
    expect(timeProgress(2026, '2026-12-31')).toEqual({ numerator: 365, denominator: 365 });
  });
  test('a leap year has 366 days: 29 February is day 60, 31 December day 366', () => {
    expect(daysInYear(2028)).toBe(366);
    expect(daysInYear(2100)).toBe(365);
    expect(daysInYear(2000)).toBe(366);
    expect(timeProgress(2028, '2028-02-29')).toEqual({ numerator: 60, denominator: 366 });
    expect(timeProgress(2028, '2028-12-31')).toEqual({ numerator: 366, denominator: 366 });
    expect(() => timeProgress(2026, '2026-02-29')).toThrow(RangeError);
  });
  test('before the year 0, after it 100 %', () => {
    expect(timeProgress(2026, '2025-12-31')).toEqual({ numerator: 0, denominator: 365 });
    expect(timeProgress(2026, '2027-01-01')).toEqual({ numerator: 365, denominator: 365 });
  });
  test('an instant is read in Shanghai: 16:30 UTC on 31 December 2026 is already 2027', () => {
    expect(timeProgress(2026, new Date('2026-12-31T15:59:59.999Z'))).toEqual({ numerator: 365, denominator: 365 });
    expect(timeProgress(2027, new Date('2026-12-31T16:30:00Z'))).toEqual({ numerator: 1, denominator: 365 });
    expect(timeProgress(2026, new Date('2026-06-30T16:00:00Z'))).toEqual({ numerator: 182, denominator: 365 });
  });
  test('end of Q3 2026 is 273 of 365 days', () => {
    expect(timeProgress(2026, quarterEnd(2026, 3))).toEqual({ numerator: 273, denominator: 365 });
    expect(percent(timeProgress(2026, quarterEnd(2026, 3)))).toBe(74.79);
  });
});

describe('the deviation rule: execution behind time progress by more than 20 points', () => {
  // 100 days of 400 would be neat, but years have 365: use a year's end, time = 100 %.
  const yearEnd = timeProgress(2026, '2026-12-31');
  test('exactly 20 points behind is not a warning; one fen more is', () => {
    expect(executionLevel(yearEnd, executionRate(80_000, 100_000))).toBe('notice');
    expect(executionLevel(yearEnd, executionRate(79_999, 100_000))).toBe('warning');
    expect(gapForDisplay(yearEnd, executionRate(80_000, 100_000))).toBe(20);
  });
  test('exactly 20 points with a time progress that is not round (Q3: 273/365)', () => {
    // time 273/365; execution exactly 20 points less: (273/365 − 1/5) = 1000/1825
    const time = timeProgress(2026, '2026-09-30');
    expect(executionLevel(time, executionRate(1000, 1825))).toBe('notice');
    expect(executionLevel(time, executionRate(999, 1825))).toBe('warning');
  });
  test('levels: 提示 above 10, 预警 above 20, 严重 above 40 points (defaults)', () => {
    expect(executionLevel(yearEnd, executionRate(90_000, 100_000))).toBe('none');
    expect(executionLevel(yearEnd, executionRate(89_999, 100_000))).toBe('notice');
    expect(executionLevel(yearEnd, executionRate(60_000, 100_000))).toBe('warning');
    expect(executionLevel(yearEnd, executionRate(59_999, 100_000))).toBe('severe');
    expect(executionLevel(yearEnd, executionRate(0, 100_000))).toBe('severe');
  });
  test('ahead of time is never a deviation', () => {
    const jan = timeProgress(2026, '2026-01-01');
    expect(executionLevel(jan, executionRate(100_000, 100_000))).toBe('none');
    expect(gapForDisplay(jan, executionRate(100_000, 100_000))).toBe(-99.73);
  });
  test('thresholds are data: a rule of 5/15/30 moves the levels', () => {
    const rule = { noticePoints: 5, warningPoints: 15, severePoints: 30 };
    expect(executionLevel(yearEnd, executionRate(84_000, 100_000), rule)).toBe('warning');
    expect(() => checkDeviationRule({ noticePoints: 30, warningPoints: 20, severePoints: 40 })).toThrow(RangeError);
    expect(() => checkDeviationRule({ noticePoints: 0, warningPoints: 20, severePoints: 101 })).toThrow(RangeError);
    expect(() => checkDeviationRule(rule)).not.toThrow();
  });
  test('a target at risk raises a warning on its own; a warning names its reasons', () => {
    const ok = assessDeviation({ time: yearEnd, execution: executionRate(95_000, 100_000), targetsAtRisk: [] });
    expect(ok).toEqual({ level: 'none', raised: false, reasons: [] });
    const risk = assessDeviation({ time: yearEnd, execution: executionRate(95_000, 100_000), targetsAtRisk: ['维修面积'] });
    expect(risk.raised).toBe(true);
    expect(risk.level).toBe('warning');
    expect(risk.reasons).toEqual(['绩效目标实现有风险：维修面积']);
    const behind = assessDeviation({ time: yearEnd, execution: executionRate(50_000, 100_000), targetsAtRisk: [] });
    expect(behind.level).toBe('severe');
    expect(behind.reasons[0]).toContain('落后时间进度 100% 共 50 个百分点');
    const notice = assessDeviation({ time: yearEnd, execution: executionRate(85_000, 100_000), targetsAtRisk: [] });
    expect(notice).toEqual({ level: 'notice', raised: false, reasons: [] });
  });
});

describe('quarters', () => {
  test('quarter ends and the quarter an instant falls in (Shanghai)', () => {
    expect(quarterEnd(2026, 1)).toBe('2026-03-31');
    expect(quarterEndInstant(2026, 4).toISOString()).toBe('2026-12-31T15:59:59.999Z');
    expect(quarterOf(new Date('2026-03-31T16:00:00Z'))).toEqual({ fiscalYear: 2026, quarter: 2 });
    expect(previousQuarter(new Date('2027-01-01T01:00:00Z'))).toEqual({ fiscalYear: 2026, quarter: 4 });
    expect(previousQuarter(new Date('2026-07-01T01:00:00Z'))).toEqual({ fiscalYear: 2026, quarter: 2 });
  });
  test('a quarter not yet over is read as of today, an ended one at its last day', () => {
    expect(asOfDate(2026, 4, new Date('2026-12-02T03:00:00Z'))).toBe('2026-12-02');
    expect(asOfDate(2026, 3, new Date('2026-12-02T03:00:00Z'))).toBe('2026-09-30');
  });

  test('rate in basis points: floor, none without a budget, the one rule scoring and the ledger read share', () => {
    expect(rateBasisPoints(60_00, 100_00)).toBe(6000);
    expect(rateBasisPoints(1, 3)).toBe(3333);
    expect(rateBasisPoints(100_00, 100_00)).toBe(10000);
    expect(rateBasisPoints(5, 0)).toBeNull();
    expect(rateBasisPoints(-5, 100)).toBe(0);
    expect(executionRateBp({ issuedFen: 3, paidFen: 1 })).toBe(3333);
  });
});
