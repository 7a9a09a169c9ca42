import {
  consistent,
  finalAccountActions,
  finalAccountListActions,
  openFreezesMessage,
  postingOf,
  rollUp,
  submissionProblems,
  sumFigures,
  ZERO_FIGURES,
  type Figures,
} from '../../domain/final-accounts';

const row = (over: Partial<Figures>): Figures => {
  const f = { ...ZERO_FIGURES, ...over };
  f.budgetFen = f.issuedFen + f.adjustedInFen - f.adjustedOutFen - f.carriedOutFen;
  f.balanceFen = f.budgetFen - f.paidFen - f.frozenFen;
  return f;
};

describe('final accounts rules', () => {
  test('columns sum exactly and stay consistent; roll-ups group by key in order', () => {
    const a = { ...row({ issuedFen: 100_000_00, adjustedInFen: 1_234_56, paidFen: 30_000_01 }), code: '30213' };
    const b = { ...row({ issuedFen: 1, adjustedOutFen: 1 }), code: '30211' };
    const c = { ...row({ issuedFen: 50_00, frozenFen: 49_99 }), code: '30213' };
    expect([a, b, c].every(consistent)).toBe(true);
    expect(sumFigures([a, b, c])).toMatchObject({ issuedFen: 100_000_00 + 1 + 50_00, balanceFen: 71_234_55 + 0 + 1 });
    expect(rollUp([a, b, c], (r) => r.code).map((g) => [g.key, g.balanceFen])).toEqual([
      ['30211', 0],
      ['30213', 71_234_56],
    ]);
    expect(consistent({ ...a, balanceFen: a.balanceFen + 1 })).toBe(false);
  });

  test('a submission needs an explanation and a choice for every positive balance, none for zero', () => {
    const problems = submissionProblems([
      { itemId: 1, label: '项目「甲」', balanceFen: 1, explanation: '  ', choice: null },
      { itemId: 2, label: '项目「乙」', balanceFen: 0, explanation: null, choice: null },
      { itemId: 3, label: '项目「丙」', balanceFen: 5_00, explanation: '节约', choice: 'recover' },
      { itemId: 4, label: '项目「丁」', balanceFen: -1, explanation: null, choice: null },
    ]);
    expect(problems.map((p) => [p.itemId, p.field])).toEqual([
      [1, 'explanation'],
      [1, 'choice'],
      [4, 'balance'],
    ]);
    expect(problems[0]!.message).toContain('¥0.01');
  });

  test('open freezes are named one by one; postings only for positive balances', () => {
    const msg = openFreezesMessage(
      [
        { quotaNo: 'ZB2026-000001', projectName: '校舍维修', frozenFen: 777_77, reference: '支付申请 #42' },
        { quotaNo: 'ZB2026-000002', projectName: null, frozenFen: 1, reference: null },
      ],
      '办结决算',
    );
    expect(msg).toContain('尚有 2 笔冻结未解除，不能办结决算');
    expect(msg).toContain('指标 ZB2026-000001（校舍维修）冻结 ¥777.77，支付申请 #42');
    expect(msg).toContain('指标 ZB2026-000002冻结 ¥0.01');
    expect(postingOf(0, 'carry-over')).toBeNull();
    expect(postingOf(1, 'recover')).toBe('recover');
    expect(postingOf(1, null)).toBeNull();
  });
});

describe('final account can flags (what the pages show, decided here)', () => {
  test('the unit edits and submits its draft at 单位确认决算, nobody else and at no other time', () => {
    expect(finalAccountActions('draft', 'UnitConfirm')).toEqual({ edit: true, decide: false });
    expect(finalAccountActions('draft', null)).toEqual({ edit: false, decide: false });
    expect(finalAccountActions('reviewing', 'UnitConfirm')).toEqual({ edit: false, decide: false });
  });

  test('a reviewer decides in review at a review step of theirs; not while closing or closed', () => {
    for (const step of ['DepartmentReview', 'TreasuryReview', 'BudgetReview'])
      expect(finalAccountActions('reviewing', step)).toEqual({ edit: false, decide: true });
    expect(finalAccountActions('reviewing', null)).toEqual({ edit: false, decide: false });
    expect(finalAccountActions('closing', 'BudgetReview')).toEqual({ edit: false, decide: false });
    expect(finalAccountActions('closed', 'BudgetReview')).toEqual({ edit: false, decide: false });
  });

  test('a unit (finals:prepare) generates a year once; reviewers never', () => {
    const unit = { permissions: new Set(['finals:prepare']) };
    const reviewer = { permissions: new Set(['finals:review']) };
    const bureau = { permissions: new Set(['finals:review', 'finals:open-all']) };
    expect(finalAccountListActions(unit, 2025, false)).toEqual({ open: true, openAll: false });
    expect(finalAccountListActions(unit, 2025, true)).toEqual({ open: false, openAll: false });
    expect(finalAccountListActions(unit, undefined, false)).toEqual({ open: false, openAll: false });
    expect(finalAccountListActions(reviewer, 2025, false)).toEqual({ open: false, openAll: false });
    expect(finalAccountListActions(bureau, 2025, false)).toEqual({ open: false, openAll: true });
    expect(finalAccountListActions(bureau, undefined, false)).toEqual({ open: false, openAll: false });
  });
});
