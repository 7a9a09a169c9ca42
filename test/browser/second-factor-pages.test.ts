import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { createAccount, TEST_PASSWORD } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel, submitLogin, waitUntil } from '../support/browser';
import { nextTotpCode, rememberSecret } from '../support/second-factor';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * Two factors in a real Chromium at 1366×768 against the real system: a 预算处 person's first
 * login stops at 绑定手机验证器 (QR code, the secret for typing by hand, a first code, ten
 * recovery codes shown once); the next login asks for the code, or a recovery code; 账号安全
 * shows the state; the security admin resets it on 用户管理 and the next login binds anew.
 */
describe('second factor pages in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let person: { username: string };
  let secadmin: { username: string };
  const pages = new PageOpener({ height: 768, width: 1366 });
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    person = await createAccount(t.system.db, ['budget_division']);
    secadmin = await createAccount(t.system.db, ['security_admin']);
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  const base = () => t!.system.url;
  const logout = async (page: Page) => {
    await page.locator(sel('logout')).click();
    await page.waitForURL(/\/login/);
  };

  test('first login: nothing but 绑定手机验证器 until a code confirms it; QR code, recovery codes once', async () => {
    const page = await pages.open(browser!);
    await page.goto(`${base()}/quotas`);
    await page.waitForURL(/\/login\?redirect=/);
    await submitLogin(page, person.username, TEST_PASSWORD, { secondFactor: false });
    await page.locator(sel('second-factor-forced')).waitFor();
    // No page, no menu entry works yet: the enrolment card stands in the main area.
    expect(await page.locator(sel('my-security')).count()).toBe(0);
    await page.locator(sel('second-factor-start')).click();
    const qr = page.locator(sel('second-factor-qr'));
    await qr.waitFor();
    await waitUntil(
      async () => (await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) > 0,
      'the QR code image',
    );
    const secret = (await page.locator(sel('second-factor-secret')).innerText()).replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    rememberSecret(base(), person.username, secret);
    await page.screenshot({ path: path.join(RESULTS, 'second-factor-enrol.png') });

    await page.locator(sel('second-factor-code')).fill('000000');
    await page.locator(sel('second-factor-confirm')).click();
    await page.locator(sel('second-factor-error')).waitFor();
    await page.locator(sel('second-factor-code')).fill(await nextTotpCode(base(), person.username));
    await page.locator(sel('second-factor-confirm')).click();
    const list = page.locator(`${sel('second-factor-recovery-codes')} li`);
    await list.first().waitFor();
    recoveryCodes = (await list.allInnerTexts()).map((c) => c.trim());
    expect(recoveryCodes).toHaveLength(10);
    await page.screenshot({ path: path.join(RESULTS, 'second-factor-recovery-codes.png') });
    await page.locator(sel('second-factor-done')).click();
    // The page asked for loads now.
    await page.locator(sel('menu-quotas')).waitFor();
    await page.locator(sel('my-security')).click();
    await page.waitForURL((u) => u.pathname === '/account/security');
    expect(await page.locator(sel('second-factor-state')).innerText()).toBe('已绑定');
    expect(await page.locator(sel('second-factor-codes-left')).innerText()).toBe('10');
    await logout(page);
  });

  test('later logins ask for the code; a wrong one is refused; a recovery code works instead, once', async () => {
    const page = await pages.open(browser!);
    await page.goto(`${base()}/login`);
    await submitLogin(page, person.username, TEST_PASSWORD, { secondFactor: false });
    await page.locator(sel('login-second-factor')).waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'second-factor-login.png') });
    await page.locator(sel('login-otp')).fill('123456');
    await page.locator(sel('login-otp-submit')).click();
    await page.locator(sel('login-error'), { hasText: '动态验证码或恢复码不正确' }).waitFor();
    await page.locator(sel('login-use-recovery')).click();
    await page.locator(sel('login-otp')).fill(recoveryCodes[0]!);
    await page.locator(sel('login-otp-submit')).click();
    await page.waitForURL((u) => u.pathname === '/workbench');
    await page.locator(sel('my-security')).click();
    await waitUntil(
      async () =>
        (await page
          .locator(sel('second-factor-codes-left'))
          .innerText()
          .catch(() => '')) === '9',
      '9 recovery codes left',
    );
    await logout(page);

    // With the authenticator's code (the helper is the phone).
    await logInThroughPage(page, base(), '/quotas', person.username, TEST_PASSWORD);
    await logout(page);
  });

  test('the security admin resets it on 用户管理 (not their own); the next login binds anew', async () => {
    const page = await pages.open(browser!);
    // The security admin is privileged too: the helper binds their authenticator through the page.
    await logInThroughPage(page, base(), '/users', secadmin.username, TEST_PASSWORD);
    const row = (name: string) => page.locator(`${sel('user-table')} tbody tr`, { hasText: name });
    await row(person.username).waitFor();
    expect(await row(person.username).locator(sel('user-second-factor')).innerText()).toBe('已绑定');
    expect(await row(secadmin.username).locator(sel('user-reset-second-factor')).count()).toBe(0);
    await row(person.username).locator(sel('user-reset-second-factor')).click();
    await page.locator('.el-message-box').waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'second-factor-reset.png') });
    await page.locator('.el-message-box .el-button--primary').click();
    await waitUntil(
      async () => (await row(person.username).locator(sel('user-second-factor')).allInnerTexts()).join() === '未绑定',
      'the row to show 未绑定',
    );
    await logout(page);

    await page.goto(`${base()}/login`);
    await submitLogin(page, person.username, TEST_PASSWORD, { secondFactor: false });
    await page.locator(sel('second-factor-forced')).waitFor();
  });
});
