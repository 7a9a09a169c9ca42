import fs from 'node:fs';
import path from 'node:path';
import { createAccount, loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';
import { PROCESSES_DIR } from '../../server/engine/deploy';
import { namespaced } from '../../server/engine/namespace';

/**
 * 试运行 · 触发定时器 on the real engine: a draft treasury payment waits for the bank's notice with
 * a 10-minute timer; firing it executes the timer job now, the trial worker queries the bank and
 * the token moves past the wait. A job of a real instance (the installation's quarterly monitoring
 * timer) is refused with 409 TRIAL_TIMER_NOT_TRIAL and stays as it was.
 */
jest.setTimeout(240_000);

describe('流程设计: 试运行的定时器', () => {
  let t: TestSystem;
  let call: ApiCall;
  const treasury = fs.readFileSync(path.join(PROCESSES_DIR, 'treasury-payment.bpmn'), 'utf8');

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

  test('the trial timer fires now and the token moves on; a real instance’s timer is refused', async () => {
    const started = await call('designer', 'POST', '/designer/trials', { xml: treasury });
    expect(started.status).toBe(201);
    const trialId = started.body.trialId as string;
    expect(started.body.active).toEqual(['WaitNotice']);
    expect(started.body.timers).toEqual([
      { jobId: expect.any(String), elementId: 'NoticeTimeout', dueAt: expect.stringMatching(/\+08:00$/) },
    ]);
    const jobId = started.body.timers[0].jobId as string;
    // Due in 10 minutes, not now.
    expect(new Date(started.body.timers[0].dueAt).getTime()).toBeGreaterThan(Date.now() + 5 * 60_000);

    // Not a designer: 403; another job id: 404.
    expect((await call('clerk', 'POST', `/designer/trials/${trialId}/timers/${jobId}/fire`)).status).toBe(403);
    const unknown = await call('designer', 'POST', `/designer/trials/${trialId}/timers/no-such-job/fire`);
    expect(unknown.status).toBe(404);

    // A real timer of the installation (the quarterly monitoring start) is never fired from here.
    const [realJob] = await t.system.engine.jobs({
      processDefinitionKey: namespaced(t.config.engine.namespace, 'performance-monitoring-schedule'),
      timers: true,
    });
    expect(realJob).toBeDefined();
    const refused = await call('designer', 'POST', `/designer/trials/${trialId}/timers/${realJob!.id}/fire`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('TRIAL_TIMER_NOT_TRIAL');
    expect(await t.system.engine.job(realJob!.id)).toMatchObject({ id: realJob!.id, dueDate: realJob!.dueDate });

    const fired = await call('designer', 'POST', `/designer/trials/${trialId}/timers/${jobId}/fire`);
    expect(fired.status).toBe(200);
    expect(fired.body.fired).toMatchObject({ jobId, elementId: 'NoticeTimeout' });
    expect(fired.body.completed).toEqual(expect.arrayContaining(['NoticeTimeout', 'QueryBank']));
    expect(fired.body.active).not.toContain('WaitNotice');
    expect(fired.body.timers.map((x: { jobId: string }) => x.jobId)).not.toContain(jobId);
    expect(fired.body.fired.movedTo.map((m: { elementId: string }) => m.elementId)).toEqual(fired.body.active);
    expect(await t.system.engine.job(jobId)).toBeNull();

    // Fired once: again is 404 (the job is gone).
    expect((await call('designer', 'POST', `/designer/trials/${trialId}/timers/${jobId}/fire`)).status).toBe(404);
    expect((await call('designer', 'DELETE', `/designer/trials/${trialId}`)).status).toBe(204);
  });
});
