import {
  adjustmentActions,
  adjustmentListActions,
  ADJUSTMENT_STATUSES,
  checkShape,
  CHAIN_STEPS,
  documentMissing,
  isFormal,
  mayFile,
  nextStep,
  postingKey,
  postingOf,
  shortfall,
  sidesOf,
  type QuotaFacts,
} from '../../domain/adjustments';

/** 预算调整 rules (domain/adjustments.ts): which quotas a kind takes, refusals, the 预算调整 document, the posting. */
const quota = (id: number, availableFen: number, fiscalYear = 2026): QuotaFacts => ({
  id,
  quotaNo: `ZB${fiscalYear}-${String(id).padStart(6, '0')}`,
  fiscalYear,
  availableFen,
});

describe('budget adjustment rules', () => {
  test('given each kind, when its sides are asked, then 调剂 takes both quotas, 追加 only the target, 调减 only the source', () => {
    expect(sidesOf('transfer')).toEqual({ from: true, to: true });
    expect(sidesOf('increase')).toEqual({ from: false, to: true });
    expect(sidesOf('decrease')).toEqual({ from: true, to: false });
  });

  test('a change of totals (追加, 调减) is a formal 预算调整; a 调剂 is not', () => {
    expect(isFormal('transfer')).toBe(false);
    expect(isFormal('increase')).toBe(true);
    expect(isFormal('decrease')).toBe(true);
  });

  test('the shape check names each field that is wrong', () => {
    expect(checkShape({ kind: 'transfer', from: quota(1, 100), to: quota(2, 0), amountFen: 100 })).toEqual([]);
    expect(checkShape({ kind: 'transfer', from: quota(1, 100), to: null, amountFen: 100 }).map((p) => [p.code, p.field])).toEqual([
      ['QUOTA_REQUIRED', 'body.toQuotaId'],
    ]);
    expect(checkShape({ kind: 'transfer', from: quota(1, 100), to: quota(1, 100), amountFen: 100 }).map((p) => p.code)).toEqual([
      'SAME_QUOTA',
    ]);
    expect(checkShape({ kind: 'transfer', from: quota(1, 100), to: quota(2, 100, 2027), amountFen: 100 }).map((p) => p.code)).toEqual([
      'YEAR_MISMATCH',
    ]);
    expect(checkShape({ kind: 'increase', from: quota(1, 100), to: quota(2, 0), amountFen: 100 }).map((p) => [p.code, p.field])).toEqual([
      ['QUOTA_NOT_EXPECTED', 'body.fromQuotaId'],
    ]);
    expect(checkShape({ kind: 'decrease', from: null, to: quota(2, 0), amountFen: 100 }).map((p) => p.field)).toEqual([
      'body.fromQuotaId',
      'body.toQuotaId',
    ]);
    for (const amountFen of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1])
      expect(checkShape({ kind: 'increase', from: null, to: quota(2, 0), amountFen }).map((p) => p.code)).toEqual(['INVALID_AMOUNT']);
  });

  test('what leaves a quota never exceeds what it has available; the refusal says how much is', () => {
    expect(shortfall({ kind: 'transfer', from: quota(1, 100_00), to: quota(2, 0), amountFen: 100_00 })).toBeNull();
    const short = shortfall({ kind: 'transfer', from: quota(1, 100_00), to: quota(2, 0), amountFen: 100_01 });
    expect(short).toEqual({ availableFen: 100_00, message: '指标 ZB2026-000001 可用余额不足：可用 ¥100.00，申请调剂 ¥100.01' });
    expect(shortfall({ kind: 'decrease', from: quota(1, 0), to: null, amountFen: 1 })?.message).toContain('申请调减 ¥0.01');
    // 追加 takes nothing out: no source, no shortfall, whatever the target holds.
    expect(shortfall({ kind: 'increase', from: null, to: quota(2, 0), amountFen: 1_000_000_00 })).toBeNull();
  });

  test('a formal 预算调整 needs its document number before approval; blanks do not count', () => {
    expect(documentMissing({ formal: true, documentNo: null })).toBe(true);
    expect(documentMissing({ formal: true, documentNo: '   ' })).toBe(true);
    expect(documentMissing({ formal: true, documentNo: '呼政办〔2026〕15号' })).toBe(false);
    expect(documentMissing({ formal: false, documentNo: null })).toBe(false);
  });

  test('the posting is the ledger operation of the kind, under one key per adjustment', () => {
    expect(postingOf({ id: 7, kind: 'transfer', fromQuotaId: 1, toQuotaId: 2, amountFen: 5 })).toEqual({
      op: 'transfer',
      fromQuotaId: 1,
      toQuotaId: 2,
      amountFen: 5,
      idempotencyKey: 'adj-7',
    });
    expect(postingOf({ id: 8, kind: 'increase', fromQuotaId: null, toQuotaId: 2, amountFen: 5 })).toEqual({
      op: 'adjust-in',
      quotaId: 2,
      amountFen: 5,
      idempotencyKey: 'adj-8',
    });
    expect(postingOf({ id: 9, kind: 'decrease', fromQuotaId: 1, toQuotaId: null, amountFen: 5 })).toEqual({
      op: 'adjust-out',
      quotaId: 1,
      amountFen: 5,
      idempotencyKey: 'adj-9',
    });
    expect(postingKey(42)).toMatch(/^[A-Za-z0-9_.:-]+$/); // the ledger's key pattern
  });

  test('the chain walks its steps in order and ends at the posting', () => {
    expect(CHAIN_STEPS.director.map((s) => s.elementId)).toEqual(['SectionReview', 'DeputyReview', 'DirectorReview']);
    expect(nextStep('section', 'SectionReview')).toBeNull();
    expect(nextStep('deputy', 'SectionReview')).toBe('DeputyReview');
    expect(nextStep('deputy', 'DeputyReview')).toBeNull();
    expect(nextStep('director', 'DeputyReview')).toBe('DirectorReview');
  });

  test('units, departments and the budget division file; the other roles do not', () => {
    expect(mayFile(['unit_clerk'])).toBe(true);
    expect(mayFile(['department_reviewer'])).toBe(true);
    expect(mayFile(['budget_division'])).toBe(true);
    expect(mayFile(['director'])).toBe(false);
    expect(mayFile(['sector_division', 'treasury_division'])).toBe(false);
  });

  describe('can flags (what the pages show, decided here)', () => {
    const requester = { userId: 7, roles: ['unit_clerk'] };
    const other = { userId: 8, roles: ['unit_clerk'] };
    const budget = { userId: 9, roles: ['budget_division'] };

    test('审批 only in approval and only for the holder of an open step', () => {
      expect(adjustmentActions('approving', budget, 7, true).decide).toBe(true);
      expect(adjustmentActions('approving', budget, 7, false).decide).toBe(false);
      for (const s of ADJUSTMENT_STATUSES.filter((x) => x !== 'approving'))
        expect(adjustmentActions(s, budget, 7, true).decide).toBe(false);
    });

    test('批复文件 is recorded in approval by the requester or the budget division, by nobody else', () => {
      expect(adjustmentActions('approving', requester, 7, false).recordDocument).toBe(true);
      expect(adjustmentActions('approving', budget, 7, false).recordDocument).toBe(true);
      expect(adjustmentActions('approving', other, 7, true).recordDocument).toBe(false);
      for (const s of ['posted', 'rejected', 'failed'] as const) {
        expect(adjustmentActions(s, requester, 7, false)).toEqual({ decide: false, recordDocument: false, withdraw: false });
        expect(adjustmentActions(s, budget, 7, false).recordDocument).toBe(false);
      }
    });

    test('撤回 in approval by the requester alone, and only while no approver has decided', () => {
      expect(adjustmentActions('approving', requester, 7, false).withdraw).toBe(true);
      expect(adjustmentActions('approving', requester, 7, false, true).withdraw).toBe(false);
      expect(adjustmentActions('approving', budget, 7, true).withdraw).toBe(false);
      for (const s of ADJUSTMENT_STATUSES.filter((x) => x !== 'approving'))
        expect(adjustmentActions(s, requester, 7, false).withdraw).toBe(false);
    });

    test('on the list: the filing roles file, approvers (projects:review) filter their own', () => {
      expect(adjustmentListActions({ roles: ['unit_clerk'], permissions: new Set(['projects:write']) })).toEqual({
        file: true,
        review: false,
      });
      expect(adjustmentListActions({ roles: ['budget_division'], permissions: new Set(['projects:review']) })).toEqual({
        file: true,
        review: true,
      });
      expect(adjustmentListActions({ roles: ['director'], permissions: new Set(['projects:review']) })).toEqual({
        file: false,
        review: true,
      });
    });
  });
});
