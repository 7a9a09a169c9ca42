import fc from 'fast-check';
import {
  checkAllocation,
  controlKey,
  documentNumber,
  rankCandidates,
  splitAmount,
  sumLines,
  type Candidate,
  type Grade,
  type GradeRule,
} from '../../domain/allocation';

/** The allocation rules without database or engine: ranking, suggestion within control totals, the over-total check, the exact split. */

// The decision table's defaults (processes/allocation-performance-grade.dmn), as the engine answers them.
const RULES: Record<string, GradeRule> = {
  excellent: { priority: 0, cutPercent: 0, excluded: false },
  good: { priority: 1, cutPercent: 0, excluded: false },
  fair: { priority: 2, cutPercent: 15, excluded: false },
  poor: { priority: 9, cutPercent: 100, excluded: true },
  null: { priority: 1, cutPercent: 0, excluded: false },
};
const rules = (g: Grade | null) => RULES[String(g)]!;

const c = (projectId: number, over: Partial<Candidate> = {}): Candidate => ({
  projectId,
  projectNo: `XM2026-${String(projectId).padStart(6, '0')}`,
  departmentOrgId: 10,
  sector: '205',
  requestedFen: 100_000_00,
  grade: null,
  band: null,
  scoreCenti: null,
  ...over,
});

describe('ranking and suggestion', () => {
  test('优 first, then by band and score; 中 cut by 15 %; 差 excluded with nothing suggested', () => {
    const totals = new Map([[controlKey(10, '205'), 1_000_000_00]]);
    const ranked = rankCandidates(
      [
        c(1, { grade: 'poor', band: 'support', scoreCenti: 9500 }),
        c(2, { band: 'adjust', scoreCenti: 7000 }),
        c(3, { band: 'support', scoreCenti: 8100 }),
        c(4, { grade: 'excellent', band: 'adjust', scoreCenti: 6500 }),
        c(5, { grade: 'fair', band: 'support', scoreCenti: 9000 }),
      ],
      rules,
      totals,
    );
    expect(ranked.map((l) => l.projectId)).toEqual([4, 3, 2, 5, 1]);
    expect(ranked.find((l) => l.projectId === 5)!.suggestedFen).toBe(85_000_00);
    const poor = ranked.find((l) => l.projectId === 1)!;
    expect(poor).toMatchObject({ excluded: true, suggestedFen: 0 });
    expect(poor.reason).toContain('差');
  });

  test('中 two years in a row: the rule for two years below target applies (its cut, its reason)', () => {
    const twoYears = (g: Grade | null, below?: boolean) =>
      g === 'fair' && below ? { priority: 3, cutPercent: 30, excluded: false } : rules(g);
    const totals = new Map([[controlKey(10, '205'), 1_000_000_00]]);
    const ranked = rankCandidates([c(1, { grade: 'fair', belowTwoYears: true }), c(2, { grade: 'fair' })], twoYears, totals);
    expect(ranked.map((l) => [l.projectId, l.suggestedFen])).toEqual([
      [2, 85_000_00],
      [1, 70_000_00],
    ]);
    expect(ranked[1]!.reason).toBe('连续两年绩效评价低于目标，上年绩效评价为「中」，按 30% 压减');
    expect(ranked[0]!.reason).toBe('上年绩效评价为「中」，按 15% 压减');
  });

  test('suggestions fill the control total in rank order and never exceed it', () => {
    const totals = new Map([[controlKey(10, '205'), 250_000_00]]);
    const ranked = rankCandidates([c(1), c(2), c(3)], rules, totals);
    expect(ranked.map((l) => l.suggestedFen)).toEqual([100_000_00, 100_000_00, 50_000_00]);
    expect(ranked[2]!.reason).toContain('余额');
  });

  test('property: whatever the requests and totals, suggestions never exceed the request nor a control total, and pass the check', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dept: fc.integer({ min: 1, max: 3 }),
            req: fc.integer({ min: 0, max: 10_000_000_00 }),
            grade: fc.constantFrom<Grade | null>('excellent', 'good', 'fair', 'poor', null),
          }),
          { maxLength: 40 },
        ),
        fc.array(fc.integer({ min: 0, max: 20_000_000_00 }), { minLength: 3, maxLength: 3 }),
        (cs, amounts) => {
          const totals = new Map(amounts.map((a, i) => [controlKey(i + 1, '205'), a]));
          const ranked = rankCandidates(
            cs.map((x, i) => c(i + 1, { departmentOrgId: x.dept, requestedFen: x.req, grade: x.grade })),
            rules,
            totals,
          );
          for (const l of ranked) expect(l.suggestedFen).toBeLessThanOrEqual(l.requestedFen);
          const lines = ranked.map((l) => ({ ...l, proposedFen: l.suggestedFen }));
          expect(checkAllocation(lines, totals)).toEqual([]);
        },
      ),
    );
  });
});

describe('the check an allocation must pass', () => {
  const totals = new Map([[controlKey(10, '205'), 150_00]]);
  const line = (projectId: number, proposedFen: number, over: Record<string, unknown> = {}) => ({
    projectId,
    departmentOrgId: 10,
    sector: '205',
    requestedFen: 100_00,
    proposedFen,
    excluded: false,
    ...over,
  });

  test('one fen above the control total is refused with the sum, the total and the excess; exactly the total passes', () => {
    expect(checkAllocation([line(1, 100_00), line(2, 50_00)], totals)).toEqual([]);
    expect(checkAllocation([line(1, 100_00), line(2, 50_01)], totals)).toEqual([
      { code: 'OVER_CONTROL_TOTAL', departmentOrgId: 10, sector: '205', sumFen: 150_01, totalFen: 150_00, excessFen: 1 },
    ]);
  });

  test('more than requested, money for an excluded project, money without a control total, a fraction of a fen', () => {
    expect(checkAllocation([line(1, 100_01)], totals).map((p) => p.code)).toEqual(['PROPOSED_OVER_REQUESTED']);
    expect(checkAllocation([line(1, 1, { excluded: true })], totals).map((p) => p.code)).toEqual(['EXCLUDED_PROJECT_FUNDED']);
    expect(checkAllocation([line(1, 1, { sector: '213' })], totals).map((p) => p.code)).toEqual(['NO_CONTROL_TOTAL']);
    expect(checkAllocation([line(1, 0.5)], totals).map((p) => p.code)).toEqual(['INVALID_AMOUNT']);
  });

  test('sums per department and per sector', () => {
    const s = sumLines([line(1, 10), line(2, 20, { departmentOrgId: 11 }), line(3, 30, { sector: '213' })]);
    expect(s.totalFen).toBe(60);
    expect(s.byDepartment.get(10)).toBe(40);
    expect(s.bySector.get('205')).toBe(30);
  });
});

describe('splitting an approved amount over the economic lines', () => {
  test('property: the parts add up to the amount exactly and none is more than its line', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000_000_000_00 }), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (amounts, share) => {
          const lines = amounts.map((a, i) => ({ economicCode: `302${String(i).padStart(2, '0')}`, amountFen: a }));
          const requested = amounts.reduce((s, a) => s + a, 0);
          const amount = Math.floor(requested * share);
          const parts = splitAmount(amount, lines);
          expect(parts.reduce((s, p) => s + p.amountFen, 0)).toBe(amount);
          for (const p of parts) expect(p.amountFen).toBeLessThanOrEqual(lines.find((l) => l.economicCode === p.economicCode)!.amountFen);
        },
      ),
    );
  });

  test('the document number is generated from year and allocation', () => {
    expect(documentNumber(2026, 7)).toBe('财预指〔2026〕0007号');
  });
});
