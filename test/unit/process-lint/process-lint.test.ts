import fs from 'node:fs';
import path from 'node:path';
import { designerCatalogue, lintXml } from '../../../server/designer/lint';
import { formRegistry } from '../../../server/forms';
import { PROCESSES_DIR } from '../../../server/engine/deploy';
import type { LintCatalogue } from '../../../domain/process-lint';

/**
 * The lint before deploy: bpmnlint's recommended rules and ours, each rule given a model that
 * breaks it (and only it) and the intake model that passes. Fixtures are written inline, given /
 * when / then.
 */
const catalogue: LintCatalogue = {
  forms: ['intake-department-review'],
  topics: ['project.set-status'],
  roles: ['department_reviewer', 'sector_division'],
  decisions: ['payment-threshold'],
};

/** A small valid process with one user task, one service task and one rule task between start and end. */
function model(o: { userTask?: string; serviceTask?: string; ruleTask?: string; process?: string; extraFlow?: string } = {}): string {
  const userTask =
    o.userTask ?? 'camunda:formKey="intake-department-review" camunda:candidateGroups="department_reviewer" camunda:dueDate="P3D"';
  const serviceTask = o.serviceTask ?? 'camunda:type="external" camunda:topic="project.set-status"';
  const ruleTask =
    o.ruleTask ?? 'camunda:decisionRef="payment-threshold" camunda:mapDecisionResult="singleEntry" camunda:resultVariable="chain"';
  const process = o.process ?? 'camunda:historyTimeToLive="P3650D"';
  const shape = (id: string, x: number, w = 100, h = 80) =>
    `<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"><dc:Bounds x="${x}" y="100" width="${w}" height="${h}" /></bpmndi:BPMNShape>`;
  const edge = (id: string, x1: number, x2: number) =>
    `<bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}"><di:waypoint x="${x1}" y="140" /><di:waypoint x="${x2}" y="140" /></bpmndi:BPMNEdge>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="http://budget.gov.cn/bpmn">
  <bpmn:process id="p" name="测试" isExecutable="true" ${process}>
    <bpmn:startEvent id="S" name="开始"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="U" name="审核" ${userTask}><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:serviceTask id="T" name="设置状态" ${serviceTask}><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:businessRuleTask id="R" name="判断" ${ruleTask}><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:endEvent id="E" name="结束"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="U" />
    <bpmn:sequenceFlow id="f2" sourceRef="U" targetRef="T" />
    <bpmn:sequenceFlow id="f3" sourceRef="T" targetRef="R" />
    <bpmn:sequenceFlow id="f4" sourceRef="R" targetRef="E" />
    ${o.extraFlow ?? ''}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="DI"><bpmndi:BPMNPlane id="P" bpmnElement="p">
    ${shape('S', 0, 36, 36)}${shape('U', 100)}${shape('T', 250)}${shape('R', 400)}${shape('E', 550, 36, 36)}
    ${edge('f1', 36, 100)}${edge('f2', 200, 250)}${edge('f3', 350, 400)}${edge('f4', 500, 550)}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

const errorsOf = async (xml: string, c = catalogue) =>
  (await lintXml(xml, c)).filter((p) => p.severity === 'error').map((p) => [p.rule, p.elementId, p.message]);

describe('process lint', () => {
  test('given a model that refers only to what exists, when linted, then there is no error', async () => {
    expect(await errorsOf(model())).toEqual([]);
  });

  test('form-key-resolves: a user task without a form, or with a form not in forms/', async () => {
    expect(await errorsOf(model({ userTask: 'camunda:candidateGroups="department_reviewer" camunda:dueDate="P3D"' }))).toEqual([
      ['budget/form-key-resolves', 'U', '用户任务没有表单（camunda:formKey）'],
    ]);
    expect(
      await errorsOf(
        model({ userTask: 'camunda:formKey="no-such-form" camunda:candidateGroups="department_reviewer" camunda:dueDate="P3D"' }),
      ),
    ).toEqual([['budget/form-key-resolves', 'U', '表单 no-such-form 在 forms/ 中不存在']]);
  });

  test('topic-has-worker: an external task whose topic no worker takes, or without a topic', async () => {
    expect(await errorsOf(model({ serviceTask: 'camunda:type="external" camunda:topic="nobody.listens"' }))).toEqual([
      ['budget/topic-has-worker', 'T', '主题 nobody.listens 没有已注册的工作者'],
    ]);
    expect(await errorsOf(model({ serviceTask: 'camunda:type="external"' }))).toEqual([
      ['budget/topic-has-worker', 'T', '外部任务没有主题（camunda:topic）'],
    ]);
  });

  test('candidate-group-is-role: each group of a comma list must be a role code; an expression is left to run time', async () => {
    expect(
      await errorsOf(
        model({
          userTask:
            'camunda:formKey="intake-department-review" camunda:candidateGroups="department_reviewer, treasurer" camunda:dueDate="P3D"',
        }),
      ),
    ).toEqual([['budget/candidate-group-is-role', 'U', '候选组 treasurer 不是平台的角色']]);
    expect(
      await errorsOf(
        model({ userTask: 'camunda:formKey="intake-department-review" camunda:candidateGroups="${groups}" camunda:dueDate="P3D"' }),
      ),
    ).toEqual([]);
  });

  test('decision-ref-exists: a rule task must name a deployed decision', async () => {
    expect(await errorsOf(model({ ruleTask: 'camunda:decisionRef="no-such-table"' }))).toEqual([
      ['budget/decision-ref-exists', 'R', '决策表 no-such-table 不存在（未部署）'],
    ]);
    expect(await errorsOf(model({ ruleTask: '' }))).toEqual([
      ['budget/decision-ref-exists', 'R', '规则任务没有决策表（camunda:decisionRef）'],
    ]);
  });

  test('history-ttl: a process without historyTimeToLive', async () => {
    expect(await errorsOf(model({ process: '' }))).toEqual([
      ['budget/history-ttl', 'p', '流程没有设置历史保存期限（camunda:historyTimeToLive）'],
    ]);
  });

  test('no-dangling-flow: a flow whose end is missing', async () => {
    const problems = await errorsOf(model({ extraFlow: '<bpmn:sequenceFlow id="f5" sourceRef="U" />' }));
    expect(problems).toContainEqual(['budget/no-dangling-flow', 'f5', '连线没有终点']);
  });

  test('user-task-due-date: a user task without a due date', async () => {
    expect(
      await errorsOf(model({ userTask: 'camunda:formKey="intake-department-review" camunda:candidateGroups="department_reviewer"' })),
    ).toEqual([['budget/user-task-due-date', 'U', '用户任务没有办理期限（camunda:dueDate）']]);
  });

  test('bpmnlint recommended rules run too (a disconnected task), with a Chinese message', async () => {
    const xml = model().replace('<bpmn:endEvent', '<bpmn:task id="Lonely" name="孤立" /><bpmn:endEvent');
    const problems = await lintXml(xml, catalogue);
    expect(problems).toContainEqual(
      expect.objectContaining({
        rule: 'no-disconnected',
        elementId: 'Lonely',
        severity: 'error',
        message: expect.stringContaining('元素未连接到流程'),
      }),
    );
  });

  test('XML that does not parse is one error', async () => {
    expect(await errorsOf('<bpmn:definitions')).toEqual([['parse', null, expect.stringContaining('BPMN 无法解析')]]);
  });

  test('the models in processes/ pass against the real catalogue (forms/, workers, roles)', async () => {
    const fake = { decisionDefinitions: async () => [] } as unknown as Parameters<typeof designerCatalogue>[1];
    const real = await designerCatalogue(formRegistry(), fake, '');
    for (const f of fs.readdirSync(PROCESSES_DIR).filter((x) => x.endsWith('.bpmn'))) {
      expect([f, await errorsOf(fs.readFileSync(path.join(PROCESSES_DIR, f), 'utf8'), real)]).toEqual([f, []]);
    }
  });
});
