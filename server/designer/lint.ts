/// <reference path="../../domain/process-lint/bpmnlint.d.ts" />
import { BpmnModdle } from 'bpmn-moddle';
import camunda from 'camunda-bpmn-moddle/resources/camunda.json';
import { ROLES } from '../../domain/roles';
import { lintDefinitions, type LintCatalogue, type LintProblem } from '../../domain/process-lint';
import type { EngineClient } from '../engine/client';
import fs from 'node:fs';
import { listProcessResources } from '../engine/deploy';
import { ownKey } from '../engine/namespace';
import type { FormRegistry } from '../forms';
import { allWorkers } from '../../workers';

/**
 * What a model may refer to (the designer page's pick lists and the lint's catalogue): the task
 * forms in forms/, the topics of the registered workers, our role codes, and the decisions
 * deployed to the engine for this installation (namespace removed).
 */
export interface DesignerCatalogue extends LintCatalogue {
  roleNames: Record<string, string>;
}

export async function designerCatalogue(forms: FormRegistry, engine: EngineClient, namespace: string): Promise<DesignerCatalogue> {
  const decisions = (await engine.decisionDefinitions({ latestVersion: true })).flatMap((d) => {
    const own = ownKey(d.key, namespace);
    return own ? [own] : [];
  });
  // The decisions of processes/*.dmn are deployed with the models (one deployment): a model may name them.
  for (const file of listProcessResources().filter((f) => f.endsWith('.dmn'))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/<(?:dmn:)?decision\b[^>]*\bid="([^"]+)"/g)) decisions.push(m[1]!);
  }
  return {
    forms: forms.keys().sort(),
    topics: [...new Set(allWorkers.map((w) => w.topic))].sort(),
    roles: ROLES.map((r) => r.code),
    roleNames: Object.fromEntries(ROLES.map((r) => [r.code, r.name])),
    decisions: [...new Set(decisions)].sort(),
  };
}

/** Parses BPMN XML with the Camunda extensions; a model that does not parse is one problem. */
export async function lintXml(xml: string, catalogue: LintCatalogue): Promise<LintProblem[]> {
  const moddle = new BpmnModdle({ camunda });
  let parsed: { rootElement: unknown; warnings: Array<{ message: string }> };
  try {
    parsed = (await moddle.fromXML(xml, 'bpmn:Definitions')) as unknown as typeof parsed;
  } catch (err) {
    return [
      { elementId: null, rule: 'parse', message: `BPMN 无法解析：${err instanceof Error ? err.message : String(err)}`, severity: 'error' },
    ];
  }
  return lintDefinitions(parsed.rootElement, catalogue);
}
