import fs from 'node:fs';
import path from 'node:path';
import { diffModels } from '../../../web/src/views/designer/diff/modelDiff';

/** The designer's version diff (web/src/views/designer/diff): by element id, properties listed. */
describe('model diff', () => {
  const intake = fs.readFileSync(path.join(__dirname, '../../../processes/project-intake.bpmn'), 'utf8');

  test('given the same model twice (attributes reordered), then nothing changed', async () => {
    const reordered = intake.replace(
      'camunda:formKey="intake-sector-review" camunda:candidateGroups="sector_division"',
      'camunda:candidateGroups="sector_division" camunda:formKey="intake-sector-review"',
    );
    expect(reordered).not.toBe(intake);
    expect(await diffModels(intake, reordered)).toEqual([]);
  });

  test('given a changed candidate group, a new task and a removed flow, then each is reported with its properties', async () => {
    const newer = intake
      .replace('camunda:candidateGroups="sector_division"', 'camunda:candidateGroups="budget_division"')
      .replace(
        '<bpmn:sequenceFlow id="f_start" sourceRef="Submitted" targetRef="SmartCheck" />',
        '<bpmn:userTask id="ExtraCheck" name="补充核查" camunda:formKey="intake-sector-review" camunda:dueDate="P1D" />',
      );
    const changes = await diffModels(intake, newer);
    expect(changes).toEqual(
      expect.arrayContaining([
        {
          id: 'SectorReview',
          kind: 'changed',
          type: 'bpmn:UserTask',
          name: '财政业务处室审核',
          properties: [{ property: 'camunda:candidateGroups', before: 'sector_division', after: 'budget_division' }],
        },
        expect.objectContaining({ id: 'ExtraCheck', kind: 'added', name: '补充核查' }),
        expect.objectContaining({ id: 'f_start', kind: 'removed' }),
      ]),
    );
    // The tasks the removed flow joined do not count as changed: incoming/outgoing are not compared, the flow itself is listed.
    expect(changes.filter((c) => c.kind === 'changed').map((c) => c.id)).toEqual(['SectorReview']);
  });

  test('a changed condition and a changed extension property are listed by name', async () => {
    const cond = /<bpmn:conditionExpression[^>]*>([^<]+)<\/bpmn:conditionExpression>/.exec(intake);
    const prop = /<camunda:property name="([^"]+)" value="([^"]+)"/.exec(intake);
    expect(cond && prop).toBeTruthy();
    const newer = intake
      .replace(cond![0], cond![0].replace(cond![1]!, '${true}'))
      .replace(prop![0], `<camunda:property name="${prop![1]}" value="改过的值"`);
    const props = (await diffModels(intake, newer)).flatMap((c) => c.properties.map((p) => p.property));
    expect(props).toEqual(expect.arrayContaining(['condition', `camunda:property/${prop![1]}`]));
  });
});
