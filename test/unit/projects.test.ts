import fc from 'fast-check';
import {
  canTransition,
  categoryClass,
  isEditable,
  likelyDuplicates,
  PROJECT_STATUSES,
  similarity,
  smartProblems,
  targetProblems,
  type PerformanceTarget,
} from '../../domain/projects';

const output: PerformanceTarget = {
  level1: '产出指标',
  level2: '数量指标',
  name: '维修校舍面积',
  direction: '>=',
  targetValue: '3200',
  unit: '平方米',
};
const benefit: PerformanceTarget = {
  level1: '效益指标',
  level2: '社会效益指标',
  name: '受益学生人数',
  direction: '>=',
  targetValue: '1800',
  unit: '人',
};

describe('project rules', () => {
  test('categories belong to their class; only 特定目标类 codes start with 3', () => {
    expect(categoryClass('1')).toBe('1');
    expect(categoryClass('21')).toBe('2');
    expect(categoryClass('22')).toBe('2');
    expect(categoryClass('32')).toBe('3');
    expect(categoryClass('33')).toBe('3');
  });

  test('lifecycle: drafts and returned applications are editable; 作废 only before funding; closed is final', () => {
    expect(isEditable('draft')).toBe(true);
    expect(isEditable('returned')).toBe(true);
    expect(isEditable('submitted')).toBe(false);
    expect(canTransition('draft', 'void')).toBe(true);
    expect(canTransition('reserved', 'void')).toBe(true);
    expect(canTransition('funded', 'void')).toBe(false);
    expect(canTransition('executing', 'void')).toBe(false);
    for (const to of PROJECT_STATUSES) expect(canTransition('closed', to)).toBe(false);
    expect(canTransition('draft', 'funded')).toBe(false);
  });

  test('targets: framework, quantified values with units, qualitative text, no repeats', () => {
    expect(targetProblems([output, benefit])).toEqual([]);
    const problems = targetProblems([
      { ...output, level1: '产品指标' },
      { ...output, level2: '社会效益指标', name: 'x' },
      { ...output, name: 'y', targetValue: '三千' },
      { ...output, name: 'z', unit: ' ' },
      { ...benefit, name: '学习环境', direction: 'qualitative', targetValue: '明显改善', unit: '' },
      { ...benefit },
    ]);
    expect(problems.map((p) => [p.index, p.field])).toEqual([
      [0, 'level1'],
      [1, 'level2'],
      [2, 'targetValue'],
      [3, 'unit'],
    ]);
    expect(targetProblems([output, { ...output }])).toEqual([{ index: 1, field: 'name', message: '与第 1 条指标重复' }]);
  });

  test('SMART: needs one quantified 产出 and one quantified 效益 indicator', () => {
    expect(smartProblems([output, benefit])).toEqual([]);
    expect(smartProblems([output])).toHaveLength(1);
    expect(smartProblems([{ ...output, direction: 'qualitative', targetValue: '按期完成' }, benefit])[0]).toContain('产出');
    expect(smartProblems([])).toHaveLength(2);
  });

  test('similarity: identical 1, unrelated low, punctuation and full-width forms ignored, symmetric', () => {
    expect(similarity('第一中学校舍维修改造项目', '第一中学校舍维修改造项目')).toBe(1);
    expect(similarity('第一中学校舍维修改造项目', '第一中学 校舍维修改造项目。')).toBe(1);
    expect(similarity('ＡＢＣ实验室', 'abc实验室')).toBe(1);
    expect(similarity('第一中学校舍维修改造项目', '农牧业技术推广示范基地建设')).toBeLessThan(0.2);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const s = similarity(a, b);
        return s >= 0 && s <= 1 && Math.abs(s - similarity(b, a)) < 1e-12;
      }),
    );
  });

  test('likely duplicates: near-identical names or long near-identical content; not short or different texts', () => {
    const description = '对教学楼屋面防水、外墙保温及门窗进行维修改造，改善学生学习环境，预计受益学生一千八百人。';
    const others = [
      { id: 1, name: '2026年第一中学校舍维修改造', description: '另一段完全不同的说明文字，讲的是实验室设备购置和安装调试。' },
      { id: 2, name: '实验室设备购置', description },
      { id: 3, name: '教师培训', description: '短' },
    ];
    const matches = likelyDuplicates({ name: '2026年第一中学校舍维修改造项目', description }, others);
    expect(matches.map((m) => [m.otherId, m.basis])).toEqual([
      [2, ['content']],
      [1, ['name']],
    ]);
    expect(likelyDuplicates({ name: '教师培训计划', description: '短' }, [{ id: 3, name: '校园绿化', description: '短' }])).toEqual([]);
  });
});
