/**
 * The platform's own lint rules for process models (bpmnlint rule factories, plugin "budget"):
 * what makes a model deployable here beyond BPMN itself. Each takes the catalogue of what exists —
 * forms in forms/, topics of registered workers, role codes, deployed decisions — and reports on
 * the moddle tree bpmnlint walks. Shared by the server (deploy refuses) and the designer page
 * (problems drawn on the diagram).
 */

export interface LintCatalogue {
  forms: readonly string[];
  topics: readonly string[];
  roles: readonly string[];
  decisions: readonly string[];
}

/** The moddle element as bpmnlint hands it to a rule (only what the rules read). */
export interface LintNode {
  $type: string;
  id?: string;
  get(name: string): unknown;
  [key: string]: unknown;
}
export interface Reporter {
  report(id: string | undefined, message: string, path?: string[]): void;
}
export type RuleFactory = () => { check(node: LintNode, reporter: Reporter): void };

const isExpression = (v: string) => /^\s*[$#]\{/.test(v);
const attr = (node: LintNode, name: string): string | undefined => {
  const v = node.get(name);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
};
const rule =
  (check: (node: LintNode, reporter: Reporter) => void): RuleFactory =>
  () => ({ check });

/** External tasks and the events/tasks that can be external (camunda:type="external"). */
const TOPIC_TYPES = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask']);

export function budgetRules(c: LintCatalogue): Record<string, RuleFactory> {
  return {
    'form-key-resolves': rule((node, reporter) => {
      if (node.$type !== 'bpmn:UserTask') return;
      const key = attr(node, 'camunda:formKey');
      if (!key) reporter.report(node.id, '用户任务没有表单（camunda:formKey）', ['formKey']);
      else if (!isExpression(key) && !c.forms.includes(key)) reporter.report(node.id, `表单 ${key} 在 forms/ 中不存在`, ['formKey']);
    }),
    'topic-has-worker': rule((node, reporter) => {
      if (!TOPIC_TYPES.has(node.$type) || node.get('camunda:type') !== 'external') return;
      const topic = attr(node, 'camunda:topic');
      if (!topic) reporter.report(node.id, '外部任务没有主题（camunda:topic）', ['topic']);
      else if (!c.topics.includes(topic)) reporter.report(node.id, `主题 ${topic} 没有已注册的工作者`, ['topic']);
    }),
    'candidate-group-is-role': rule((node, reporter) => {
      if (node.$type !== 'bpmn:UserTask') return;
      const groups = attr(node, 'camunda:candidateGroups');
      if (!groups || isExpression(groups)) return;
      for (const g of groups
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        if (!c.roles.includes(g)) reporter.report(node.id, `候选组 ${g} 不是平台的角色`, ['candidateGroups']);
      }
    }),
    'decision-ref-exists': rule((node, reporter) => {
      if (node.$type !== 'bpmn:BusinessRuleTask' || node.get('camunda:type') === 'external') return;
      const ref = attr(node, 'camunda:decisionRef');
      if (!ref) reporter.report(node.id, '规则任务没有决策表（camunda:decisionRef）', ['decisionRef']);
      else if (!isExpression(ref) && !c.decisions.includes(ref))
        reporter.report(node.id, `决策表 ${ref} 不存在（未部署）`, ['decisionRef']);
    }),
    'history-ttl': rule((node, reporter) => {
      if (node.$type !== 'bpmn:Process') return;
      const ttl = node.get('camunda:historyTimeToLive');
      if (ttl === undefined || ttl === null || String(ttl).trim() === '')
        reporter.report(node.id, '流程没有设置历史保存期限（camunda:historyTimeToLive）', ['historyTimeToLive']);
    }),
    'no-dangling-flow': rule((node, reporter) => {
      if (node.$type !== 'bpmn:SequenceFlow') return;
      if (!node.get('sourceRef')) reporter.report(node.id, '连线没有起点', ['sourceRef']);
      if (!node.get('targetRef')) reporter.report(node.id, '连线没有终点', ['targetRef']);
    }),
    'user-task-due-date': rule((node, reporter) => {
      if (node.$type !== 'bpmn:UserTask') return;
      if (!attr(node, 'camunda:dueDate')) reporter.report(node.id, '用户任务没有办理期限（camunda:dueDate）', ['dueDate']);
    }),
  };
}

export const BUDGET_RULE_NAMES = [
  'form-key-resolves',
  'topic-has-worker',
  'candidate-group-is-role',
  'decision-ref-exists',
  'history-ttl',
  'no-dangling-flow',
  'user-task-due-date',
] as const;
