import { type Browser, type Page } from 'playwright-core';
import { DEMO_PASSWORD, seedDemoUsers } from '../../server/auth/demo-users';
import { SPA_CSP } from '../../server/api/security';
import type { Db } from '../../server/db';
import { seedDemoProjects } from '../../server/projects/demo';
import { seedReferenceData } from '../../server/reference';
import { startApi } from '../support/api';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, sel } from '../support/browser';
import { openFreshDatabase } from '../support/system';

/**
 * The built SPA under the Content-Security-Policy the server sends (server/api/security.ts), in
 * a real Chromium: every page the demo people use — login, 系统状态, 待办 and a task with its
 * BPMN diagram, 项目库, 我的申报, 指标账, 组织机构, 科目代码, 用户管理, 合规核验 — renders with no
 * CSP violation and no page error, and its writes (login, 签收 refused for want of an engine)
 * pass the CSRF check as the app's own. An inline script and inline style markup injected into
 * the page are blocked: the policy is enforced and the violation listener hears it. No engine is needed: the API runs
 * without one (a task's progress then comes from the platform's records).
 */
describe('the SPA under its Content-Security-Policy', () => {
  let browser: Browser | undefined;
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let taskId = 0;
  const pages = new PageOpener({ height: 900 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    await seedDemoProjects(db, 2026);
    api = await startApi(db, fresh.database);
    // A task in 李娜's inbox, as the inbox projection writes it (the engine is not running here).
    const project = (await db('projects').where({ name: '呼和浩特市第一中学教学楼维修改造项目' }).first('id', 'unit_org_id')) as {
      id: number;
      unit_org_id: number;
    };
    const dept = (await db('users').where({ username: 'nm_dept_jy' }).first('id')) as { id: number };
    const clerk = (await db('users').where({ username: 'nm_clerk_yz' }).first('id')) as { id: number };
    const now = new Date();
    await db('process_instances').insert({
      process_instance_key: 'csp-inst-1',
      process_id: 'project-intake',
      process_version: 1,
      business_type: 'project',
      business_id: project.id,
      status: 'active',
      started_by: clerk.id,
      started_at: now,
    });
    const [id] = await db('inbox_tasks').insert({
      engine_task_id: 'csp-task-1',
      process_instance_key: 'csp-inst-1',
      process_id: 'project-intake',
      element_id: 'DepartmentReview',
      element_instance_key: 'csp-el-1',
      name: '主管部门审核',
      form_key: 'intake-department-review',
      candidate_groups: JSON.stringify(['department_reviewer']),
      business_type: 'project',
      business_id: project.id,
      business_title: '呼和浩特市第一中学教学楼维修改造项目',
      unit_org_id: project.unit_org_id,
      assignee_user_id: null,
      status: 'open',
      created_at: now,
    });
    taskId = Number(id);
    await db('inbox_task_candidates').insert({ task_id: taskId, user_id: dept.id });
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await api?.close();
    await db?.destroy();
    await drop?.();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  /** A page that records every CSP violation, from the event and from Chromium's console. */
  async function watchedPage(): Promise<{ page: Page; violations: string[] }> {
    const page = await pages.open(browser!);
    const violations: string[] = [];
    // In-page code as text: this file is compiled for Node, without the DOM's types.
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
      (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI);
    });`);
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    return { page, violations };
  }
  const heard = async (page: Page, violations: string[]) => [...violations, ...((await page.evaluate('window.__csp || []')) as string[])];

  async function visit(page: Page, pathname: string, ready: string): Promise<void> {
    const res = await page.goto(`${api.base}${pathname}`);
    expect(res?.headers()['content-security-policy']).toBe(SPA_CSP);
    await page.locator(ready).first().waitFor();
    await page.waitForLoadState('networkidle');
  }

  test('the policy is enforced: an injected inline script does not run, and the listener hears it', async () => {
    const { page, violations } = await watchedPage();
    await visit(page, '/login', sel('login-username'));
    expect(await heard(page, violations)).toEqual([]);
    await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.appendChild(s);
    })()`);
    expect(await page.evaluate('window.__inlineRan === true')).toBe(false);
    expect((await heard(page, violations)).join('\n')).toMatch(/script-src/);
    // Inline style markup is refused as well (the SPA sets its styles through the CSSOM).
    await page.evaluate(`(() => {
      const box = document.createElement('div');
      box.innerHTML = '<span id="inline-styled" style="color: rgb(255, 0, 0)">x</span>';
      document.body.appendChild(box);
    })()`);
    expect(await page.evaluate(`getComputedStyle(document.getElementById('inline-styled')).color`)).not.toBe('rgb(255, 0, 0)');
    expect((await heard(page, violations)).join('\n')).toMatch(/style-src/);
  });

  /** What to open on the last page: dialogs, drop-downs (element-plus positions them with inline styles). */
  const OPEN: Record<string, (page: Page) => Promise<void>> = {
    nm_clerk_yz: async (page) => {
      await page.locator(sel('application-create')).click();
      await page.locator('.el-dialog').first().waitFor();
    },
    nm_ysk: async (page) => {
      await visit(page, '/quotas', sel('quotas-page'));
      await page.locator(sel('issue-quota')).click();
      await page.locator(sel('issue-dialog')).first().waitFor();
    },
    nm_sysadmin: async (page) => {
      await page.locator(sel('user-search-role')).click();
      await page.locator('.el-select-dropdown__item:visible').first().waitFor();
      await page.keyboard.press('Escape');
      await page.locator(sel('user-create')).click();
      await page.locator('.el-dialog').first().waitFor();
    },
  };

  test.each([
    ['nm_dept_jy', ['/tasks', '/projects', '/health']],
    ['nm_clerk_yz', ['/my-applications']],
    ['nm_ysk', ['/quotas', '/organisations', '/codes']],
    ['nm_sysadmin', ['/users']],
    ['nm_compliance', ['/compliance']],
  ] as const)('%s: every page renders with no CSP violation, dialogs and drop-downs too', async (username, paths) => {
    const { page, violations } = await watchedPage();
    await logInThroughPage(page, api.base, paths[0], username, DEMO_PASSWORD);
    await page.waitForLoadState('networkidle');
    for (const p of paths.slice(1)) await visit(page, p, 'main, .el-main, #app > *');
    await OPEN[username]?.(page);
    await page.waitForTimeout(300); // transitions
    expect(await heard(page, violations)).toEqual([]);
  });

  test('the task page with its BPMN diagram renders with no CSP violation; 签收 passes the CSRF check', async () => {
    const { page, violations } = await watchedPage();
    await logInThroughPage(page, api.base, `/tasks/${taskId}`, 'nm_dept_jy', DEMO_PASSWORD);
    await page
      .locator(`${sel('process-diagram')} svg`)
      .first()
      .waitFor();
    await page.locator(sel('task-step')).waitFor();
    await page.waitForLoadState('networkidle');
    const claim = page.waitForResponse((r) => r.url().endsWith(`/api/tasks/${taskId}/claim`));
    await page.locator(sel('task-claim')).click();
    const answer = await claim;
    // The engine is away: the claim is put back (503), but it was not refused as cross-site.
    expect(answer.status()).toBe(503);
    expect(await answer.json()).toMatchObject({ error: { code: 'ENGINE_UNAVAILABLE' } });
    expect(await heard(page, violations)).toEqual([]);
  });
});
