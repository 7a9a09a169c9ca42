import type { Db } from '../../server/db';
import { adjustmentRoutes } from '../../server/api/adjustments';
import { finalAccountRoutes } from '../../server/api/final-accounts';
import { routeKey } from '../../server/api/route-doc';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * The path ids of the 预算调整 and 决算 routes (declared with route.ts): an id that cannot exist
 * (`abc`, `0x5`, `5.0`, which a bare coercion took for 5) is a 404 naming the object, like an id
 * that does not exist — before the body is read and before the engine (absent here) is asked.
 */
describe('adjustment and final-account routes: malformed ids', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let cookie: string;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
    // Between them the two roles hold every permission these routes ask for.
    const who = await createAccount(db, ['unit_clerk', 'budget_division']);
    cookie = await loginCookie(api.base, who.username);
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  async function call(method: string, path: string): Promise<{ status: number; json: any }> {
    const res = await fetch(api.base + path, {
      method: method.toUpperCase(),
      headers: { cookie, ...(method === 'get' ? {} : { 'content-type': 'application/json' }) },
      body: method === 'get' ? undefined : '{}',
    });
    return { status: res.status, json: await res.json() };
  }

  const withId = [...adjustmentRoutes, ...finalAccountRoutes].filter((r) => r.path.includes('{id}'));

  test('every route with an id names what is not found', () => {
    expect(withId.map((r) => [routeKey(r), r.notFound])).toEqual(
      withId.map((r) => [routeKey(r), r.path.startsWith('/api/adjustments/') ? '调整申请' : '决算']),
    );
    expect(withId.length).toBe(12); // 调整申请: 详情、审批、批复文件登记与下载、撤回；决算: the rest
  });

  test.each(['abc', '0x5', '5.0', '1e3', '-5', '0'])('id %s is a 404 on each of them', async (bad) => {
    for (const r of withId) {
      const answer = await call(r.method, r.path.replace('{id}', bad));
      expect([routeKey(r), answer.status, answer.json.error?.code, answer.json.error?.message]).toEqual([
        routeKey(r),
        404,
        'NOT_FOUND',
        `${r.notFound!}不存在`,
      ]);
    }
  });

  test('a well-formed id that does not exist is still the service’s 404, with the number', async () => {
    expect((await call('get', '/api/adjustments/999999')).json.error).toMatchObject({
      code: 'NOT_FOUND',
      message: '调整申请 #999999 不存在',
    });
    expect((await call('get', '/api/final-accounts/999999')).json.error).toMatchObject({
      code: 'NOT_FOUND',
      message: '决算 #999999 不存在',
    });
    expect((await call('get', '/api/final-accounts/999999/report.pdf')).json.error).toMatchObject({
      code: 'NOT_FOUND',
      message: '决算 #999999 不存在',
    });
  });
});
