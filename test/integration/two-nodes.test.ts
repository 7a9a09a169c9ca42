import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { seedDemoUsers } from '../../server/auth/demo-users';
import {
  ensureEngineRunning,
  resetEngineData,
  serverDatabaseParts,
  stopEngine,
  withDatabaseName,
  type LocalEngineConfig,
} from '../../server/engine/launcher';
import { createLogger } from '../../server/log';
import { seedReferenceData } from '../../server/reference';
import { startSystem, type System } from '../../server/system';
import { platformWorkers } from '../../workers';
import { loginCookie } from '../support/accounts';
import { demoApplication } from '../support/intake';
import { freshDatabaseConfig, testConfig } from '../support/system';

/**
 * Scale-out: two engine nodes and two app processes (here two systems in one test process, each
 * with its own HTTP server, workers and reconciliation sweep) on one database each for app and
 * engine. Intake applications are filed, submitted and reviewed through both app nodes
 * alternately; afterwards every external task and every user task was done exactly once, both
 * engine nodes' workers took part, and the inbox is in step with the engine.
 *
 * The engines share a MariaDB database when DATABASE_URL is MySQL/MariaDB, else one H2 file in
 * mixed mode (AUTO_SERVER: the first node serves it to the second).
 */
jest.setTimeout(300_000);

const N = Number(process.env.TWO_NODE_APPLICATIONS ?? 12);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('two engine nodes and two app nodes on one database', () => {
  const log = createLogger('silent');
  const engines: LocalEngineConfig[] = [];
  const systems: System[] = [];
  let dropApp: () => Promise<void> = async () => undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'two-nodes-'));

  beforeAll(async () => {
    const base = testConfig();
    const app = freshDatabaseConfig();
    dropApp = app.drop;
    const suffix = crypto.randomBytes(3).toString('hex');
    const server = serverDatabaseParts(base.engine.local.database);
    const database =
      app.database.client === 'mysql' && server
        ? withDatabaseName(base.engine.local.database, `budget_2node_${suffix}`)
        : { kind: 'h2' as const, jdbcUrl: `jdbc:h2:file:${path.join(tmp, 'shared', 'engine')};AUTO_SERVER=TRUE`, user: 'sa', password: '' };
    for (const n of [1, 2]) {
      const home = path.join(tmp, `node${n}`);
      engines.push({
        ...base.engine.local,
        home,
        dataDir: path.join(home, 'data'),
        logFile: path.join(home, 'logs', 'engine.log'),
        port: await freePort(),
        database,
        javaOpts: '-Xms128m -Xmx512m',
      });
    }
    await resetEngineData(engines[0]!);
    // One after the other: the first creates the schema, the second finds it.
    for (const e of engines) await ensureEngineRunning(e, log);
    const namespace = `t${suffix}`;
    for (const [i, e] of engines.entries()) {
      const config = {
        ...base,
        database: app.database,
        engine: {
          ...base.engine,
          mode: 'external' as const,
          namespace,
          nodeName: `app${i + 1}`,
          restUrl: `http://127.0.0.1:${e.port}/engine-rest`,
        },
      };
      const system = await startSystem(config, { log, workers: platformWorkers(), reconcileEveryMs: 1000 });
      await system.databaseReady;
      systems.push(system);
    }
    await Promise.all(systems.map((s) => s.ready));
    await seedReferenceData(systems[0]!.db, { year: 2026 });
    await seedDemoUsers(systems[0]!.db);
  });

  afterAll(async () => {
    for (const s of systems) await s.stop().catch(() => undefined);
    for (const e of engines) await stopEngine(e, log).catch(() => false);
    const server = engines[0] && serverDatabaseParts(engines[0].database);
    if (server) {
      // The engines' database goes with the test (the app database is dropped below).
      const admin = await createConnection({
        host: server.host,
        port: Number(server.port || 3306),
        user: engines[0]!.database.user,
        password: engines[0]!.database.password,
      });
      await admin.query(`DROP DATABASE IF EXISTS \`${server.database}\``).finally(() => admin.end());
    }
    await dropApp();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test(`${N} applications through both app nodes: each external and user task done once, both nodes worked, the inbox matches the engine`, async () => {
    const users = ['nm_clerk_yz', 'nm_dept_jy', 'nm_jkw', 'nm_ysk'];
    const cookies = new Map<string, string>();
    for (const [i, s] of systems.entries()) for (const u of users) cookies.set(`${i}:${u}`, await loginCookie(s.url, u, 'Budget@2026'));
    const call = async (node: number, user: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> => {
      const res = await fetch(`${systems[node]!.url}/api${p}`, {
        method,
        headers: { 'content-type': 'application/json', cookie: cookies.get(`${node}:${user}`)! },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    };

    const projects: number[] = [];
    for (let i = 0; i < N; i++) {
      const node = i % 2;
      const created = await call(node, 'nm_clerk_yz', 'POST', '/projects', {
        ...demoApplication(`第一中学双节点测试项目${i + 1}号`, `双节点第 ${i + 1} 号`),
        amounts: [{ economicCode: '30213', amountFen: (i + 1) * 10_000_00 }],
      });
      expect(created.status).toBe(201);
      expect(
        (await call(node, 'nm_clerk_yz', 'POST', `/projects/${created.body.id}/submit`, { version: created.body.version })).status,
      ).toBe(200);
      projects.push(created.body.id as number);
    }

    // The reviewers work through both nodes, alternating per task.
    const steps: Array<{ user: string; element: string; data: Record<string, unknown> }> = [
      { user: 'nm_dept_jy', element: 'DepartmentReview', data: { decision: 'approve', comment: '同意' } },
      { user: 'nm_jkw', element: 'SectorReview', data: { decision: 'approve', countersign: false, comment: '符合方向' } },
      { user: 'nm_ysk', element: 'BudgetDecision', data: { decision: 'admit' } },
    ];
    let turn = 0;
    for (const step of steps) {
      const done = new Set<number>();
      const deadline = Date.now() + 120_000;
      while (done.size < N) {
        if (Date.now() > deadline) throw new Error(`${step.element}: ${done.size} of ${N} done in time`);
        const node = turn++ % 2;
        const todo = (await call(node, step.user, 'GET', '/tasks?box=todo&pageSize=100')).body.items as Array<{
          id: number;
          projectId: number;
          elementId: string;
        }>;
        const mine = todo.filter((x) => x.elementId === step.element && projects.includes(x.projectId) && !done.has(x.projectId));
        for (const task of mine) {
          const r = await call(turn++ % 2, step.user, 'POST', `/tasks/${task.id}/complete`, { data: step.data });
          expect(r.status).toBe(200);
          done.add(task.projectId);
        }
        if (!mine.length) await new Promise((res) => setTimeout(res, 200));
      }
    }

    const db = systems[0]!.db;
    const deadline = Date.now() + 60_000;
    let reserved = 0;
    while (Date.now() < deadline && reserved < N) {
      reserved = (
        (await db('projects').whereIn('id', projects).where('status', 'reserved').count({ n: '*' })) as Array<{ n: number | string }>
      ).map((r) => Number(r.n))[0]!;
      if (reserved < N) await new Promise((r) => setTimeout(r, 250));
    }
    expect(reserved).toBe(N);

    const engine = systems[0]!.engine;
    const instances = (await db('process_instances').whereIn('business_id', projects).select('process_instance_key')) as Array<{
      process_instance_key: string;
    }>;
    expect(instances).toHaveLength(N);
    const workerIds = new Set<string>();
    for (const { process_instance_key: id } of instances) {
      expect((await engine.historicProcessInstance(id))?.state).toBe('COMPLETED');
      // External tasks: each succeeded once in the engine, each with exactly one stored outcome.
      const log2 = await engine.request<Array<{ externalTaskId: string; successLog: boolean; workerId: string | null }>>(
        'GET',
        '/history/external-task-log',
        { query: { processInstanceId: id, successLog: true } },
      );
      const outcomes = (await db('job_outcomes').where({ process_instance_key: id }).select('external_task_id')) as Array<{
        external_task_id: string;
      }>;
      expect(log2.map((l) => l.externalTaskId).sort()).toEqual(outcomes.map((o) => o.external_task_id).sort());
      expect(new Set(log2.map((l) => l.externalTaskId)).size).toBe(log2.length);
      for (const l of log2) if (l.workerId) workerIds.add(l.workerId.split('#')[0]!);
      // User tasks: the engine's three completed tasks are the inbox's three completed rows.
      const engineTasks = await engine.historicTasks({ processInstanceId: id });
      const inbox = (await db('inbox_tasks').where({ process_instance_key: id }).select('engine_task_id', 'status')) as Array<{
        engine_task_id: string;
        status: string;
      }>;
      expect(engineTasks.filter((x) => x.deleteReason === 'completed')).toHaveLength(3);
      expect(inbox.map((r) => r.engine_task_id).sort()).toEqual(engineTasks.map((x) => x.id).sort());
      expect(inbox.every((r) => r.status === 'completed')).toBe(true);
      expect(await engine.tasks({ processInstanceId: id })).toHaveLength(0);
    }
    // Both app nodes' workers took part (each fetches from its own engine node).
    expect([...workerIds].sort()).toEqual(['app1', 'app2']);
    // Every review event on the timeline is there once.
    const completedEvents = (await db('project_events')
      .whereIn('project_id', projects)
      .where('kind', 'task_completed')
      .count({ n: '*' })) as Array<{ n: number | string }>;
    expect(Number(completedEvents[0]!.n)).toBe(3 * N);
  });
});
