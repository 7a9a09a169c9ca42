import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sealInDialog, sel, waitUntil } from '../support/browser';
import { apiAs } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 调整申请 in a real Chromium at 1366×768 against the real system: 王芳 (第一中学 clerk) files a
 * ¥6,000.00 调剂 between her two quotas, picking them with their balances shown; the decision table
 * gives 科室负责人 → 分管局长; 刘洋 (预算科) and 郑国华 (局领导) each see both quotas' balances on the
 * request and approve it with their seals (enrolling in the dialog); the list says where it is at
 * every step; the money has moved on 王芳's 指标账 page.
 */
const PASSWORD = 'Budget@2026';
const PIN = '258036';
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));
const field = (name: string) => `input${sel(name)}, ${sel(name)} input`;
const textArea = (name: string) => `textarea${sel(name)}, ${sel(name)} textarea`;

describe('调整申请 pages in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });
  const quotas: Array<{ id: number; quotaNo: string }> = [];

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    await seedReferenceData(db, { year: YEAR });
    await seedDemoUsers(db);
    const call = apiAs(`${t.system.url}/api`, { nm_ysk: await loginCookie(t.system.url, 'nm_ysk', PASSWORD) });
    const school = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    for (const [amountFen, economicCode] of [
      [50_000_00, '30213'],
      [8_000_00, '30211'],
    ] as const) {
      const r = await call('nm_ysk', 'POST', '/quotas', {
        fiscalYear: YEAR,
        unitOrgId: school,
        functionalCode: '2050203',
        economicCode,
        fundSource: '一般公共预算',
        documentNo: `呼财预〔${YEAR}〕${economicCode}号`,
        amountFen,
        reason: '年初预算下达',
      });
      expect(r.status).toBe(201);
      quotas.push({ id: Number(r.body.quota.id), quotaNo: String(r.body.quota.quotaNo) });
    }
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  const pick = async (page: Page, picker: string, quotaNo: string) => {
    await page.locator(sel(picker)).click();
    await page.keyboard.type(quotaNo);
    const options = page.locator('.el-select-dropdown__item:visible', { hasText: quotaNo });
    await waitUntil(async () => (await options.count()) === 1, `${quotaNo} offered`);
    await options.click();
  };

  /** Opens the request as `who`, waiting (reloading) until it stands at `where`. */
  const openAt = async (who: string, id: number, where: string): Promise<Page> => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, `/adjustments/${id}`, who, PASSWORD);
    await waitUntil(async () => {
      const text = await page
        .locator(sel('where-it-is'))
        .innerText()
        .catch(() => '');
      if (text === where) return true;
      await page.reload();
      return false;
    }, `the request at ${where}`);
    return page;
  };

  const approve = async (page: Page) => {
    await page.locator(sel('decision-card')).waitFor();
    // The approver's task shows both quotas with their balances: the source's ¥6,000 is frozen
    // for this request since its filing, so ¥44,000 is available beside it.
    expect(await page.locator(sel('from-quota-no')).innerText()).toBe(quotas[0]!.quotaNo);
    expect(await page.locator(sel('from-available')).innerText()).toBe('¥44,000.00');
    expect(await page.locator(sel('to-quota-no')).innerText()).toBe(quotas[1]!.quotaNo);
    expect(await page.locator(sel('to-available')).innerText()).toBe('¥8,000.00');
    await page.locator(textArea('decision-comment')).fill('同意调剂');
    await page.locator(sel('decide')).click();
    expect(await sealInDialog(page, PIN)).toBe('enrol');
    // The dialog closes once the key is enrolled and the decision sent (PBKDF2 takes a while under
    // load): reloading before that would abort the requests and the decision would never be made.
    await page.locator(`.el-dialog${sel('seal-dialog')}`).waitFor({ state: 'hidden', timeout: 60_000 });
  };

  test('a unit files a 调剂, two approvers approve it sealed, and the balances change on the quota page', async () => {
    const clerk = await pages.open(browser!);
    await logInThroughPage(clerk, t!.system.url, '/adjustments', 'nm_clerk_yz', PASSWORD);
    await clerk.locator('.el-menu-item', { hasText: '调整申请' }).waitFor();
    await clerk.locator(sel('new-adjustment')).click();
    const dialog = clerk.locator(`.el-dialog${sel('file-dialog')}`);
    await dialog.waitFor();
    await pick(clerk, 'from-quota', quotas[0]!.quotaNo);
    await dialog.locator(sel('from-balance')).filter({ hasText: '可用 ¥50,000.00' }).waitFor();
    await pick(clerk, 'to-quota', quotas[1]!.quotaNo);
    await dialog.locator(sel('to-balance')).filter({ hasText: '可用 ¥8,000.00' }).waitFor();
    // More than the source has: said at once; the server refuses it too, with the available amount.
    await dialog.locator(field('amount')).fill('50000.01');
    await dialog.locator(sel('short-warning')).waitFor();
    await dialog.locator(textArea('reason')).fill('差旅费不足，从专用材料费调剂');
    await dialog.locator(sel('file-submit')).click();
    await dialog.locator(sel('file-error')).filter({ hasText: '可用 ¥50,000.00' }).waitFor();
    expect(Number(((await t!.system.db('budget_adjustments').count({ n: '*' }))[0] as { n: number }).n)).toBe(0);
    await dialog.locator(field('amount')).fill('6000');
    await dialog.locator(sel('file-submit')).click();
    await clerk.waitForURL(/\/adjustments\/\d+$/);
    const id = Number(new URL(clerk.url()).pathname.split('/').pop());
    await clerk.locator(sel('adjustment-amount')).filter({ hasText: '¥6,000.00' }).waitFor();
    await clerk.screenshot({ path: path.join(RESULTS, 'adjustment-filed.png'), fullPage: true });

    const section = await openAt('nm_ysk', id, '科室负责人审核');
    await approve(section);
    await section.locator(sel('where-it-is')).filter({ hasText: '分管局长审批' }).waitFor();

    const deputy = await openAt('nm_director', id, '分管局长审批');
    await deputy.screenshot({ path: path.join(RESULTS, 'adjustment-approver.png'), fullPage: true });
    await approve(deputy);
    await waitUntil(
      async () => {
        const text = await deputy.locator(sel('adjustment-status')).innerText();
        if (text === '已批准并记账') return true;
        await deputy.reload();
        return false;
      },
      'the posting',
      120_000,
    ); // the posting worker, under the whole suite's load on a shared engine
    await deputy.locator(sel('journal')).waitFor();
    const decisions = (await t!.system
      .db('adjustment_decisions')
      .where('adjustment_id', id)
      .orderBy('id')
      .select('element_id', 'sealed')) as Array<{ element_id: string; sealed: number | boolean }>;
    expect(decisions.map((d) => [d.element_id, Boolean(Number(d.sealed))])).toEqual([
      ['AdjustmentFiled', false],
      ['SectionReview', true],
      ['DeputyReview', true],
    ]);

    // The list says where it is; the quota page shows the moved money.
    await clerk.goto(`${t!.system.url}/adjustments`);
    await clerk
      .locator(sel(`where-${id}`))
      .filter({ hasText: '已批准并记账' })
      .waitFor();
    await clerk.goto(`${t!.system.url}/quotas`);
    const row = (quotaNo: string) => clerk.locator(`${sel('quota-table')} tbody tr`, { hasText: quotaNo });
    await row(quotas[0]!.quotaNo).locator(sel('quota-available')).filter({ hasText: '¥44,000.00' }).waitFor();
    await row(quotas[1]!.quotaNo).locator(sel('quota-available')).filter({ hasText: '¥14,000.00' }).waitFor();
    await clerk.screenshot({ path: path.join(RESULTS, 'adjustment-quotas-after.png'), fullPage: true });
  }, 300_000);
});
