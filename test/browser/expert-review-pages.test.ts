import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/auth/demo-users';
import { loginCookie } from '../support/accounts';
import { apiRequest, buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel, waitUntil } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 专家评审 in a real Chromium, on the real engine and a fresh database with the demo data: 周强
 * (nm_jxc) opens a batch for the demo project 智慧校园信息化建设 (第一中学) — the demo pool has
 * five experts of 教育 without a tie to it, so 吴建国 (nm_expert) is drawn — and 吴建国 accepts
 * and scores it on a phone (390 px wide): no sideways scrolling, the five criteria, the total, the
 * comment, the confirmation, then his own sheet and nobody else's. 周强's 评审批次 page shows the
 * batch. Screenshots go to .ci/results/.
 */

const EXPERT = 'nm_expert';
const CENTRE = 'nm_jxc';
const PROJECT = '智慧校园信息化建设';

describe('expert review pages in a browser', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const cookies: Record<string, string> = {};
  const phone = new PageOpener({ width: 390, height: 844 });
  const desktop = new PageOpener({ height: 900 });
  let assignmentId = 0;

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem({ demoData: true });
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    const project = (await db('projects').where({ name: PROJECT }).first('id', 'fiscal_year')) as { id: number; fiscal_year: number };
    // Setup only: the demo project stands in the library as the intake review leaves it.
    await db('projects').where('id', project.id).update({ status: 'reserved' });
    cookies[CENTRE] = await loginCookie(t.system.url, CENTRE, DEMO_PASSWORD);
    const opened = await apiRequest(t.system.url, cookies[CENTRE], 'POST', '/api/expert-batches', {
      name: '演示评审批次',
      fiscalYear: Number(project.fiscal_year),
      sector: '205',
      projectIds: [project.id],
    });
    expect(opened.status).toBe(201);
    const expert = (await db('users').where({ username: EXPERT }).first('id')) as { id: number };
    const row = (await db('expert_assignments').where({ batch_id: opened.json.id, expert_user_id: expert.id }).first('id')) as
      { id: number } | undefined;
    expect(row).toBeDefined();
    assignmentId = Number(row!.id);
    // The engine has made the expert's task once the panel is loaded.
    await waitUntil(
      async () =>
        !!(await db('expert_review_projects').where({ batch_id: opened.json.id }).whereNotNull('process_instance_key').first('id')),
      'the review in the engine',
    );
  }, 240_000);

  afterAll(async () => {
    await phone.closeAll();
    await desktop.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect([...phone.errors.splice(0), ...desktop.errors.splice(0)]).toEqual([]);
  });

  test('an expert accepts and scores on a 390-px-wide phone', async () => {
    const page = await phone.open(browser!);
    await logInThroughPage(page, t!.system.url, '/my-reviews', EXPERT, DEMO_PASSWORD);
    const card = page.locator(sel('my-review-card'), { hasText: PROJECT });
    await card.waitFor();
    expect(await card.locator(sel('my-review-status')).innerText()).toBe('待答复');
    const noSideways = async () => (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) as boolean;
    expect(await noSideways()).toBe(true);
    await page.screenshot({ path: path.join(RESULTS, 'expert-reviews-390.png'), fullPage: true });

    await card.click();
    await page.waitForURL(new RegExp(`/my-reviews/${assignmentId}$`));
    await page.locator(sel('my-review-respond')).waitFor();
    expect(await page.locator(sel('my-review-project')).innerText()).toBe(PROJECT);
    // Accepting: the engine may still be creating the task a moment after the draw; the page says so and a retry goes through.
    // A click only while the button is there and idle: on a loaded machine the answer may take longer
    // than the pause, and the button leaves the page once it is accepted.
    await waitUntil(async () => {
      if ((await page.locator(sel('my-review-score')).count()) > 0) return true;
      const submit = page.locator(sel('my-review-respond-submit'));
      if ((await submit.count()) > 0 && (await submit.isEnabled({ timeout: 1_000 }).catch(() => false)))
        await submit.click({ timeout: 2_000 }).catch(() => undefined);
      await page.waitForTimeout(600);
      return (await page.locator(sel('my-review-score')).count()) > 0;
    }, 'the score form after accepting');

    const scores = { necessity: '18', economy: '16.5', targets: '17', feasibility: '15', compliance: '19.25' };
    for (const [key, value] of Object.entries(scores)) {
      const input = page.locator(`${sel(`my-review-score-${key}`)} input`);
      await input.fill(value);
      await input.blur();
    }
    await page
      .locator(`textarea${sel('my-review-comment')}, ${sel('my-review-comment')} textarea`)
      .fill('立项依据充分，绩效目标可衡量；建议细化分期实施计划。');
    await waitUntil(async () => (await page.locator(sel('my-review-total')).innerText()).includes('85.75'), 'the total 85.75');
    expect(await noSideways()).toBe(true);
    await page.screenshot({ path: path.join(RESULTS, 'expert-scoring-390.png'), fullPage: true });

    await page.locator(sel('my-review-submit')).click();
    await page.locator('.el-message-box').getByRole('button', { name: '提交' }).click();
    await page.locator(sel('my-review-sheet')).waitFor();
    expect(await page.locator(sel('my-review-sheet-total')).innerText()).toBe('85.75 分');
    expect(await page.locator(sel('my-review-status')).innerText()).toBe('已提交评分');
    expect(await page.locator(sel('my-review-score')).count()).toBe(0);
    expect(await noSideways()).toBe(true);
    await page.screenshot({ path: path.join(RESULTS, 'expert-scored-390.png'), fullPage: true });

    // Stored as submitted, in hundredths; the sheet is in the audit chain.
    const sheet = (await t!.system
      .db('expert_score_sheets')
      .where({ assignment_id: assignmentId })
      .first('total_centi', 'audit_record_id')) as { total_centi: number; audit_record_id: number };
    expect(Number(sheet.total_centi)).toBe(8575);
    // The menu on a phone is a drawer: 我的评审 is there, the pool and the batches are not.
    await page.locator(sel('menu-toggle')).click();
    await page.locator(sel('drawer-menu-my-reviews')).waitFor();
    expect(await page.locator(sel('drawer-menu-experts')).count()).toBe(0);
  });

  test("the review centre sees the batch and every seat's progress", async () => {
    const page = await desktop.open(browser!);
    await logInThroughPage(page, t!.system.url, '/expert-batches', CENTRE, DEMO_PASSWORD);
    const row = page.locator(`${sel('batch-table')} tbody tr`, { hasText: '演示评审批次' });
    await row.waitFor();
    await row.locator(sel('batch-open')).click();
    await page.locator(sel('batch-projects')).waitFor();
    await page
      .locator(`${sel('batch-projects')} .el-table__expand-icon`)
      .first()
      .click();
    await page.getByText('已提交评分').first().waitFor();
    expect(await page.getByText('吴建国（ZJ0001）').count()).toBe(1);
    await page.screenshot({ path: path.join(RESULTS, 'expert-batch.png'), fullPage: true });

    await page.goto(`${t!.system.url}/experts`);
    await page.locator(sel('expert-table')).waitFor();
    await waitUntil(async () => (await page.locator(`${sel('expert-table')} tbody tr`).count()) === 7, 'the seven demo experts');
    expect(await page.locator(`${sel('expert-table')} tbody`).innerText()).toMatch(/139\*{4}0001/);
  });

  test('新增专家: a code already in use is refused inside the dialog and nothing is added; a new code saves and the dialog stays open for the ties', async () => {
    const page = await desktop.open(browser!);
    await logInThroughPage(page, t!.system.url, '/experts', CENTRE, DEMO_PASSWORD);
    const rows = page.locator(`${sel('expert-table')} tbody tr`);
    await waitUntil(async () => (await rows.count()) === 7, 'the seven demo experts');
    const experts = async () => Number(((await t!.system.db('experts').count({ n: '*' })) as Array<{ n: number | string }>)[0]?.n);
    const before = await experts();

    await page.locator(sel('expert-create')).click();
    const dialog = page.locator(`.el-dialog${sel('expert-dialog')}`);
    await dialog.waitFor();
    await dialog.locator(sel('expert-form-code')).fill('ZJ0001');
    await dialog.locator(sel('expert-form-name')).fill('测试专家');
    await dialog.locator(sel('expert-form-org')).fill('内蒙古大学');
    await dialog.locator(sel('expert-form-title')).fill('教授');
    await dialog.locator(sel('expert-form-specialties')).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '205 教育' }).first().click();
    await dialog.locator('.el-dialog__title').click(); // closes the dropdown

    await dialog.locator(sel('expert-submit')).click();
    await dialog.locator(sel('expert-error'), { hasText: '专家编号 ZJ0001 已被使用' }).waitFor();
    expect(await dialog.isVisible()).toBe(true);
    expect(await experts()).toBe(before);

    await dialog.locator(sel('expert-form-code')).fill('ZJ9001');
    await dialog.locator(sel('expert-submit')).click();
    await dialog.locator('.el-dialog__title', { hasText: '编辑专家 测试专家' }).waitFor();
    await dialog.locator(sel('expert-ties')).waitFor();
    expect(await dialog.locator(sel('expert-error')).count()).toBe(0);
    expect(await experts()).toBe(before + 1);
    await waitUntil(async () => (await rows.count()) === 8, 'the new expert listed');
  });
});
