import fs from 'node:fs';
import path from 'node:path';
import { ownKey } from '../../../server/engine/namespace';
import { loadForms } from '../../../server/forms';
import {
  decisionRefsOf,
  ownTrialTopic,
  sandboxBpmn,
  sandboxDmn,
  trialChoicesOf,
  trialDeploymentName,
  trialIdOfDeployment,
  trialOutputs,
  trialStartVariables,
  trialTaskValues,
  trialTopic,
} from '../../../server/designer/trial-model';
import { allWorkers } from '../../../workers';

/** 试运行's pure part: how a draft becomes a sandbox model, its generated data and the answers it gets. */
describe('trial run model', () => {
  const dir = path.join(__dirname, '../../../processes');
  const intake = fs.readFileSync(path.join(dir, 'project-intake.bpmn'), 'utf8');
  const payment = fs.readFileSync(path.join(dir, 'payment-approval.bpmn'), 'utf8');
  const treasury = fs.readFileSync(path.join(dir, 'treasury-payment.bpmn'), 'utf8');
  const forms = loadForms();

  test('given a draft, when it is sandboxed, then process, topics and decisions carry prefixes no real key has', () => {
    const out = sandboxBpmn(payment, 'ns1', 'abcdef012345');
    expect(out).toContain('<bpmn:process id="budgettrial.ns1.abcdef012345.payment-approval"');
    expect(out).toContain('bpmnElement="budgettrial.ns1.abcdef012345.payment-approval"');
    expect(out).toContain('camunda:topic="budgettrial.ns1.payment.risk-check"');
    expect(out).toContain('camunda:decisionRef="budgettrial.ns1.abcdef012345.payment-approval-chain"');
    expect(out).toContain('camunda:historyTimeToLive="P1D"');
    // Element ids stay, so the panel draws the tokens on the editor's diagram.
    expect(out).toContain('id="ChainRule"');
    // Neither this installation nor one without a namespace takes the trial's key for its own.
    expect(ownKey('budgettrial.ns1.abcdef012345.payment-approval', 'ns1')).toBeNull();
    expect(ownKey('budgettrial.abcdef012345.payment-approval', '')).toBeNull();
    expect(sandboxBpmn(intake, '', 'abcdef012345')).toContain('camunda:topic="budgettrial.project.smart-check"');
  });

  test("given a model waiting for a message, when sandboxed, then the message name is the trial's own", () => {
    const names = [...treasury.matchAll(/<bpmn:message\b[^>]*\bname="([^"]+)"/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(0);
    const out = sandboxBpmn(treasury, '', 'abcdef012345');
    for (const name of names) {
      expect(out).toContain(`name="budgettrial.abcdef012345.${name}"`);
      expect(out).not.toContain(`name="${name}"`);
    }
  });

  test('decision tables are copied into the sandbox under the trial prefix', () => {
    expect(decisionRefsOf(payment)).toEqual(['payment-approval-chain']);
    const dmn = fs.readFileSync(path.join(dir, 'payment-approval-chain.dmn'), 'utf8');
    expect(sandboxDmn(dmn, '', 'abcdef012345')).toMatch(/<decision id="budgettrial\.abcdef012345\.payment-approval-chain"/);
  });

  test('deployment names and topics round-trip, and only for this installation', () => {
    expect(trialIdOfDeployment(trialDeploymentName('ns1', 'abcdef012345'), 'ns1')).toBe('abcdef012345');
    expect(trialIdOfDeployment(trialDeploymentName('ns1', 'abcdef012345'), 'ns2')).toBeNull();
    expect(trialIdOfDeployment(trialDeploymentName('ns1', 'abcdef012345'), '')).toBeNull();
    expect(trialIdOfDeployment('designer:project-intake', '')).toBeNull();
    expect(ownTrialTopic('ns1', trialTopic('ns1', 'project.set-status'))).toBe('project.set-status');
    expect(ownTrialTopic('ns1', 'ns1.project.set-status')).toBeNull();
  });

  test('generated start variables are made up: no real ids, fen amounts, the trial marker', () => {
    expect(trialStartVariables('project-intake')).toMatchObject({ projectId: 0, unitOrgId: 0, budgetTrial: true });
    const p = trialStartVariables('payment-approval');
    expect(Number.isSafeInteger(p.amountFen)).toBe(true);
    expect(p.paymentRequestId).toBe(0);
    expect(trialStartVariables('imported-model')).toEqual({ budgetTrial: true });
  });

  test('the trial worker has an answer for every topic, and the countersign tally follows the rule', () => {
    for (const w of allWorkers) expect(() => trialOutputs(w.topic, {})).not.toThrow();
    expect(trialOutputs('project.smart-check', {})).toMatchObject({ smartOk: true });
    expect(trialOutputs('approval.countersign-prepare', { countersigners: '[7,8,7]' })).toEqual({
      countersignerCount: 2,
      countersignerIds: '7,8',
      csApprovals: 0,
      csRejections: 0,
    });
    expect(
      trialOutputs('approval.countersign-tally', { countersignRule: 'majority', countersignerCount: 3, csApprovals: 2, csRejections: 1 }),
    ).toMatchObject({ countersignPassed: true });
    expect(
      trialOutputs('approval.countersign-tally', { countersignRule: 'all', countersignerCount: 2, csApprovals: 1, csRejections: 1 }),
    ).toMatchObject({ countersignPassed: false });
    expect(trialOutputs('project.set-status', {})).toEqual({});
  });

  test('given a review form, when the designer returns to the department, then 退回至 is set and hidden fields are not sent', () => {
    const sector = forms.get('intake-sector-review')!;
    expect(trialChoicesOf(sector).map((c) => c.field)).toEqual(['decision', 'returnTo', 'countersignRule']);
    expect(trialTaskValues(sector, { decision: 'return', returnTo: 'department' })).toMatchObject({
      decision: 'return',
      returnTo: 'department',
      countersign: false,
      comment: '试运行',
    });
    const auto = trialTaskValues(sector, {});
    expect(auto).toMatchObject({ decision: 'approve', countersign: false });
    expect(auto).not.toHaveProperty('returnTo');
    expect(auto).not.toHaveProperty('countersigners');
    expect(trialTaskValues(forms.get('intake-countersign')!, {})).toMatchObject({ vote: 'approve' });
    expect(trialTaskValues(undefined, { decision: 'x' })).toEqual({ decision: 'x' });
  });
});
