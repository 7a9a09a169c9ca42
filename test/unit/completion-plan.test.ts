import { planCompletion, type PendingSigner } from '../../domain/approval';

/** domain/approval.ts planCompletion: what submitting a task's form means, from the task's state alone. */
describe('planCompletion', () => {
  const base = {
    userId: 7,
    assigneeId: 7,
    candidate: true,
    pending: [] as PendingSigner[],
    values: { decision: 'approve' },
    holderValues: null,
  };

  test('the holder with no added approvers: the decision goes to the engine, no claim', () => {
    expect(planCompletion(base)).toEqual({ kind: 'complete', claim: false, values: { decision: 'approve' } });
  });

  test('a candidate of an unclaimed task claims it first', () => {
    expect(planCompletion({ ...base, assigneeId: null })).toMatchObject({ kind: 'complete', claim: true });
  });

  test('not a candidate: 403 NOT_A_CANDIDATE; a candidate of a task someone else claimed: 409 TASK_CLAIMED_BY_OTHER', () => {
    expect(planCompletion({ ...base, assigneeId: null, candidate: false })).toMatchObject({
      kind: 'refuse',
      status: 403,
      code: 'NOT_A_CANDIDATE',
    });
    expect(planCompletion({ ...base, assigneeId: 9 })).toMatchObject({ kind: 'refuse', status: 409, code: 'TASK_CLAIMED_BY_OTHER' });
  });

  test('前加签: the added approver signs and the task returns to who added them', () => {
    const signer = { id: 1, userId: 7, position: 'before' as const, addedBy: 3 };
    expect(planCompletion({ ...base, pending: [signer] })).toEqual({ kind: 'sign-before', signer });
  });

  test('后加签 pending: the holder decides and the task goes to the first added approver', () => {
    const after = { id: 2, userId: 8, position: 'after' as const, addedBy: 7 };
    expect(planCompletion({ ...base, pending: [after] })).toEqual({ kind: 'forward', to: after, claim: false });
  });

  test('后加签, in order: the first added approver hands on to the next; the last one completes', () => {
    const first = { id: 2, userId: 8, position: 'after' as const, addedBy: 7 };
    const second = { id: 3, userId: 9, position: 'after' as const, addedBy: 7 };
    expect(
      planCompletion({
        ...base,
        userId: 8,
        assigneeId: 8,
        pending: [first, second],
        holderValues: { decision: 'approve', comment: '同意' },
      }),
    ).toMatchObject({ kind: 'sign-after', next: second });
    expect(
      planCompletion({ ...base, userId: 9, assigneeId: 9, pending: [second], holderValues: { decision: 'approve', comment: '同意' } }),
    ).toMatchObject({ kind: 'sign-after', next: null, finalValues: { decision: 'approve', comment: '同意' } });
  });

  test('an added approver who disagrees: their (more cautious) decision is the one completed', () => {
    const last = { id: 3, userId: 9, position: 'after' as const, addedBy: 7 };
    const plan = planCompletion({
      ...base,
      userId: 9,
      assigneeId: 9,
      pending: [last],
      values: { decision: 'return', comment: '预算依据不足' },
      holderValues: { decision: 'approve' },
    });
    expect(plan).toMatchObject({ kind: 'sign-after', next: null, finalValues: { decision: 'return', comment: '预算依据不足' } });
  });
});
