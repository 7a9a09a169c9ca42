import fs from 'node:fs';
import path from 'node:path';
import { createAccount, loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';
import { PROCESSES_DIR } from '../../server/engine/deploy';
import { namespaced } from '../../server/engine/namespace';

/**
 * Instance migration on the real engine (workers off, so instances wait at their external task):
 * running instances stay on version n when n+1 is deployed; the preview names the engine's
 * mappings and where the instances wait; to a version without their activity nothing can move
 * (409); to n+1 both move, with a process.migrated audit record naming them and the reason.
 */
jest.setTimeout(180_000);

describe('流程设计: instance migration', () => {
  let t: TestSystem;
  let call: ApiCall;
  const allocation = fs.readFileSync(path.join(PROCESSES_DIR, 'budget-allocation.bpmn'), 'utf8');

  beforeAll(async () => {
    t = await startTestSystem({ workersInProcess: false });
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

  test('preview, refusal where an activity is gone, execute to n+1 with an audit record', async () => {
    const engine = t.system.engine;
    const key = namespaced(t.config.engine.namespace, 'budget-allocation');
    const v1 = (await engine.processDefinitions({ key, latestVersion: true }))[0]!;
    const n = v1.version;
    const started = [];
    for (const totalFen of [100_000, 3_000_000])
      started.push(
        await engine.startProcess(key, {
          businessKey: `migrate-${totalFen}`,
          variables: { totalFen, majorDecision: false, allocationId: 0 },
        }),
      );

    const next = allocation.replace(
      'name="分管局长审批" camunda:formKey="allocation-review" camunda:candidateGroups="director" camunda:dueDate="P3D"',
      'name="分管局长审批" camunda:formKey="allocation-review" camunda:candidateGroups="director" camunda:dueDate="P5D"',
    );
    expect(next).not.toBe(allocation);
    expect((await call('designer', 'POST', '/designer/deploy', { xml: next, reason: '分管局长审批期限延至 5 天' })).status).toBe(201);
    const gone = next.replace(/"RecordChain"/g, '"RecordChainV3"');
    expect((await call('designer', 'POST', '/designer/deploy', { xml: gone, reason: '记录审批链环节改名' })).status).toBe(201);

    // Running instances stayed on version n.
    const counts = await call('designer', 'GET', '/designer/processes/budget-allocation/instances');
    expect(counts.status).toBe(200);
    expect(counts.body.versions.map((v: { version: number; running: number }) => [v.version, v.running])).toEqual([
      [n + 2, 0],
      [n + 1, 0],
      [n, 2],
    ]);
    expect((await call('clerk', 'GET', '/designer/processes/budget-allocation/instances')).status).toBe(403);

    const preview = await call('designer', 'POST', '/designer/processes/budget-allocation/migration/preview', {
      fromVersion: n,
      toVersion: n + 1,
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ fromVersion: n, toVersion: n + 1, running: 2, movable: 2, blocked: 0 });
    expect(preview.body.activities).toEqual([
      {
        activityId: 'RecordChain',
        name: '记录审批链',
        instances: 2,
        targetActivityId: 'RecordChain',
        targetName: '记录审批链',
        blockedBy: [],
      },
    ]);
    expect(preview.body.mappings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          sourceActivityId: 'DeputyReview',
          targetActivityId: 'DeputyReview',
          sourceName: '分管局长审批',
          failures: [],
        }),
      ]),
    );

    // To n+2 the activity is gone: nothing can move.
    const blocked = await call('designer', 'POST', '/designer/processes/budget-allocation/migration/preview', {
      fromVersion: n,
      toVersion: n + 2,
    });
    expect(blocked.body).toMatchObject({ running: 2, movable: 0, blocked: 2 });
    expect(blocked.body.activities[0]).toMatchObject({
      activityId: 'RecordChain',
      targetActivityId: null,
      blockedBy: [`版本 ${n + 2} 中没有对应的环节`],
    });
    const refused = await call('designer', 'POST', '/designer/processes/budget-allocation/migration', {
      fromVersion: n,
      toVersion: n + 2,
      reason: '试试',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NOTHING_TO_MIGRATE');
    expect(
      (await call('designer', 'POST', '/designer/processes/budget-allocation/migration/preview', { fromVersion: n + 1, toVersion: n })).body
        .error.code,
    ).toBe('MIGRATION_TARGET_NOT_NEWER');
    expect(
      (await call('designer', 'POST', '/designer/processes/budget-allocation/migration/preview', { fromVersion: n, toVersion: n + 9 }))
        .status,
    ).toBe(404);
    expect((await call('designer', 'POST', '/designer/processes/no-such/migration/preview', { fromVersion: 1, toVersion: 2 })).status).toBe(
      404,
    );
    expect(
      (await call('clerk', 'POST', '/designer/processes/budget-allocation/migration', { fromVersion: n, toVersion: n + 1, reason: '无权' }))
        .status,
    ).toBe(403);

    const done = await call('designer', 'POST', '/designer/processes/budget-allocation/migration', {
      fromVersion: n,
      toVersion: n + 1,
      reason: '在办方案按新期限办理',
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ migrated: 2, movable: 2 });
    const v2 = (await engine.processDefinitions({ key, version: n + 1 }))[0]!;
    for (const s of started) expect((await engine.processInstance(s.id))?.definitionId).toBe(v2.id);
    const record = (await t.system.db('audit_records').where('id', done.body.auditRecordId).first('kind', 'subject_id', 'body')) as {
      kind: string;
      subject_id: string;
      body: string;
    };
    expect(record).toMatchObject({ kind: 'process.migrated', subject_id: 'budget-allocation' });
    expect(JSON.parse(record.body).data).toMatchObject({
      fromVersion: n,
      toVersion: n + 1,
      reason: '在办方案按新期限办理',
      targetDefinitionId: v2.id,
      left: 0,
    });
    expect(JSON.parse(record.body).data.processInstanceIds.sort()).toEqual(started.map((s) => s.id).sort());
    const after = await call('designer', 'GET', '/designer/processes/budget-allocation/instances');
    expect(after.body.versions.map((v: { version: number; running: number }) => [v.version, v.running])).toEqual([
      [n + 2, 0],
      [n + 1, 2],
      [n, 0],
    ]);

    for (const s of started) await engine.cancelProcessInstance(s.id, 'migration test');
  });
});
