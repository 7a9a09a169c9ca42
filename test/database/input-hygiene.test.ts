import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * The edge's refusals one by one (server/api/input-hygiene.ts): each code, the field it names,
 * that it comes before authentication and any write, and that real text passes. The fuzz test
 * (input-fuzz.test.ts) holds every route to the same.
 */
describe('input hygiene at the edge', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let clerk: string;

  const project = (name: string, description = '对教学楼屋面防水和外墙进行维修') => ({
    name,
    category: '33',
    functionalCode: '2050204',
    description,
    fiscalYear: 2026,
    amounts: [{ economicCode: '30213', amountFen: 100_00 }],
  });
  const send = async (method: string, path: string, body?: string | Buffer, cookie = clerk) => {
    const res = await fetch(api.base + path, {
      method,
      headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body,
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const count = async (table: string) => Number(((await db(table).count({ n: '*' }).first()) as { n: number | string }).n);

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    await createUser(db, {
      username: 'hygiene_clerk',
      displayName: '王芳',
      orgId: (await getOrganisationByCode(db, '150100-JY-001'))!.id,
      password: TEST_PASSWORD,
      roles: ['unit_clerk'],
    });
    clerk = await loginCookie(api.base, 'hygiene_clerk');
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  test('a lone surrogate in a body value: 400 INVALID_TEXT naming the field and the character; nothing is written', async () => {
    const before = [await count('projects'), await count('audit_records')];
    const r = await send('POST', '/api/projects', JSON.stringify(project('教学楼\uD800维修')));
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({
      code: 'INVALID_TEXT',
      message: '提交的内容含有无法识别的字符（不成对的代理字符、控制字符等），请删除后重试',
      details: [{ field: 'body.name', message: '第 4 个字符是不成对的代理字符（无效的 Unicode）（U+D800），请删除后重试' }],
    });
    expect([await count('projects'), await count('audit_records')]).toEqual(before);
  });

  test('the login that answered 500 (the audit chain refused the name) is a 400 before authentication, with no audit record', async () => {
    const before = await count('audit_records');
    const r = await fetch(`${api.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'a\uDC00', password: 'x' }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).error.code).toBe('INVALID_TEXT');
    expect(await count('audit_records')).toBe(before);
    // Anonymous: refused for its text, not for the missing session.
    expect((await send('POST', '/api/projects', JSON.stringify(project('\u0007')), '')).json.error.code).toBe('INVALID_TEXT');
  });

  test('keys, nested values, query parameters and path segments are walked too', async () => {
    expect(
      (
        await send(
          'POST',
          '/api/projects',
          JSON.stringify({ ...project('教学楼维修'), amounts: [{ economicCode: '30213', amountFen: 1, note: 'x\u001b[31m' }] }),
        )
      ).json.error.details,
    ).toEqual([{ field: 'body.amounts.0.note', message: '第 2 个字符是控制字符（U+001B），请删除后重试' }]);
    expect(
      (await send('POST', '/api/projects', JSON.stringify({ ...project('教学楼维修'), ['\uFFFE']: 1 }))).json.error.details[0].field,
    ).toBe('body.\uFFFE');
    expect((await send('GET', '/api/projects?keyword=%07')).json.error).toMatchObject({
      code: 'INVALID_TEXT',
      details: [{ field: 'query.keyword' }],
    });
    expect((await send('GET', '/api/projects/%00')).json.error).toMatchObject({ code: 'INVALID_TEXT', details: [{ field: 'path' }] });
    expect((await send('GET', '/api/projects/%ED%A0%80')).json.error.code).toBe('INVALID_URL_ENCODING');
    expect((await send('GET', '/api/projects?keyword=%E4%B8')).json.error.code).toBe('INVALID_URL_ENCODING');
  });

  test('bytes that are not UTF-8, nesting deeper than 32 levels, and numbers JSON cannot hold have codes of their own', async () => {
    const latin1 = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe9, 0xe9]), Buffer.from('"}')]);
    expect(await send('POST', '/api/projects', latin1)).toMatchObject({ status: 400, json: { error: { code: 'INVALID_ENCODING' } } });
    expect(await send('POST', '/api/projects', `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)).toMatchObject({
      status: 400,
      json: { error: { code: 'INPUT_TOO_DEEP' } },
    });
    const r = await send('POST', '/api/projects', JSON.stringify(project('教学楼维修')).replace('"amountFen":10000', '"amountFen":1e400'));
    expect(r).toMatchObject({ status: 400, json: { error: { code: 'INVALID_NUMBER', details: [{ field: 'body.amounts.0.amountFen' }] } } });
  });

  test('text people type passes: Chinese, emoji, characters beyond the BMP, tabs and line breaks', async () => {
    const r = await send('POST', '/api/projects', JSON.stringify(project('𠮷野家食堂改造 😀', '第一期：屋面防水\r\n第二期：\t外墙')));
    expect(r.status).toBe(201);
    expect(r.json.name).toBe('𠮷野家食堂改造 😀');
    expect(r.json.description).toBe('第一期：屋面防水\r\n第二期：\t外墙');
  });
});
