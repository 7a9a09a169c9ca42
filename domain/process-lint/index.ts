/// <reference path="./bpmnlint.d.ts" />
import Linter from 'bpmnlint/lib/linter';
import StaticResolver from 'bpmnlint/lib/resolver/static-resolver';
import recommended from 'bpmnlint/config/recommended';
import { RECOMMENDED_RULES } from './recommended';
import { BUDGET_RULE_NAMES, budgetRules, type LintCatalogue } from './rules';

export type { LintCatalogue } from './rules';

/** One problem: the element it is on, the rule, the message (Chinese for ours), error or warning. */
export interface LintProblem {
  elementId: string | null;
  rule: string;
  message: string;
  severity: 'error' | 'warning';
}

/** Chinese messages for bpmnlint's recommended rules (their own messages are English). */
const RECOMMENDED_LABELS: Record<string, string> = {
  'label-required': '元素缺少名称',
  'no-disconnected': '元素未连接到流程',
  'no-implicit-split': '隐式分支：多条出线请使用网关',
  'no-implicit-end': '隐式结束：请使用结束事件',
  'no-implicit-start': '隐式开始：请使用开始事件',
  'end-event-required': '流程缺少结束事件',
  'start-event-required': '流程缺少开始事件',
  'conditional-flows': '网关的出线缺少条件或默认流',
  'no-duplicate-sequence-flows': '重复的连线',
  'fake-join': '任务有多条入线：请使用网关汇合',
  'superfluous-gateway': '多余的网关（只有一进一出）',
  'no-gateway-join-fork': '网关不要同时汇合和分支',
  'no-inclusive-gateway': '不建议使用包容网关',
  'no-complex-gateway': '不支持复杂网关',
  'no-bpmndi': '元素没有图形信息',
  'single-blank-start-event': '只能有一个空开始事件',
  'no-overlapping-elements': '元素重叠',
};

/**
 * Lints a parsed BPMN model (moddle definitions, from bpmn-moddle with camunda-bpmn-moddle, or
 * the modeler's getDefinitions()) with bpmnlint's recommended rules and ours. The same function
 * runs on the server before a deployment and in the designer page.
 */
export async function lintDefinitions(definitions: unknown, catalogue: LintCatalogue): Promise<LintProblem[]> {
  const cache: Record<string, unknown> = { 'config:bpmnlint/recommended': recommended };
  for (const [name, factory] of Object.entries(RECOMMENDED_RULES)) cache[`rule:bpmnlint/${name}`] = factory;
  const ours = budgetRules(catalogue);
  for (const name of BUDGET_RULE_NAMES) cache[`rule:bpmnlint-plugin-budget/${name}`] = ours[name];
  const linter = new Linter({ resolver: new StaticResolver(cache) });
  const config = { extends: 'bpmnlint:recommended', rules: Object.fromEntries(BUDGET_RULE_NAMES.map((n) => [`budget/${n}`, 'error'])) };
  const results = (await linter.lint(definitions, config)) as Record<string, Array<{ id?: string; message: string; category: string }>>;
  const problems: LintProblem[] = [];
  for (const [ruleName, reports] of Object.entries(results)) {
    const ownRule = ruleName.startsWith('budget/');
    for (const r of reports) {
      if (r.category === 'rule-error') {
        problems.push({ elementId: r.id ?? null, rule: ruleName, message: `规则 ${ruleName} 执行出错：${r.message}`, severity: 'error' });
        continue;
      }
      const label = ownRule ? r.message : `${RECOMMENDED_LABELS[ruleName] ?? r.message}（${r.message}）`;
      problems.push({ elementId: r.id ?? null, rule: ruleName, message: label, severity: r.category === 'error' ? 'error' : 'warning' });
    }
  }
  return problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}
