import { allocationActions, allocationListActions, ALLOCATION_STATUSES } from '../../domain/allocation';
import { EVALUATION_STATUSES, evaluationActions, evaluationListActions, evaluationTaskStep } from '../../domain/evaluation';
import { QUOTA_ACTION_PERMISSIONS, quotaActions } from '../../domain/ledger';
import { monitoringListActions, REPORT_STATUSES, reportActions } from '../../domain/monitoring';
import { permissionsOf } from '../../domain/roles';

/**
 * The can flags the server sends with allocations, quotas, evaluations and monitoring reports
 * (issue 16 item 5): what a person may do, from the status and their roles — the pages show an
 * action only when its flag is set.
 */
const budget = permissionsOf(['budget_division']);
const clerk = permissionsOf(['unit_clerk']);
const director = permissionsOf(['director']);
const treasury = permissionsOf(['treasury_division']);
const performance = permissionsOf(['performance_division']);
const department = permissionsOf(['department_reviewer']);

describe('allocationActions', () => {
  test('预算处 edits and submits a draft, nothing else; a step is decided only while approving and held', () => {
    expect(allocationActions('draft', true, false)).toEqual({ edit: true, submit: true, decide: false });
    expect(allocationActions('draft', false, false)).toEqual({ edit: false, submit: false, decide: false });
    expect(allocationActions('approving', true, false)).toEqual({ edit: false, submit: false, decide: false });
    expect(allocationActions('approving', false, true)).toEqual({ edit: false, submit: false, decide: true });
    expect(allocationActions('issued', true, true)).toEqual({ edit: false, submit: false, decide: false });
  });

  test('no status lets anyone edit and decide at once', () => {
    for (const status of ALLOCATION_STATUSES)
      for (const build of [true, false])
        for (const held of [true, false]) {
          const can = allocationActions(status, build, held);
          expect(can.edit && can.decide).toBe(false);
          expect(can.submit).toBe(can.edit);
        }
  });

  test('新建分配方案 is for whoever builds', () => {
    expect(allocationListActions(true)).toEqual({ create: true });
    expect(allocationListActions(false)).toEqual({ create: false });
  });
});

describe('quotaActions', () => {
  test('预算处 issues, adjusts, transfers and carries over; it does not freeze or pay', () => {
    expect(quotaActions(budget)).toEqual({
      issue: true,
      freeze: false,
      unfreeze: false,
      consume: false,
      adjustIn: true,
      adjustOut: true,
      transfer: true,
      carryOver: true,
    });
  });

  test('a unit clerk and 国库处 freeze, unfreeze and pay only; a director only reads', () => {
    const paying = { issue: false, freeze: true, unfreeze: true, consume: true, adjustIn: false, adjustOut: false };
    expect(quotaActions(clerk)).toEqual({ ...paying, transfer: false, carryOver: false });
    expect(quotaActions(treasury)).toEqual({ ...paying, transfer: false, carryOver: false });
    expect(Object.values(quotaActions(director)).some(Boolean)).toBe(false);
  });

  test('every flag is exactly the permission its route requires', () => {
    for (const perms of [budget, clerk, director, treasury]) {
      const can = quotaActions(perms);
      for (const [action, permission] of Object.entries(QUOTA_ACTION_PERMISSIONS))
        expect(can[action as keyof typeof can]).toBe(perms.has(permission));
    }
  });
});

describe('evaluationActions', () => {
  test('the unit holds 自评 and 绩效处 审核, each only at its own status', () => {
    expect(evaluationTaskStep('self_evaluation', clerk)).toBe('SelfEvaluation');
    expect(evaluationTaskStep('self_evaluation', performance)).toBeNull();
    expect(evaluationTaskStep('review', performance)).toBe('Review');
    expect(evaluationTaskStep('review', clerk)).toBeNull();
    for (const status of ['external', 'grading', 'graded'] as const) {
      expect(evaluationTaskStep(status, clerk)).toBeNull();
      expect(evaluationTaskStep(status, performance)).toBeNull();
    }
  });

  test('自评 and 审核 need the task held; the report is there once graded, for everyone who sees it', () => {
    expect(evaluationActions('self_evaluation', true)).toEqual({ selfEvaluate: true, review: false, report: false });
    expect(evaluationActions('self_evaluation', false)).toEqual({ selfEvaluate: false, review: false, report: false });
    expect(evaluationActions('review', true)).toEqual({ selfEvaluate: false, review: true, report: false });
    expect(evaluationActions('graded', false)).toEqual({ selfEvaluate: false, review: false, report: true });
    for (const status of EVALUATION_STATUSES) expect(evaluationActions(status, true).report).toBe(status === 'graded');
  });

  test('开展绩效评价 is 绩效处’s', () => {
    expect(evaluationListActions(performance)).toEqual({ start: true });
    expect(evaluationListActions(clerk)).toEqual({ start: false });
    expect(evaluationListActions(budget)).toEqual({ start: false });
  });
});

describe('reportActions', () => {
  const own = { permissions: clerk, ownUnit: true };
  const otherUnit = { permissions: clerk, ownUnit: false };
  const manager = { permissions: department, ownUnit: false };

  test('the unit files a pending report once its process has started, and answers 整改', () => {
    expect(reportActions('pending', own, true)).toEqual({ report: true, review: false, answer: false });
    expect(reportActions('pending', own, false)).toEqual({ report: false, review: false, answer: false });
    expect(reportActions('rectifying', own, true)).toEqual({ report: false, review: false, answer: true });
    expect(reportActions('pending', otherUnit, true)).toEqual({ report: false, review: false, answer: false });
    expect(reportActions('rectifying', otherUnit, true)).toEqual({ report: false, review: false, answer: false });
  });

  test('绩效处 and the department decide a warned deviation, and nothing else', () => {
    expect(reportActions('warned', manager, true)).toEqual({ report: false, review: true, answer: false });
    expect(reportActions('warned', { permissions: performance, ownUnit: false }, true).review).toBe(true);
    expect(reportActions('warned', own, true).review).toBe(false);
    for (const status of REPORT_STATUSES.filter((s) => s !== 'warned'))
      expect(reportActions(status, manager, true)).toEqual({
        report: false,
        review: false,
        answer: false,
      });
  });

  test('开展本季度监控 is 绩效处’s, not the department’s though it manages monitoring', () => {
    expect(monitoringListActions(['performance_division'], performance)).toEqual({ startQuarter: true });
    expect(monitoringListActions(['department_reviewer'], department)).toEqual({ startQuarter: false });
    expect(monitoringListActions(['unit_clerk'], clerk)).toEqual({ startQuarter: false });
  });
});
