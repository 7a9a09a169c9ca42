import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { sm3Hex } from '../../domain/digest';
import { DEMO_PASSWORD } from '../../server/auth/demo-users';
import { loginCookie } from '../support/accounts';
import {
  apiRequest,
  buildWebIfStale,
  launchChromium,
  logInThroughPage,
  PageOpener,
  RESULTS,
  sealInDialog,
  sel,
  waitUntil,
} from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * The intake review in a real Chromium, on the real engine and a fresh database with the demo data:
 * 王芳 (nm_clerk_yz) sends a demo project to review from 我的申报; 李娜 (nm_dept_jy) finds it in
 * 待办, sees the live diagram with 主管部门审核 highlighted and approves with a comment; 陈静
 * (nm_jkw) approves; 刘洋 (nm_ysk) 同意入库; 王芳 sees 已入库（储备） and the review history.
 * A 退回 without a reason is refused at the field and the task stays open. Beside the diagram
 * (passed steps green, the current one blue) the step list shows what the engine recorded: each
 * step's actor, times and decision. Screenshots of the inbox, the task page and 我的申报 go to
 * .ci/results/, the task page and the drawer also at 1366×768.
 */

const CLERK = 'nm_clerk_yz';
const DEPT = 'nm_dept_jy';
const SECTOR = 'nm_jkw';
const BUDGET = 'nm_ysk';
const DEMO_PROJECT = '呼和浩特市第一中学教学楼维修改造项目';
/** Every reviewer's signing PIN in these tests. */
const PIN = '258036';
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));

describe('intake review pages in a browser, against the real system with the demo data', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const cookies: Record<string, string> = {};
  const pages = new PageOpener({ height: 900 });
  /** The common office laptop: the diagram and the step list must fit without sideways scrolling. */
  const laptop = new PageOpener({ width: 1366, height: 768 });
  let projectId = 0;

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem({ demoData: true });
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    cookies[CLERK] = await loginCookie(t.system.url, CLERK, DEMO_PASSWORD);
    const row = (await t.system.db('projects').where({ name: DEMO_PROJECT }).first('id')) as { id: number };
    projectId = Number(row.id);
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await laptop.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect([...pages.errors.splice(0), ...laptop.errors.splice(0)]).toEqual([]);
  });

  const api = (user: string, method: 'GET' | 'POST', url: string, body?: unknown) =>
    apiRequest(t!.system.url, cookies[user]!, method, url, body);
  const openPage = () => pages.open(browser!);
  const logInAt = (page: Page, pathname: string, username: string) =>
    logInThroughPage(page, t!.system.url, pathname, username, DEMO_PASSWORD);

  const taskRow = (page: Page, project: string) =>
    page.locator(`${sel('task-table')} .el-table__body-wrapper tbody tr`, { hasText: project });

  /** The inbox, refreshed until the project's task has arrived (the engine creates it asynchronously). */
  async function waitForTask(page: Page, project: string): Promise<void> {
    await page.locator(sel('task-table')).waitFor();
    await waitUntil(async () => {
      if ((await taskRow(page, project).count()) > 0) return true;
      await page.locator(sel('task-refresh')).click();
      await page.waitForTimeout(400);
      return false;
    }, `the task of ${project} in the inbox`);
  }

  /** Opens the project's task from the inbox and waits for the diagram to mark the step. */
  async function openTask(page: Page, project: string, step: string): Promise<void> {
    await waitForTask(page, project);
    await taskRow(page, project).first().locator(sel('task-open')).click();
    await page.waitForURL(/\/tasks\/\d+$/);
    await page.locator(sel('task-step')).waitFor();
    await page.locator(`${sel('process-diagram')} [data-element-id="${step}"].active`).waitFor();
  }

  /** The step list's rows (gateways are not listed), in order: each cell's text, and the row as one line. */
  async function stepRows(
    scope: Page | ReturnType<Page['locator']>,
  ): Promise<Array<{ name: string; status: string; actor: string; decision: string; comment: string; line: string }>> {
    const rows = scope.locator(`${sel('process-steps')} .el-table__body-wrapper tbody tr`);
    await rows.first().waitFor();
    const cells: string[][] = [];
    for (let i = 0, n = await rows.count(); i < n; i++) cells.push((await rows.nth(i).locator('td').allInnerTexts()).map((c) => c.trim()));
    const names = (await scope.locator(`${sel('process-steps')} .el-table__body-wrapper tbody tr ${sel('step-name')}`).allInnerTexts()).map(
      (n) => n.trim(),
    );
    return cells.map((c, i) => ({
      name: names[i]!,
      status: c[2]!,
      actor: c[3]!,
      decision: c[6]!,
      comment: c[7]!,
      line: c.join(' ').replace(/\s+/g, ' ').trim(),
    }));
  }

  /** Nothing of the page is wider than the window, and the step table needs no sideways scrolling. */
  async function fitsWidth(page: Page): Promise<void> {
    // Run in the page (a string: the tests are compiled without the DOM library).
    const widths = (await page.evaluate(`(() => {
      const table = document.querySelector('[data-test="process-steps"] .el-table__body-wrapper .el-scrollbar__wrap');
      const steps = document.querySelector('[data-test="process-steps"]').getBoundingClientRect();
      const diagram = document.querySelector('[data-test="process-diagram"]').getBoundingClientRect();
      return { doc: document.documentElement.scrollWidth, window: window.innerWidth, table: table ? table.scrollWidth - table.clientWidth : 0, stepsRight: steps.right, diagramRight: diagram.right };
    })()`)) as { doc: number; window: number; table: number; stepsRight: number; diagramRight: number };
    expect(widths.doc).toBeLessThanOrEqual(widths.window);
    expect(widths.table).toBeLessThanOrEqual(0);
    expect(widths.stepsRight).toBeLessThanOrEqual(widths.window);
    expect(widths.diagramRight).toBeLessThanOrEqual(widths.window);
  }

  /** Decides, seals (enrolling in the dialog when the person has not yet) and returns the success message. */
  async function decide(page: Page, option: string, comment?: string): Promise<string> {
    await page.locator(sel(`option-decision-${option}`)).click();
    if (comment !== undefined) await page.locator(sel('input-comment')).fill(comment);
    await page.locator(sel('task-submit')).click();
    await sealInDialog(page, PIN);
    await page.waitForURL((url) => url.pathname === '/tasks');
    // The completion's message (a privileged person's first login also left 动态验证码已绑定 on screen).
    const message = page.locator('.el-message--success').filter({ hasNotText: '动态验证码' }).first();
    await message.waitFor();
    return (await message.innerText()).trim();
  }

  /** Sealed task completions by this person in the audit chain. */
  async function sealedCompletions(username: string): Promise<number> {
    const r = (await t!.system
      .db('audit_records as a')
      .join('users as u', 'u.id', 'a.actor_user_id')
      .where('u.username', username)
      .where('a.sealed', true)
      .where('a.kind', 'like', '%task_completed')
      .count({ n: '*' })
      .first()) as { n: number | string };
    return Number(r.n);
  }

  async function projectStatus(): Promise<string> {
    return String(((await t!.system.db('projects').where({ id: projectId }).first('status')) as { status: string }).status);
  }

  test('given the clerk 王芳, when she sends a demo draft to review from 我的申报, then it is 已送审 and the step indicator moves on', async () => {
    const page = await openPage();
    await logInAt(page, '/my-applications', CLERK);
    expect(await page.locator(sel('menu-tasks')).count()).toBe(1);
    expect(await page.locator(sel('menu-upcoming-todos')).count()).toBe(0);
    const row = page.locator(`${sel('application-table')} .el-table__body-wrapper tbody tr`, { hasText: DEMO_PROJECT });
    await row.locator(sel('application-status'), { hasText: '草稿' }).waitFor();
    await row.locator(sel('application-submit')).click();
    await page.locator('.el-message-box__btns .el-button--primary', { hasText: '送审' }).click();
    await page.locator('.el-message--success', { hasText: '已送审' }).waitFor();
    await waitUntil(async () => ['submitted', 'department_review'].includes(await projectStatus()), 'the project in review');
    await row.locator(sel('application-withdraw')).waitFor();
    expect(Number(await row.locator(sel('application-steps')).getAttribute('data-step'))).toBeGreaterThanOrEqual(1);
  });

  test('given 李娜 at 教育局, when she opens the task from 待办, then the diagram marks 主管部门审核; she approves with a comment and the task leaves her inbox', async () => {
    const page = await openPage();
    await logInAt(page, '/tasks', DEPT);
    await waitForTask(page, DEMO_PROJECT);
    // The menu badge counts her open tasks; the inbox row offers the task to the candidates.
    await page.locator(sel('menu-todo-count')).waitFor();
    expect(await taskRow(page, DEMO_PROJECT).locator(sel('task-assignee')).innerText()).toBe('待签收');
    await page.waitForTimeout(500); // badge and tag transitions
    await page.screenshot({ path: path.join(RESULTS, 'intake-inbox.png') });

    await openTask(page, DEMO_PROJECT, 'DepartmentReview');
    expect(await page.locator(sel('task-step')).innerText()).toBe('主管部门审核');
    expect(await page.locator(`${sel('process-diagram')} [data-element-id="SmartCheck"].done`).count()).toBe(1);
    expect(await page.locator(sel('task-project-context')).innerText()).toContain('呼和浩特市第一中学');
    await page
      .locator(`${sel('task-history')} ${sel('history-kind')}`, { hasText: '到达' })
      .first()
      .waitFor();
    // The step list: what the engine recorded so far, in order, the current step marked.
    const rows = await stepRows(page);
    expect(rows.map((r) => r.name)).toEqual(['项目已送审', '绩效目标 SMART 检查', '进入主管部门审核', '主管部门审核']);
    expect(rows[0]).toMatchObject({ status: '已完成', actor: '王芳' });
    expect(rows[1]).toMatchObject({ status: '已完成', actor: '系统自动' });
    expect(rows[3]).toMatchObject({ status: '进行中', actor: '待签收', decision: '' });
    expect(rows[3]!.line).toMatch(/主管部门审核人工 进行中 待签收 \d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await page.locator(`${sel('process-steps')} tr.process-step--active`).count()).toBe(1);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(RESULTS, 'intake-task.png') });
    // The page scrolls inside the layout's main area, so the diagram gets a picture of its own.
    await page.locator(sel('process-diagram')).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(RESULTS, 'intake-task-diagram.png') });

    // Not enrolled yet: the submit leads her to enrol in the same dialog, and the decision is sealed.
    expect(await decide(page, 'approve', '材料齐全，同意报送财政')).toBe('已办理：通过（已加盖电子签章）');
    expect(await sealedCompletions(DEPT)).toBe(1);
    await waitUntil(async () => (await projectStatus()) === 'finance_review', 'the project at the finance review');
    await waitUntil(async () => (await taskRow(page, DEMO_PROJECT).count()) === 0, 'the task gone from her 待办');
    await page.locator(`${sel('task-boxes')} .el-tabs__item`, { hasText: '已办' }).click();
    await taskRow(page, DEMO_PROJECT).locator(sel('task-status'), { hasText: '通过' }).waitFor();
  });

  test('given 陈静 on a 1366×768 laptop, when she opens the task, then the diagram (passed green, current blue) and the step list fit the window', async () => {
    const page = await laptop.open(browser!);
    await logInAt(page, '/tasks', SECTOR);
    await openTask(page, DEMO_PROJECT, 'SectorReview');
    expect(await page.locator(`${sel('process-diagram')} [data-element-id="DepartmentReview"].done`).count()).toBe(1);
    expect(await page.locator(`${sel('process-diagram')} .failed`).count()).toBe(0);
    // The markers' colours: green passed, blue current.
    const stroke = (id: string) =>
      page
        .locator(`${sel('process-diagram')} [data-element-id="${id}"] .djs-visual > :nth-child(1)`)
        .first()
        .evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { stroke: string } }).getComputedStyle(el).stroke);
    expect(await stroke('DepartmentReview')).toBe('rgb(46, 157, 91)');
    expect(await stroke('SectorReview')).toBe('rgb(47, 122, 229)');
    await page.locator(`${sel('process-steps')} tr.process-step--active`, { hasText: '财政业务处室审核' }).waitFor();
    await page.locator(sel('process-diagram')).scrollIntoViewIfNeeded();
    await fitsWidth(page);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(RESULTS, 'intake-task-1366.png') });
    await page.locator(sel('process-steps')).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(RESULTS, 'intake-task-steps-1366.png') });
  });

  test('given 陈静, when she opens 电子签章 from the header and sets her PIN twice, then a mismatch is refused and the enrolled key shows its fingerprint and the platform signature verified', async () => {
    const page = await openPage();
    await logInAt(page, '/tasks', SECTOR);
    await page.locator(sel('my-seal')).click();
    await page.waitForURL((url) => url.pathname === '/account/seal');
    await page.locator(sel('seal-state'), { hasText: '未开通' }).waitFor();
    await page.locator(`${sel('seal-page-pin')}`).fill(PIN);
    await page.locator(`${sel('seal-page-pin-confirm')}`).fill('258037');
    await page.locator(sel('seal-page-enrol')).click();
    await page.locator(sel('seal-page-error'), { hasText: '两次输入的签章密码不一致' }).waitFor();
    await page.locator(`${sel('seal-page-pin')}`).fill('123456');
    await page.locator(`${sel('seal-page-pin-confirm')}`).fill('123456');
    await page.locator(sel('seal-page-enrol')).click();
    await page.locator(sel('seal-page-error'), { hasText: '签章密码不能是重复或连续的数字' }).waitFor();
    await page.locator(`${sel('seal-page-pin')}`).fill(PIN);
    await page.locator(`${sel('seal-page-pin-confirm')}`).fill(PIN);
    await page.locator(sel('seal-page-enrol')).click();
    await page.locator(sel('seal-enrolled')).waitFor();
    await page.locator(sel('seal-state'), { hasText: '已开通' }).waitFor();
    const key = (await t!.system
      .db('seal_keys as k')
      .join('users as u', 'u.id', 'k.user_id')
      .where('u.username', SECTOR)
      .first('k.key_id')) as { key_id: string };
    expect((await page.locator(sel('seal-fingerprint')).innerText()).replace(/\s/g, '')).toBe(key.key_id.toUpperCase());
    await page.locator(sel('seal-record-verified'), { hasText: '核验通过' }).waitFor();
    expect(await page.locator(sel('seal-enrol-form')).count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS, 'seal-page.png') });
  });

  test('given 陈静 at 教科文科 and then 刘洋 at 预算科, when they approve and 同意入库, then the project is reserved', async () => {
    const sector = await openPage();
    await logInAt(sector, '/tasks', SECTOR);
    await openTask(sector, DEMO_PROJECT, 'SectorReview');
    expect(await sector.locator(`${sel('process-diagram')} [data-element-id="DepartmentReview"].done`).count()).toBe(1);
    await sector.locator(`${sel('history-comment')}`, { hasText: '材料齐全，同意报送财政' }).waitFor();
    const sectorRows = await stepRows(sector);
    expect(sectorRows.find((r) => r.name === '主管部门审核')).toMatchObject({
      status: '已完成',
      actor: '李娜',
      decision: '通过',
      comment: '材料齐全，同意报送财政',
    });
    expect(sectorRows.at(-1)).toMatchObject({ name: '财政业务处室审核', status: '进行中' });
    // A wrong PIN: said in the dialog, the task stays open and unsealed; the right one then seals it.
    await sector.locator(sel('option-decision-approve')).click();
    await sector.locator(sel('input-comment')).fill('符合支出方向');
    await sector.locator(sel('task-submit')).click();
    expect(await sealInDialog(sector, '147036')).toBe('pin');
    await sector.locator(sel('seal-error'), { hasText: '签章密码错误（再错 4 次将锁定签章）' }).waitFor();
    const open = (await t!.system.db('inbox_tasks').where({ element_id: 'SectorReview', status: 'open' }).count({ n: '*' }).first()) as {
      n: number | string;
    };
    expect(Number(open.n)).toBe(1);
    expect(await sealedCompletions(SECTOR)).toBe(0);
    await sector.locator(`${sel('seal-pin')}`).fill(PIN);
    await sector.locator(sel('seal-submit')).click();
    await sector.waitForURL((url) => url.pathname === '/tasks');
    await sector.locator('.el-message--success', { hasText: '已办理：通过（已加盖电子签章）' }).waitFor();
    expect(await sealedCompletions(SECTOR)).toBe(1);

    const budget = await openPage();
    await logInAt(budget, '/tasks', BUDGET);
    await openTask(budget, DEMO_PROJECT, 'BudgetDecision');
    expect(await decide(budget, 'admit')).toBe('已同意入库，项目已入库（已加盖电子签章）');
    await waitUntil(async () => (await projectStatus()) === 'reserved', 'the project reserved', 60_000);
  });

  test('given the reserved project, when 王芳 opens 我的申报, then she sees 已入库（储备）, the whole step indicator and the review history with the live diagram', async () => {
    const page = await openPage();
    await logInAt(page, '/my-applications', CLERK);
    const row = page.locator(`${sel('application-table')} .el-table__body-wrapper tbody tr`, { hasText: DEMO_PROJECT });
    await row.locator(sel('application-status'), { hasText: '已入库（储备）' }).waitFor();
    expect(await row.locator(sel('application-steps')).getAttribute('data-step')).toBe('4');
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(RESULTS, 'intake-my-applications.png') });

    await row.locator(sel('application-open')).click();
    const drawer = page.locator(sel('project-drawer'));
    await drawer.locator(sel('detail-status'), { hasText: '已入库（储备）' }).waitFor();
    await drawer.locator(sel('process-status'), { hasText: '已入库' }).waitFor();
    await drawer.locator(`${sel('process-diagram')} [data-element-id="BudgetDecision"].done`).waitFor();
    const history = await drawer.locator(sel('task-history')).innerText();
    for (const text of ['主管部门审核', '财政业务处室审核', '预算处审定', '李娜', '通过', '同意入库', '材料齐全，同意报送财政'])
      expect(history).toContain(text);
    await drawer.locator(`${sel('process-diagram')} [data-element-id="Reserved"].done`).waitFor();
    const rows = await stepRows(drawer);
    expect(rows.map((r) => r.name)).toEqual([
      '项目已送审',
      '绩效目标 SMART 检查',
      '进入主管部门审核',
      '主管部门审核',
      '进入财政审核',
      '财政业务处室审核',
      '预算处审定',
      '纳入项目库储备',
      '已入库',
    ]);
    expect(rows.find((r) => r.name === '预算处审定')).toMatchObject({ status: '已完成', actor: '刘洋', decision: '同意入库' });
    expect(rows.find((r) => r.name === '财政业务处室审核')).toMatchObject({ actor: '陈静', decision: '通过', comment: '符合支出方向' });
    expect(rows.find((r) => r.name === '纳入项目库储备')).toMatchObject({ actor: '系统自动' });
    expect(rows.at(-1)).toMatchObject({ name: '已入库', status: '已完成' });
    expect(await drawer.locator(`${sel('process-steps')} tr.process-step--active`).count()).toBe(0);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(RESULTS, 'intake-my-applications-drawer.png') });

    // The same drawer on a 1366×768 laptop.
    const narrow = await laptop.open(browser!);
    await logInAt(narrow, '/my-applications', CLERK);
    const narrowRow = narrow.locator(`${sel('application-table')} .el-table__body-wrapper tbody tr`, { hasText: DEMO_PROJECT });
    await narrowRow.locator(sel('application-open')).click();
    const narrowDrawer = narrow.locator(sel('project-drawer'));
    await narrowDrawer.locator(`${sel('process-diagram')} [data-element-id="Reserved"].done`).waitFor();
    await narrowDrawer.locator(`${sel('process-steps')} tr`, { hasText: '纳入项目库储备' }).waitFor();
    await fitsWidth(narrow);
    await narrow.waitForTimeout(500);
    await narrow.screenshot({ path: path.join(RESULTS, 'intake-drawer-1366.png') });
    await narrowDrawer.locator(sel('process-steps')).scrollIntoViewIfNeeded();
    await narrow.screenshot({ path: path.join(RESULTS, 'intake-drawer-steps-1366.png') });
  });

  /** The text of a PDF the page downloaded, whitespace removed (pdftotext, poppler-utils). */
  async function downloadedPdfText(page: Page, click: () => Promise<void>, name: string): Promise<{ file: string; text: string }> {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const file = path.join(RESULTS, name);
    await download.saveAs(file);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    return { file, text: execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '') };
  }

  test('given the sealed approvals, when 王芳 prints the 审批表 from 我的申报 and 李娜 the 审批单 of her task, then each seal shows its verification code; 何敏 at 合规核验 counts the seals and the chain verifies', async () => {
    const codes = (await t!.system
      .db('task_events as e')
      .join('inbox_tasks as k', 'k.id', 'e.task_id')
      .where({ 'k.business_id': String(projectId), 'e.kind': 'completed' })
      .orderBy('e.id')
      .select('k.name', 'e.data')) as Array<{ name: string; data: string }>;
    const sealed = codes.map((c) => ({
      step: c.name,
      code: String((JSON.parse(c.data) as { verificationCode: string | null }).verificationCode ?? ''),
    }));
    expect(sealed.map((c) => c.step)).toEqual(['主管部门审核', '财政业务处室审核', '预算处审定']);
    for (const c of sealed) expect(c.code).toMatch(/^[0-9a-f]{16}$/);

    const page = await openPage();
    await logInAt(page, '/my-applications', CLERK);
    const row = page.locator(`${sel('application-table')} .el-table__body-wrapper tbody tr`, { hasText: DEMO_PROJECT });
    const sheet = await downloadedPdfText(page, () => row.locator(sel('application-approval-sheet')).click(), 'intake-approval-sheet.pdf');
    for (const text of [
      '预算项目审批表',
      DEMO_PROJECT,
      '已入库',
      '共3个已办结环节，其中3个加盖电子签章',
      '主管部门审核',
      '财政业务处室审核',
      '预算处审定',
      '李娜',
      '陈静',
      '刘洋',
      '材料齐全，同意报送财政',
    ])
      expect(sheet.text).toContain(text);
    for (const c of sealed) expect(sheet.text).toContain(`核验码${c.code.toUpperCase()}`);
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', sheet.file, path.join(RESULTS, 'intake-approval-sheet')]);

    const dept = await openPage();
    await logInAt(dept, '/tasks', DEPT);
    await dept.locator(`${sel('task-boxes')} .el-tabs__item`, { hasText: '已办' }).click();
    const done = taskRow(dept, DEMO_PROJECT).first();
    await done.waitFor();
    const single = await downloadedPdfText(
      dept,
      () => done.locator(sel('task-row-approval-sheet')).click(),
      'intake-task-approval-sheet.pdf',
    );
    for (const text of ['预算项目审批单', DEMO_PROJECT, '主管部门审核', '通过', '李娜', `核验码${sealed[0]!.code.toUpperCase()}`])
      expect(single.text).toContain(text);

    const compliance = await openPage();
    await logInAt(compliance, '/compliance', 'nm_compliance');
    await compliance.locator(sel('chain-ok')).waitFor();
    const facts = await compliance.locator(sel('chain-status')).innerText();
    expect(Number(/(\d+) 个签章/.exec(facts)?.[1])).toBeGreaterThanOrEqual(3);
    const projectNo = String(
      ((await t!.system.db('projects').where({ id: projectId }).first('project_no')) as { project_no: string }).project_no,
    );
    await compliance.locator(sel('audit-search-project')).fill(projectNo);
    await compliance.locator(sel('audit-search-sealed')).click();
    await compliance.locator('.el-select-dropdown__item:visible', { hasText: '已签章' }).click();
    await compliance.locator(sel('audit-search-submit')).click();
    await waitUntil(
      async () => (await compliance.locator(`${sel('audit-table')} ${sel('audit-actor')}`).count()) === 3,
      'three sealed records of the project',
    );
    expect((await compliance.locator(`${sel('audit-table')} ${sel('audit-kind')}`).allInnerTexts()).map((k) => k.trim())).toEqual([
      '审核办理',
      '审核办理',
      '审核办理',
    ]);
    expect((await compliance.locator(`${sel('audit-table')} ${sel('audit-actor')}`).allInnerTexts()).map((k) => k.trim())).toEqual([
      '刘洋',
      '陈静',
      '李娜',
    ]);
    await compliance.screenshot({ path: path.join(RESULTS, 'compliance-sealed-1280.png') });
  });

  test('given a new application in review, when 李娜 submits 退回 without a reason, then the reason field shows the error and the task stays open', async () => {
    const created = await api(CLERK, 'POST', '/api/projects', {
      fiscalYear: YEAR,
      name: `${YEAR}年第一中学围墙修缮项目`,
      category: '33',
      functionalCode: '2050204',
      description: '修缮校园围墙约三百米，消除安全隐患。',
      amounts: [{ economicCode: '30213', amountFen: 200_000_00 }],
      targets: [
        { level1: '产出指标', level2: '数量指标', name: '修缮长度', direction: '>=', targetValue: '300', unit: '米' },
        { level1: '效益指标', level2: '社会效益指标', name: '受益师生', direction: '>=', targetValue: '1500', unit: '人' },
      ],
    });
    expect(created.status).toBe(201);
    expect((await api(CLERK, 'POST', `/api/projects/${created.json.id}/submit`, { version: created.json.version })).status).toBe(200);

    const page = await openPage();
    await logInAt(page, '/tasks', DEPT);
    await openTask(page, `${YEAR}年第一中学围墙修缮项目`, 'DepartmentReview');
    const taskId = Number(new URL(page.url()).pathname.split('/').pop());
    await page.locator(sel('option-decision-return')).click();
    await page.locator(sel('task-submit')).click();
    await page.locator(`${sel('field-comment')} .el-form-item__error`, { hasText: '退回时须填写退回原因' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/tasks/${taskId}`);
    const task = (await t!.system.db('inbox_tasks').where({ id: taskId }).first('status')) as { status: string };
    expect(task.status).toBe('open');
  });

  test('given the application 李娜 then returns with a reason, when 王芳 chooses 修改并重新送审 in 我的申报, then the task shows the reason beside the editor, she saves the change and resubmits, and it is back at 主管部门审核', async () => {
    const name = `${YEAR}年第一中学围墙修缮项目`;
    const page = await openPage();
    await logInAt(page, '/tasks', DEPT);
    await openTask(page, name, 'DepartmentReview');
    expect(await decide(page, 'return', '请补充围墙现状照片和造价测算依据')).toBe('已退回申报单位修改（已加盖电子签章）');
    const id = Number(((await t!.system.db('projects').where({ name }).first('id')) as { id: number }).id);
    await waitUntil(
      async () => String(((await t!.system.db('projects').where({ id }).first('status')) as { status: string }).status) === 'returned',
      'the project returned',
    );

    const clerk = await openPage();
    await logInAt(clerk, '/my-applications', CLERK);
    const row = clerk.locator(`${sel('application-table')} .el-table__body-wrapper tbody tr`, { hasText: name });
    await row.locator(sel('application-status'), { hasText: '已退回' }).waitFor();
    // 申报进度: returned at 主管部门审核, so 财政审核 is not shown as passed.
    const steps = row.locator(sel('application-steps'));
    expect(await steps.getAttribute('data-step')).toBe('2');
    expect(await steps.getAttribute('data-returned-from')).toBe('department_review');
    expect(await row.locator(sel('application-step-1')).getAttribute('class')).toContain('is-done');
    expect(await row.locator(sel('application-step-2')).getAttribute('class')).toContain('is-returned');
    expect(await row.locator(sel('application-step-3')).getAttribute('class')).toContain('is-todo');
    // The revise task arrives a moment after the status: the button finds it (or says it has not yet).
    await waitUntil(async () => {
      await row.locator(sel('application-rework')).click();
      await clerk.waitForTimeout(500);
      return /\/tasks\/\d+$/.test(new URL(clerk.url()).pathname);
    }, 'the revise task opened from 我的申报');
    await clerk.locator(sel('task-step'), { hasText: '申报单位修改' }).waitFor();
    const reason = await clerk.locator(sel('task-return-reason')).innerText();
    expect(reason).toContain('主管部门审核退回（李娜');
    expect(reason).toContain('退回原因：请补充围墙现状照片和造价测算依据');
    // The whole application beside the form; the photos asked for are attached right here.
    await clerk.locator(`${sel('task-project-amounts')} tbody tr`, { hasText: '30213' }).waitFor();
    const photo = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await clerk
      .locator(`${sel('task-project-context')} ${sel('attachment-upload')} input[type=file]`)
      .setInputFiles({ name: '围墙现状照片.png', mimeType: 'image/png', buffer: photo });
    await clerk.locator(`${sel('task-project-context')} ${sel('attachment-download')}`, { hasText: '围墙现状照片.png' }).waitFor();
    const digest = sm3Hex(photo);
    expect(
      await clerk
        .locator(`${sel('task-project-context')} ${sel('attachment-sm3')}`)
        .first()
        .innerText(),
    ).toBe(`${digest.slice(0, 8)}…${digest.slice(-8)}`);
    await clerk.screenshot({ path: path.join(RESULTS, 'intake-rework-task.png') });
    await clerk.locator(sel('task-edit-application')).click();
    const dialog = clerk.locator(`.el-dialog${sel('project-dialog')}`);
    await dialog.locator(sel('project-form-reason'), { hasText: '请补充围墙现状照片和造价测算依据' }).waitFor();
    await dialog.locator(sel('project-description')).fill('修缮校园围墙约三百米，消除安全隐患。附现状照片 12 张，造价按 2026 年定额测算。');
    await dialog.locator(sel('project-submit')).click();
    await clerk.locator(sel('task-application-saved')).waitFor();
    expect(String(((await t!.system.db('projects').where({ id }).first('description')) as { description: string }).description)).toContain(
      '造价按 2026 年定额测算',
    );
    await clerk.locator(`${sel('input-confirm')}`).click();
    await clerk.locator(sel('input-comment')).fill('已补充照片与测算依据');
    await clerk.locator(sel('task-submit')).click();
    await clerk.waitForURL((url) => url.pathname === '/tasks');
    await clerk.locator('.el-message--success', { hasText: '已修改并重新提交审核' }).waitFor();
    await waitUntil(
      async () =>
        ['submitted', 'department_review'].includes(
          String(((await t!.system.db('projects').where({ id }).first('status')) as { status: string }).status),
        ),
      'the project in review again',
    );
    await waitUntil(
      async () =>
        Number(
          (
            (await t!.system
              .db('inbox_tasks')
              .where({ business_id: String(id), element_id: 'DepartmentReview', status: 'open' })
              .count({ n: '*' })
              .first()) as { n: number | string }
          ).n,
        ) === 1,
      'the department review open again',
    );
  });

  test("given two department reviews in 李娜's 待办, when she selects both and 批量通过, then each is approved and listed as 成功", async () => {
    const created = await api(CLERK, 'POST', '/api/projects', {
      fiscalYear: YEAR,
      name: `${YEAR}年第一中学食堂设备更新项目`,
      category: '33',
      functionalCode: '2050204',
      description: '更新食堂蒸饭柜、消毒柜等设备，保障师生用餐安全。',
      amounts: [{ economicCode: '30213', amountFen: 150_000_00 }],
      targets: [
        { level1: '产出指标', level2: '数量指标', name: '更新设备', direction: '>=', targetValue: '12', unit: '台' },
        { level1: '效益指标', level2: '社会效益指标', name: '受益师生', direction: '>=', targetValue: '1500', unit: '人' },
      ],
    });
    expect((await api(CLERK, 'POST', `/api/projects/${created.json.id}/submit`, { version: created.json.version })).status).toBe(200);

    const page = await openPage();
    await logInAt(page, '/tasks', DEPT);
    await waitForTask(page, `${YEAR}年第一中学食堂设备更新项目`);
    await waitForTask(page, `${YEAR}年第一中学围墙修缮项目`);
    await page.locator(`${sel('task-table')} .el-table__header-wrapper .el-checkbox`).click();
    await page.locator(sel('task-batch-approve'), { hasText: '（2）' }).click();
    await page.locator('.el-message-box__btns .el-button--primary', { hasText: '通过' }).click();
    // One PIN for the whole batch (she enrolled at her first approval).
    expect(await sealInDialog(page, PIN)).toBe('pin');
    const result = page.locator(sel('batch-result'));
    await result.waitFor();
    await waitUntil(async () => (await result.locator(sel('batch-result-tag'), { hasText: '成功' }).count()) === 2, 'two successes');
    expect(await result.locator(sel('batch-result-tag'), { hasText: '未成功' }).count()).toBe(0);
    const open = (await t!.system
      .db('inbox_tasks')
      .where({ element_id: 'DepartmentReview', status: 'open' })
      .count({ n: '*' })
      .first()) as { n: number | string };
    expect(Number(open.n)).toBe(0);
    expect(await sealedCompletions(DEPT)).toBe(4); // her first approval, the 退回, the two of the batch
  });

  test("given a department review in 李娜's 待办, when she opens 抄送, picks a colleague and adds a note, then the copy is recorded and a second submit without a person is not possible", async () => {
    const created = await api(CLERK, 'POST', '/api/projects', {
      fiscalYear: YEAR,
      name: `${YEAR}年第一中学图书馆书架更新项目`,
      category: '33',
      functionalCode: '2050204',
      description: '更新图书馆书架与阅览桌椅，扩充藏书空间。',
      amounts: [{ economicCode: '30213', amountFen: 80_000_00 }],
      targets: [
        { level1: '产出指标', level2: '数量指标', name: '更新书架', direction: '>=', targetValue: '40', unit: '组' },
        { level1: '效益指标', level2: '社会效益指标', name: '受益师生', direction: '>=', targetValue: '1500', unit: '人' },
      ],
    });
    expect((await api(CLERK, 'POST', `/api/projects/${created.json.id}/submit`, { version: created.json.version })).status).toBe(200);

    const page = await openPage();
    await logInAt(page, '/tasks', DEPT);
    await openTask(page, `${YEAR}年第一中学图书馆书架更新项目`, 'DepartmentReview');
    await page.locator(sel('task-copy')).click();
    const dialog = page.locator(sel('people-dialog'));
    await dialog.waitFor();
    // Nobody picked yet: the dialog's submit stays disabled.
    expect(await dialog.locator(sel('people-submit')).isDisabled()).toBe(true);
    await dialog.locator(sel('people-users')).click();
    const option = page.locator('.el-select-dropdown:visible .el-select-dropdown__item').first();
    const picked = (await option.innerText()).trim();
    await option.click();
    await dialog.locator(sel('people-comment')).fill('请一并关注该项目的采购计划');
    await dialog.locator('.el-dialog__title').click(); // close the dropdown
    await dialog.locator(sel('people-submit')).click();
    await dialog.waitFor({ state: 'hidden' });
    const taskId = Number(new URL(page.url()).pathname.split('/').pop());
    await waitUntil(
      async () =>
        ((await t!.system.db('inbox_copies').where({ task_id: taskId }).count({ n: '*' }).first()) as { n: number | string }).n == 1,
      'the copy recorded',
    );
    const event = (await t!.system.db('task_events').where({ task_id: taskId, kind: 'copied' }).first('comment')) as { comment: string };
    expect(event.comment).toBe('请一并关注该项目的采购计划');
    expect(picked.length).toBeGreaterThan(0);
    // Opened again, the form starts empty (the dialog edits the composable's form, which resets).
    await page.locator(sel('task-copy')).click();
    await dialog.waitFor();
    expect(await dialog.locator(sel('people-comment')).inputValue()).toBe('');
    expect(await dialog.locator(sel('people-submit')).isDisabled()).toBe(true);
  });
});
