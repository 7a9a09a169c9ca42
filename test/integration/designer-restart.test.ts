import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAccount, loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';
import { deployProcesses, listProcessResources, PROCESSES_DIR } from '../../server/engine/deploy';
import { namespaced } from '../../server/engine/namespace';

/**
 * A restart never supersedes a version deployed from the designer: deploying processes/ again
 * after a designer deployment creates no version (the file is one that was deployed before), and
 * the designer's version stays the latest. A file a developer changed after that does deploy, with
 * a warning in the log and a `process.deployed` audit record by the system naming processes/.
 */
jest.setTimeout(240_000);

describe('流程设计: a restart keeps the designer’s version', () => {
  let t: TestSystem;
  let call: ApiCall;
  let cookie: string;
  const intake = fs.readFileSync(path.join(PROCESSES_DIR, 'project-intake.bpmn'), 'utf8');

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const designer = await createAccount(t.system.db, ['process_designer']);
    cookie = await loginCookie(t.system.url, designer.username);
    call = apiAs(`${t.system.url}/api`, { designer: cookie });
  });
  afterAll(async () => {
    await t?.close();
  });

  test('deploy again from processes/ after a designer deployment: no new version; a changed file deploys and warns', async () => {
    const options = { namespace: t.config.engine.namespace, historyTtlDays: t.config.engine.historyTtlDays };
    const key = namespaced(options.namespace, 'project-intake');
    const latest = async () => (await t.system.engine.processDefinitions({ key, latestVersion: true }))[0]!;
    const fileVersion = (await latest()).version;

    const changed = intake.replace(
      'camunda:candidateGroups="sector_division"',
      'camunda:candidateGroups="sector_division,budget_division"',
    );
    expect(changed).not.toBe(intake);
    const deployed = await call('designer', 'POST', '/designer/deploy', { xml: changed, reason: '预算处也可审核业务处室环节' });
    expect(deployed.status).toBe(201);
    expect(deployed.body.version).toBe(fileVersion + 1);

    // The restart: every file of processes/ deployed again, two app nodes at once (the lease).
    const warnings: unknown[] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) };
    const [first, second] = await Promise.all([
      deployProcesses(t.system.engine, t.system.db, options, { log }),
      deployProcesses(t.system.engine, t.system.db, options, { log }),
    ]);
    const now = await latest();
    expect(now).toMatchObject({ id: deployed.body.definitionId, version: fileVersion + 1 });
    expect((await t.system.engine.processDefinitions({ key })).length).toBe(fileVersion + 1);
    expect(warnings).toEqual([]);
    for (const answer of [first, second]) expect(answer.find((r) => r.id === key)).toMatchObject({ key: now.id, version: fileVersion + 1 });
    const xml = (await t.system.engine.processDefinitionXml(now.id)).bpmn20Xml;
    expect(xml).toContain('sector_division,budget_division');

    // Diagrams outside the designer draw the version an instance runs on; without one, the file.
    const running = await t.system.engine.startProcessById(now.id, { businessKey: 'diagram-check', variables: { projectId: 999_999_999 } });
    try {
      const diagram = async (query: string) => {
        const res = await fetch(`${t.system.url}/api/processes/project-intake/diagram${query}`, { headers: { cookie } });
        return { status: res.status, text: await res.text() };
      };
      const ofInstance = await diagram(`?instance=${running.id}`);
      expect(ofInstance.status).toBe(200);
      expect(ofInstance.text).toContain('sector_division,budget_division');
      expect(ofInstance.text).toMatch(/<bpmn:process id="project-intake"/);
      const ofFile = await diagram('');
      expect(ofFile.status).toBe(200);
      expect(ofFile.text).not.toContain('sector_division,budget_division');
      expect((await diagram('?instance=no-such-instance')).status).toBe(404);
      const other = await fetch(`${t.system.url}/api/processes/platform-smoke-check/diagram?instance=${running.id}`, {
        headers: { cookie },
      });
      expect(other.status).toBe(404);
    } finally {
      await t.system.engine.request('DELETE', `/process-instance/${running.id}`, { query: { skipCustomListeners: true } });
    }

    // A developer changes the file after the designer's deployment: it deploys, warns and is audited.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'designer-restart-'));
    try {
      const files = listProcessResources().map((file) => {
        const copy = path.join(dir, path.relative(PROCESSES_DIR, file));
        fs.mkdirSync(path.dirname(copy), { recursive: true });
        const text = fs.readFileSync(file, 'utf8');
        fs.writeFileSync(
          copy,
          file.endsWith('project-intake.bpmn') ? text.replace(/name="([^"]*)" isExecutable/, 'name="$1（开发修订）" isExecutable') : text,
        );
        return copy;
      });
      expect(
        fs.readFileSync(
          files.find((f) => f.endsWith('project-intake.bpmn'))!,
          'utf8',
        ),
      ).toContain('（开发修订）');
      const again = await deployProcesses(t.system.engine, t.system.db, options, { files, dir, log });
      const newest = await latest();
      expect(newest.version).toBe(fileVersion + 2);
      expect(newest.name).toContain('（开发修订）');
      expect(again.find((r) => r.id === key)).toMatchObject({ key: newest.id, version: fileVersion + 2 });
      // Only the changed file made a version: the others kept theirs.
      const smoke = namespaced(options.namespace, 'platform-smoke-check');
      expect((await t.system.engine.processDefinitions({ key: smoke })).length).toBe(1);
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings[0])).toContain('project-intake');
      const record = (await t.system
        .db('audit_records')
        .where({ kind: 'process.deployed', subject_id: 'project-intake' })
        .orderBy('seq', 'desc')
        .first('actor', 'body')) as { actor: string; body: string };
      expect(record.actor).toBe('system');
      expect(JSON.parse(record.body).data).toMatchObject({
        source: 'processes/',
        file: 'project-intake.bpmn',
        version: fileVersion + 2,
        definitionId: newest.id,
        supersedes: fileVersion + 1,
      });
      // The version list shows who: the system, from processes/.
      const listed = await call('designer', 'GET', '/designer/processes');
      const versions = listed.body.items.find((p: { processId: string }) => p.processId === 'project-intake').versions;
      expect(versions[0]).toMatchObject({ version: fileVersion + 2, username: 'system' });
      expect(versions[0].reason).toContain('processes/');

      // And once more unchanged: nothing new.
      await deployProcesses(t.system.engine, t.system.db, options, { files, dir, log });
      expect((await latest()).version).toBe(fileVersion + 2);
      expect(warnings).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
