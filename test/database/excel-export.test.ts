import ExcelJS from 'exceljs';
import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import * as ledger from '../../server/ledger/service';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { createAccount, loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * Excel exports over real HTTP: the downloaded workbooks are parsed with exceljs and compared
 * with what the list routes answer under the same filters and the same person's data scope.
 * Pages of 2 rows make every export read several SQL pages; a second API with a cap of 3 rows
 * stands in for the 50,000-row limit.
 */
describe('Excel export of lists', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let capped: Awaited<ReturnType<typeof startApi>>;
  let finance: string; // 预算处: region scope, may import codes
  let clerk: string; // 呼和浩特市第一中学's clerk: own unit only
  const quotaIds: Record<string, number> = {};

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database, { exportLimits: { maxRows: 50_000, pageSize: 2 } });
    capped = await startApi(db, fresh.database, { exportLimits: { maxRows: 3, pageSize: 2 } });

    const school = (await getOrganisationByCode(db, '150100-JY-001'))!;
    const other = (await getOrganisationByCode(db, '150100-JY-002'))!;
    const bureau = (await getOrganisationByCode(db, '150100-CZ-YS'))!; // issues UN-1, a quota not yet tied to a unit
    const issue = async (quotaNo: string, fiscalYear: number, unitOrgId: number | null, amountFen: number) => {
      const r = await ledger.issueQuota(db, {
        quotaNo,
        fiscalYear,
        unitOrgId,
        issuerOrgId: bureau.id,
        functionalCode: '2050203',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: '呼财教〔2026〕1号',
        amountFen,
        actor: 'seed',
        reason: '指标下达',
      });
      quotaIds[quotaNo] = r.quota.id;
    };
    await issue('YZ-1', 2026, school.id, 123_456_789); // ¥1,234,567.89
    await issue('YZ-2', 2026, school.id, 1); // ¥0.01
    await issue('YZ-3', 2025, school.id, 50_000_00);
    await issue('EZ-1', 2026, other.id, 99_999_99);
    await issue('EZ-2', 2026, other.id, 10_00);
    await issue('UN-1', 2026, null, 7_000_000_00);
    const id = quotaIds['YZ-1']!;
    await ledger.freeze(db, { quotaId: id, amountFen: 456_78, actor: 'seed', reason: '支付申请冻结' });
    await ledger.consume(db, { quotaId: id, amountFen: 400_00, actor: 'seed', reason: '支付' });
    await ledger.adjustIn(db, { quotaId: id, amountFen: 1_00, actor: 'seed', reason: '追加' });

    finance = await loginCookie(api.base, (await createAccount(db, ['budget_division'])).username);
    await createUser(db, { username: 'yz_clerk', displayName: '王芳', orgId: school.id, password: TEST_PASSWORD, roles: ['unit_clerk'] });
    clerk = await loginCookie(api.base, 'yz_clerk');
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await capped?.close();
    await db?.destroy();
    await drop?.();
  });

  const get = (path: string, cookie: string, base = api.base) => fetch(base + path, { headers: { cookie } });
  const json = async (path: string, cookie: string): Promise<any> => (await get(path, cookie)).json();

  interface ErrorBody {
    error: { code: string; message: string; details?: Array<{ message: string }> };
  }
  const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

  async function download(path: string, cookie: string) {
    const res = await get(path, cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.worksheets[0]!;
    const rows: ExcelJS.CellValue[][] = [];
    sheet.eachRow((row) => rows.push((row.values as ExcelJS.CellValue[]).slice(1)));
    return { res, workbook, sheet, header: rows[0]!, data: rows.slice(1), disposition: res.headers.get('content-disposition') ?? '' };
  }

  /** The UTF-8 name from filename*, and the ASCII fallback. */
  function filenames(disposition: string) {
    const utf8 = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
    const ascii = /filename="([^"]+)"/.exec(disposition)?.[1];
    return { utf8: utf8 && decodeURIComponent(utf8), ascii };
  }

  test('GET /quotas/export: headers, one row per quota of the list, money as yuan numbers, Shanghai times, Chinese filename', async () => {
    const list = await json('/api/quotas?fiscalYear=2026&sort=amountFen&order=desc&pageSize=100', finance);
    const x = await download('/api/quotas/export?fiscalYear=2026&sort=amountFen&order=desc', finance);

    expect(x.header).toEqual([
      '指标编号',
      '预算年度',
      '预算单位',
      '项目编号',
      '功能分类科目',
      '经济分类科目',
      '资金来源',
      '指标文号',
      '额度（元）',
      '已用（元）',
      '冻结（元）',
      '可用（元）',
      '来源指标',
      '创建时间',
      '更新时间',
    ]);
    expect(list.total).toBe(5);
    expect(x.data).toHaveLength(list.total);
    // Same sort as the list, and every money cell is the list's fen / 100.
    expect(x.data.map((r) => r[0])).toEqual(list.items.map((q: { quotaNo: string }) => q.quotaNo));
    list.items.forEach(
      (q: { amountFen: number; usedFen: number; frozenFen: number; availableFen: number; createdAt: string }, i: number) => {
        expect(x.data[i]!.slice(8, 12)).toEqual([q.amountFen / 100, q.usedFen / 100, q.frozenFen / 100, q.availableFen / 100]);
        expect(x.data[i]![13]).toBe(q.createdAt.slice(0, 19).replace('T', ' '));
      },
    );
    const yz1 = x.data.find((r) => r[0] === 'YZ-1')!;
    expect(yz1.slice(1, 3)).toEqual([2026, '呼和浩特市第一中学']);
    expect(yz1.slice(8, 12)).toEqual([1_234_568.89, 400, 56.78, 1_234_112.11]);
    expect(x.data.find((r) => r[0] === 'YZ-2')![8]).toBe(0.01);
    expect(x.data.find((r) => r[0] === 'UN-1')![2]).toBeUndefined(); // no unit yet: an empty cell

    // Formats: money '#,##0.00', codes stay text; header bold, frozen, filtered.
    expect(x.sheet.getCell('I2').numFmt).toBe('#,##0.00');
    expect(x.sheet.getCell('E2').value).toBe('2050203');
    expect(x.sheet.getCell('A1').font?.bold).toBe(true);
    expect(x.sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(x.sheet.autoFilter).toBeTruthy();

    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    expect(x.disposition).toMatch(/^attachment; /);
    expect(filenames(x.disposition)).toEqual({ utf8: `指标台账-${today}.xlsx`, ascii: `quotas-${today}.xlsx` });
  });

  test("a unit clerk's quota export holds only their unit's quotas, like their list", async () => {
    const list = await json('/api/quotas?pageSize=100', clerk);
    const x = await download('/api/quotas/export', clerk);
    expect(list.total).toBe(3);
    expect(x.data.map((r) => r[0]).sort()).toEqual(['YZ-1', 'YZ-2', 'YZ-3']);
    expect(new Set(x.data.map((r) => r[2]))).toEqual(new Set(['呼和浩特市第一中学']));
    // Another unit's journal does not exist for them.
    expect((await get(`/api/quotas/${quotaIds['EZ-1']}/journal/export`, clerk)).status).toBe(404);
  });

  test('GET /quotas/:id/journal/export: every entry, in the order asked, with balances after it', async () => {
    const id = quotaIds['YZ-1']!;
    const list = await json(`/api/quotas/${id}/journal?order=desc&pageSize=100`, finance);
    const x = await download(`/api/quotas/${id}/journal/export?order=desc`, finance);
    expect(x.header.slice(0, 4)).toEqual(['流水号', '时间', '类型', '金额（元）']);
    expect(x.data).toHaveLength(list.total);
    expect(list.total).toBe(4);
    expect(x.data.map((r) => r[2])).toEqual(['调入', '支付', '冻结', '下达']);
    expect(x.data[0]!.slice(3, 8)).toEqual([1, 1_234_568.89, 400, 56.78, 1_234_112.11]);
    expect(filenames(x.disposition).utf8).toMatch(/^指标流水-YZ-1-\d{8}\.xlsx$/);
    expect(filenames(x.disposition).ascii).toMatch(new RegExp(`^quota-${id}-journal-\\d{8}\\.xlsx$`));
    expect((await get('/api/quotas/999999/journal/export', finance)).status).toBe(404);
  });

  test('GET /organisations/export: the list filters, region and parent names', async () => {
    const list = await json('/api/organisations?kind=budget_unit&region=150100&sort=name&order=desc&pageSize=100', finance);
    const x = await download('/api/organisations/export?kind=budget_unit&region=150100&sort=name&order=desc', finance);
    expect(x.header).toEqual(['机构编码', '机构名称', '机构类型', '行政区划代码', '行政区划', '上级机构', '处室类型', '创建时间']);
    expect(list.total).toBe(7);
    expect(x.data.map((r) => r[0])).toEqual(list.items.map((o: { code: string }) => o.code));
    const school = x.data.find((r) => r[0] === '150100-JY-001')!;
    expect(school.slice(1, 6)).toEqual(['呼和浩特市第一中学', '预算单位', '150100', '呼和浩特市', '呼和浩特市教育局']);
    expect(filenames(x.disposition).utf8).toMatch(/^组织机构-\d{8}\.xlsx$/);
  });

  test('code table exports use the import columns, and an exported year imports back unchanged', async () => {
    const all = await json('/api/codes/functional/all?year=2026', finance);
    const f = await download('/api/codes/functional/export?year=2026', finance);
    expect(f.header).toEqual(['编码', '名称', '级次']);
    expect(f.data).toHaveLength(all.total);
    expect(f.data.find((r) => r[0] === '205')).toEqual(['205', '教育支出', '类']);
    // Tree order: 205, then its 款 and their 项, before 208.
    const codes = f.data.map((r) => String(r[0]));
    expect(codes.indexOf('2050203')).toBeGreaterThan(codes.indexOf('20502'));
    expect(codes.indexOf('2050203')).toBeLessThan(codes.indexOf('208'));

    const dept = await download('/api/codes/economic/export?year=2026&kind=department', finance);
    expect(dept.header).toEqual(['编码', '名称', '级次', '类型', '政府经济分类']);
    expect(dept.data.find((r) => r[0] === '30211')).toEqual(['30211', '差旅费', '款', '部门', '50201']);
    expect(filenames(dept.disposition).utf8).toMatch(/^部门预算经济分类-2026-\d{8}\.xlsx$/);

    const everything = await download('/api/codes/economic/export?year=2026', finance);
    const base64 = Buffer.from(await everything.workbook.xlsx.writeBuffer()).toString('base64');
    const res = await fetch(`${api.base}/api/codes/import?year=2026&type=economic`, {
      method: 'POST',
      headers: { cookie: finance, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'xlsx', base64 }),
    });
    expect(await res.json()).toMatchObject({ inserted: 0, updated: 0, unchanged: everything.data.length });
  });

  test('GET /codes/template: the headers the importer reads, and a sheet of instructions', async () => {
    const t = await download('/api/codes/template?type=economic', finance);
    expect(t.header).toEqual(['编码', '名称', '级次', '类型', '政府经济分类']);
    expect(t.data).toHaveLength(0);
    expect(t.workbook.getWorksheet('填写说明')?.getCell('A1').value).toBe('支出经济分类导入说明：');
    expect(filenames(t.disposition).utf8).toMatch(/^支出经济分类导入模板-\d{8}\.xlsx$/);
    // The empty template is a file the importer reads (and rejects for having no data rows).
    const res = await fetch(`${api.base}/api/codes/import?year=2026&type=economic`, {
      method: 'POST',
      headers: { cookie: finance, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'xlsx', base64: Buffer.from(await t.workbook.xlsx.writeBuffer()).toString('base64') }),
    });
    expect((await errorOf(res)).details?.[0]?.message).toMatch(/只有表头/);
  });

  test('above the cap: 400 EXPORT_TOO_LARGE telling the clerk to narrow the filters; narrower filters pass', async () => {
    const res = await get('/api/quotas/export', finance, capped.base);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-disposition')).toBeNull();
    const error = await errorOf(res);
    expect(error.code).toBe('EXPORT_TOO_LARGE');
    expect(error.message).toMatch(/6 条.*上限 3 条.*缩小查询条件/);
    expect((await get('/api/quotas/export?fiscalYear=2025', finance, capped.base)).status).toBe(200);
    expect((await get('/api/organisations/export', finance, capped.base)).status).toBe(400);
  });

  test('bad filters are a 400 VALIDATION_FAILED, and paging is not a filter', async () => {
    for (const path of [
      '/api/quotas/export?fiscalYear=abc',
      '/api/quotas/export?sort=reason',
      '/api/quotas/export?page=2',
      `/api/quotas/${quotaIds['YZ-1']}/journal/export?order=sideways`,
      '/api/organisations/export?kind=bank',
      '/api/organisations/export?pageSize=10',
      '/api/codes/functional/export',
      '/api/codes/economic/export?year=2026&kind=other',
      '/api/codes/template?type=regions',
    ]) {
      const res = await get(path, finance);
      expect([path, res.status, (await errorOf(res)).code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
  });
});
