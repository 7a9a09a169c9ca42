import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import {
  buildWebIfStale,
  countRequests,
  launchChromium,
  logInThroughPage,
  PageOpener,
  RESULTS,
  sealInDialog,
  sel,
  waitUntil,
} from '../support/browser';
import { apiAs, demoApplication } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 预算编制 in a real Chromium against the real system: 刘洋 (预算科) creates the 2026 allocation with
 * a control total for 教育局 / 205, sees the ranked candidates, raises one amount above the control
 * total (the page says so at once, and the server's refusal is shown when he saves anyway; nothing
 * is written), brings it back within, saves and submits with his seal (enrolling in the dialog).
 */
const PASSWORD = 'Budget@2026';
const PIN = '258036';
/** element-plus puts a text field's attributes on the native input. */
const field = (name: string) => `input${sel(name)}, ${sel(name)} input`;
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));

describe('预算编制 page in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ height: 1100 });
  const projectIds: number[] = [];

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
    for (let i = 1; i <= 3; i++) {
      const r = await call('nm_clerk_yz', 'POST', '/projects', {
        ...demoApplication(`编制页面测试项目${i}号`, `页面测试${i}`),
        fiscalYear: YEAR,
      });
      expect(r.status).toBe(201);
      await db('projects').where('id', r.body.id).update({ status: 'reserved' }); // setup: as the intake leaves them
      projectIds.push(Number(r.body.id));
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

  test('the budget division builds an allocation, is refused above the control total, and submits it sealed', async () => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/allocations', 'nm_ysk', PASSWORD);
    await page.locator('.el-menu-item', { hasText: '预算编制与批复' }).waitFor();

    await page.locator(sel('new-allocation')).click();
    const dialog = page.locator(`.el-dialog${sel('create-dialog')}`);
    await dialog.waitFor();
    await dialog.locator(sel('total-department')).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '呼和浩特市教育局' }).click();
    await dialog.locator(field('total-sector')).fill('205');
    await dialog.locator(field('total-amount')).fill('150000');
    await dialog.locator(sel('create-submit')).click();
    await page.waitForURL(/\/allocations\/\d+$/);
    const id = Number(new URL(page.url()).pathname.split('/').pop());

    const lines = page.locator(sel('allocation-lines'));
    await lines.locator('tbody tr').nth(2).waitFor();
    await page.locator(sel('allocation-total')).filter({ hasText: '¥150,000.00' }).waitFor();
    const input = (pid: number) => page.locator(field(`proposed-${pid}`));
    expect(await input(projectIds[0]!).inputValue()).toBe('100000.00');
    expect(await input(projectIds[1]!).inputValue()).toBe('50000.00');

    // Above the control total: said at once, and refused by the server when saved anyway.
    await input(projectIds[1]!).fill('60000');
    await page.locator(sel('live-problems')).filter({ hasText: '超出控制数 ¥150,000.00 共 ¥10,000.00' }).waitFor();
    await page.locator(sel('save-lines')).click();
    await page.locator(sel('refusal')).filter({ hasText: '分配方案超出控制数' }).waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'allocation-over-total.png'), fullPage: true });
    const db = t!.system.db;
    const saved = async (pid: number) =>
      Number(
        ((await db('allocation_lines').where({ allocation_id: id, project_id: pid }).first('proposed_fen')) as { proposed_fen: number })
          .proposed_fen,
      );
    expect(await saved(projectIds[1]!)).toBe(50_000_00);

    // Within: what-if to ¥40,000.00, saved, then submitted with the seal (enrolled in the dialog).
    await input(projectIds[1]!).fill('40000');
    await waitUntil(async () => (await page.locator(sel('live-problems')).count()) === 0, 'the live problem to clear');
    await page.locator(sel('allocation-total')).filter({ hasText: '¥140,000.00' }).waitFor();
    await page.locator(sel('submit-allocation')).click();
    expect(await sealInDialog(page, PIN)).toBe('enrol');
    await page.locator(sel('allocation-status')).filter({ hasText: '审批中' }).waitFor();
    expect(await saved(projectIds[1]!)).toBe(40_000_00);
    const row = (await db('budget_allocations').where('id', id).first('status', 'total_fen', 'process_instance_key')) as {
      status: string;
      total_fen: number;
      process_instance_key: string;
    };
    expect(row).toMatchObject({ status: 'approving', total_fen: 140_000_00 });
    const decision = (await db('allocation_decisions').where({ allocation_id: id }).first('sealed')) as { sealed: number | boolean };
    expect(Boolean(Number(decision.sealed))).toBe(true);
    await waitUntil(
      async () =>
        (await t!.system.engine.tasks({ processInstanceId: row.process_instance_key })).some(
          (x) => x.taskDefinitionKey === 'SectionReview',
        ),
      'the section review in the engine',
    );
    await page.screenshot({ path: path.join(RESULTS, 'allocation-submitted.png'), fullPage: true });

    // A second allocation of the year while this one is unfinished: the server's refusal shows in
    // the dialog, which stays open; a double click sends one request.
    await page.goto(`${t!.system.url}/allocations`);
    await page.locator(sel('new-allocation')).click();
    const again = page.locator(`.el-dialog${sel('create-dialog')}`);
    await again.waitFor();
    const posts = countRequests(page, 'POST', /^\/api\/allocations$/);
    await again.locator(sel('create-submit')).dblclick();
    await again.locator(sel('create-error')).filter({ hasText: '已有未完成的分配方案' }).waitFor();
    expect(posts.count).toBe(1);
    expect(await again.isVisible()).toBe(true);
    expect(Number(((await db('budget_allocations').count({ n: '*' }))[0] as { n: number }).n)).toBe(1);
  }, 180_000);
});
