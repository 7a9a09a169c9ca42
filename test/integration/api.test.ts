import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { buildHealthReport, type HealthReport } from '../../server/api/health';
import { EngineSupervisor } from '../../server/engine/supervisor';
import { createLogger } from '../../server/log';
import { createAccount, loginCookie } from '../support/accounts';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';

interface ErrorBody {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

describe('API against the real engine and database', () => {
  let t: TestSystem;

  let adminCookie: string;
  let clerkCookie: string;

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    adminCookie = await loginCookie(t.system.url, (await createAccount(t.system.db, ['system_admin'])).username);
    clerkCookie = await loginCookie(t.system.url, (await createAccount(t.system.db, ['unit_clerk'])).username);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (path: string, body: string, cookie?: string) =>
    fetch(`${t.system.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body,
    });

  test('the smoke check needs a session (401) and the system-admin permission (403)', async () => {
    const anonymous = await post('/api/engine/smoke-checks', '{}');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as ErrorBody).error).toEqual({ code: 'UNAUTHENTICATED', message: '请先登录' });
    const clerk = await post('/api/engine/smoke-checks', '{}', clerkCookie);
    expect(clerk.status).toBe(403);
    expect(((await clerk.json()) as ErrorBody).error.code).toBe('FORBIDDEN');
    const admin = await post('/api/engine/smoke-checks', '{}', adminCookie);
    expect(admin.status).toBe(201);
  });

  test('login sets an HttpOnly session cookie; /api/auth/me answers who is logged in; logout ends it', async () => {
    const user = await createAccount(t.system.db, ['budget_division']);
    const res = await post('/api/auth/login', JSON.stringify({ username: user.username, password: 'Budget@2026' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    expect(res.headers.get('set-cookie')).toMatch(/SameSite=Strict/i);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const me = await fetch(`${t.system.url}/api/auth/me`, { headers: { cookie } });
    const body = (await me.json()) as { user: { username: string; roles: Array<{ code: string; name: string }>; permissions: string[] } };
    expect(body.user.username).toBe(user.username);
    expect(body.user.roles).toEqual([{ code: 'budget_division', name: '预算处' }]);
    expect(body.user.permissions).toContain('quotas:issue');
    expect((await post('/api/auth/logout', '', cookie)).status).toBe(204);
    expect((await fetch(`${t.system.url}/api/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  test('a wrong password is a 401 with the same sentence as an unknown user', async () => {
    const wrong = await post('/api/auth/login', JSON.stringify({ username: 'nobody-here', password: 'x' }));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as ErrorBody).error).toEqual({ code: 'LOGIN_FAILED', message: '用户名或密码错误' });
  });

  test('GET /api/system/status (administrators): 200 with database and engine status, naming Operaton and its version, with every model deployed; GET /api/health says only that all is up', async () => {
    const open = await fetch(`${t.system.url}/api/health`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({
      status: 'ok',
      time: expect.stringMatching(/\+08:00$/),
      database: { status: 'up' },
      engine: { status: 'up' },
    });
    expect((await fetch(`${t.system.url}/api/system/status`, { headers: { cookie: clerkCookie } })).status).toBe(403);
    const res = await fetch(`${t.system.url}/api/system/status`, { headers: { cookie: adminCookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expect(body.status).toBe('ok');
    expect(body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    expect(body.database).toMatchObject({ status: 'up', client: t.config.database.client });
    expect(body.engine).toMatchObject({
      status: 'up',
      mode: t.config.engine.mode,
      product: 'Operaton',
      version: '1.0.3',
      engines: ['default'],
      address: t.config.engine.restUrl,
    });
    const ids = (body.engine.deployedResources ?? []).map((r) => r.id).sort();
    // Every process and decision of processes/, under this system's namespace.
    const models = fs
      .readdirSync(path.join(__dirname, '../../processes'))
      .flatMap((f) =>
        [
          ...fs
            .readFileSync(path.join(__dirname, '../../processes', f), 'utf8')
            .matchAll(/<(?:bpmn:process|decision)\b[^>]*\bid="([^"]+)"/g),
        ].map((m) => `${t.config.engine.namespace}.${m[1]}`),
      )
      .sort();
    expect(models.length).toBeGreaterThanOrEqual(8);
    expect(ids).toEqual(models);
    expect(JSON.stringify(body)).not.toMatch(/zeebe|broker|partition/i);
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
    const res = await post('/api/engine/smoke-checks', '{"requestedBy":', adminCookie);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe('INVALID_JSON');
    expect(await t.system.db('smoke_checks').count({ n: '*' })).toEqual(before);
  });

  test('invalid fields are a 400 VALIDATION_FAILED naming each field', async () => {
    const res = await post('/api/auth/login', JSON.stringify({ username: 'x'.repeat(51), password: '', extra: 1 }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details).toEqual(
      expect.arrayContaining([
        { field: 'body.username', message: '不能超过 50 个字符' },
        { field: 'body.password', message: '至少 1 个字符' },
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

describe('health while the engine starts', () => {
  test('the engine answers but the models are not deployed yet: degraded, engine 启动中 (starting) with its version', async () => {
    const t = await startTestSystem();
    try {
      await t.system.ready;
      // A supervisor whose deployment has not finished (it never does here).
      const supervisor = new EngineSupervisor(t.system.engine, createLogger('silent'), () => new Promise<void>(() => undefined));
      const report = await buildHealthReport({ config: t.config, db: t.system.db, engine: t.system.engine, supervisor, version: 'test' });
      expect(report.status).toBe('degraded');
      expect(report.engine).toMatchObject({ status: 'starting', version: '1.0.3', message: expect.stringContaining('正在部署流程模型') });
      // The running system's own supervisor finished: ok.
      expect(
        (
          await buildHealthReport({
            config: t.config,
            db: t.system.db,
            engine: t.system.engine,
            supervisor: t.system.supervisor,
            version: 'test',
          })
        ).status,
      ).toBe('ok');
    } finally {
      await t.close();
    }
  });
});

describe('health when a dependency is down', () => {
  test('engine unreachable: 503, engine down with a Chinese message, the database still up', async () => {
    const port = await closedPort();
    const t = await startTestSystem({
      engine: { ...testConfig().engine, mode: 'external', restUrl: `http://127.0.0.1:${port}/engine-rest` },
    });
    try {
      const open = await fetch(`${t.system.url}/api/health`);
      expect(open.status).toBe(503);
      expect(await open.json()).toMatchObject({ status: 'degraded', database: { status: 'up' }, engine: { status: 'down' } });
      const admin = await createAccount(t.system.db, ['system_admin']);
      const cookie = await loginCookie(t.system.url, admin.username);
      const res = await fetch(`${t.system.url}/api/system/status`, { headers: { cookie } });
      expect(res.status).toBe(503);
      const body = (await res.json()) as HealthReport;
      expect(body.status).toBe('degraded');
      expect(body.database.status).toBe('up');
      expect(body.engine.status).toBe('down');
      expect(body.engine.message).toContain('流程引擎无法连接');
      expect(JSON.stringify(body)).not.toMatch(/Error:|at .*\.ts/);
      // The engine-dependent action answers 503 too, rather than hanging or crashing.
      const smoke = await fetch(`${t.system.url}/api/engine/smoke-checks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: '{}',
      });
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
      expect(await res.json()).toMatchObject({ status: 'degraded', database: { status: 'down' } });
      // Nobody can log in to read the details now; the report the 系统状态 page would show words it plainly.
      const body = await buildHealthReport({
        config: t.config,
        db: t.system.db,
        engine: t.system.engine,
        supervisor: t.system.supervisor,
        version: 'test',
      });
      expect(body.database).toMatchObject({
        status: 'down',
        client: 'mysql',
        message: '数据库无法连接（连接被拒绝），请确认数据库服务已启动',
      });
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
