import fs from 'node:fs';
import path from 'node:path';
import { namespaceBpmn, namespaced } from '../../server/engine/namespace';

describe('engine namespaces', () => {
  const xml = fs.readFileSync(path.join(__dirname, '../../processes/platform-smoke-check.bpmn'), 'utf8');

  test('no namespace changes nothing', () => {
    expect(namespaceBpmn(xml, '')).toBe(xml);
    expect(namespaced('', 'platform-smoke-check')).toBe('platform-smoke-check');
  });

  test('the process id, the diagram plane that names it, and every job type get the prefix; nothing else moves', () => {
    const out = namespaceBpmn(xml, 'ci7');
    expect(out).toContain('<bpmn:process id="ci7.platform-smoke-check"');
    expect(out).toContain('bpmnElement="ci7.platform-smoke-check"');
    expect(out).toContain('type="ci7.platform.record-smoke-check"');
    expect(out).not.toMatch(/"platform-smoke-check"/);
    // Element ids and names are untouched.
    expect(out).toContain('id="RecordSmokeCheck"');
    expect(out).toContain('name="记录自检结果"');
    expect(out.replace(/ci7\./g, '')).toBe(xml);
  });
});
