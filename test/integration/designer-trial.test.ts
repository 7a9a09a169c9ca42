import fs from 'node:fs';
import path from 'node:path';
import { createAccount, loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';
import { PROCESSES_DIR } from '../../server/engine/deploy';
import { namespaced } from '../../server/engine/namespace';
import { cleanupExpiredTrials, listTrials } from '../../server/designer/trial';
import { TRIAL_TENANT } from '../../server/designer/trial-model';

/**
 * 试运行 on the real engine: a draft intake model (not deployed) runs in the sandbox tenant with
 * made-up data; the trial worker answers its external tasks, the designer answers its user tasks
 * (退回 once, then 自动), and it walks to its end. Nothing is written to the app's tables (projects,
 * ledger, audit chain, inbox) and the real intake definition gets no instance. A draft payment
 * model evaluates the deployed DMN for real; ending a trial deletes its deployment.
 */
jest.setTimeout(240_000);

const WATCHED = [
  'projects',
  'project_events',
  'quotas',
  'quota_journal',
  'process_instances',
  'inbox_tasks',
  'task_events',
  'notifications',
  'job_outcomes',
  'payment_requests',
  'payment_decisions',
];

describe('流程设计: 试运行', () => {
  let t: TestSystem;
  let call: ApiCall;
  const intake = fs.readFileSync(path.join(PROCESSES_DIR, 'project-intake.bpmn'), 'utf8');
  const payment = fs.readFileSync(path.join(PROCESSES_DIR, 'payment-approval.bpmn'), 'utf8');

  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        WATCHED.map(
          async (table) => [table, Number(((await t.system.db(table).count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n)] as const,
        ),
      ),
    );

  /** The audit records of one trial, in chain order. */
  const trialRecords = async (trialId: string) =>
    (
      (await t.system
        .db('audit_records')
        .where({ subject_type: 'trial', subject_id: trialId })
        .orderBy('seq')
        .select('kind', 'actor', 'body')) as Array<{
        kind: string;
        actor: string;
        body: string;
      }>
    ).map((r) => {
      const body = JSON.parse(r.body) as { data: Record<string, unknown>; seal: unknown };
      return { kind: r.kind, actor: r.actor, sealed: body.seal !== null, data: body.data };
    });

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

  test('a draft intake walks to its end in the sandbox; nothing real is touched', async () => {
    const realKey = namespaced(t.config.engine.namespace, 'project-intake');
    const realBefore = await t.system.engine.processInstanceCount({ processDefinitionKey: realKey });
    const realHistoryBefore = (await t.system.engine.historicProcessInstances({ processDefinitionKey: realKey })).length;
    const rowsBefore = await counts();

    // Refused like a deployment: the lint's errors, nothing in the sandbox.
    const broken = intake.replace(' camunda:formKey="intake-department-review"', '');
    const refused = await call('designer', 'POST', '/designer/trials', { xml: broken });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('PROCESS_LINT_FAILED');
    expect(refused.body.error.details.map((d: { field: string }) => d.field)).toEqual(['DepartmentReview']);
    expect(await listTrials({ engine: t.system.engine, namespace: t.config.engine.namespace })).toEqual([]);
    expect((await call('clerk', 'POST', '/designer/trials', { xml: intake })).status).toBe(403);
    expect((await call('designer', 'POST', '/designer/trials', { xml: intake, extra: 1 })).status).toBe(400);

    const generated = await call('designer', 'GET', '/designer/trials/variables/project-intake');
    expect(generated.status).toBe(200);
    expect(generated.body.variables).toMatchObject({ projectId: 0, projectName: '试运行项目（虚构）', budgetTrial: true });

    const draft = intake.replace('camunda:candidateGroups="sector_division"', 'camunda:candidateGroups="sector_division,budget_division"');
    const started = await call('designer', 'POST', '/designer/trials', {
      xml: draft,
      variables: { projectName: '试运行：某某设备购置（虚构）' },
    });
    expect(started.status).toBe(201);
    const trialId: string = started.body.trialId;
    expect(trialId).toMatch(/^[a-f0-9]{12}$/);
    // The trial worker answered SMART check and 进入主管部门审核; the token waits at 主管部门审核.
    expect(started.body).toMatchObject({ processId: 'project-intake', ended: false, state: 'ACTIVE', active: ['DepartmentReview'] });
    expect(started.body.completed).toEqual(expect.arrayContaining(['Submitted', 'SmartCheck', 'GwSmart', 'ToDepartment']));
    expect(started.body.variables).toMatchObject({ projectName: '试运行：某某设备购置（虚构）', smartOk: true, budgetTrial: true });
    const task = started.body.tasks[0];
    expect(task).toMatchObject({ elementId: 'DepartmentReview', formKey: 'intake-department-review', decisionField: 'decision' });
    expect(task.choices[0]).toMatchObject({
      field: 'decision',
      options: [
        { value: 'approve', label: '通过' },
        { value: 'return', label: '退回' },
      ],
    });

    // In the engine: a definition of the sandbox tenant, under a key of its own.
    const [definition] = await t.system.engine.processDefinitions({ tenantIdIn: TRIAL_TENANT, deploymentId: started.body.deploymentId });
    expect(definition!.key).toBe(`${TRIAL_TENANT}.${t.config.engine.namespace}.${trialId}.project-intake`);
    expect((definition as unknown as { tenantId: string }).tenantId).toBe(TRIAL_TENANT);
    const xml = (await t.system.engine.processDefinitionXml(definition!.id)).bpmn20Xml;
    expect(xml).toContain(`camunda:topic="${TRIAL_TENANT}.${t.config.engine.namespace}.project.smart-check"`);
    expect(xml).toContain('sector_division,budget_division');

    // Bad input: an unknown option, a task of no trial, a malformed trial id.
    expect(
      (await call('designer', 'POST', `/designer/trials/${trialId}/tasks/${task.taskId}/complete`, { values: { decision: 'maybe' } })).body
        .error.code,
    ).toBe('TRIAL_VALUES_INVALID');
    expect(
      (await call('designer', 'POST', `/designer/trials/${trialId}/tasks/${task.taskId}/complete`, { values: { nosuch: 'x' } })).status,
    ).toBe(400);
    expect((await call('designer', 'POST', `/designer/trials/${trialId}/tasks/no-such-task/complete`, { auto: true })).status).toBe(404);
    expect((await call('designer', 'GET', '/designer/trials/not-a-trial')).status).toBe(404);
    expect((await call('designer', 'GET', '/designer/trials/0123456789ab')).status).toBe(404);

    // 退回: through 退回申报单位 (trial worker) to 申报单位修改.
    const returned = await call('designer', 'POST', `/designer/trials/${trialId}/tasks/${task.taskId}/complete`, {
      values: { decision: 'return' },
    });
    expect(returned.status).toBe(200);
    expect(returned.body.active).toEqual(['Revise']);
    expect(returned.body.completed).toEqual(expect.arrayContaining(['DepartmentReview', 'GwDept', 'ReturnToApplicant']));
    const revise = returned.body.tasks[0];
    const resubmitted = await call('designer', 'POST', `/designer/trials/${trialId}/tasks/${revise.taskId}/complete`, { auto: true });
    expect(resubmitted.body.active).toEqual(['DepartmentReview']);

    // 自动走完: every task with its first outcome, to 已入库.
    const done = await call('designer', 'POST', `/designer/trials/${trialId}/auto`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ ended: true, state: 'COMPLETED', active: [], tasks: [] });
    expect(done.body.completed).toEqual(expect.arrayContaining(['SectorReview', 'BudgetDecision', 'Reserve', 'Reserved']));
    expect(done.body.steps.map((s: { elementId: string }) => s.elementId).filter((id: string) => id === 'DepartmentReview')).toHaveLength(
      2,
    );
    const again = await call('designer', 'GET', `/designer/trials/${trialId}`);
    expect(again.body).toMatchObject({ ended: true, trialId });

    // Nothing real: no row in the app's tables, no instance of the real intake; the start is audited (no seal).
    expect(await counts()).toEqual(rowsBefore);
    expect(await trialRecords(trialId)).toEqual([
      {
        kind: 'trial.started',
        actor: expect.stringMatching(/\S/),
        sealed: false,
        data: expect.objectContaining({ trialId, processId: 'project-intake', deploymentId: started.body.deploymentId }),
      },
    ]);
    expect(await t.system.engine.processInstanceCount({ processDefinitionKey: realKey })).toBe(realBefore);
    expect((await t.system.engine.historicProcessInstances({ processDefinitionKey: realKey })).length).toBe(realHistoryBefore);

    const listed = await call('designer', 'GET', '/designer/trials');
    expect(listed.body.items).toEqual([expect.objectContaining({ trialId, processId: 'project-intake', startedBy: expect.any(String) })]);
    expect(listed.body.items[0].expiresAt).toMatch(/\+08:00$/);

    // 结束试运行: the deployment, its instance and history are gone.
    expect((await call('designer', 'DELETE', `/designer/trials/${trialId}`)).status).toBe(204);
    expect((await call('designer', 'GET', `/designer/trials/${trialId}`)).status).toBe(404);
    expect((await call('designer', 'DELETE', `/designer/trials/${trialId}`)).status).toBe(404);
    expect(await t.system.engine.deployments({ id: started.body.deploymentId })).toEqual([]);
    // Ending it is audited too, once (the second DELETE found nothing).
    const records = await trialRecords(trialId);
    expect(records.map((r) => r.kind)).toEqual(['trial.started', 'trial.ended']);
    expect(records[1]).toMatchObject({
      actor: records[0]!.actor,
      sealed: false,
      data: { trialId, processId: 'project-intake', deploymentId: started.body.deploymentId },
    });
  });

  test('a draft payment model evaluates the deployed DMN for real; old trials are cleaned up', async () => {
    const rowsBefore = await counts();
    // ¥300,000 of category 1: above the 科室负责人's ¥20,000, so the table names a longer chain.
    const started = await call('designer', 'POST', '/designer/trials', { xml: payment, variables: { amountFen: 30_000_000 } });
    expect(started.status).toBe(201);
    const decision = started.body.decisions.find((d: { elementId: string }) => d.elementId === 'ChainRule');
    expect(decision).toMatchObject({ decisionId: 'payment-approval-chain' });
    expect(decision.inputs).toEqual(expect.arrayContaining([expect.objectContaining({ value: 30_000_000 })]));
    expect(decision.outputs[0]).toMatchObject({ variable: expect.any(String), ruleId: expect.any(String) });
    expect(started.body.variables.approvalChain).toBe(decision.outputs[0].value);
    expect(started.body.completed).toEqual(expect.arrayContaining(['ChainRule', 'RiskCheck']));

    // A trial older than the time to live is deleted by the clean-up.
    const deps = { engine: t.system.engine, namespace: t.config.engine.namespace };
    expect(await cleanupExpiredTrials(deps)).toBe(0);
    expect(await cleanupExpiredTrials(deps, new Date(Date.now() + 3 * 3600_000))).toBe(1);
    expect((await call('designer', 'GET', `/designer/trials/${started.body.trialId}`)).status).toBe(404);
    expect(await counts()).toEqual(rowsBefore);
  });
});
