import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../server/auth/demo-users';
import { changeStatus } from '../../server/projects/service';
import type { ProjectStatus } from '../../domain/projects';
import { loginCookie } from '../support/accounts';
import { buildWebIfStale, launchChromium, PageOpener, RESULTS, sel, submitLogin, waitUntil } from '../support/browser';
import { apiAs, submittedTo, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * Issue 14 items 5, 7, 9 and 11 in a real Chromium at 1366×768 (the common office screen), on the
 * real system with the demo data: 王芳 (nm_clerk_yz) lands on her workbench; 项目库 and 我的申报
 * show every column without a horizontal scroll and clip no status tag or time; 郑国华
 * (nm_director) sees the unit's submitted applications but none of its drafts, in the pages and
 * the API; the 审核进度 diagram fits the width, zooms and pans, marks the current step and the
 * passed ones, and no two of its labels overlap. Screenshots go to .ci/results/.
 */

const CLERK = 'nm_clerk_yz';
const DIRECTOR = 'nm_director';
const system = { userId: null, username: 'system', displayName: '系统自动' };

describe('workbench, tables at 1366×768, private drafts and the process diagram', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  const pages = new PageOpener({ width: 1366, height: 768 });
  /** One application of the clerk's in review (on the engine), one funded, one left a draft. */
  let inReview: { id: number; projectNo: string };
  let funded: { id: number; projectNo: string };
  let draft: { id: number; projectNo: string };

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem({ demoData: true });
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    for (const u of [CLERK, DIRECTOR]) cookies[u] = await loginCookie(t.system.url, u, DEMO_PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    const task = await submittedTo(call, t.system.db, 'DepartmentReview', '第一中学校园监控系统升级改造');
    inReview = await header(task.projectId);
    const own = (await call(CLERK, 'GET', '/projects?status=draft&sort=id&order=asc&pageSize=100')).body.items as Array<{
      id: number;
      projectNo: string;
    }>;
    // The longest status label (已批复/指标下达) is in the list: its tag must fit its column.
    funded = own[0]!;
    for (const s of ['submitted', 'department_review', 'finance_review', 'reserved', 'budgeted', 'funded'] as ProjectStatus[])
      await changeStatus(t.system.db, system, funded.id, s);
    draft = own[1]!;
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  async function header(id: number) {
    const p = (await call(CLERK, 'GET', `/projects/${id}`)).body as { id: number; projectNo: string };
    return { id: p.id, projectNo: p.projectNo };
  }

  async function logIn(page: Page, username: string, at = '/'): Promise<void> {
    await page.goto(`${t!.system.url}${at}`);
    await page.waitForURL(/\/login\?redirect=/);
    await submitLogin(page, username, DEMO_PASSWORD);
  }

  /**
   * What hides or clips a table's content: a body wider than its viewport (columns scrolled out of
   * sight or under the fixed ones), header or body cells whose text is cut, tags wider than their cell.
   */
  async function tableProblems(page: Page, table: string): Promise<string[]> {
    // A script string: the test project compiles without the DOM library.
    return page.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(table)});
      const problems = [];
      const wrap = el.querySelector('.el-table__body-wrapper .el-scrollbar__wrap');
      if (wrap.scrollWidth > wrap.clientWidth + 1) problems.push('horizontal scroll: ' + wrap.scrollWidth + ' > ' + wrap.clientWidth);
      const box = el.getBoundingClientRect();
      for (const th of el.querySelectorAll('.el-table__header-wrapper th')) {
        const r = th.getBoundingClientRect();
        if (r.left < box.left - 1 || r.right > box.right + 1) problems.push('column outside the table: ' + th.innerText.trim());
      }
      for (const c of el.querySelectorAll('.el-table__header-wrapper th .cell, .el-table__body-wrapper td .cell')) {
        if (c.scrollWidth > c.clientWidth + 1) problems.push('clipped: ' + c.innerText.trim().slice(0, 20));
        const cr = c.getBoundingClientRect();
        for (const tag of c.querySelectorAll('.el-tag')) {
          const r = tag.getBoundingClientRect();
          if (r.left < cr.left - 1 || r.right > cr.right + 1) problems.push('tag wider than its cell: ' + tag.innerText);
        }
      }
      return problems;
    })()`);
  }

  const headers = (page: Page, table: string) =>
    page
      .locator(`${table} .el-table__header-wrapper th`)
      .allInnerTexts()
      .then((l) => l.map((s) => s.trim()));

  test('given a unit clerk, when she logs in at /, then she lands on her workbench: her tasks, her applications by status (drafts included), shortcuts to what she does, no 系统状态', async () => {
    const page = await pages.open(browser!);
    await logIn(page, CLERK);
    await page.waitForURL(/\/workbench$/);
    const mine = (await call(CLERK, 'GET', '/projects?pageSize=1')).body.total as number;
    const todo = (await call(CLERK, 'GET', '/tasks?pageSize=1')).body.total as number;
    await waitUntil(
      async () => (await page.locator(sel('workbench-projects-count')).innerText()) === String(mine),
      `我的申报 to read ${mine}`,
    );
    expect(await page.locator(sel('workbench-todo-count')).innerText()).toBe(String(todo));
    expect(await page.locator(sel('workbench-projects')).innerText()).toContain('我的申报');
    expect(await page.locator(sel('workbench-status-draft')).innerText()).toMatch(/^草稿 \d+$/);
    expect(await page.locator(sel('workbench-status-department_review')).innerText()).toBe('主管部门审核 1');
    expect(await page.locator(sel('workbench-project')).count()).toBe(Math.min(5, mine));
    expect(await page.locator(sel('shortcut-my-applications')).count()).toBe(1);
    expect(await page.locator(sel('shortcut-health')).count()).toBe(0);
    expect(await page.locator(sel('main-menu')).locator(sel('menu-health')).count()).toBe(0);
    expect(await page.locator(sel('main-menu')).locator('.el-menu-item.is-active').innerText()).toContain('工作台');
    await page.screenshot({ path: path.join(RESULTS, 'workbench-clerk.png'), fullPage: true });
    await page.locator(sel('shortcut-my-applications')).click();
    await page.waitForURL(/\/my-applications$/);
  });

  test('given 1366×768, when 项目库 and 我的申报 are opened, then every column is in view with no horizontal scroll, and no status tag or time is clipped', async () => {
    const page = await pages.open(browser!);
    await logIn(page, CLERK, '/projects');
    await page.waitForURL(/\/projects$/);
    const projects = sel('project-table');
    await page.locator(`${projects} tbody tr`, { hasText: funded.projectNo }).waitFor();
    expect(await headers(page, projects)).toEqual([
      '项目编号',
      '项目名称',
      '申报单位',
      '类别',
      '功能科目',
      '金额',
      '状态',
      '更新时间',
      '操作',
    ]);
    expect(await page.locator(`${projects} tbody tr`, { hasText: funded.projectNo }).locator(sel('project-status')).innerText()).toBe(
      '已批复/指标下达',
    );
    expect(await tableProblems(page, projects)).toEqual([]);
    await page.screenshot({ path: path.join(RESULTS, 'projects-1366.png') });

    await page.locator(sel('main-menu')).locator(sel('menu-my-applications')).click();
    await page.waitForURL(/\/my-applications$/);
    const mine = sel('application-table');
    await page.locator(`${mine} tbody tr`, { hasText: inReview.projectNo }).waitFor();
    expect(await headers(page, mine)).toEqual(['项目编号', '项目名称', '金额', '状态', '申报进度', '更新时间', '操作']);
    expect(await tableProblems(page, mine)).toEqual([]);
    // The tags zoom in when rendered: let them settle before the picture.
    await waitUntil(async () => (await page.locator(`${mine} [class*="-enter-active"]`).count()) === 0, 'tags settled');
    await page.screenshot({ path: path.join(RESULTS, 'my-applications-1366.png') });
  });

  test('given a unit with drafts, when the director opens 项目库 and the API, then he sees its submitted applications and none of its drafts', async () => {
    expect((await call(CLERK, 'GET', '/projects?status=draft')).body.total).toBeGreaterThan(0);
    expect((await call(DIRECTOR, 'GET', '/projects?status=draft')).body.total).toBe(0);
    expect((await call(DIRECTOR, 'GET', `/projects/${draft.id}`)).status).toBe(404);
    expect((await call(DIRECTOR, 'GET', `/projects/${funded.id}`)).status).toBe(200);

    const page = await pages.open(browser!);
    await logIn(page, DIRECTOR, '/projects');
    await page.waitForURL(/\/projects$/);
    const rows = page.locator(`${sel('project-table')} tbody tr`);
    await rows.filter({ hasText: inReview.projectNo }).waitFor();
    const listed = (await call(DIRECTOR, 'GET', '/projects?pageSize=100')).body.total as number;
    await waitUntil(async () => (await rows.count()) === listed, `${listed} rows`);
    expect(await rows.filter({ hasText: funded.projectNo }).count()).toBe(1);
    expect(await rows.filter({ hasText: draft.projectNo }).count()).toBe(0);
    expect(await page.locator(`${sel('project-table')} ${sel('project-status')}`).allInnerTexts()).not.toContain('草稿');
    await page.screenshot({ path: path.join(RESULTS, 'projects-director.png') });
    // His workbench counts the same.
    await page.locator(sel('main-menu')).locator(sel('menu-workbench')).click();
    await waitUntil(
      async () => (await page.locator(sel('workbench-projects-count')).innerText()) === String(listed),
      `项目库 to read ${listed}`,
    );
    expect(await page.locator(sel('workbench-status-draft')).count()).toBe(0);
  });

  test('given an application at 主管部门审核, when its 审核进度 is opened, then the diagram fits the width, zooms and pans, shows the current step by name and mark, the passed ones with ✓, and no labels overlap', async () => {
    const page = await pages.open(browser!);
    await logIn(page, CLERK, '/my-applications');
    await page.waitForURL(/\/my-applications$/);
    await page
      .locator(`${sel('application-table')} tbody tr`, { hasText: inReview.projectNo })
      .locator(sel('application-view'))
      .click();
    const diagram = page.locator(`${sel('project-drawer')} ${sel('process-diagram')}`);
    await diagram.locator('.djs-container svg').waitFor();
    await waitUntil(
      async () => (await diagram.locator(sel('diagram-current')).innerText()) === '当前环节：主管部门审核',
      'the current step named above the diagram',
    );
    const canvas = diagram.locator('.process-diagram__canvas');
    // The current step carries the 当前 badge and the blue marker; passed tasks a ✓.
    await canvas.locator('.diagram-badge--active', { hasText: '当前' }).waitFor();
    expect(await canvas.locator('.djs-element.active[data-element-id="DepartmentReview"]').count()).toBe(1);
    expect(await canvas.locator('.djs-element.done[data-element-id="SmartCheck"]').count()).toBe(1);
    expect(await canvas.locator('.diagram-badge--done').count()).toBeGreaterThanOrEqual(2); // SMART 检查, 进入主管部门审核

    // Fitted to the width: the whole drawing is as wide as the canvas, within its padding.
    const canvasSel = `${sel('project-drawer')} ${sel('process-diagram')} .process-diagram__canvas`;
    const fit = (): Promise<{ left: number; right: number; width: number; canvas: number }> =>
      page.evaluate(`(() => {
        const el = document.querySelector(${JSON.stringify(canvasSel)});
        const drawing = el.querySelector('.djs-container svg .viewport').getBoundingClientRect();
        const box = el.getBoundingClientRect();
        return { left: drawing.left - box.left, right: box.right - drawing.right, width: drawing.width, canvas: box.width };
      })()`);
    const fitted = await fit();
    expect(fitted.left).toBeGreaterThanOrEqual(0);
    expect(fitted.right).toBeGreaterThanOrEqual(0);
    expect(fitted.width).toBeGreaterThan(fitted.canvas * 0.9);
    const zoom = () => diagram.locator(sel('diagram-fit')).innerText();
    const fittedZoom = await zoom();
    await diagram.locator(sel('diagram-zoom-in')).click();
    await waitUntil(async () => parseInt(await zoom(), 10) > parseInt(fittedZoom, 10), 'zoom in to enlarge');
    const before = (await fit()).left;
    await diagram.locator(sel('diagram-pan-left')).click();
    await waitUntil(async () => (await fit()).left > before + 100, 'the drawing to move right when panning left');
    await diagram.locator(sel('diagram-focus-current')).click();
    await waitUntil(async () => (await zoom()) === '100%', '定位当前 to show the current step at 100 %');
    await diagram.locator(sel('diagram-fit-width')).click();
    await waitUntil(async () => (await zoom()) === fittedZoom, 'fit width to restore the fitted zoom');
    const refitted = await fit();
    expect(refitted.left).toBeGreaterThanOrEqual(0);
    expect(refitted.width).toBeGreaterThan(refitted.canvas * 0.9);
    // Top to bottom the drawing is inside the canvas too: no step cut off.
    expect(
      await page.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(canvasSel)});
      const d = el.querySelector('.djs-container svg .viewport').getBoundingClientRect();
      const b = el.getBoundingClientRect();
      return d.top >= b.top - 1 && d.bottom <= b.bottom + 1;
    })()`),
    ).toBe(true);

    // No two labels drawn on the diagram overlap.
    const overlaps = (await page.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(canvasSel)});
      const boxes = [...el.querySelectorAll('.djs-element[data-element-id$="_label"] text, .djs-element.djs-shape .djs-visual text')]
        .map((n) => ({ id: n.closest('.djs-element').getAttribute('data-element-id'), r: n.getBoundingClientRect() }))
        .filter((b) => b.r.width > 0);
      const out = [];
      boxes.forEach((a, i) => {
        for (const b of boxes.slice(i + 1)) {
          if (a.id === b.id) continue;
          if (a.r.left < b.r.right - 0.5 && b.r.left < a.r.right - 0.5 && a.r.top < b.r.bottom - 0.5 && b.r.top < a.r.bottom - 0.5) out.push(a.id + ' × ' + b.id);
        }
      });
      return out;
    })()`)) as string[];
    expect(overlaps).toEqual([]);
    await page.screenshot({ path: path.join(RESULTS, 'process-diagram-1366.png') });
  });
});
