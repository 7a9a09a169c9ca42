/**
 * A DMN decision table as the designer and its test panel see it (read from a dmn-moddle tree):
 * the inputs a clerk fills in (label, the FEEL input expression, its type), the outputs, and the
 * rules in order with their description. `checkDecisionModel` is what a DMN model must satisfy
 * before it is deployed from the designer: exactly one decision, a known one, a decision table
 * with labelled inputs whose expressions are plain variable names (the test panel and the
 * processes feed variables), named outputs, and every rule with one entry per column.
 */

export interface DecisionInput {
  id: string;
  label: string;
  /** The input expression (FEEL); for the decisions of this platform a variable name. */
  expression: string;
  typeRef: string;
}

export interface DecisionOutput {
  id: string;
  label: string;
  name: string;
  typeRef: string;
}

export interface DecisionRule {
  id: string;
  /** 1-based, as the table shows it. */
  index: number;
  description: string;
  inputEntries: string[];
  outputEntries: string[];
}

export interface DecisionTableModel {
  decisionId: string;
  name: string;
  hitPolicy: string;
  inputs: DecisionInput[];
  outputs: DecisionOutput[];
  rules: DecisionRule[];
}

export interface DecisionProblem {
  field: string;
  message: string;
}

/** The moddle element shape read here (dmn-moddle's own objects). */
interface El {
  $type: string;
  id?: string;
  name?: string;
  label?: string;
  typeRef?: string;
  text?: string;
  hitPolicy?: string;
  description?: string;
  drgElement?: El[];
  decisionLogic?: El;
  input?: El[];
  output?: El[];
  rule?: El[];
  inputExpression?: El;
  inputEntry?: El[];
  outputEntry?: El[];
}

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The decisions of a parsed dmn:Definitions, with their tables (a decision without a table has null). */
export function readDecisions(definitions: unknown): Array<{ id: string; name: string; table: DecisionTableModel | null }> {
  const root = definitions as El;
  return (root.drgElement ?? [])
    .filter((e) => e.$type === 'dmn:Decision')
    .map((d) => {
      const logic = d.decisionLogic;
      if (!logic || logic.$type !== 'dmn:DecisionTable') return { id: d.id ?? '', name: d.name ?? '', table: null };
      return {
        id: d.id ?? '',
        name: d.name ?? '',
        table: {
          decisionId: d.id ?? '',
          name: d.name ?? '',
          hitPolicy: logic.hitPolicy ?? 'UNIQUE',
          inputs: (logic.input ?? []).map((i) => ({
            id: i.id ?? '',
            label: i.label ?? '',
            expression: (i.inputExpression?.text ?? '').trim(),
            typeRef: i.inputExpression?.typeRef ?? '',
          })),
          outputs: (logic.output ?? []).map((o) => ({
            id: o.id ?? '',
            label: o.label ?? '',
            name: o.name ?? '',
            typeRef: o.typeRef ?? '',
          })),
          rules: (logic.rule ?? []).map((r, i) => ({
            id: r.id ?? '',
            index: i + 1,
            description: (r.description ?? '').trim(),
            inputEntries: (r.inputEntry ?? []).map((e) => (e.text ?? '').trim()),
            outputEntries: (r.outputEntry ?? []).map((e) => (e.text ?? '').trim()),
          })),
        },
      };
    });
}

const HIT_POLICIES = new Set(['UNIQUE', 'FIRST', 'PRIORITY', 'ANY', 'COLLECT', 'RULE ORDER', 'OUTPUT ORDER']);

/** What keeps a DMN model from being deployed from the designer (empty: it may be deployed). */
export function checkDecisionModel(
  definitions: unknown,
  knownDecisions: readonly string[],
): { table: DecisionTableModel | null; problems: DecisionProblem[] } {
  const decisions = readDecisions(definitions);
  const problems: DecisionProblem[] = [];
  if (decisions.length !== 1)
    return { table: null, problems: [{ field: 'model', message: `一个决策模型须恰好包含一个决策，找到 ${decisions.length} 个` }] };
  const d = decisions[0]!;
  if (!knownDecisions.includes(d.id))
    problems.push({ field: 'decision', message: `决策 ${d.id} 不是平台的决策表（processes/ 中没有），不能由此部署` });
  if (!d.table) return { table: null, problems: [...problems, { field: 'decision', message: `决策 ${d.id} 不是决策表` }] };
  const t = d.table;
  if (!HIT_POLICIES.has(t.hitPolicy)) problems.push({ field: 'hitPolicy', message: `命中策略 ${t.hitPolicy} 不受支持` });
  if (t.inputs.length === 0) problems.push({ field: 'inputs', message: '决策表至少要有一个输入' });
  for (const i of t.inputs) {
    if (!i.label) problems.push({ field: i.id, message: '输入须有名称（标签）' });
    if (!VARIABLE_NAME.test(i.expression))
      problems.push({ field: i.id, message: `输入“${i.label || i.id}”的表达式须为变量名（现为“${i.expression}”）` });
  }
  if (t.outputs.length === 0) problems.push({ field: 'outputs', message: '决策表至少要有一个输出' });
  for (const o of t.outputs)
    if (!VARIABLE_NAME.test(o.name)) problems.push({ field: o.id, message: `输出“${o.label || o.id}”须有合法的输出名（现为“${o.name}”）` });
  if (t.rules.length === 0) problems.push({ field: 'rules', message: '决策表至少要有一条规则' });
  for (const r of t.rules) {
    if (r.inputEntries.length !== t.inputs.length || r.outputEntries.length !== t.outputs.length)
      problems.push({ field: r.id, message: `第 ${r.index} 条规则的单元格数与列数不符` });
    r.outputEntries.forEach((e, k) => {
      if (e === '') problems.push({ field: r.id, message: `第 ${r.index} 条规则的输出“${t.outputs[k]?.label ?? k + 1}”为空` });
    });
  }
  return { table: t, problems };
}

/** A test-panel value for an input of the given DMN type (a text field's content), or an error message. */
export function coerceInput(typeRef: string, raw: unknown): { value: string | number | boolean | null } | { error: string } {
  if (raw === null || raw === undefined || raw === '') return { value: null };
  switch (typeRef) {
    case 'boolean':
      if (typeof raw === 'boolean') return { value: raw };
      if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
      return { error: '须为“是”或“否”' };
    case 'integer':
    case 'long':
    case 'double':
    case 'number': {
      const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(n)) return { error: '须为数字' };
      if (typeRef !== 'double' && typeRef !== 'number' && !Number.isSafeInteger(n)) return { error: '须为整数' };
      return { value: n };
    }
    default:
      return { value: String(raw) };
  }
}
