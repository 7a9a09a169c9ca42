import fs from 'node:fs';
import path from 'node:path';
import { listProcessResources, PROCESSES_DIR } from './deploy';

/**
 * What the platform needs to know of its own models without asking the engine: each process's
 * elements (id, kind, name, form key, job type) and its XML for the diagrams the SPA draws.
 * Read from processes/ once; the files are what was deployed (namespaces aside).
 */

export interface ModelElement {
  id: string;
  kind: string; // userTask, serviceTask, exclusiveGateway, …
  name: string;
  formKey?: string;
  /** External task topic (camunda:type="external"). */
  topic?: string;
  /** Role codes, comma-separated (camunda:candidateGroups). */
  candidateGroups?: string;
  assignee?: string;
  dueDate?: string;
  /** Business rule task: the decision (a DMN in processes/) it evaluates. */
  decisionRef?: string;
  /** Call activity: the process it calls. */
  calledElement?: string;
  /** Extension properties (camunda:properties), e.g. the status a step sets. */
  properties: Record<string, string>;
}

export interface ProcessModel {
  id: string;
  name: string;
  file: string;
  xml: string;
  /** Every flow element, those inside embedded subprocesses included. */
  elements: Map<string, ModelElement>;
  /**
   * The process's own extension properties. `inbox="none"`: its user tasks are not projected
   * into the inbox (the expert review keeps its own assignments: its tasks must stay blind).
   */
  properties: Record<string, string>;
}

/** Whether the inbox projects this process's user tasks (server/inbox/sync.ts). */
export function inInbox(model: Pick<ProcessModel, 'properties'> | undefined): boolean {
  return model?.properties.inbox !== 'none';
}

let cache: Map<string, ProcessModel> | undefined;

/** Every process in processes/, by process id. */
export function processModels(dir = PROCESSES_DIR): Map<string, ProcessModel> {
  if (cache && dir === PROCESSES_DIR) return cache;
  const models = new Map<string, ProcessModel>();
  for (const file of listProcessResources(dir).filter((f) => f.endsWith('.bpmn'))) {
    const xml = fs.readFileSync(file, 'utf8');
    for (const m of parseProcesses(xml)) models.set(m.id, { ...m, file: path.relative(dir, file), xml });
  }
  if (dir === PROCESSES_DIR) cache = models;
  return models;
}

const attr = (tag: string, name: string) => new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(tag)?.[1];

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * A small reader for the BPMN the platform writes (no general XML parser needed): each
 * flow element's opening tag with its camunda: attributes, and within its body the extension
 * properties.
 */
export function parseProcesses(xml: string): Array<Omit<ProcessModel, 'file' | 'xml'>> {
  const out: Array<Omit<ProcessModel, 'file' | 'xml'>> = [];
  for (const p of xml.matchAll(/<(?:bpmn:)?process\b([^>]*)>([\s\S]*?)<\/(?:bpmn:)?process>/g)) {
    const elements = new Map<string, ModelElement>();
    const body = p[2]!;
    parseElements(body, elements);
    const own = /^\s*(?:<(?:bpmn:)?documentation>[\s\S]*?<\/(?:bpmn:)?documentation>\s*)?<(?:bpmn:)?extensionElements>([\s\S]*?)<\/(?:bpmn:)?extensionElements>/.exec(body)?.[1] ?? '';
    out.push({ id: attr(p[1]!, 'id')!, name: unescapeXml(attr(p[1]!, 'name') ?? ''), elements, properties: propertiesOf(own) });
  }
  return out;
}

function propertiesOf(xml: string): Record<string, string> {
  return Object.fromEntries([...xml.matchAll(/<camunda:property\b([^>]*)\/?>/g)].map((m) => [attr(m[1]!, 'name') ?? '', unescapeXml(attr(m[1]!, 'value') ?? '')]));
}

/** The flow elements of a body; an embedded subprocess's own elements are read too. */
function parseElements(body: string, elements: Map<string, ModelElement>): void {
  for (const m of body.matchAll(/<(?:bpmn:)?(\w+)\b([^>]*?)(\/>|>([\s\S]*?)<\/(?:bpmn:)?\1>)/g)) {
    const kind = m[1]!;
    const tag = m[2]!;
    const id = attr(tag, 'id');
    if (!id || kind === 'sequenceFlow' || kind === 'documentation' || kind === 'extensionElements') continue;
    const inner = m[4] ?? '';
    elements.set(id, {
      id,
      kind,
      name: unescapeXml(attr(tag, 'name') ?? id),
      formKey: attr(tag, 'camunda:formKey'),
      topic: attr(tag, 'camunda:type') === 'external' ? attr(tag, 'camunda:topic') : undefined,
      candidateGroups: attr(tag, 'camunda:candidateGroups'),
      assignee: attr(tag, 'camunda:assignee'),
      dueDate: attr(tag, 'camunda:dueDate'),
      decisionRef: attr(tag, 'camunda:decisionRef'),
      calledElement: attr(tag, 'calledElement'),
      properties: kind === 'subProcess' ? {} : propertiesOf(inner),
    });
    if (kind === 'subProcess') parseElements(inner, elements);
  }
}
