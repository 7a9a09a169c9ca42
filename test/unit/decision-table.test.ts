import fs from 'node:fs';
import path from 'node:path';
import { checkDecisionModel, coerceInput } from '../../domain/decision-table';
import { listProcessResources, PROCESSES_DIR } from '../../server/engine/deploy';
import { parseDmn, platformDecisions } from '../../server/designer/decisions';

/** The decision-table check the designer applies before deploying a DMN, and the test panel's input typing. */
describe('decision tables', () => {
  const chain = fs.readFileSync(path.join(PROCESSES_DIR, 'allocation-approval-chain.dmn'), 'utf8');
  const known = () => [...platformDecisions().keys()];

  test('every DMN in processes/ passes the check and is a platform decision', async () => {
    const files = listProcessResources().filter((f) => f.endsWith('.dmn'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const { table, problems } = checkDecisionModel(await parseDmn(fs.readFileSync(f, 'utf8')), known());
      expect({ file: f, problems }).toEqual({ file: f, problems: [] });
      expect(table?.rules.length).toBeGreaterThan(0);
    }
  });

  test('refusals: unknown decision, an expression that is not a variable, an empty output, no rules, two decisions', async () => {
    const check = async (xml: string) => checkDecisionModel(await parseDmn(xml), known()).problems;
    expect(await check(chain.replace(/allocation-approval-chain/g, 'other'))).toEqual([expect.objectContaining({ field: 'decision' })]);
    expect(await check(chain.replace('<text>totalFen</text>', '<text>totalFen * 2</text>'))).toEqual([
      expect.objectContaining({ field: 'InputTotal' }),
    ]);
    expect(await check(chain.replace('<text>"section"</text>', '<text> </text>'))).toEqual([
      expect.objectContaining({ field: 'RuleSection', message: expect.stringContaining('第 5 条规则') }),
    ]);
    expect(await check(chain.replace(/<rule id[\s\S]*<\/rule>/, ''))).toEqual([expect.objectContaining({ field: 'rules' })]);
    const two = chain.replace('</definitions>', '<decision id="allocation-performance-grade" name="x" /></definitions>');
    expect(await check(two)).toEqual([expect.objectContaining({ field: 'model' })]);
    await expect(parseDmn('<definitions')).rejects.toMatchObject({ code: 'DECISION_INVALID', status: 400 });
  });

  test('test-panel inputs are typed as the table declares', () => {
    expect(coerceInput('long', '1500000')).toEqual({ value: 1_500_000 });
    expect(coerceInput('long', '1.5')).toEqual({ error: '须为整数' });
    expect(coerceInput('integer', 'abc')).toEqual({ error: '须为数字' });
    expect(coerceInput('double', '82.5')).toEqual({ value: 82.5 });
    expect(coerceInput('boolean', 'true')).toEqual({ value: true });
    expect(coerceInput('boolean', false)).toEqual({ value: false });
    expect(coerceInput('boolean', '是')).toEqual({ error: '须为“是”或“否”' });
    expect(coerceInput('string', 'good')).toEqual({ value: 'good' });
    expect(coerceInput('long', '')).toEqual({ value: null });
  });
});
