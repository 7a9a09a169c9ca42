import fs from 'node:fs';
import path from 'node:path';
import { createAccount, loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';
import { PROCESSES_DIR } from '../../server/engine/deploy';
import { namespaced } from '../../server/engine/namespace';

/**
 * 流程设计 on the real engine: the catalogue lists forms, topics and roles; a model with a missing
 * form key and an unknown topic is refused (400 PROCESS_LINT_FAILED naming both elements) and
 * nothing is deployed; with a changed candidate group it deploys as the next version, recorded in
 * the audit chain with who and why. Only processes:design may do it.
 */
jest.setTimeout(180_000);

describe('流程设计: lint and deploy', () => {
  let t: TestSystem;
  let call: ApiCall;
  const intake = fs.readFileSync(path.join(PROCESSES_DIR, 'project-intake.bpmn'), 'utf8');

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

  test('catalogue, refused lint, deploy of a new version with an audit record', async () => {
    const catalogue = await call('designer', 'GET', '/designer/catalogue');
    expect(catalogue.status).toBe(200);
    expect(catalogue.body.forms).toContain('intake-department-review');
    expect(catalogue.body.topics).toEqual(expect.arrayContaining(['project.smart-check', 'project.set-status']));
    expect(catalogue.body.roles).toContain('sector_division');
    expect(catalogue.body.roleNames.sector_division).toBe('财政业务处室');
    expect((await call('clerk', 'GET', '/designer/catalogue')).status).toBe(403);

    const key = namespaced(t.config.engine.namespace, 'project-intake');
    const before = (await t.system.engine.processDefinitions({ key, latestVersion: true }))[0]!;

    const broken = intake
      .replace(' camunda:formKey="intake-department-review"', '')
      .replace('camunda:topic="project.smart-check"', 'camunda:topic="project.unknown-check"');
    const lint = await call('designer', 'POST', '/designer/lint', { xml: broken });
    expect(lint.status).toBe(200);
    expect(lint.body.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ elementId: 'DepartmentReview', rule: 'budget/form-key-resolves', severity: 'error' }),
        expect.objectContaining({ elementId: 'SmartCheck', rule: 'budget/topic-has-worker', severity: 'error' }),
      ]),
    );
    const refused = await call('designer', 'POST', '/designer/deploy', { xml: broken, reason: '测试' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('PROCESS_LINT_FAILED');
    expect(refused.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['DepartmentReview', 'SmartCheck']);
    expect((await t.system.engine.processDefinitions({ key, latestVersion: true }))[0]!.version).toBe(before.version);

    const changed = intake.replace(
      'camunda:candidateGroups="sector_division"',
      'camunda:candidateGroups="sector_division,budget_division"',
    );
    const deployed = await call('designer', 'POST', '/designer/deploy', { xml: changed, reason: '预算处也可审核业务处室环节' });
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ processId: 'project-intake', version: before.version + 1 });
    const latest = (await t.system.engine.processDefinitions({ key, latestVersion: true }))[0]!;
    expect(latest).toMatchObject({ id: deployed.body.definitionId, version: before.version + 1 });
    const xml = (await t.system.engine.processDefinitionXml(latest.id)).bpmn20Xml;
    expect(xml).toContain('sector_division,budget_division');
    const record = (await t.system.db('audit_records').where('id', deployed.body.auditRecordId).first('kind', 'subject_id', 'body')) as {
      kind: string;
      subject_id: string;
      body: string;
    };
    expect(record).toMatchObject({ kind: 'process.deployed', subject_id: 'project-intake' });
    expect(JSON.parse(record.body).data).toMatchObject({
      version: before.version + 1,
      reason: '预算处也可审核业务处室环节',
      definitionId: latest.id,
    });
    expect((await call('clerk', 'POST', '/designer/deploy', { xml: changed, reason: '无权' })).status).toBe(403);

    // The version list names who deployed the new version and why; the start's deployment has no person.
    const listed = await call('designer', 'GET', '/designer/processes');
    expect(listed.status).toBe(200);
    const process = listed.body.items.find((p: { processId: string }) => p.processId === 'project-intake');
    expect(process.versions[0]).toMatchObject({
      version: before.version + 1,
      definitionId: latest.id,
      reason: '预算处也可审核业务处室环节',
      auditRecordId: deployed.body.auditRecordId,
      username: expect.any(String),
    });
    expect(process.versions[0].deployedAt).toMatch(/\+08:00$/);
    expect(process.versions.find((v: { version: number }) => v.version === before.version)).toMatchObject({
      actorName: null,
      reason: null,
    });
    expect((await call('clerk', 'GET', '/designer/processes')).status).toBe(403);
    // A version's XML is the model as written: no namespace prefix on the process id or the topics.
    const versionXml = await call('designer', 'GET', `/designer/processes/project-intake/versions/${before.version + 1}/xml`);
    expect(versionXml.status).toBe(200);
    expect(versionXml.body.xml).toContain('sector_division,budget_division');
    expect(versionXml.body.xml).toContain('camunda:topic="project.smart-check"');
    expect(versionXml.body.xml).toMatch(/<bpmn:process id="project-intake"/);
    expect((await call('designer', 'GET', '/designer/processes/project-intake/versions/999/xml')).status).toBe(404);
    expect((await call('designer', 'GET', '/designer/processes/no-such-process/versions/1/xml')).status).toBe(404);
  });

  test('a malformed version or process id in the path is a 404 naming the object, not a 400', async () => {
    for (const version of ['abc', '0x5', '5.0', '0', '-1']) {
      const r = await call('designer', 'GET', `/designer/processes/project-intake/versions/${version}/xml`);
      expect({ version, status: r.status, body: r.body }).toEqual({
        version,
        status: 404,
        body: { error: { code: 'NOT_FOUND', message: '流程版本不存在' } },
      });
    }
    const badProcess = await call('designer', 'GET', `/designer/processes/${encodeURIComponent('1-not-an-id')}/instances`);
    expect(badProcess.status).toBe(404);
    expect(badProcess.body.error.message).toBe('流程不存在');
    const badDecision = await call('designer', 'GET', '/designer/decisions/allocation-approval-chain/versions/0x1');
    expect(badDecision.status).toBe(404);
    expect(badDecision.body.error.message).toBe('决策表版本不存在');
  });
});
