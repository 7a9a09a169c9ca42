import fc from 'fast-check';
import {
  aggregateCenti,
  drawExperts,
  durationSeconds,
  isMasked,
  maskEmail,
  maskPhone,
  meanCenti,
  recusalReasons,
  sheetProblems,
  sheetTotalCenti,
  trimmedMeanCenti,
  yearsBefore,
  type PoolExpert,
  type ReviewedProject,
  type Tie,
  TIE_KINDS,
} from '../../domain/expert-review';

const REVIEW_DATE = '2026-12-02';
const project = (id: number, unit = 100, above: number[] = [10]): ReviewedProject => ({
  id,
  functionalCode: '2050204',
  applicantOrgIds: [unit, ...above],
});
const expert = (id: number, extra: Partial<PoolExpert> = {}): PoolExpert => ({
  id,
  userId: 1000 + id,
  available: true,
  specialties: ['205'],
  orgId: null,
  ties: [],
  ...extra,
});
const tie = (kind: Tie['kind'], orgId: number, extra: Partial<Tie> = {}): Tie => ({
  kind,
  orgId,
  relative: false,
  startedOn: null,
  endedOn: null,
  projectId: null,
  ...extra,
});
const SEED = '0123456789abcdef0123456789abcdef';

describe('recusal (回避)', () => {
  test('given a tie of each kind with the applicant unit, when ongoing, then the expert is recused for it', () => {
    for (const kind of TIE_KINDS) {
      expect(recusalReasons(expert(1, { ties: [tie(kind, 100)] }), project(1), REVIEW_DATE).map((r) => r.rule)).toEqual([kind]);
    }
  });

  test('a tie with the supervising department recuses too; one with an unrelated organisation does not', () => {
    expect(recusalReasons(expert(1, { ties: [tie('employment', 10)] }), project(1), REVIEW_DATE)).toHaveLength(1);
    expect(recusalReasons(expert(1, { ties: [tie('employment', 999)] }), project(1), REVIEW_DATE)).toEqual([]);
  });

  test("a close relative's employment recuses, and says so", () => {
    expect(recusalReasons(expert(1, { ties: [tie('employment', 100, { relative: true })] }), project(1), REVIEW_DATE)).toEqual([
      { rule: 'employment', orgId: 100, relative: true },
    ]);
  });

  test('three years: a tie ended exactly three years before still recuses, a day earlier it does not', () => {
    expect(yearsBefore(REVIEW_DATE, 3)).toBe('2023-12-02');
    expect(recusalReasons(expert(1, { ties: [tie('advice', 100, { endedOn: '2023-12-02' })] }), project(1), REVIEW_DATE)).toHaveLength(1);
    expect(recusalReasons(expert(1, { ties: [tie('dispute', 100, { endedOn: '2023-12-01' })] }), project(1), REVIEW_DATE)).toEqual([]);
    expect(yearsBefore('2028-02-29', 3)).toBe('2025-02-28');
  });

  test("drafting recuses for the project named only, or for all of the unit's projects when none is named", () => {
    const e = expert(1, { ties: [tie('drafting', 100, { projectId: 7 })] });
    expect(recusalReasons(e, project(7), REVIEW_DATE)).toHaveLength(1);
    expect(recusalReasons(e, project(8), REVIEW_DATE)).toEqual([]);
    expect(recusalReasons(expert(1, { ties: [tie('drafting', 100)] }), project(8), REVIEW_DATE)).toHaveLength(1);
  });

  test('working for the applicant is a reason without any declared tie; a tie starting after the review date is not yet one', () => {
    expect(recusalReasons(expert(1, { orgId: 100 }), project(1), REVIEW_DATE).map((r) => r.rule)).toEqual(['own_organisation']);
    expect(recusalReasons(expert(1, { ties: [tie('investment', 100, { startedOn: '2027-01-01' })] }), project(1), REVIEW_DATE)).toEqual([]);
  });
});

describe('the draw', () => {
  const pool = Array.from({ length: 40 }, (_, i) => expert(i + 1));

  test('the same seed gives the same draw; another seed (almost always) another', () => {
    const a = drawExperts({ seed: SEED, project: project(5), pool, n: 5, reviewDate: REVIEW_DATE });
    const b = drawExperts({ seed: SEED, project: project(5), pool: [...pool].reverse(), n: 5, reviewDate: REVIEW_DATE });
    expect(a.drawn).toHaveLength(5);
    expect(b.drawn).toEqual(a.drawn);
    const c = drawExperts({ seed: 'f'.repeat(32), project: project(5), pool, n: 5, reviewDate: REVIEW_DATE });
    expect(c.drawn).not.toEqual(a.drawn);
  });

  test("only experts of the project's specialty, available and with an account are drawn; fewer when the pool is short", () => {
    const mixed = [expert(1), expert(2, { specialties: ['213'] }), expert(3, { available: false }), expert(4, { userId: null }), expert(5)];
    const r = drawExperts({ seed: SEED, project: project(1), pool: mixed, n: 5, reviewDate: REVIEW_DATE });
    expect([...r.drawn].sort()).toEqual([1, 5]);
    expect(r.eligible).toBe(2);
  });

  test('a replacement is the next in the draw order, never someone drawn before', () => {
    const first = drawExperts({ seed: SEED, project: project(5), pool, n: 6, reviewDate: REVIEW_DATE });
    const replacement = drawExperts({
      seed: SEED,
      project: project(5),
      pool,
      n: 1,
      reviewDate: REVIEW_DATE,
      exclude: new Set(first.drawn.slice(0, 5)),
    });
    expect(replacement.drawn).toEqual([first.drawn[5]]);
  });

  test('property: an expert with a tie to a unit is never drawn for its projects, over many seeds', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom(...TIE_KINDS),
            unit: fc.integer({ min: 100, max: 104 }),
            relative: fc.boolean(),
            endedYearsAgo: fc.option(fc.integer({ min: 0, max: 2 })),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 100, max: 104 }),
        fc.integer({ min: 1, max: 8 }),
        (seed, declared, unit, n) => {
          const tiedPool = Array.from({ length: 30 }, (_, i) => {
            const mine = declared.filter((_, j) => j % 30 === i);
            return expert(i + 1, {
              ties: mine.map((d) =>
                tie(d.kind, d.unit, { relative: d.relative, endedOn: d.endedYearsAgo === null ? null : `${2026 - d.endedYearsAgo}-06-01` }),
              ),
            });
          });
          const p = project(1 + unit, unit);
          const drawn = drawExperts({ seed, project: p, pool: tiedPool, n, reviewDate: REVIEW_DATE }).drawn;
          for (const id of drawn) {
            const e = tiedPool.find((x) => x.id === id)!;
            expect(e.ties.some((t) => t.orgId === unit)).toBe(false);
          }
          // and the draw is reproducible
          expect(drawExperts({ seed, project: p, pool: tiedPool, n, reviewDate: REVIEW_DATE }).drawn).toEqual(drawn);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: the draw is spread over the pool (no expert is drawn for every seed)', () => {
    const counts = new Map<number, number>();
    for (let s = 0; s < 400; s++) {
      const seed = s.toString(16).padStart(32, '0');
      for (const id of drawExperts({ seed, project: project(3), pool, n: 5, reviewDate: REVIEW_DATE }).drawn)
        counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    // 400 draws × 5 of 40: 50 each on average
    expect(counts.size).toBe(40);
    expect(Math.max(...counts.values())).toBeLessThan(90);
  });
});

describe('aggregation', () => {
  test('mean and trimmed mean, exact in hundredths, half up', () => {
    expect(meanCenti([])).toBeNull();
    expect(meanCenti([8000, 7999])).toBe(8000); // 79.995 → 80.00
    expect(meanCenti([5999])).toBe(5999);
    expect(trimmedMeanCenti([9000, 5000, 8000, 8000, 7000])).toBe(7667);
    expect(trimmedMeanCenti([1, 2])).toBeNull();
  });

  test('the method the decision table chose applies; trimmed with fewer than three falls back to the mean', () => {
    const totals = [10000, 6000, 6000, 6000, 0];
    expect(aggregateCenti(totals, 'mean')).toBe(5600);
    expect(aggregateCenti(totals, 'trimmed_mean')).toBe(6000);
    expect(aggregateCenti([7000, 8000], 'trimmed_mean')).toBe(7500);
    expect(aggregateCenti(totals, 'none')).toBeNull();
  });

  test('boundaries 59.99 / 60 / 79.99 / 80 survive aggregation exactly', () => {
    for (const centi of [5999, 6000, 7999, 8000]) {
      expect(aggregateCenti([centi, centi, centi, centi, centi], 'trimmed_mean')).toBe(centi);
      expect(aggregateCenti([centi, centi], 'mean')).toBe(centi);
    }
  });

  test('score sheets: each criterion between 0 and its maximum, at most two decimals', () => {
    const criteria = [
      { key: 'a', label: '立项必要性', max: 20 },
      { key: 'b', label: '投入经济性', max: 20 },
    ];
    expect(sheetProblems(criteria, { a: 20, b: 0 })).toEqual([]);
    expect(sheetProblems(criteria, { a: 20.5, b: 1.234 }).map((p) => p.field)).toEqual(['a', 'b']);
    expect(sheetProblems(criteria, { a: 1 }).map((p) => p.field)).toEqual(['b']);
    expect(sheetTotalCenti(criteria, { a: 19.99, b: 20 })).toBe(3999);
  });
});

describe('contact data and durations', () => {
  test('masked in lists, and recognisable as masked on import', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('4711')).toBe('**11');
    expect(maskEmail('zhang.san@example.cn')).toBe('z***@example.cn');
    expect(isMasked('138****5678')).toBe(true);
    expect(isMasked('13812345678')).toBe(false);
  });

  test("ISO durations of the expert's steps", () => {
    expect(durationSeconds('P3D')).toBe(259200);
    expect(durationSeconds('PT5S')).toBe(5);
    expect(durationSeconds('PT0S')).toBeNull();
    expect(durationSeconds('P1Y')).toBeNull();
    expect(durationSeconds('P91D')).toBeNull();
    expect(durationSeconds('PT')).toBeNull();
  });
});
