import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { type Browser, type Page } from 'playwright-core';
import { createAccount, loginCookie, TEST_PASSWORD } from '../support/accounts';
import {
  apiRequest,
  buildWebIfStale,
  launchChromium,
  logInThroughPage,
  PageOpener,
  RESULTS,
  ROOT,
  sel,
  waitUntil,
} from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 科目代码 page and the 导出 button in a real Chromium against the real system: a budget-division
 * account sees 205 教育支出 with its children, imports a CSV with mistakes and reads each one by
 * row and column (nothing written), imports a good one and finds the new code; on 指标账, 导出
 * downloads a workbook named 指标台账-YYYYMMDD.xlsx holding the listed quota.
 */

const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));

describe('科目代码 page and list export in a browser', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let username = '';
  let cookie = '';
  /** The quota issued for the export (numbered by the ledger). */
  let quotaNo = '';
  const pages = new PageOpener({ height: 1000, acceptDownloads: true });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    ({ username } = await createAccount(t.system.db, ['budget_division']));
    cookie = await loginCookie(t.system.url, username);
    for (const type of ['functional', 'economic'] as const) {
      const res = await post(`/api/codes/import?year=${YEAR}&type=${type}`, {
        format: 'csv',
        content: fs.readFileSync(path.join(ROOT, 'seeds', `${type}-codes.csv`), 'utf8'),
      });
      expect(res.status).toBe(200);
    }
    const issued = await post('/api/quotas', {
      fiscalYear: YEAR,
      functionalCode: '2050203',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: '呼财教〔2026〕9号',
      amountFen: 1_234_56,
      reason: '导出测试',
    });
    expect(issued.status).toBe(201);
    quotaNo = issued.json.quota.quotaNo;
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  const post = (url: string, body: unknown) => apiRequest(t!.system.url, cookie, 'POST', url, body);
  const openPage = () => pages.open(browser!);
  const logInAt = (page: Page, pathname: string) => logInThroughPage(page, t!.system.url, pathname, username, TEST_PASSWORD);

  const functionalCount = async () =>
    Number(
      ((await t!.system.db('functional_codes').where({ fiscal_year: YEAR }).count({ n: '*' })) as Array<{ n: number | string }>)[0]?.n,
    );

  /** Picks a file in the import dialog (a second pick replaces the first). */
  async function chooseFile(page: Page, name: string, content: string): Promise<void> {
    await page
      .locator(`${sel('code-import-file')} input[type=file]`)
      .setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content, 'utf8') });
    await page.locator(`${sel('code-import-dialog')} .el-upload-list__item`, { hasText: name }).waitFor();
  }

  test('given a budget-division account, when it opens 科目代码, then 205 教育支出 unfolds into its 款 and 项; a bad CSV lists its errors by row and column and writes nothing; a good one adds the code', async () => {
    const page = await openPage();
    await logInAt(page, '/codes');
    expect(await page.locator(`${sel('main-menu')} >> text=科目代码`).count()).toBe(1);

    const table = page.locator(sel('codes-table'));
    const row205 = table.locator('tr.el-table__row', { hasText: '教育支出' });
    await row205.waitFor();
    expect(await row205.innerText()).toContain('205');
    await row205.locator('.el-table__expand-icon').click();
    const row20502 = table.locator('tr.el-table__row', { hasText: '普通教育' });
    await row20502.waitFor();
    await row20502.locator('.el-table__expand-icon').click();
    await table.locator('tr.el-table__row', { hasText: '初中教育' }).waitFor();
    expect(await table.locator('tr.el-table__row', { hasText: '初中教育' }).innerText()).toContain('2050203');

    // 部门预算经济分类 shows the 政府经济分类 each code maps to.
    await page.locator('.el-tabs__item', { hasText: '部门预算经济分类' }).click();
    const row302 = table.locator('tr.el-table__row--level-0', { hasText: '商品和服务支出' });
    await row302.locator('.el-table__expand-icon').click();
    const travel = table.locator('tr.el-table__row', { hasText: '差旅费' });
    await travel.waitFor();
    expect(await travel.innerText()).toMatch(/30211\s+差旅费\s+款\s+50201 办公经费/);
    await page.locator('.el-tabs__item', { hasText: '支出功能分类' }).click();
    await row205.waitFor();

    // A file with mistakes: nothing is written, each problem is listed with its row and column.
    const before = await functionalCount();
    await page.locator(sel('codes-import')).click();
    await page.locator(sel('code-import-dialog')).waitFor();
    await chooseFile(page, 'bad.csv', '编码,名称,级次\n20502X,普通教育,款\n2050288,,项\n2059901,测试项目,项\n');
    await page.locator(sel('code-import-submit')).click();
    const problems = page.locator(`${sel('code-import-problems')} tr.el-table__row`);
    await problems.first().waitFor();
    const texts = await problems.allInnerTexts();
    expect(texts.some((r) => /^2\s+编码/.test(r))).toBe(true);
    expect(texts.some((r) => /^3\s+名称\s+不能为空/.test(r))).toBe(true);
    expect(texts.some((r) => /^4\s+编码\s+上级编码 20599 不存在/.test(r))).toBe(true);
    expect(await page.locator(sel('code-import-error')).innerText()).toContain('未导入任何数据');
    expect(await functionalCount()).toBe(before);
    await page.screenshot({ path: path.join(RESULTS, 'codes-import-errors.png') });

    // A good file: the result is shown and the new code is in the table.
    await chooseFile(page, 'good.csv', '编码,名称,级次\n2050288,测试教育项目,项\n');
    await page.locator(sel('code-import-submit')).click();
    await page.locator(sel('code-import-result')).waitFor();
    expect(await page.locator(sel('code-import-result')).innerText()).toContain('新增 1 条');
    expect(await functionalCount()).toBe(before + 1);
    await page.keyboard.press('Escape');
    await page.locator(sel('codes-search-keyword')).fill('测试教育');
    await page.locator(sel('codes-search-submit')).click();
    const added = table.locator('tr.el-table__row', { hasText: '测试教育项目' });
    await added.waitFor();
    expect(await added.innerText()).toContain('2050288');
    await waitUntil(async () => (await table.locator('tr.el-table__row').count()) === 3, '205 → 20502 → 2050288 only');
    await page.screenshot({ path: path.join(RESULTS, 'codes-page.png') });
  });

  test('when the clerk clicks 导出 on 指标账, the browser downloads 指标台账-YYYYMMDD.xlsx with the listed quota', async () => {
    const page = await openPage();
    await logInAt(page, '/quotas');
    await page.locator(`${sel('quota-table')} tr.el-table__row`, { hasText: quotaNo }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(sel('quota-export')).click()]);
    expect(download.suggestedFilename()).toMatch(/^指标台账-\d{8}\.xlsx$/);
    const file = path.join(RESULTS, 'quota-export.xlsx');
    await download.saveAs(file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.rowCount).toBe(2);
    expect(sheet.getCell('A2').value).toBe(quotaNo);
    expect(sheet.getCell('I2').value).toBe(1234.56);
  });
});
