import {
  DEFAULT_WEIGHTS,
  executionRate,
  groupWeights,
  qualitativeProblem,
  scoreEvaluation,
  scoreIndicator,
  splitEvenly,
  weightProblems,
  type IndicatorInput,
} from '../../domain/performance-scoring';

/** Worked examples of domain.md's scoring (weights in centi-points: 10 points = 1000). */
describe('performance scoring', () => {
  const ind = (
    direction: IndicatorInput['direction'],
    targetValue: string,
    actualValue: string | null,
    extra: Partial<IndicatorInput> = {},
  ): IndicatorInput => ({ level1: '产出指标', direction, targetValue, actualValue, ...extra });

  test('positive indicator: weight × actual ÷ target, capped at the weight', () => {
    // 20 points, target 1,200 人次, actual 900 → 20 × 0.75 = 15
    expect(scoreIndicator(ind('>=', '1200', '900'), 2000)).toEqual({ scoreCenti: 1500, ratio: 0.75, notes: [] });
    // over-achieved: 1,500 of 1,200 → capped at 20
    expect(scoreIndicator(ind('>=', '1200', '1500'), 2000)).toMatchObject({ scoreCenti: 2000, notes: ['capped'] });
    // 25 of 30 → 16.666… → 16.67 (half up)
    expect(scoreIndicator(ind('>=', '30', '25'), 2000).scoreCenti).toBe(1667);
  });

  test('negative indicator: weight × target ÷ actual, capped', () => {
    // cost ≤ 50 万元; actual 62.5 → 10 × 0.8 = 8
    expect(scoreIndicator(ind('<=', '50', '62.5'), 1000)).toEqual({ scoreCenti: 800, ratio: 0.8, notes: [] });
    // under the ceiling: capped at the weight
    expect(scoreIndicator(ind('<=', '50', '40'), 1000)).toMatchObject({ scoreCenti: 1000, notes: ['capped'] });
  });

  test('exact indicator: met, or less by the relative deviation', () => {
    expect(scoreIndicator(ind('=', '100', '100'), 1000).scoreCenti).toBe(1000);
    expect(scoreIndicator(ind('=', '100', '90'), 1000).scoreCenti).toBe(900);
    expect(scoreIndicator(ind('=', '100', '250'), 1000)).toMatchObject({ scoreCenti: 0, notes: ['below_zero'] });
  });

  test('zero targets and actuals are decided explicitly', () => {
    expect(scoreIndicator(ind('>=', '0', '0'), 1000)).toEqual({ scoreCenti: 1000, ratio: null, notes: ['zero_target'] });
    expect(scoreIndicator(ind('>=', '0', '-1'), 1000).scoreCenti).toBe(0);
    expect(scoreIndicator(ind('>=', '10', '0'), 1000)).toEqual({ scoreCenti: 0, ratio: 0, notes: [] });
    expect(scoreIndicator(ind('<=', '5', '0'), 1000)).toEqual({ scoreCenti: 1000, ratio: null, notes: ['zero_actual'] });
    expect(scoreIndicator(ind('<=', '0', '0'), 1000).scoreCenti).toBe(1000);
    expect(scoreIndicator(ind('<=', '0', '3'), 1000)).toEqual({ scoreCenti: 0, ratio: 0, notes: ['zero_target'] });
    expect(scoreIndicator(ind('=', '0', '2'), 1000)).toMatchObject({ scoreCenti: 0, notes: ['zero_target'] });
    expect(scoreIndicator(ind('>=', '10', null), 1000)).toEqual({ scoreCenti: 0, ratio: null, notes: ['missing'] });
    for (const r of [scoreIndicator(ind('>=', '0', '5'), 1000), scoreIndicator(ind('<=', '0', '0'), 1000)])
      expect(Number.isFinite(r.scoreCenti)).toBe(true);
  });

  test('qualitative bands: 达成 80–100 %, 部分达成 50–80 %, 未达成 0–50 % of the weight', () => {
    const q = (band: IndicatorInput['band'], percent?: number) =>
      scoreIndicator({ level1: '效益指标', direction: 'qualitative', targetValue: '群众满意', actualValue: null, band, percent }, 1000)
        .scoreCenti;
    expect(q('achieved')).toBe(800);
    expect(q('achieved', 100)).toBe(1000);
    expect(q('partial')).toBe(500);
    expect(q('partial', 65)).toBe(650);
    expect(q('not_achieved')).toBe(0);
    expect(q('not_achieved', 30)).toBe(300);
    expect(q(null)).toBe(0);
    expect(qualitativeProblem('partial', 80)).toContain('部分达成');
    expect(qualitativeProblem('achieved', 100)).toBeNull();
    expect(qualitativeProblem('not_achieved', 49.99)).toBeNull();
    expect(qualitativeProblem('other', null)).toContain('请选择');
  });

  test('execution = weight × paid ÷ issued; nothing issued scores nothing', () => {
    expect(executionRate({ issuedFen: 100_000_00, paidFen: 75_000_00 })).toBe(7500);
    expect(executionRate({ issuedFen: 0, paidFen: 0 })).toBeNull();
    expect(executionRate({ issuedFen: 3, paidFen: 1 })).toBe(3333);
    const r = scoreEvaluation([], { issuedFen: 100_000_00, paidFen: 75_000_00 });
    expect(r.execution).toEqual({ weightCenti: 1000, scoreCenti: 750, rateBasisPoints: 7500 });
    expect(scoreEvaluation([], { issuedFen: 0, paidFen: 0 }).execution.scoreCenti).toBe(0);
  });

  test('weights: default 10/50/30/10, split evenly per group, an empty group passes its weight on', () => {
    expect(DEFAULT_WEIGHTS).toEqual({ execution: 10, output: 50, benefit: 30, satisfaction: 10 });
    expect(splitEvenly(5000, 3)).toEqual([1667, 1667, 1666]);
    expect(groupWeights(DEFAULT_WEIGHTS, { output: 2, benefit: 1, satisfaction: 1 })).toEqual({
      output: 5000,
      benefit: 3000,
      satisfaction: 1000,
    });
    // no 满意度 indicator: its 10 points go to 产出 and 效益 as 50 : 30
    expect(groupWeights(DEFAULT_WEIGHTS, { output: 2, benefit: 1, satisfaction: 0 })).toEqual({
      output: 5625,
      benefit: 3375,
      satisfaction: 0,
    });
    expect(weightProblems({ execution: 10, output: 50, benefit: 30, satisfaction: 5 })).toEqual(['各项权重之和应为 100 分']);
    expect(() => scoreEvaluation([], { issuedFen: 1, paidFen: 1 }, { execution: 10, output: 60, benefit: 30, satisfaction: 10 })).toThrow(
      RangeError,
    );
  });

  test('a whole worked example adds up to 100 at most, exactly', () => {
    const indicators: IndicatorInput[] = [
      { level1: '产出指标', direction: '>=', targetValue: '1200', actualValue: '900' }, // 25 × 0.75 = 18.75
      { level1: '成本指标', direction: '<=', targetValue: '50', actualValue: '62.5' }, // 25 × 0.8 = 20
      { level1: '效益指标', direction: 'qualitative', targetValue: '显著提升', actualValue: null, band: 'partial', percent: 60 }, // 30 × 0.6 = 18
      { level1: '满意度指标', direction: '>=', targetValue: '90', actualValue: '95' }, // capped 10
    ];
    const r = scoreEvaluation(indicators, { issuedFen: 100_000_00, paidFen: 80_000_00 }); // 8
    expect(r.indicators.map((i) => [i.group, i.weightCenti, i.scoreCenti])).toEqual([
      ['output', 2500, 1875],
      ['output', 2500, 2000],
      ['benefit', 3000, 1800],
      ['satisfaction', 1000, 1000],
    ]);
    expect(r.totalCenti).toBe(800 + 1875 + 2000 + 1800 + 1000);
    const full = scoreEvaluation(
      indicators.map((i) => ({ ...i, actualValue: i.direction === '<=' ? '0' : '99999', band: 'achieved', percent: 100 })),
      { issuedFen: 5, paidFen: 5 },
    );
    expect(full.totalCenti).toBe(10000);
  });
});
