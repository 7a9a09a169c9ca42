import { PAYMENT_STATUSES, paymentActions, paymentListActions } from '../../domain/payments';

/** What a person may do with a 用款申请 (domain/payments.ts): the `can` flags the pages read. */
describe('payment request can flags', () => {
  const clerk = { orgId: 10, permissions: new Set(['quotas:freeze']) };
  const otherUnitClerk = { orgId: 11, permissions: new Set(['quotas:freeze']) };
  const leader = { orgId: 1, permissions: new Set(['projects:review']) };

  test('审批 only in approval and only for the holder of an open step', () => {
    expect(paymentActions('approving', leader, 10, true)).toEqual({ decide: true, resubmit: false, withdraw: false });
    expect(paymentActions('approving', leader, 10, false)).toEqual({ decide: false, resubmit: false, withdraw: false });
    for (const s of PAYMENT_STATUSES.filter((x) => x !== 'approving')) expect(paymentActions(s, leader, 10, true).decide).toBe(false);
  });

  test("修改后重新提交 only a returned request, only by the filing unit's own clerk", () => {
    expect(paymentActions('returned', clerk, 10, false)).toEqual({ decide: false, resubmit: true, withdraw: false });
    expect(paymentActions('returned', otherUnitClerk, 10, false).resubmit).toBe(false);
    expect(paymentActions('returned', { orgId: 10, permissions: new Set(['projects:review']) }, 10, false).resubmit).toBe(false);
    for (const s of ['approving', 'approved', 'rejected'] as const) expect(paymentActions(s, clerk, 10, false).resubmit).toBe(false);
  });

  test('撤回 only in approval, only by the person who submitted it, only while no approver has decided', () => {
    const submitter = { userId: 5, orgId: 10, permissions: new Set(['quotas:freeze']) };
    const colleague = { userId: 6, orgId: 10, permissions: new Set(['quotas:freeze']) };
    expect(paymentActions('approving', submitter, 10, false, { requestedBy: 5, decided: false }).withdraw).toBe(true);
    expect(paymentActions('approving', submitter, 10, false, { requestedBy: 5, decided: true }).withdraw).toBe(false);
    expect(paymentActions('approving', colleague, 10, false, { requestedBy: 5, decided: false }).withdraw).toBe(false);
    expect(paymentActions('approving', submitter, 10, false).withdraw).toBe(false);
    for (const s of PAYMENT_STATUSES.filter((x) => x !== 'approving'))
      expect(paymentActions(s, submitter, 10, false, { requestedBy: 5, decided: false }).withdraw).toBe(false);
  });

  test("on the list: a unit's clerk files a new request; 国库处 (quotas:freeze over its region) and leaders do not", () => {
    expect(paymentListActions({ roles: ['unit_clerk'] })).toEqual({ file: true });
    expect(paymentListActions({ roles: ['treasury_division'] })).toEqual({ file: false });
    expect(paymentListActions({ roles: ['director'] })).toEqual({ file: false });
    expect(paymentListActions({ roles: ['treasury_division', 'unit_clerk'] })).toEqual({ file: true });
    expect(paymentListActions({ roles: [] })).toEqual({ file: false });
  });
});
