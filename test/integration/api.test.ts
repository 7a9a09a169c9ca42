import net from 'node:net';
import type { HealthReport } from '../../server/api/health';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

describe('API against the real engine and database', () => {
  let t: TestSystem;

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
  });
  afterAll(async () => {
    await t?.close();
  });

  test('GET /api/health: 200 with database and engine status, engine version, brokers and partitions', async () => {
    const res = await fetch(`${t.system.url}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expect(body.status).toBe('ok');
    expect(body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    expect(body.database).toMatchObject({ status: 'up', client: t.config.database.client });
    expect(body.engine).toMatchObject({ status: 'up', mode: t.config.engine.mode, partitionsCount: expect.any(Number) });
    expect(body.engine.gatewayVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.engine.brokers?.length).toBeGreaterThan(0);
    expect(body.engine.brokers?.[0]?.partitions[0]).toMatchObject({ role: 'leader', health: 'healthy' });
    expect(body.engine.deployedResources).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'platform-smoke-check', kind: 'bpmn' })]));
  });

  test('an unknown API route is a 404 with a stable code and a Chinese message', async () => {
    const res = await fetch(`${t.system.url}/api/no-such-thing`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('NOT_FOUND');
    expect(body.error.message).toContain('接口不存在');
  });

  test('malformed JSON is a 400 INVALID_JSON, and nothing is started in the engine', async () => {
    const before = await t.system.db('smoke_checks').count({ n: '*' });
    const res = await fetch(`${t.system.url}/api/engine/smoke-checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"requestedBy":' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe('INVALID_JSON');
    expect(await t.system.db('smoke_checks').count({ n: '*' })).toEqual(before);
  });

  test('invalid fields are a 400 VALIDATION_FAILED naming each field', async () => {
    const res = await fetch(`${t.system.url}/api/engine/smoke-checks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestedBy: 'x'.repeat(101), extra: 1 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details).toEqual(
      expect.arrayContaining([
        { field: 'body.requestedBy', message: '不能超过 100 个字符' },
        { field: 'body', message: '不认识的字段：extra' },
      ]),
    );
  });

  test('every response carries a request id; a client-sent id is echoed', async () => {
    const res = await fetch(`${t.system.url}/api/health`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });

  test('the SPA is served for client-side routes, never for /api', async () => {
    const res = await fetch(`${t.system.url}/health`);
    expect([200, 503]).toContain(res.status);
    expect(res.headers.get('content-type')).toMatch(/text\/(html|plain)/);
  });
});

describe('health when a dependency is down', () => {
  test('engine unreachable: 503, engine down with a Chinese message, the database still up', async () => {
    const port = await closedPort();
    const t = await startTestSystem({ engine: { ...testConfig().engine, mode: 'external', grpcAddress: `127.0.0.1:${port}`, restAddress: `http://127.0.0.1:${port}` } });
    try {
      const res = await fetch(`${t.system.url}/api/health`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as HealthReport;
      expect(body.status).toBe('degraded');
      expect(body.database.status).toBe('up');
      expect(body.engine.status).toBe('down');
      expect(body.engine.message).toContain('流程引擎无法连接');
      expect(JSON.stringify(body)).not.toMatch(/Error:|at .*\.ts/);
      // The engine-dependent action answers 503 too, rather than hanging or crashing.
      const smoke = await fetch(`${t.system.url}/api/engine/smoke-checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(smoke.status).toBe(503);
      expect(((await smoke.json()) as ErrorBody).error.code).toBe('ENGINE_UNAVAILABLE');
    } finally {
      await t.close();
    }
  });

  test('database unreachable: 503 with a clear message, nothing internal leaked', async () => {
    const port = await closedPort();
    const t = await startTestSystem({ database: { client: 'mysql', url: `mysql://root@127.0.0.1:${port}/budget`, database: 'budget' } });
    try {
      const res = await fetch(`${t.system.url}/api/health`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as HealthReport;
      expect(body.database).toMatchObject({ status: 'down', client: 'mysql', message: '数据库无法连接（连接被拒绝），请确认数据库服务已启动' });
      expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    } finally {
      await t.system.stop();
    }
  });
});

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
