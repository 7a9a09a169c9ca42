import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { deployProcesses } from '../../server/engine/deploy';
import { EngineClient } from '../../server/engine/client';
import { namespaced } from '../../server/engine/namespace';
import { handleTask, startWorkers } from '../../workers/runtime';
import { complete, defineWorker } from '../../workers/types';
import { createAccount, loginCookie } from '../support/accounts';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * End to end on the real engine (Operaton over REST) and a real database: deploy → start →
 * external-task worker completes → the engine reports the instance completed; redelivery,
 * retries, and a fetchAndLock that answers 500.
 */
describe('external tasks on the real engine', () => {
  let t: TestSystem;

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
  });
  afterAll(async () => {
    await t?.close();
  });

  test('given the deployed smoke-check model, when an instance starts, then the worker records it once and the engine reports it completed', async () => {
    const started = await t.system.engine.startProcess(namespaced(t.config.engine.namespace, 'platform-smoke-check'), {
      variables: { requestedBy: '测试' },
    });
    const ended = await waitForEnd(t.system.engine, started.id);
    expect(ended.state).toBe('COMPLETED');
    const rows = await t.system.db('smoke_checks').where({ process_instance_key: started.id });
    expect(rows).toHaveLength(1);
    expect(rows[0].requested_by).toBe('测试');
    const outcomes = await t.system.db('job_outcomes').where({ process_instance_key: started.id });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({
      topic: namespaced(t.config.engine.namespace, 'platform.record-smoke-check'),
      element_id: 'RecordSmokeCheck',
      outcome: 'completed',
    });
    // The engine's own history has the step, done by this node's worker.
    const activities = await t.system.engine.activityInstances(started.id);
    expect(activities.map((a) => a.activityId)).toEqual(
      expect.arrayContaining(['SmokeCheckRequested', 'RecordSmokeCheck', 'SmokeCheckDone']),
    );
  });

  test('deploying unchanged models again creates no new version, and every model carries the configured history time to live', async () => {
    const options = { namespace: t.config.engine.namespace, historyTtlDays: t.config.engine.historyTtlDays };
    const first = await deployProcesses(t.system.engine, t.system.db, options);
    const second = await deployProcesses(t.system.engine, t.system.db, options);
    const smoke = (list: typeof first) => list.find((d) => d.id === namespaced(t.config.engine.namespace, 'platform-smoke-check'));
    expect(smoke(first)).toBeDefined();
    expect(smoke(second)).toEqual(smoke(first));
    const [def] = await t.system.engine.request<Array<{ historyTimeToLive: number }>>('GET', '/process-definition', {
      query: { key: smoke(first)!.id, latestVersion: true },
    });
    expect(def!.historyTimeToLive).toBe(t.config.engine.historyTtlDays);
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
    expect(body.recordedAt).toMatch(/\+08:00$/);
    const row = await t.system.db('smoke_checks').where({ process_instance_key: body.processInstanceKey }).first();
    expect(row.requested_by).toBe(admin.username);
  });

  test('an external task delivered twice runs its handler once and writes nothing the second time', async () => {
    const topic = `test.redelivered-${Date.now()}`;
    let handlerRuns = 0;
    const def = defineWorker({
      topic,
      description: 'counts its runs',
      input: z.object({}),
      async handle(_input, { trx, task }) {
        handlerRuns += 1;
        await trx('smoke_checks').insert({
          process_instance_key: task.processInstanceId,
          requested_by: 'redelivery',
          database_client: 'x',
          recorded_at: new Date(),
        });
        return complete({ runs: handlerRuns });
      },
    });
    const key = await deployOneTaskProcess(t, topic);
    const started = await t.system.engine.startProcess(key, {});
    const [task] = await t.system.engine.fetchAndLock({
      workerId: 'test-node',
      maxTasks: 1,
      asyncResponseTimeout: 5000,
      topics: [{ topicName: topic, lockDuration: 30_000 }],
    });
    expect(task).toBeDefined();
    const deps = { client: t.system.engine, db: t.system.db, log: t.system.log, config: t.config };
    expect(await handleTask(def, task!, 'test-node', deps)).toBe('completed');
    // The same task again (a lock that ran out, an answer that was lost): answered from the stored outcome.
    expect(await handleTask(def, task!, 'test-node', deps)).toBe('completed');
    expect(handlerRuns).toBe(1);
    expect(await t.system.db('smoke_checks').where({ process_instance_key: started.id })).toHaveLength(1);
    expect((await waitForEnd(t.system.engine, started.id)).state).toBe('COMPLETED');
    const vars = await t.system.engine.request<Array<{ name: string; value: unknown }>>('GET', '/history/variable-instance', {
      query: { processInstanceId: started.id, variableName: 'runs' },
    });
    expect(vars.map((v) => v.value)).toEqual([1]);
  });

  test('a worker that throws fails the task, the engine offers it again after the backoff, and the process still completes', async () => {
    const topic = `test.flaky-${Date.now()}`;
    const attempts: Array<number | null> = [];
    const flaky = defineWorker({
      topic,
      description: 'fails on its first attempt',
      input: z.object({}),
      retries: 3,
      retryBackoffMs: 100,
      async handle(_input, { task }) {
        attempts.push(task.retries);
        if (attempts.length === 1) throw new Error('暂时性故障（测试）');
        return complete({ attempt: attempts.length });
      },
    });
    const key = await deployOneTaskProcess(t, topic);
    // The ad-hoc process is deployed as written (its topic is unique already): no namespace.
    const config = { ...t.config, engine: { ...t.config.engine, namespace: '' } };
    const running = startWorkers([flaky], { client: t.system.engine, db: t.system.db, log: t.system.log, config }, { longPollMs: 1000 });
    try {
      const started = await t.system.engine.startProcess(key, {});
      expect((await waitForEnd(t.system.engine, started.id)).state).toBe('COMPLETED');
      expect(attempts).toEqual([null, 2]); // first delivery: no retries set yet; then 3 − 1 as the worker reported
      const log = await t.system.engine.request<Array<{ failureLog: boolean; errorMessage: string | null; successLog: boolean }>>(
        'GET',
        '/history/external-task-log',
        { query: { processInstanceId: started.id } },
      );
      expect(log.filter((l) => l.failureLog).map((l) => l.errorMessage)).toEqual(['暂时性故障（测试）']);
      expect(log.filter((l) => l.successLog)).toHaveLength(1);
    } finally {
      await running.close();
    }
  });

  test('fetchAndLock answering 500 (it does under concurrent fetching) is retried: the worker keeps running and does the work', async () => {
    const topic = `test.fetch-500-${Date.now()}`;
    let handled = 0;
    const def = defineWorker({
      topic,
      description: 'counts',
      input: z.object({}),
      async handle() {
        handled += 1;
        return complete({});
      },
    });
    // A real engine behind a proxy that answers the first three fetches with the engine's 500.
    let failuresLeft = 3;
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url?.endsWith('/external-task/fetchAndLock') && failuresLeft > 0) {
          failuresLeft -= 1;
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ type: 'NullPointerException', message: 'injected: ExecutionEntity.ensureExecutionTreeInitialized' }));
          return;
        }
        const target = new URL(t.config.engine.restUrl);
        const upstream = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname.replace(/\/$/, '') + (req.url ?? '').replace(/^\/engine-rest/, ''),
            method: req.method,
            headers: req.headers,
          },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const viaProxy = new EngineClient(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/engine-rest`);
    const key = await deployOneTaskProcess(t, topic);
    const config = { ...t.config, engine: { ...t.config.engine, namespace: '' } };
    const running = startWorkers([def], { client: viaProxy, db: t.system.db, log: t.system.log, config }, { loops: 1, longPollMs: 1000 });
    try {
      const started = await t.system.engine.startProcess(key, {});
      expect((await waitForEnd(t.system.engine, started.id)).state).toBe('COMPLETED');
      expect(failuresLeft).toBe(0);
      expect(handled).toBe(1);
    } finally {
      await running.close();
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});

async function waitForEnd(engine: EngineClient, id: string, timeoutMs = 30_000): Promise<{ state: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await engine.historicProcessInstance(id);
    if (h && h.state !== 'ACTIVE') return h;
    if (Date.now() > deadline) throw new Error(`process instance ${id} did not end within ${timeoutMs} ms (state ${h?.state})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Deploys a one-external-task process for a topic of the test's own; answers its key. */
async function deployOneTaskProcess(t: TestSystem, topic: string): Promise<string> {
  const key = `test-${topic.replace(/[^A-Za-z0-9-]/g, '-')}`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="test">
  <bpmn:process id="${key}" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="step" camunda:type="external" camunda:topic="${topic}"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step" />
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>`;
  await t.system.engine.deploy(key, [{ name: `${key}.bpmn`, bytes: Buffer.from(xml) }]);
  return key;
}
