import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import * as ledger from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sealInDialog, sel, waitUntil } from '../support/browser';
import { apiAs, demoApplication } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 决算 in a real Chromium at 1366×768 against the real system: 王芳 (第一中学) opens last year's final
 * accounts (generated from the ledger: ¥80,000.00 issued, ¥30,000.01 paid), explains the balance of
 * her project, chooses 结转下年 and submits; 李娜 (教育局) sees the unit in the department's roll-up,
 * opens it, reads the explanation and the choice, and approves with her seal.
 */
const PASSWORD = 'Budget@2026';
const PIN = '258036';
const field = (name: string) => `input${sel(name)}, ${sel(name)} input`;
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date())) - 1;

describe('决算 pages in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    await seedReferenceData(db, { year: YEAR });
    await seedDemoUsers(db);
    const call = apiAs(`${t.system.url}/api`, { nm_clerk_yz: await loginCookie(t.system.url, 'nm_clerk_yz', PASSWORD) });
    const r = await call('nm_clerk_yz', 'POST', '/projects', { ...demoApplication('决算页面测试项目'), fiscalYear: YEAR });
    expect(r.status).toBe(201);
    await db('projects').where('id', r.body.id).update({ status: 'funded' }); // setup: as the allocation leaves it
    const unit = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const meta = { actor: 'test-setup', reason: '测试准备' };
    const q = await ledger.issueQuota(db, {
      ...meta,
      fiscalYear: YEAR,
      projectId: Number(r.body.id),
      unitOrgId: unit,
      functionalCode: '2050204',
      economicCode: '30213',
      fundSource: '一般公共预算',
      documentNo: '财教〔测试〕1号',
      amountFen: 80_000_00,
    });
    await ledger.freeze(db, { ...meta, quotaId: q.quota.id, amountFen: 30_000_01 });
    await ledger.consume(db, { ...meta, quotaId: q.quota.id, amountFen: 30_000_01 });
    // 农牧业技术推广中心 has a quota too and opens nothing itself: 预算处 starts it with everyone's.
    const ny = Number(((await db('organisations').where({ code: '150100-NY-001' }).first('id')) as { id: number }).id);
    await ledger.issueQuota(db, {
      ...meta,
      fiscalYear: YEAR,
      projectId: null,
      unitOrgId: ny,
      functionalCode: '2050204',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: '财农〔测试〕1号',
      amountFen: 12_345_67,
    });
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('a unit explains its balance, chooses 结转 and submits; the department sees it in its roll-up and approves', async () => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/final-accounts', 'nm_clerk_yz', PASSWORD);
    await page.locator('.el-menu-item', { hasText: '决算' }).waitFor();
    await page.locator(sel('open-final-account')).click();
    await page.waitForURL(/\/final-accounts\/\d+$/);
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    await page.locator(sel('final-balance')).filter({ hasText: '¥49,999.99' }).waitFor();
    const db = t!.system.db;
    const item = (await db('final_account_items').where({ final_account_id: id }).first('id')) as { id: number };
    await page.locator(field(`explain-${item.id}`)).fill('设备采购合同跨年度执行，尾款次年支付');
    await page.locator(sel(`carry-${item.id}`)).click();
    await page.screenshot({ path: path.join(RESULTS, 'final-account-unit.png'), fullPage: true });
    await page.locator(sel('final-submit')).click();
    await page.locator(sel('final-status')).filter({ hasText: '审核中' }).waitFor();
    await page.locator(sel('final-step')).filter({ hasText: '主管部门汇总审核' }).waitFor();
    const saved = (await db('final_account_items').where({ id: item.id }).first('explanation', 'choice')) as {
      explanation: string;
      choice: string;
    };
    expect(saved).toEqual({ explanation: '设备采购合同跨年度执行，尾款次年支付', choice: 'carry-over' });
    // No horizontal scroll at 1366×768 beside the menu.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    const reviewer = await pages.open(browser!);
    await logInThroughPage(reviewer, t!.system.url, '/final-accounts', 'nm_dept_jy', PASSWORD);
    const rows = reviewer.locator(`${sel('final-accounts')} tbody tr`);
    await rows.filter({ hasText: '呼和浩特市第一中学' }).filter({ hasText: '¥49,999.99' }).waitFor();
    await reviewer.locator(sel('final-totals')).filter({ hasText: '结余 ¥49,999.99' }).waitFor();
    await rows.filter({ hasText: '呼和浩特市第一中学' }).click();
    await reviewer.waitForURL(new RegExp(`/final-accounts/${id}$`));
    await reviewer.locator(sel('final-items')).filter({ hasText: '设备采购合同跨年度执行，尾款次年支付' }).waitFor();
    await reviewer
      .locator(sel(`choice-label-${item.id}`))
      .filter({ hasText: '结转下年' })
      .waitFor();
    await reviewer.locator(sel('final-decision')).waitFor();
    await reviewer.screenshot({ path: path.join(RESULTS, 'final-account-review.png'), fullPage: true });
    await reviewer.locator(sel('final-decide')).click();
    expect(await sealInDialog(reviewer, PIN)).toBe('enrol');
    await reviewer.locator(sel('final-step')).filter({ hasText: '国库处审核' }).waitFor();
    await waitUntil(async () => {
      const d = (await db('final_account_decisions').where({ final_account_id: id, element_id: 'DepartmentReview' }).first('sealed')) as
        { sealed: number | boolean } | undefined;
      return Boolean(d && Number(d.sealed));
    }, 'the sealed department decision');
  }, 180_000);

  test("预算处 starts every unit's final accounts from the list, after a confirmation; a second click starts none", async () => {
    const db = t!.system.db;
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/final-accounts', 'nm_ysk', PASSWORD);
    const button = page.locator(sel('open-all-final-accounts'));
    await button.click();
    // Cancelling the confirmation starts nothing.
    await page.locator('.el-message-box').getByRole('button', { name: '取消' }).click();
    await page.locator('.el-message-box').waitFor({ state: 'hidden' });
    const count = async () => Number(((await db('final_accounts').where('fiscal_year', YEAR).count({ n: '*' }))[0] as { n: number }).n);
    expect(await count()).toBe(1);
    await button.click();
    await page.locator('.el-message-box').getByRole('button', { name: '生成' }).click();
    await page.locator(sel('open-all-summary')).filter({ hasText: '本次生成 1 个，已有决算 1 个' }).waitFor();
    await page
      .locator(`${sel('final-accounts')} tbody tr`)
      .filter({ hasText: '呼和浩特市农牧业技术推广中心' })
      .filter({ hasText: '¥12,345.67' })
      .waitFor();
    await page.locator(sel('final-totals')).filter({ hasText: '合计 2 份' }).waitFor();
    expect(await count()).toBe(2);
    await page.screenshot({ path: path.join(RESULTS, 'final-accounts-start-all.png'), fullPage: true });
    await button.click();
    await page.locator('.el-message-box').getByRole('button', { name: '生成' }).click();
    await page.locator(sel('open-all-summary')).filter({ hasText: '本次生成 0 个，已有决算 2 个' }).waitFor();
    expect(await count()).toBe(2);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  }, 180_000);
});
