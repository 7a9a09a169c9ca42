import {
  checkFormValues,
  definitionProblems,
  initialValues,
  isRequired,
  layoutSections,
  visibleFields,
  type FormDefinition,
} from '../../domain/forms';
import { parseYuan } from '../../domain/money';

/** The form rules (domain/forms.ts) that both the API's zod schema and the SPA's renderer run. */
const form: FormDefinition = {
  key: 'sample-review',
  title: '示例审核',
  decisionField: 'decision',
  fields: [
    {
      key: 'decision',
      label: '结论',
      type: 'radio',
      required: true,
      options: [
        { value: 'approve', label: '通过' },
        { value: 'return', label: '退回' },
      ],
    },
    {
      key: 'returnTo',
      label: '退回至',
      type: 'select',
      visibleWhen: { field: 'decision', equals: 'return' },
      requiredWhen: { field: 'decision', equals: 'return' },
      options: [
        { value: 'applicant', label: '申报单位' },
        { value: 'department', label: '主管部门' },
      ],
    },
    { key: 'amountFen', label: '建议金额', type: 'money', max: parseYuan('1000000') },
    { key: 'countersign', label: '发起会签', type: 'switch' },
    {
      key: 'people',
      label: '会签人',
      type: 'user-picker',
      multiple: true,
      min: 2,
      max: 3,
      visibleWhen: { field: 'countersign', equals: true },
      requiredWhen: { field: 'countersign', equals: true },
    },
    {
      key: 'rule',
      label: '会签规则',
      type: 'radio',
      visibleWhen: { field: 'people', in: [7] },
      options: [{ value: 'all', label: '全部同意' }],
    },
    {
      key: 'comment',
      label: '意见',
      type: 'textarea',
      maxLength: 5,
      requiredWhen: { field: 'decision', in: ['return'] },
      messages: { required: '退回须写原因' },
    },
    { key: 'code', label: '编码', type: 'text', pattern: { regex: '^[A-Z]{2}$', message: '应为两个大写字母' } },
    { key: 'due', label: '期限', type: 'date', min: '2026-01-01' },
    { key: 'tags', label: '标签', type: 'checkbox-group', optionsFrom: 'tags', max: 2 },
  ],
};

describe('form rules: visibility and conditional required', () => {
  test('a field is visible when its condition holds and the field it names is visible itself', () => {
    expect(Object.fromEntries(visibleFields(form, { decision: 'approve' }))).toMatchObject({
      decision: true,
      returnTo: false,
      people: false,
      rule: false,
    });
    expect(visibleFields(form, { decision: 'return' }).get('returnTo')).toBe(true);
    expect(visibleFields(form, { countersign: true, people: [7, 8] }).get('rule')).toBe(true);
    // people hidden (switch off): a value it still holds does not make 'rule' visible.
    expect(visibleFields(form, { countersign: false, people: [7, 8] }).get('rule')).toBe(false);
  });

  test('requiredWhen follows the other field; a hidden field is never required', () => {
    const f = (k: string) => form.fields.find((x) => x.key === k)!;
    expect(isRequired(form, f('comment'), { decision: 'approve' })).toBe(false);
    expect(isRequired(form, f('comment'), { decision: 'return' })).toBe(true);
    expect(isRequired(form, f('returnTo'), { decision: 'approve' })).toBe(false);
    expect(isRequired(form, f('people'), { countersign: true })).toBe(true);
  });

  test('approve: only visible fields are submitted, hidden values dropped, a switch always a boolean, text trimmed', () => {
    const r = checkFormValues(form, { decision: 'approve', returnTo: 'applicant', people: [1, 2], comment: '  好 ' });
    expect(r).toEqual({ ok: true, values: { decision: 'approve', countersign: false, comment: '好' } });
  });

  test('return without its reason and target: the issues name the fields', () => {
    const r = checkFormValues(form, { decision: 'return' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues).toEqual([
      { field: 'returnTo', message: '请选择退回至' },
      { field: 'comment', message: '退回须写原因' },
    ]);
  });

  test('unknown keys are refused, and a non-object is refused as a whole', () => {
    const r = checkFormValues(form, { decision: 'approve', extra: 1 });
    expect(!r.ok && r.issues).toEqual([{ field: 'extra', message: '表单中没有字段 extra' }]);
    expect(checkFormValues(form, [1]).ok).toBe(false);
    expect(checkFormValues(form, null).ok).toBe(false);
  });
});

describe('form rules: values of each type', () => {
  const issuesOf = (data: Record<string, unknown>, lists = {}) => {
    const r = checkFormValues(form, { decision: 'approve', ...data }, lists);
    return r.ok ? [] : r.issues.map((i) => i.field);
  };

  test('money is integer fen, never negative, within max', () => {
    expect(issuesOf({ amountFen: parseYuan('1234.56') })).toEqual([]);
    expect(issuesOf({ amountFen: 0 })).toEqual([]);
    expect(issuesOf({ amountFen: 12.5 })).toEqual(['amountFen']);
    expect(issuesOf({ amountFen: '100' })).toEqual(['amountFen']);
    expect(issuesOf({ amountFen: -1 })).toEqual(['amountFen']);
    expect(issuesOf({ amountFen: parseYuan('1000000.01') })).toEqual(['amountFen']);
  });

  test('options: inline options only; optionsFrom checked against the list when one is given', () => {
    expect(issuesOf({ decision: 'maybe' })).toEqual(['decision']);
    expect(issuesOf({ tags: ['a'] })).toEqual([]); // no list known: form only
    expect(issuesOf({ tags: ['a', 'z'] }, { tags: ['a', 'b'] })).toEqual(['tags']);
    expect(issuesOf({ tags: ['a', 'b', 'c'] }, { tags: ['a', 'b', 'c'] })).toEqual(['tags']); // max 2
  });

  test('user-picker: positive ids, no repeats, between min and max people, from the list given', () => {
    expect(issuesOf({ countersign: true, people: [3, 4] })).toEqual([]);
    expect(issuesOf({ countersign: true, people: [3] })).toEqual(['people']);
    expect(issuesOf({ countersign: true, people: [3, 4, 5, 6] })).toEqual(['people']);
    expect(issuesOf({ countersign: true, people: [3, 3] })).toEqual(['people']);
    expect(issuesOf({ countersign: true, people: ['3', '4'] })).toEqual(['people']);
    expect(issuesOf({ countersign: true, people: [3, 4] }, { users: [3, 5] })).toEqual(['people']);
    expect(issuesOf({ countersign: true })).toEqual(['people']);
  });

  test('text length counts characters, pattern has its own message; dates are real calendar dates', () => {
    expect(issuesOf({ comment: '一二三四五' })).toEqual([]);
    expect(issuesOf({ comment: '一二三四五六' })).toEqual(['comment']);
    const r = checkFormValues(form, { decision: 'approve', code: 'ab' });
    expect(!r.ok && r.issues).toEqual([{ field: 'code', message: '应为两个大写字母' }]);
    expect(issuesOf({ due: '2026-02-28' })).toEqual([]);
    expect(issuesOf({ due: '2026-02-30' })).toEqual(['due']);
    expect(issuesOf({ due: '2025-12-31' })).toEqual(['due']);
  });

  test('performance targets: problems land on key.index.column; smart demands quantified 产出 and 效益', () => {
    const targets: FormDefinition = {
      key: 'targets-form',
      title: '绩效目标',
      fields: [{ key: 'targets', label: '绩效目标', type: 'performance-targets', required: true, smart: true }],
    };
    const good = [
      { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1200', unit: '平方米' },
      { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
    ];
    expect(checkFormValues(targets, { targets: good }).ok).toBe(true);
    const bad = checkFormValues(targets, {
      targets: [
        { ...good[0]!, level2: '满意度' },
        { ...good[1]!, targetValue: '很多' },
      ],
    });
    expect(!bad.ok && bad.issues.map((i) => i.field)).toEqual(['targets.0.level2', 'targets.1.targetValue']);
    const notSmart = checkFormValues(targets, { targets: [good[0]] });
    expect(!notSmart.ok && notSmart.issues).toEqual([{ field: 'targets', message: expect.stringContaining('效益指标') }]);
    expect(checkFormValues(targets, { targets: [{ ...good[0], extra: 'x' }] }).ok).toBe(false);
  });

  test('a required switch must be on', () => {
    const confirm: FormDefinition = {
      key: 'confirm-form',
      title: '确认',
      fields: [{ key: 'confirm', label: '已修改', type: 'switch', required: true }],
    };
    expect(checkFormValues(confirm, { confirm: true })).toEqual({ ok: true, values: { confirm: true } });
    expect(checkFormValues(confirm, { confirm: false }).ok).toBe(false);
    expect(checkFormValues(confirm, {}).ok).toBe(false);
    expect(checkFormValues(confirm, { confirm: 'yes' }).ok).toBe(false);
  });
});

describe('form definitions: consistency', () => {
  test('the sample form is sound; initial values are defaults and switches off; no sections means one untitled group', () => {
    expect(definitionProblems(form)).toEqual([]);
    expect(initialValues(form)).toEqual({ countersign: false });
    expect(layoutSections(form)).toEqual([{ title: null, fields: form.fields }]);
  });

  test('conditions must name an earlier field and a value it can take; defaults obey the rules; sections cover every field; the decision field is a required fixed choice', () => {
    const broken: FormDefinition = {
      key: 'broken-form',
      title: '有误',
      decisionField: 'note',
      sections: [{ title: '一', fields: ['choice', 'ghost'] }],
      fields: [
        { key: 'later', label: '后', type: 'text', visibleWhen: { field: 'choice', equals: 'a' } },
        { key: 'choice', label: '选择', type: 'radio', required: true, options: [{ value: 'a', label: 'A' }] },
        { key: 'wrong', label: '错值', type: 'text', requiredWhen: { field: 'choice', equals: 'b' } },
        { key: 'note', label: '备注', type: 'text', maxLength: 2, default: '太长了' },
      ],
    };
    expect(
      definitionProblems(broken)
        .map((p) => p.field)
        .sort(),
    ).toEqual(['ghost', 'later', 'later', 'note', 'note', 'note', 'wrong', 'wrong'].sort());
  });
});
