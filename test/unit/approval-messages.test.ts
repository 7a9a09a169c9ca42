import { pinProblem } from '../../domain/seal-pin';
import type { FormDefinition } from '../../domain/forms';
import { completionMessage } from '../../web/src/views/tasks/completionMessage';
import departmentReview from '../../forms/intake-department-review.json';
import sectorReview from '../../forms/intake-sector-review.json';
import budgetDecision from '../../forms/intake-budget-decision.json';
import countersign from '../../forms/intake-countersign.json';
import revise from '../../forms/intake-revise.json';

const completed = (sealed: boolean) => ({
  outcome: 'completed' as const,
  seal: sealed ? { auditRecordId: 1, seq: 1, keyId: 'k', verificationCode: '0123456789abcdef' } : null,
});

describe('signing PINs: six digits, neither repeated nor sequential', () => {
  test.each([
    ['135790', null],
    ['602918', null],
    ['13579', '签章密码应为 6 位数字'],
    ['1357900', '签章密码应为 6 位数字'],
    ['13579a', '签章密码应为 6 位数字'],
    ['１３５７９０', '签章密码应为 6 位数字'],
    ['111111', '签章密码不能是重复或连续的数字'],
    ['123456', '签章密码不能是重复或连续的数字'],
    ['654321', '签章密码不能是重复或连续的数字'],
    ['890123', '签章密码不能是重复或连续的数字'],
  ])('%s', (pin, problem) => expect(pinProblem(pin)).toBe(problem));
});

describe('the message after a completion says what happened', () => {
  test('退回 names where it went; the default is the applicant', () => {
    expect(completionMessage(completed(true), { decision: 'return', comment: '缺材料' }, departmentReview as FormDefinition)).toBe(
      '已退回申报单位修改（已加盖电子签章）',
    );
    expect(
      completionMessage(
        completed(false),
        { decision: 'return', returnTo: 'department', comment: '缺材料' },
        sectorReview as FormDefinition,
      ),
    ).toBe('已退回主管部门修改');
  });
  test('the final approval says the project is in the library, not that it went to a next step', () => {
    expect(completionMessage(completed(true), { decision: 'admit' }, budgetDecision as FormDefinition)).toBe(
      '已同意入库，项目已入库（已加盖电子签章）',
    );
  });
  test('an approval names the decision; a countersign vote is a vote; a rework is a resubmission', () => {
    expect(completionMessage(completed(false), { decision: 'approve' }, departmentReview as FormDefinition)).toBe('已办理：通过');
    expect(completionMessage(completed(false), { vote: 'reject' }, countersign as FormDefinition)).toBe('已提交会签意见：不同意');
    expect(completionMessage(completed(false), { confirm: true }, revise as FormDefinition)).toBe('已修改并重新提交审核');
  });
  test('加签 outcomes', () => {
    expect(completionMessage({ outcome: 'signed' }, {}, departmentReview as FormDefinition)).toBe('加签意见已提交，事项回到原办理人');
    expect(completionMessage({ outcome: 'forwarded' }, {}, departmentReview as FormDefinition)).toBe('已提交，待加签人办理后再送出');
  });
});
