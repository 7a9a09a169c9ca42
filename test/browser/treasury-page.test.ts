import { type Browser } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import { startBankSimulator, type BankSimulator } from '../../scripts/bank-simulator';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, sel, waitUntil } from '../support/browser';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';
import { freePort, frozenOrder, orderStatus, until } from '../support/treasury';

/**
 * 国库支付 in a real Chromium at 1366×768 against the real system and the bank simulator: 孙丽
 * (nm_gkk, 国库科) opens 国库支付 from the menu and sees two orders waiting for the bank. The
 * bank's arrival notice for the first comes in, and after 刷新 it shows 已到账; the second never
 * gets a notice, and 查询 asks the bank, which says paid: 已到账 at once.
 */
const PASSWORD = 'Budget@2026';

describe('国库支付 page in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let sim: BankSimulator | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    const base = testConfig();
    sim = await startBankSimulator({ secret: base.bank.secret, noticeDelayMs: 100, retryMs: 100 });
    t = await startTestSystem({ port: await freePort(), bank: { ...base.bank, url: sim.url, noticeTimeout: 'PT10M' } });
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
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

  test('国库处 sees the orders with their bank status; one becomes 已到账 by the notice, one by 查询', async () => {
    const db = t!.system.db;
    const unit = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const deps = { db, engine: t!.system.engine, config: t!.config };
    const held = await frozenOrder(deps, unit, '6222021234569008', 8_800_00); // notice held at the bank
    const silent = await frozenOrder(deps, unit, '6222021234569004', 1_500_00); // no notice; 查询 says paid
    for (const o of [held, silent]) await until('sent', async () => (await orderStatus(db, o.orderId)) === 'sent');

    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/workbench', 'nm_gkk', PASSWORD);
    await page.locator('.el-menu-item', { hasText: '国库支付' }).click();
    await page.waitForURL((u) => u.pathname === '/treasury');
    const status = (o: { orderNo: string }) => page.locator(sel(`status-${o.orderNo}`));
    await status(held).waitFor();
    expect(await status(held).innerText()).toBe('已发送，待到账');
    expect(await status(silent).innerText()).toBe('已发送，待到账');
    const list = await page.locator(sel('order-list')).innerText();
    expect(list).toContain('6222 **** **** 9008');
    expect(list).toContain('¥8,800.00');
    expect(list).not.toContain('6222021234569008');

    // The bank's arrival notice comes in; 刷新 shows it.
    await fetch(`${sim!.url}/_control/orders/${held.orderNo}/release`, { method: 'POST' });
    await until('paid', async () => (await orderStatus(db, held.orderId)) === 'paid');
    await page.locator(sel('refresh')).click();
    await waitUntil(async () => (await status(held).innerText()) === '已到账', 'the order shown 已到账');

    // 查询: the bank says paid, the order is closed at once.
    await page.locator(sel(`query-${silent.orderNo}`)).click();
    await page.locator('.el-message--success', { hasText: '银行答复：已到账' }).waitFor();
    await until('paid by 查询', async () => (await orderStatus(db, silent.orderId)) === 'paid');
    await page.locator(sel('refresh')).click();
    await waitUntil(async () => (await status(silent).innerText()) === '已到账', 'the queried order shown 已到账');
    expect(await page.locator(sel(`query-${held.orderNo}`)).count()).toBe(0);

    // The order's story, in the drawer.
    await status(held).click();
    const events = page.locator(sel('order-events'));
    await events.waitFor();
    await waitUntil(async () => (await events.innerText()).includes('办结'), 'the events listed');
    expect(await events.innerText()).toContain('收到银行通知：已到账');
    await page.screenshot({ path: '.ci/results/treasury-page.png' }).catch(() => undefined);
  }, 180_000);
});
