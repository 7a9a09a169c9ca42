import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { createAccount, TEST_PASSWORD } from '../support/accounts';
import { buildWebIfStale, countRequests, launchChromium, PageOpener, RESULTS, sel, submitLogin, waitUntil } from '../support/browser';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';
import { formatShanghaiDateTime } from '../../web/src/utils/datetime';

/**
 * 系统状态页 in a real Chromium, served by the real system (API + built SPA) against the real
 * engine and a fresh database. Screenshots go to .ci/results/ (git-ignored).
 */

describe('系统状态 page in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let ok: TestSystem | undefined;
  let degraded: TestSystem | undefined;
  const pages = new PageOpener({ height: 1000 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    ok = await startTestSystem();
    await ok.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await degraded?.close();
    await ok?.close();
  }, 60_000);

  afterEach(() => {
    // An uncaught exception in the page is a failure whatever the assertions saw.
    expect(pages.errors.splice(0)).toEqual([]);
  });

  const openPage = () => pages.open(browser!);

  /** Logs in through the login page as a person would; ends on the page the login led to. */
  async function logIn(page: Page, system: TestSystem, username: string, password = TEST_PASSWORD): Promise<void> {
    if (!/\/login/.test(page.url())) await page.goto(`${system.system.url}/login`);
    await submitLogin(page, username, password);
  }

  test('given everything is up, when / is opened, then the login page asks for an account, a wrong password is refused, and the system admin lands on the workbench and finds 系统状态 with all services 正常', async () => {
    const admin = await createAccount(ok!.system.db, ['system_admin']);
    const page = await openPage();
    await page.goto(`${ok!.system.url}/`);
    await page.waitForURL(/\/login\?redirect=/);

    await logIn(page, ok!, admin.username, 'Wrong@2026');
    await page.locator(sel('login-error')).waitFor();
    expect(await page.locator(sel('login-error')).innerText()).toContain('用户名或密码错误');

    await logIn(page, ok!, admin.username);
    await page.waitForURL(/\/workbench$/);
    expect(await page.locator(sel('current-user')).innerText()).toContain('系统管理员');
    await page.locator(sel('main-menu')).locator(sel('menu-health')).click();
    await page.waitForURL(/\/health$/);

    const overall = page.locator(sel('overall-status'));
    await overall.waitFor();
    expect(await overall.getAttribute('data-status')).toBe('ok');
    expect(await overall.innerText()).toContain('全部服务运行正常');
    expect((await page.locator(sel('db-status')).innerText()).trim()).toBe('正常');
    expect((await page.locator(sel('engine-status')).innerText()).trim()).toBe('正常');
    expect((await page.locator(sel('engine-version')).innerText()).trim()).toBe('Operaton 1.0.3');
    expect(await page.locator(sel('engine-card')).innerText()).not.toMatch(/Zeebe|分区|网关/);
    const resources = page.locator(sel('resource-table'));
    await resources.getByText('platform-smoke-check', { exact: false }).first().waitFor();
    expect(await page.locator(sel('smoke-check-button')).isEnabled()).toBe(true);

    await page.screenshot({ path: path.join(RESULTS, 'health-ok.png'), fullPage: true });
  });

  test('given the engine is up, when 运行流程自检 is clicked, then 自检通过 with the instance key shows and exactly one smoke_checks row is written; a quick double click starts only one more', async () => {
    const t = ok!;
    const admin = await createAccount(t.system.db, ['system_admin']);
    const page = await openPage();
    const posts = countRequests(page, 'POST', /^\/api\/engine\/smoke-checks$/);
    await page.goto(`${t.system.url}/health`);
    await page.waitForURL(/\/login\?redirect=/); // the guard's redirect, or the login lands on the workbench
    await logIn(page, t, admin.username);
    await page.waitForURL(/\/health$/);
    const button = page.locator(sel('smoke-check-button'));
    await waitUntil(() => button.isEnabled(), 'the smoke-check button to be enabled');
    const rowsBefore = await smokeCheckRows(t);

    // One click: one instance, one row, the result shown in Shanghai time.
    const responsePromise = page.waitForResponse((r) => r.url().endsWith('/api/engine/smoke-checks') && r.request().method() === 'POST');
    await button.click();
    const response = await responsePromise;
    expect(response.status()).toBe(201);
    const body = (await response.json()) as { processInstanceKey: string; recordedAt: string | null; durationMs: number };
    const firstKey = await passedKey(page.locator(sel('smoke-check-result')));
    expect(firstKey).toBe(body.processInstanceKey);
    const resultText = await page.locator(sel('smoke-check-result')).innerText();
    expect(resultText).toContain(`耗时 ${body.durationMs} 毫秒`);
    expect(body.recordedAt).toMatch(/\+08:00$/);
    expect(resultText).toContain(`记录时间 ${formatShanghaiDateTime(body.recordedAt)}`);
    expect(await t.system.db('smoke_checks').where({ process_instance_key: firstKey })).toHaveLength(1);
    expect(await smokeCheckRows(t)).toBe(rowsBefore + 1);
    expect(posts.count).toBe(1);

    // A quick double click: the button is disabled (and loading) while the first request runs, so
    // only one more request and one more row. The request is held back briefly (then sent to the
    // real server unchanged) so the running state is observable rather than a race.
    await waitUntil(() => button.isEnabled(), 'the smoke-check button to be enabled again');
    await page.route('**/api/engine/smoke-checks', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    await button.dblclick();
    expect(await button.isDisabled()).toBe(true);
    expect(await button.getAttribute('class')).toContain('is-loading');
    const secondKey = await passedKey(page.locator(sel('smoke-check-result')), firstKey);
    await waitUntil(() => button.isEnabled(), 'the smoke-check button to be enabled after the run');
    await page.unroute('**/api/engine/smoke-checks');
    expect(posts.count).toBe(2);
    expect(await t.system.db('smoke_checks').where({ process_instance_key: secondKey })).toHaveLength(1);
    expect(await smokeCheckRows(t)).toBe(rowsBefore + 2);
  });

  test('given a unit clerk, when it asks for /health, then the status page is not its (no menu item, the workbench instead); 退出 ends the session and the pages need a login again', async () => {
    const clerk = await createAccount(ok!.system.db, ['unit_clerk']);
    const page = await openPage();
    await page.goto(`${ok!.system.url}/health`);
    await logIn(page, ok!, clerk.username);
    await page.waitForURL(/\/workbench$/);
    await page.locator(sel('workbench-todo')).waitFor();
    expect(await page.locator(sel('main-menu')).locator(sel('menu-health')).count()).toBe(0);
    expect(await page.locator(sel('overall-status')).count()).toBe(0);
    await page.locator(sel('logout')).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${ok!.system.url}/health`);
    await page.waitForURL(/\/login\?redirect=/);
  });

  test('given the engine is unreachable, when /health is opened, then the page is degraded, the engine reads 异常 and the smoke check cannot be started', async () => {
    const port = await closedPort();
    degraded = await startTestSystem({
      engine: { ...testConfig().engine, mode: 'external', restUrl: `http://127.0.0.1:${port}/engine-rest` },
    });
    const admin = await createAccount(degraded.system.db, ['system_admin']);
    const page = await openPage();
    await page.goto(`${degraded.system.url}/health`);
    await page.waitForURL(/\/login\?redirect=/); // the guard's redirect, or the login lands on the workbench
    await logIn(page, degraded, admin.username);
    await page.waitForURL(/\/health$/);

    const overall = page.locator(sel('overall-status'));
    await overall.waitFor();
    expect(await overall.getAttribute('data-status')).toBe('degraded');
    expect(await overall.innerText()).toContain('部分服务不可用');
    expect((await page.locator(sel('db-status')).innerText()).trim()).toBe('正常');
    expect((await page.locator(sel('engine-status')).innerText()).trim()).toBe('异常');
    expect(await page.locator(sel('engine-card')).innerText()).toContain('流程引擎无法连接');
    expect(await page.locator(sel('smoke-check-button')).isDisabled()).toBe(true);

    await page.screenshot({ path: path.join(RESULTS, 'health-degraded.png'), fullPage: true });
  });
});

/** Waits for 自检通过 in the result (with a key other than `previousKey`) and returns the instance key shown. */
async function passedKey(result: Locator, previousKey?: string): Promise<string> {
  let key = '';
  await waitUntil(
    async () => {
      if ((await result.count()) === 0) return false;
      const text = await result.innerText();
      const m = /自检通过：流程实例 ([0-9a-f-]+)，/.exec(text);
      if (!m?.[1] || m[1] === previousKey) return false;
      key = m[1];
      return true;
    },
    `the smoke-check result to show 自检通过${previousKey ? ` with a key other than ${previousKey}` : ''}`,
  );
  return key;
}

async function smokeCheckRows(t: TestSystem): Promise<number> {
  const [row] = await t.system.db('smoke_checks').count({ n: '*' });
  return Number(row?.n);
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
