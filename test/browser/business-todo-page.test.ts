import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { issueQuota } from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sealInDialog, sel, waitUntil } from '../support/browser';
import { apiAs, demoApplication } from '../support/intake';
import { startBankSimulator, type BankSimulator } from '../../scripts/bank-simulator';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';
import { freePort } from '../support/treasury';

/**
 * 待办 in a real Chromium against the real system, at 1366×768: 王芳 (第一中学) files a ¥3,000
 * payment request; 孙丽 (国库科) opens 待办 and finds it among the business steps — 用款申请, its
 * number, the school, 国库处科室负责人审核, when it arrived and its deadline — with the menu badge
 * counting it; 办理 opens the request's own page, where she approves it with her seal; back in 待办
 * the step is gone and so is the badge.
 */
const PASSWORD = 'Budget@2026';
const PIN = '369257';
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));

describe('待办 lists the business steps and opens their pages, in a browser', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });
  let sim: BankSimulator | undefined;
  let requestId = 0;
  let requestNo = '';

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    const base = testConfig();
    sim = await startBankSimulator({ secret: base.bank.secret, noticeDelayMs: 100, retryMs: 100 });
    t = await startTestSystem({ port: await freePort(), bank: { ...base.bank, url: sim.url, noticeTimeout: 'PT10M' } });
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    await seedReferenceData(db, { year: YEAR });
    await seedDemoUsers(db);
    const call = apiAs(`${t.system.url}/api`, { nm_clerk_yz: await loginCookie(t.system.url, 'nm_clerk_yz', PASSWORD) });
    const r = await call('nm_clerk_yz', 'POST', '/projects', { ...demoApplication('待办页面测试项目', '待办页面'), fiscalYear: YEAR });
    expect(r.status).toBe(201);
    await db('projects').where('id', r.body.id).update({ status: 'funded' }); // setup: as the allocation leaves it
    const unitOrgId = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const quotaId = (
      await issueQuota(db, {
        fiscalYear: YEAR,
        projectId: Number(r.body.id),
        unitOrgId,
        functionalCode: '2050204',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: `教财〔${YEAR}〕8号`,
        amountFen: 50_000_00,
        actor: 'test',
        reason: '测试指标',
      })
    ).quota.id;
    const filed = await call('nm_clerk_yz', 'POST', '/payments', {
      quotaId,
      amountFen: 3_000_00,
      payeeName: '呼和浩特市新华书店',
      payeeKind: 'organisation',
      payeeAccount: '6222 0212 3456 7890 123',
      payeeBank: '中国工商银行呼和浩特新华支行',
      purpose: '购置教学用书',
      economicCode: '30201',
      paymentType: 'direct',
    });
    expect(filed.status).toBe(201);
    requestId = Number(filed.body.id);
    requestNo = String(filed.body.requestNo);
    const row = (await db('payment_requests').where('id', requestId).first('process_instance_key')) as { process_instance_key: string };
    await waitUntil(
      async () =>
        (await t!.system.engine.tasks({ processInstanceId: row.process_instance_key })).some(
          (x) => x.taskDefinitionKey === 'TreasuryReview',
        ),
      'the treasury review in the engine',
    );
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
    await sim?.stop();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('国库处 sees the payment step in 待办, 办理 opens the request, she approves it there and it leaves 待办', async () => {
    const gkk = await pages.open(browser!);
    await logInThroughPage(gkk, t!.system.url, '/tasks', 'nm_gkk', PASSWORD);
    const row = gkk.locator(`${sel('business-todo-table')} tbody tr`, { hasText: requestNo });
    await row.waitFor();
    for (const text of ['用款申请', '呼和浩特市第一中学', '国库处科室负责人审核', '购置教学用书'])
      await row.filter({ hasText: text }).waitFor();
    await gkk.locator(sel('menu-todo-count')).filter({ hasText: '1' }).waitFor();
    await gkk.screenshot({ path: path.join(RESULTS, 'business-todo.png'), fullPage: true });

    await row.locator(sel('business-todo-open')).click();
    await gkk.waitForURL(new RegExp(`/payments/${requestId}$`));
    await gkk.locator(sel('payment-steps')).filter({ hasText: '国库处科室负责人审核' }).waitFor();
    await gkk.locator(sel('payment-decide')).click();
    expect(await sealInDialog(gkk, PIN)).toBe('enrol');
    await gkk.locator(sel('payment-decisions')).filter({ hasText: '已签章' }).waitFor();

    // Back in 待办: once its list has answered, the step is gone (decided on its page) and so is the badge.
    const listed = gkk.waitForResponse((r) => r.url().includes('/api/tasks?') && r.url().includes('box=todo') && r.ok());
    await gkk.locator('.el-menu-item', { hasText: '待办事项' }).click();
    await gkk.waitForURL(/\/tasks$/);
    const answer = (await (await listed).json()) as { business: { items: Array<{ reference: string }> } };
    expect(answer.business.items.map((i) => i.reference)).not.toContain(requestNo);
    await gkk.locator(sel('task-table')).waitFor();
    await gkk.locator(sel('business-todo')).waitFor({ state: 'detached' });
    await gkk.locator(sel('menu-todo-count')).waitFor({ state: 'detached' });
  }, 240_000);
});
