import fs from 'node:fs';
import path from 'node:path';
import { namespaceBpmn, namespaced, ownKey, withHistoryTimeToLive, withoutNamespace } from '../../server/engine/namespace';

describe('engine namespaces', () => {
  const xml = fs.readFileSync(path.join(__dirname, '../../processes/platform-smoke-check.bpmn'), 'utf8');

  test('no namespace changes nothing', () => {
    expect(namespaceBpmn(xml, '')).toBe(xml);
    expect(namespaced('', 'platform-smoke-check')).toBe('platform-smoke-check');
  });

  test('the process id, the diagram plane that names it, and every external-task topic get the prefix; nothing else moves', () => {
    const out = namespaceBpmn(xml, 'ci7');
    expect(out).toContain('<bpmn:process id="ci7.platform-smoke-check"');
    expect(out).toContain('bpmnElement="ci7.platform-smoke-check"');
    expect(out).toContain('camunda:topic="ci7.platform.record-smoke-check"');
    expect(out).not.toMatch(/"platform-smoke-check"/);
    // Element ids and names are untouched.
    expect(out).toContain('id="RecordSmokeCheck"');
    expect(out).toContain('name="记录自检结果"');
    expect(out.replace(/ci7\./g, '')).toBe(xml);
  });

  test('withoutNamespace gives back the model as written, for both models in processes/', () => {
    for (const file of ['platform-smoke-check.bpmn', 'project-intake.bpmn']) {
      const original = fs.readFileSync(path.join(__dirname, '../../processes', file), 'utf8');
      expect(withoutNamespace(namespaceBpmn(original, 'ci7'), 'ci7')).toBe(original);
    }
    expect(withoutNamespace(xml, '')).toBe(xml);
    // Another installation's prefix is not ours to remove.
    expect(withoutNamespace(namespaceBpmn(xml, 'ci8'), 'ci7')).toBe(namespaceBpmn(xml, 'ci8'));
  });

  test("ownKey: a key is this installation's only with its prefix (and, without a namespace, only without any)", () => {
    expect(ownKey('ci7.project-intake', 'ci7')).toBe('project-intake');
    expect(ownKey('ci8.project-intake', 'ci7')).toBeNull();
    expect(ownKey('project-intake', '')).toBe('project-intake');
    expect(ownKey('ci7.project-intake', '')).toBeNull();
  });

  test("the history time to live of every process is set to the configured days, replacing the file's", () => {
    const out = withHistoryTimeToLive(xml, 1825);
    expect(out).toContain('camunda:historyTimeToLive="P1825D"');
    expect(out).not.toContain('P3650D');
    expect(out.match(/historyTimeToLive/g)).toHaveLength(1);
  });
});
