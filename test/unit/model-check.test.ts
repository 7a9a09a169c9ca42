import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processModels } from '../../server/engine/models';
import { listProcessResources } from '../../server/engine/deploy';
import { loadForms } from '../../server/forms';
import { roleByCode } from '../../domain/roles';
import { allWorkers } from '../../workers';

/**
 * The models in processes/ against the code that runs them: every user task's form exists in
 * forms/, every service task is an external task whose topic has a registered worker (with the
 * extension properties the worker reads), every candidate group is a role, every user task has a
 * due date, and process ids carry no '.' (the namespace separator).
 */
describe('model check: processes/ ↔ forms/ ↔ workers/', () => {
  const models = [...processModels().values()];
  const forms = loadForms();
  const workers = new Map(allWorkers.map((w) => [w.topic, w]));
  const decisions = new Set(
    listProcessResources()
      .filter((f) => f.endsWith('.dmn'))
      .flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/<(?:dmn:)?decision\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!)),
  );

  test('there are models to check', () => {
    expect(models.map((m) => m.id)).toEqual(expect.arrayContaining(['platform-smoke-check', 'project-intake']));
  });

  test.each(models.map((m) => [m.id, m] as const))('%s: forms, workers, candidate groups and ids resolve', (_id, model) => {
    const problems: string[] = [];
    if (model.id.includes('.')) problems.push(`process id ${model.id} contains "."`);
    for (const e of model.elements.values()) {
      if (e.kind === 'userTask') {
        if (!e.formKey) problems.push(`${e.id}: user task without a form`);
        else if (!forms.get(e.formKey)) problems.push(`${e.id}: form ${e.formKey} is not in forms/`);
        for (const g of (e.candidateGroups ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean))
          if (!roleByCode(g)) problems.push(`${e.id}: candidate group ${g} is not a role`);
        if (!e.candidateGroups && !e.assignee) problems.push(`${e.id}: user task with neither candidate groups nor an assignee`);
        if (!e.dueDate) problems.push(`${e.id}: user task without a due date`);
      }
      if (e.kind === 'businessRuleTask' && !(e.decisionRef && decisions.has(e.decisionRef)))
        problems.push(`${e.id}: decision ${String(e.decisionRef)} is not a DMN decision in processes/`);
      if (e.kind === 'callActivity' && !(e.calledElement && processModels().has(e.calledElement)))
        problems.push(`${e.id}: called process ${String(e.calledElement)} is not in processes/`);
      if (e.kind === 'serviceTask') {
        const worker = e.topic ? workers.get(e.topic) : undefined;
        if (!worker) problems.push(`${e.id}: external task topic ${String(e.topic)} has no registered worker`);
        for (const prop of worker?.properties ?? [])
          if (!(prop in e.properties)) problems.push(`${e.id}: extension property ${prop} missing (the worker reads it)`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('elements inside an embedded subprocess are read and checked too', () => {
    const seat = processModels().get('expert-review-project')!;
    expect(seat.elements.get('Respond')).toMatchObject({ kind: 'userTask', formKey: 'expert-review-respond' });
    expect(seat.elements.get('ReplaceTimedOut')!.properties).toEqual({ reason: 'timed_out' });
    expect(seat.properties).toEqual({ inbox: 'none' });
    expect(decisions).toEqual(
      new Set([
        'allocation-approval-chain',
        'allocation-performance-grade',
        'budget-adjustment-chain',
        'expert-review-aggregation',
        'expert-review-band',
        'payment-approval-chain',
        'performance-grade',
      ]),
    );
  });

  test('every process carries a history time to live, and no Zeebe extension remains', () => {
    for (const m of models) {
      expect(m.xml).toMatch(/<bpmn:process\b[^>]*camunda:historyTimeToLive="P\d+D"/);
      expect(m.xml).not.toMatch(/zeebe/i);
    }
  });

  test('every form in forms/ is used by some model (no orphans)', () => {
    const used = new Set(models.flatMap((m) => [...m.elements.values()].map((e) => e.formKey).filter(Boolean)));
    expect(forms.keys().filter((k) => !used.has(k))).toEqual([]);
  });

  test('the checker sees a broken reference (it can fail)', () => {
    const xml = fs
      .readFileSync(path.join(__dirname, '../../processes/project-intake.bpmn'), 'utf8')
      .replace('formKey="intake-revise"', 'formKey="no-such-form"');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'models-'));
    fs.writeFileSync(path.join(tmp, 'x.bpmn'), xml);
    const broken = processModels(tmp).get('project-intake')!;
    expect(forms.get(broken.elements.get('Revise')!.formKey!)).toBeUndefined();
    const noTopic = processModels(tmp).get('project-intake')!;
    expect(noTopic.elements.get('Reserve')!.properties).toMatchObject({ status: 'reserved', outcome: 'reserved' });
  });
});
