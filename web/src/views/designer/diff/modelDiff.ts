import { BpmnModdle } from 'bpmn-moddle';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json';

/**
 * 两个版本的差异，按元素编号比较：只在新版本中的为新增，只在旧版本中的为删除，两边都有但属性不同的
 * 为修改（列出每个变了的属性的旧值与新值）。比较的是流程元素（任务、事件、网关、连线）及流程本身的
 * 属性，不比较图形位置。
 */
/** The part of a moddle element the diff reads (declared here: the server's and the SPA's declarations of bpmn-moddle differ). */
interface ModdleElement {
  $type: string;
  id?: string;
  $attrs?: Record<string, string>;
  $descriptor: { properties: Array<{ ns: { name: string; prefix: string; localName: string }; isMany?: boolean; isReference?: boolean }> };
  get(name: string): unknown;
}

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface PropertyChange {
  property: string;
  before: string | null;
  after: string | null;
}

export interface ElementChange {
  id: string;
  kind: ChangeKind;
  type: string;
  name: string;
  properties: PropertyChange[];
}

interface Flat {
  type: string;
  name: string;
  props: Map<string, string>;
}

const text = (v: unknown): string | null => {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'object' && v !== null && 'id' in v) return String((v as { id: unknown }).id);
  return String(v);
};

/** 一个元素的可比较属性：自身的简单属性、引用（按编号）、条件表达式与扩展元素（camunda:properties 等） */
function flatten(el: ModdleElement): Map<string, string> {
  const props = new Map<string, string>();
  for (const p of el.$descriptor.properties) {
    // ns.name is prefixed (camunda:formKey); bpmn's own properties are read and shown without the prefix.
    const name = p.ns.prefix === 'bpmn' ? p.ns.localName : p.ns.name;
    if (['id', 'flowElements', 'incoming', 'outgoing', 'laneSets', 'artifacts', 'di'].includes(p.ns.localName)) continue;
    const v = el.get(name);
    if (p.isMany) continue;
    if (p.ns.localName === 'conditionExpression' && v) {
      const body = text((v as ModdleElement).get('body'));
      if (body !== null) props.set('condition', body);
      continue;
    }
    if (p.ns.localName === 'extensionElements' && v) {
      for (const [k, value] of extensionEntries(v as ModdleElement)) props.set(k, value);
      continue;
    }
    if (typeof v === 'object' && v !== null && !p.isReference) continue;
    const t = text(v);
    if (t !== null) props.set(name, t);
  }
  for (const [k, v] of Object.entries(el.$attrs ?? {})) if (!k.startsWith('xmlns')) props.set(k, v);
  return props;
}

/** 扩展元素摊平成“类型/名称 = 值”，例如 camunda:property/status = 已入库 */
function extensionEntries(ext: ModdleElement): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const value of (ext.get('values') as ModdleElement[] | undefined) ?? []) {
    if (value.$type === 'camunda:Properties') {
      for (const p of (value.get('values') as ModdleElement[] | undefined) ?? [])
        out.push([`camunda:property/${String(p.get('name'))}`, String(p.get('value') ?? '')]);
    } else if (value.$type === 'camunda:InputOutput') {
      for (const p of (value.get('inputParameters') as ModdleElement[] | undefined) ?? [])
        out.push([`camunda:input/${String(p.get('name'))}`, String(p.get('value') ?? '')]);
      for (const p of (value.get('outputParameters') as ModdleElement[] | undefined) ?? [])
        out.push([`camunda:output/${String(p.get('name'))}`, String(p.get('value') ?? '')]);
    } else {
      // Sorted keys: the same listener parsed from two files must compare equal whatever the attribute order.
      const own = Object.entries(value as unknown as Record<string, unknown>)
        .filter(([k]) => !k.startsWith('$'))
        .sort(([a], [b]) => a.localeCompare(b));
      out.push([value.$type, JSON.stringify(Object.fromEntries(own))]);
    }
  }
  return out;
}

function collect(el: ModdleElement, into: Map<string, Flat>): void {
  if (el.id) into.set(el.id, { type: el.$type, name: text(el.get('name')) ?? '', props: flatten(el) });
  for (const child of (el.get('flowElements') as ModdleElement[] | undefined) ?? []) collect(child, into);
}

async function elementsOf(xml: string): Promise<Map<string, Flat>> {
  const rootElement = (await new BpmnModdle({ camunda }).fromXML(xml, 'bpmn:Definitions')).rootElement as ModdleElement;
  const out = new Map<string, Flat>();
  for (const root of (rootElement.get('rootElements') as ModdleElement[] | undefined) ?? []) {
    if (root.$type === 'bpmn:Process') collect(root, out);
  }
  return out;
}

export function diffElements(older: Map<string, Flat>, newer: Map<string, Flat>): ElementChange[] {
  const changes: ElementChange[] = [];
  for (const [id, n] of newer) {
    const o = older.get(id);
    if (!o) {
      changes.push({ id, kind: 'added', type: n.type, name: n.name, properties: [] });
      continue;
    }
    const properties: PropertyChange[] = [];
    if (o.type !== n.type) properties.push({ property: '类型', before: o.type, after: n.type });
    for (const key of new Set([...o.props.keys(), ...n.props.keys()])) {
      const before = o.props.get(key) ?? null;
      const after = n.props.get(key) ?? null;
      if (before !== after) properties.push({ property: key, before, after });
    }
    if (properties.length) changes.push({ id, kind: 'changed', type: n.type, name: n.name, properties });
  }
  for (const [id, o] of older) if (!newer.has(id)) changes.push({ id, kind: 'removed', type: o.type, name: o.name, properties: [] });
  return changes;
}

/** 旧版本 XML 与新版本 XML 的差异 */
export async function diffModels(olderXml: string, newerXml: string): Promise<ElementChange[]> {
  const [older, newer] = await Promise.all([elementsOf(olderXml), elementsOf(newerXml)]);
  return diffElements(older, newer);
}

export const CHANGE_LABELS: Record<ChangeKind, string> = { added: '新增', removed: '删除', changed: '修改' };
