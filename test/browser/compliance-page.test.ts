import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiRequest, buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel, waitUntil } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 合规核验 in a real Chromium against the real system: 合规人员 nm_compliance (demo account) sees
 * the chain verified, downloads a project's evidence package, uploads it back and sees every record
 * pass; a copy with one byte of a record changed shows the failing record. Screenshots go to
 * .ci/results/.
 */
const PASSWORD = 'Budget@2026';

describe('合规核验 page in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let projectId = 0;
  const pages = new PageOpener({ height: 1100, acceptDownloads: true });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    // A project filed by 王芳 (第一中学): its creation is an audit record of the project.
    const cookie = await loginCookie(t.system.url, 'nm_clerk_yz', PASSWORD);
    const res = await apiRequest(t.system.url, cookie, 'POST', '/api/projects', {
      fiscalYear: 2026,
      name: '第一中学合规核验测试项目',
      category: '33',
      functionalCode: '2050204',
      description: '详见可行性研究报告',
      amounts: [{ economicCode: '30213', amountFen: 123_456_00 }],
      targets: [],
    });
    expect(res.status).toBe(201);
    projectId = (res.json as { id: number }).id;
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  async function openAsCompliance(): Promise<Page> {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/compliance', 'nm_compliance', PASSWORD);
    return page;
  }

  test('nm_compliance sees the chain OK, downloads a project evidence package, uploads it back (all OK), and a tampered copy names the failing record', async () => {
    const page = await openAsCompliance();
    await page.locator(sel('chain-ok')).waitFor();
    expect(await page.locator(sel('chain-status')).innerText()).toContain('完整有效');

    // Download the project's evidence package from the records list.
    // Found by the project number people know, listed in words: 新建项目 by 王芳, the object 项目 XM….
    const projectNo = String(
      ((await t!.system.db('projects').where({ id: projectId }).first('project_no')) as { project_no: string }).project_no,
    );
    await page.locator(sel('audit-search-project')).fill(projectNo);
    await page.locator(sel('audit-search-submit')).click();
    // Until the filtered list has replaced the first one (which holds this project's records too).
    const subjects = page.locator(`${sel('audit-table')} ${sel('audit-subject')}`);
    await waitUntil(async () => {
      const all = await subjects.allInnerTexts();
      return all.length > 0 && all.every((x) => x.trim() === `项目 ${projectNo}`);
    }, 'the records of the project only');
    const firstRow = page.locator(`${sel('audit-table')} .el-table__body-wrapper tbody tr`).first();
    expect(await firstRow.locator(sel('audit-kind')).innerText()).toBe('新建项目');
    expect(await firstRow.locator(sel('audit-actor')).innerText()).toBe('王芳');
    expect(await firstRow.locator(sel('audit-subject')).innerText()).toBe(`项目 ${projectNo}`);
    // A class of records: the logins, by name.
    await page.locator(sel('audit-search-project')).fill('');
    await page.locator(sel('audit-search-kind')).click();
    await page.locator('.el-select-dropdown__item', { hasText: '登录与会话（全部）' }).click();
    await page.locator(sel('audit-search-submit')).click();
    const kindCells = page.locator(`${sel('audit-table')} ${sel('audit-kind')}`);
    await waitUntil(async () => {
      const all = await kindCells.allInnerTexts();
      return all.length > 0 && all.every((k) => ['登录', '退出登录', '登录失败'].includes(k.trim()));
    }, 'the login records only');
    const kinds = await kindCells.allInnerTexts();
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((k) => ['登录', '退出登录', '登录失败'].includes(k.trim()))).toBe(true);
    expect(await page.locator(`${sel('audit-table')} ${sel('audit-actor')}`, { hasText: '何敏' }).count()).toBeGreaterThan(0);
    await page.locator(sel('audit-search-kind')).click();
    await page.locator('.el-select-dropdown__item', { hasText: '新建项目' }).first().click();
    await page.locator(sel('audit-search-project')).fill(projectNo);
    await page.locator(sel('audit-search-submit')).click();
    await waitUntil(async () => {
      const all = await kindCells.allInnerTexts();
      return all.length > 0 && all.every((k) => k.trim() === '新建项目');
    }, "the project's 新建项目 record");
    await page
      .locator(sel(`evidence-row-${projectId}`))
      .first()
      .waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(sel('evidence-download')).click()]);
    expect(download.suggestedFilename()).toMatch(/^evidence-.+\.json$/);
    const file = path.join(RESULTS, `compliance-${download.suggestedFilename()}`);
    await download.saveAs(file);
    const text = fs.readFileSync(file, 'utf8');
    const records = (JSON.parse(text) as { records: unknown[] }).records.length;
    expect(records).toBeGreaterThan(0);

    // Upload it back: every record passes.
    await page.locator(`${sel('package-upload')} input[type=file]`).setInputFiles(file);
    await page.locator(sel('package-ok')).waitFor();
    expect(await page.locator(sel('package-record-ok')).count()).toBe(records);
    expect(await page.locator(sel('package-record-failed')).count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS, 'compliance-package-ok.png'), fullPage: true });

    // One byte changed inside a record (the amount 12345600 → 12345601): that record fails.
    const at = text.indexOf('12345600');
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(text, 'utf8');
    const offset = Buffer.byteLength(text.slice(0, at)) + 7;
    tampered[offset] = '1'.charCodeAt(0);
    const tamperedFile = path.join(RESULTS, 'compliance-evidence-tampered.json');
    fs.writeFileSync(tamperedFile, tampered);
    await page.locator(`${sel('package-upload')} input[type=file]`).setInputFiles(tamperedFile);
    await page.locator(sel('package-failed')).waitFor();
    const failed = page.locator(sel('package-record-failed'));
    expect(await failed.count()).toBe(1);
    expect(await failed.innerText()).toContain('记录内容与其哈希不符');
    expect(await page.locator(sel('package-failed')).innerText()).toMatch(/记录 #\d+（project\.created）/);
    await page.screenshot({ path: path.join(RESULTS, 'compliance-package-tampered.png'), fullPage: true });
  }, 180_000);
});
