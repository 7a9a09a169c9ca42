import fs from 'node:fs';
import path from 'node:path';
import { createAccount, loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';
import { PROCESSES_DIR } from '../../server/engine/deploy';
import { namespaced } from '../../server/engine/namespace';

/**
 * 决策表 on the real engine: the designer lists the platform's decision tables with their
 * versions, reads one version's table, the test panel's evaluation is the engine's (outputs and
 * the matched rule from its history); a changed threshold deploys as the next version with an
 * audit record, and from then on both the test panel and a real start of budget-allocation take
 * the new outcome. Bad inputs and unknown decisions are refused with stable codes.
 */
jest.setTimeout(180_000);

describe('流程设计: decision tables', () => {
  let t: TestSystem;
  let call: ApiCall;
  const chain = fs.readFileSync(path.join(PROCESSES_DIR, 'allocation-approval-chain.dmn'), 'utf8');

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const designer = await createAccount(t.system.db, ['process_designer']);
    const clerk = await createAccount(t.system.db, ['unit_clerk']);
    call = apiAs(`${t.system.url}/api`, {
      designer: await loginCookie(t.system.url, designer.username),
      clerk: await loginCookie(t.system.url, clerk.username),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A real start of the allocation process: the chain its business rule task chose. */
  async function chainOfRealStart(totalFen: number): Promise<string> {
    const started = await t.system.engine.startProcess(namespaced(t.config.engine.namespace, 'budget-allocation'), {
      businessKey: `dmn-test-${totalFen}-${Date.now()}`,
      variables: { totalFen, majorDecision: false, allocationId: 0 },
    });
    try {
      const decisions = await t.system.engine.historicDecisions(started.id);
      const out = decisions.flatMap((d) => d.outputs ?? []).find((o) => o.variableName === 'approvalChain');
      return String(out?.value);
    } finally {
      await t.system.engine.retrying(() => t.system.engine.cancelProcessInstance(started.id, 'decision test'));
    }
  }

  test('list, read, evaluate with the matched rule, deploy a changed threshold, the next evaluations take it', async () => {
    const listed = await call('designer', 'GET', '/designer/decisions');
    expect(listed.status).toBe(200);
    const ids = listed.body.items.map((d: { decisionId: string }) => d.decisionId);
    expect(ids).toEqual(expect.arrayContaining(['allocation-approval-chain', 'allocation-performance-grade', 'expert-review-band']));
    const item = listed.body.items.find((d: { decisionId: string }) => d.decisionId === 'allocation-approval-chain');
    const n = item.versions[0].version as number;
    expect(item.versions[0]).toMatchObject({ actorName: null, reason: null });
    expect((await call('clerk', 'GET', '/designer/decisions')).status).toBe(403);

    const version = await call('designer', 'GET', `/designer/decisions/allocation-approval-chain/versions/${n}`);
    expect(version.status).toBe(200);
    expect(version.body.xml).toContain('<decision id="allocation-approval-chain"');
    expect(version.body.table.inputs.map((i: { expression: string; typeRef: string }) => `${i.expression}:${i.typeRef}`)).toEqual([
      'majorDecision:boolean',
      'totalFen:long',
    ]);
    expect(version.body.table.rules.map((r: { id: string }) => r.id)).toEqual([
      'RuleMajor',
      'RuleMeeting',
      'RuleDirector',
      'RuleDeputy',
      'RuleSection',
    ]);
    expect((await call('designer', 'GET', `/designer/decisions/allocation-approval-chain/versions/${n + 50}`)).status).toBe(404);
    expect((await call('designer', 'GET', '/designer/decisions/no-such-decision/versions/1')).status).toBe(404);

    // ¥15,000: the deputy director's chain, rule 4.
    const before = await call('designer', 'POST', '/designer/decisions/allocation-approval-chain/evaluate', {
      variables: { majorDecision: false, totalFen: 1_500_000 },
    });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      version: n,
      outputs: [{ approvalChain: 'deputy' }],
      matchedRules: [{ id: 'RuleDeputy', index: 4 }],
      rulesKnown: true,
    });
    // Strings from a text field are typed as the table declares.
    const typedFromText = await call('designer', 'POST', '/designer/decisions/allocation-approval-chain/evaluate', {
      variables: { majorDecision: 'true', totalFen: '100' },
    });
    expect(typedFromText.body).toMatchObject({ outputs: [{ approvalChain: 'meeting' }], matchedRules: [{ id: 'RuleMajor', index: 1 }] });
    const bad = await call('designer', 'POST', '/designer/decisions/allocation-approval-chain/evaluate', {
      variables: { majorDecision: '也许', totalFen: '一万' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('DECISION_INPUT_INVALID');
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['majorDecision', 'totalFen']);
    expect(await chainOfRealStart(1_500_000)).toBe('deputy');

    // Refused models: not a platform decision; a rule with an empty output; nothing deployed.
    const foreign = await call('designer', 'POST', '/designer/decisions/deploy', {
      xml: chain.replace(/allocation-approval-chain/g, 'some-other-decision'),
      reason: '测试',
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('DECISION_INVALID');
    const emptyOutput = await call('designer', 'POST', '/designer/decisions/deploy', {
      xml: chain.replace('<text>"director"</text>', '<text></text>'),
      reason: '测试',
    });
    expect(emptyOutput.status).toBe(400);
    expect(emptyOutput.body.error.details).toEqual([expect.objectContaining({ field: 'RuleDirector' })]);
    expect((await call('designer', 'POST', '/designer/decisions/deploy', { xml: '<definitions', reason: '测试' })).body.error.code).toBe(
      'DECISION_INVALID',
    );
    expect((await call('clerk', 'POST', '/designer/decisions/deploy', { xml: chain, reason: '无权' })).status).toBe(403);

    // The director's threshold down to ¥10,000.
    const changed = chain.replace('<text>&gt; 2000000</text>', '<text>&gt; 1000000</text>');
    expect(changed).not.toBe(chain);
    const deployed = await call('designer', 'POST', '/designer/decisions/deploy', { xml: changed, reason: '局长审批起点降至一万元' });
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ decisionId: 'allocation-approval-chain', version: n + 1 });
    const record = (await t.system.db('audit_records').where('id', deployed.body.auditRecordId).first('kind', 'subject_id', 'body')) as {
      kind: string;
      subject_id: string;
      body: string;
    };
    expect(record).toMatchObject({ kind: 'decision.deployed', subject_id: 'allocation-approval-chain' });
    expect(JSON.parse(record.body).data).toMatchObject({
      version: n + 1,
      reason: '局长审批起点降至一万元',
      definitionId: deployed.body.definitionId,
    });

    const after = await call('designer', 'POST', '/designer/decisions/allocation-approval-chain/evaluate', {
      variables: { majorDecision: false, totalFen: 1_500_000 },
    });
    expect(after.body).toMatchObject({
      version: n + 1,
      outputs: [{ approvalChain: 'director' }],
      matchedRules: [{ id: 'RuleDirector', index: 3 }],
    });
    // The older version is still there to test against.
    const old = await call('designer', 'POST', '/designer/decisions/allocation-approval-chain/evaluate', {
      version: n,
      variables: { majorDecision: false, totalFen: 1_500_000 },
    });
    expect(old.body).toMatchObject({ version: n, outputs: [{ approvalChain: 'deputy' }] });
    expect(await chainOfRealStart(1_500_000)).toBe('director');

    const relisted = (await call('designer', 'GET', '/designer/decisions')).body.items.find(
      (d: { decisionId: string }) => d.decisionId === 'allocation-approval-chain',
    );
    expect(relisted.versions[0]).toMatchObject({
      version: n + 1,
      reason: '局长审批起点降至一万元',
      auditRecordId: deployed.body.auditRecordId,
    });
    expect(relisted.versions[0].deployedAt).toMatch(/\+08:00$/);
  });
});
