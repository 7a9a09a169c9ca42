import path from 'node:path';
import { z } from 'zod';
import { deployProcesses, listProcessResources } from '../../server/engine/deploy';
import { allWorkers } from '../../workers';
import { Zeebe } from '@camunda8/sdk';
import { handleJob, startWorkers } from '../../workers/runtime';
import { namespaced } from '../../server/engine/namespace';
import { complete, defineWorker } from '../../workers/types';
import { createAccount, loginCookie } from '../support/accounts';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * End to end on the real engine and a real database: deploy → create instance → worker
 * completes → the engine reports the instance completed.
 */
describe('platform smoke-check process on the real engine', () => {
  let t: TestSystem;

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
  });
  afterAll(async () => {
    await t?.close();
  });

  test('given the deployed model, when an instance is created, then the worker records it and the engine reports it completed', async () => {
    const result = await t.system.engine.createProcessInstanceWithResult<{ requestedBy: string }, { smokeCheck: { databaseClient: string } }>({
      bpmnProcessId: namespaced(t.config.engine.namespace, 'platform-smoke-check'),
      variables: { requestedBy: '测试' },
      requestTimeout: 20_000,
    });
    expect(result.bpmnProcessId).toBe(namespaced(t.config.engine.namespace, 'platform-smoke-check'));
    expect(result.variables.smokeCheck.databaseClient).toBe(t.config.database.client);
    const rows = await t.system.db('smoke_checks').where({ process_instance_key: String(result.processInstanceKey) });
    expect(rows).toHaveLength(1);
    expect(rows[0].requested_by).toBe('测试');
    const outcomes = await t.system.db('job_outcomes').where({ process_instance_key: String(result.processInstanceKey) });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ job_type: namespaced(t.config.engine.namespace, 'platform.record-smoke-check'), element_id: 'RecordSmokeCheck', outcome: 'completed' });
  });

  test('deploying unchanged models again creates no new version', async () => {
    const ns = t.config.engine.namespace;
    const first = await deployProcesses(t.system.engine, t.system.db, ns);
    const second = await deployProcesses(t.system.engine, t.system.db, ns);
    const smoke = (list: typeof first) => list.find((d) => d.id === namespaced(ns, 'platform-smoke-check'));
    expect(smoke(first)).toBeDefined();
    expect(smoke(second)).toEqual(smoke(first));
  });

  test('the smoke-check API runs the process as the logged-in system admin and answers with the instance', async () => {
    const admin = await createAccount(t.system.db, ['system_admin']);
    const res = await fetch(`${t.system.url}/api/engine/smoke-checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: await loginCookie(t.system.url, admin.username) },
      body: '{}',
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { processInstanceKey: string; recordedAt: string; databaseClient: string };
    expect(body.processInstanceKey).toMatch(/^\d+$/);
    expect(body.recordedAt).toMatch(/\+08:00$/);
    const row = await t.system.db('smoke_checks').where({ process_instance_key: body.processInstanceKey }).first();
    expect(row.requested_by).toBe(admin.username);
  });

  test('a job delivered twice runs its handler once and writes nothing the second time', async () => {
    const jobType = `test.redelivered-${Date.now()}`;
    let handlerRuns = 0;
    const def = defineWorker({
      type: jobType,
      description: 'counts its runs',
      input: z.object({}),
      async handle(_input, { trx, job }) {
        handlerRuns += 1;
        await trx('smoke_checks').insert({ process_instance_key: job.processInstanceKey, requested_by: 'redelivery', database_client: 'x', recorded_at: new Date() });
        return complete({ runs: handlerRuns });
      },
    });
    const processId = await deployOneTaskProcess(t, jobType);
    const done = new Promise<void>((resolve) => {
      const worker = t.system.engine.createWorker({
        taskType: jobType,
        taskHandler: async (job) => {
          const deps = { client: t.system.engine, db: t.system.db, log: t.system.log, config: t.config };
          const redelivered = job as Parameters<typeof handleJob>[1];
          const first = await handleJob(def, redelivered, deps);
          // The engine delivering the same job again (e.g. after a lost acknowledgement).
          await handleJob(def, redelivered, deps);
          setImmediate(() => {
            void worker.close();
            resolve();
          });
          return first;
        },
      });
    });
    const instance = await t.system.engine.createProcessInstanceWithResult({ bpmnProcessId: processId, variables: {}, requestTimeout: 20_000 });
    await done;
    expect(handlerRuns).toBe(1);
    expect(instance.variables).toMatchObject({ runs: 1 });
    expect(await t.system.db('smoke_checks').where({ process_instance_key: String(instance.processInstanceKey) })).toHaveLength(1);
  });

  test('a worker that throws fails the job, the engine retries it, and the process still completes', async () => {
    const jobType = `test.flaky-${Date.now()}`;
    const attempts: number[] = [];
    const flaky = defineWorker({
      type: jobType,
      description: 'fails on its first attempt',
      input: z.object({}),
      retryBackoffMs: 100,
      async handle(_input, { job }) {
        attempts.push(job.retries);
        if (attempts.length === 1) throw new Error('暂时性故障（测试）');
        return complete({ attempt: attempts.length });
      },
    });
    const processId = await deployOneTaskProcess(t, jobType);
    // The ad-hoc process is deployed as written (its job type is unique already): no namespace.
    const config = { ...t.config, engine: { ...t.config.engine, namespace: '' } };
    const running = startWorkers([flaky], { client: t.system.engine, db: t.system.db, log: t.system.log, config });
    try {
      const instance = await t.system.engine.createProcessInstanceWithResult({ bpmnProcessId: processId, variables: {}, requestTimeout: 30_000 });
      expect(instance.variables).toMatchObject({ attempt: 2 });
      expect(attempts).toEqual([3, 2]); // retries as the engine counted them: 3, then 3 − 1
    } finally {
      await running.close();
    }
  });

  test('every service task in processes/ has a registered worker', async () => {
    const bpmn = listProcessResources().filter((f) => path.extname(f) === '.bpmn');
    const types = await Zeebe.BpmnParser.getTaskTypes(await Zeebe.BpmnParser.parseBpmn(bpmn));
    expect(types.length).toBeGreaterThan(0);
    const registered = new Set(allWorkers.map((w) => w.type));
    expect(types.filter((type) => !registered.has(type))).toEqual([]);
  });
});

/** Deploys a one-service-task process for a job type of the test's own. */
async function deployOneTaskProcess(t: TestSystem, jobType: string): Promise<string> {
  const processId = `test-${jobType.replace(/[^A-Za-z0-9-]/g, '-')}`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="test">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="step"><bpmn:extensionElements><zeebe:taskDefinition type="${jobType}" retries="3" /></bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step" />
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;
  await t.system.engine.deployResource({ name: `${processId}.bpmn`, process: Buffer.from(xml) });
  return processId;
}
