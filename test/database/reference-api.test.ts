import ExcelJS from 'exceljs';
import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * The reference API over real HTTP, through the whole app (login, permission, data scope).
 * Organisations are read within the reader's scope: the Inner Mongolia finance department's
 * budget division sees Inner Mongolia, its Jiangsu counterpart Jiangsu (data-scope tests of their
 * own are in organisations-scope.test.ts).
 */
describe('reference API', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let base: string;
  /** The session the calls use: Inner Mongolia unless a test switches. */
  let cookie = '';
  const cookies: Record<'nm' | 'js', string> = { nm: '', js: '' };

  const get = async (url: string) => {
    const res = await fetch(base + url, { headers: { cookie } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const post = async (url: string, body: unknown) => {
    const res = await fetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    base = `${api.base}/api`;
    for (const [key, orgCode] of [
      ['nm', '150000-CZ-YS'],
      ['js', '320000-CZ'],
    ] as const) {
      const org = (await getOrganisationByCode(db, orgCode))!;
      await createUser(db, {
        username: `ref_${key}`,
        displayName: '预算处',
        orgId: org.id,
        password: TEST_PASSWORD,
        roles: ['budget_division'],
      });
      cookies[key] = await loginCookie(api.base, `ref_${key}`);
    }
  });
  beforeEach(() => {
    cookie = cookies.nm;
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  test('GET /regions: provinces, children of a region, or a tree', async () => {
    expect((await get('/regions')).body.items.map((r: { name: string }) => r.name)).toEqual(['内蒙古自治区', '江苏省']);
    expect((await get('/regions?parent=320500')).body.items.map((r: { code: string }) => r.code)).toEqual(['320505', '320506', '320583']);
    const tree = (await get('/regions?tree=true&parent=150000')).body.items;
    expect(tree.find((c: { code: string }) => c.code === '152500').children.map((c: { name: string }) => c.name)).toEqual([
      '锡林浩特市',
      '阿巴嘎旗',
    ]);
    expect((await get('/regions?parent=15')).status).toBe(400);
  });

  test('GET /organisations: filters, SQL pagination (pageSize ≤ 100), whitelisted sort', async () => {
    const r = await get('/organisations?kind=budget_unit&region=150100&pageSize=2&page=2&sort=code&order=asc');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 7, page: 2, pageSize: 2 });
    expect(r.body.items.map((o: { code: string }) => o.code)).toEqual(['150100-JY-003', '150100-NY-001']);
    expect(r.body.items[0].createdAt).toMatch(/\+08:00$/);
    expect((await get('/organisations?name=' + encodeURIComponent('畜牧'))).body.items.map((o: { name: string }) => o.name)).toEqual([
      '锡林浩特市牧区畜牧工作站',
    ]);

    const tooBig = await get('/organisations?pageSize=101');
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.code).toBe('VALIDATION_FAILED');
    expect((await get('/organisations?sort=password')).status).toBe(400);
    expect((await get('/organisations?kind=bank')).status).toBe(400);
    expect((await get('/organisations?unknown=1')).status).toBe(400);
  });

  test('GET /organisations/:id and /:id/subtree', async () => {
    cookie = cookies.js; // Suzhou lies in Jiangsu's scope
    const city = (await getOrganisationByCode(db, '320500-CZ'))!;
    const one = await get(`/organisations/${city.id}`);
    expect(one.body).toMatchObject({ id: city.id, code: '320500-CZ', name: '苏州市财政局', kind: 'finance_bureau', regionCode: '320500' });

    const subtree = await get(`/organisations/${city.id}/subtree?pageSize=100`);
    expect(subtree.body.items[0].code).toBe('320500-CZ'); // tree order: the root first
    expect(subtree.body.total).toBe(16); // bureau, 3 科, 3 county bureaus, 3 departments, 6 units
    expect(subtree.body.items.every((o: { path: string }) => o.path.startsWith(city.path))).toBe(true);
    expect((await get(`/organisations/${city.id}/subtree?kind=department`)).body.total).toBe(3);

    expect((await get('/organisations/999999')).status).toBe(404);
    expect((await get('/organisations/999999/subtree')).status).toBe(404);
    // A malformed id names nothing: 404 like an unknown one (it was a 400 before the routes were declared once).
    for (const bad of ['abc', '0x1', `${city.id}.0`, `0${city.id}`]) {
      const r = await get(`/organisations/${bad}`);
      expect([bad, r.status, r.body.error?.message]).toEqual([bad, 404, '组织机构不存在']);
    }
  });

  test('GET /codes/functional and /codes/economic: cascading children for a year', async () => {
    const kuan = await get('/codes/functional?year=2026&parent=205');
    expect(kuan.body.items.map((c: { code: string }) => c.code)).toEqual(['20501', '20502']);
    const gov = await get('/codes/economic?year=2026&kind=government&parent=502');
    expect(gov.body.items[0]).toEqual({
      code: '50201',
      name: '办公经费',
      level: '款',
      parentCode: '502',
      hasChildren: false,
      kind: 'government',
      governmentCode: null,
    });
    expect((await get('/codes/functional')).status).toBe(400); // year is required
    expect((await get('/codes/economic?year=2026&kind=both')).status).toBe(400);
  });

  test('POST /codes/import: CSV and .xlsx (base64) bodies; a bad file is 400 CODE_IMPORT_INVALID with row and column', async () => {
    const ok = await post('/codes/import?year=2027&type=functional', {
      format: 'csv',
      content: '\uFEFFcode,name,level\n205,教育支出,类\n20502,普通教育,款\n',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ type: 'functional', year: 2027, inserted: 2, updated: 0, unchanged: 0 });

    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('经济分类').addRows([
      ['编码', '名称', '级次', '类型', '政府经济分类'],
      [502, '机关商品和服务支出', '类', '政府', null],
      [302, '商品和服务支出', '类', '部门', 502],
    ]);
    const base64 = Buffer.from(await wb.xlsx.writeBuffer()).toString('base64');
    expect((await post('/codes/import?year=2027&type=economic', { format: 'xlsx', base64 })).body).toMatchObject({ inserted: 2 });

    const bad = await post('/codes/import?year=2027&type=functional', { format: 'csv', content: 'code,name,level\n2050,普通教育,款\n' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('CODE_IMPORT_INVALID');
    expect(bad.body.error.details).toEqual([
      { row: 2, column: '编码', field: '编码', message: '第 2 行，编码：级次为“款”的编码应为 5 位数字' },
    ]);

    const notXlsx = await post('/codes/import?year=2027&type=functional', {
      format: 'xlsx',
      base64: Buffer.from('not a zip').toString('base64'),
    });
    expect(notXlsx.body.error).toMatchObject({ code: 'CODE_IMPORT_INVALID', details: [{ row: 0, column: '文件' }] });

    expect((await post('/codes/import?year=2027&type=functional', { format: 'pdf', content: 'x' })).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await post('/codes/import?year=2027&type=functional', { format: 'xlsx', base64: '%%%' })).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
    expect((await post('/codes/import?year=2027&type=project', { format: 'csv', content: 'x' })).status).toBe(400);
    expect(await db('functional_codes').where('fiscal_year', 2027).count({ n: '*' }).first()).toEqual({ n: 2 });
  });
});
