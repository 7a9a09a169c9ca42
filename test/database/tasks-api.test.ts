import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/** The task routes' path ids (server/api/tasks.ts, declared with route.ts): digits only, else a 404 naming the object. */
describe('task routes: path ids', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let cookie = '';

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    const unit = (await getOrganisationByCode(db, '150100-JY-001'))!.id;
    await createUser(db, { username: 'ids_clerk', displayName: '李敏', orgId: unit, password: TEST_PASSWORD, roles: ['unit_clerk'] });
    cookie = await loginCookie(api.base, 'ids_clerk');
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  const get = async (path: string) => {
    const res = await fetch(api.base + path, { headers: { cookie } });
    return { status: res.status, error: ((await res.json()) as { error?: { code?: string; message?: string } }).error };
  };

  test('a malformed id (abc, 0x5, 5.0, 007) is a 404 with the object named; a well-formed unknown one names its id', async () => {
    for (const path of ['/api/tasks/abc', '/api/tasks/0x5/eligible-users', '/api/tasks/5.0/document.pdf', '/api/tasks/007']) {
      expect({ path, ...(await get(path)) }).toEqual({ path, status: 404, error: { code: 'NOT_FOUND', message: '待办不存在' } });
    }
    expect(await get('/api/projects/0x5/processes')).toEqual({ status: 404, error: { code: 'NOT_FOUND', message: '项目不存在' } });
    // Two ids: each malformed one is named after its own object.
    expect(await get('/api/projects/0x5/attachments/1')).toEqual({ status: 404, error: { code: 'NOT_FOUND', message: '项目不存在' } });
    expect(await get('/api/projects/1/attachments/5.0')).toEqual({ status: 404, error: { code: 'NOT_FOUND', message: '附件不存在' } });
    expect(await get('/api/tasks/999999')).toEqual({ status: 404, error: { code: 'NOT_FOUND', message: '待办 #999999 不存在' } });
    expect(await get('/api/projects/999999/processes')).toEqual({
      status: 404,
      error: { code: 'NOT_FOUND', message: '项目 #999999 不存在' },
    });
  });
});
