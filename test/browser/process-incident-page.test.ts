import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { seedDemoUsers, DEMO_PASSWORD } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { seedReferenceData } from '../../server/reference';
import { allWorkers, platformWorkers } from '../../workers';
import { projectSmartCheck } from '../../workers/project-smart-check';
import { loginCookie } from '../support/accounts';
import { apiRequest, buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * A step that failed in the engine, as the applicant sees it: the system runs without the SMART
 * check's worker and the test plays a worker that fails for good (retries 0), so the engine raises
 * an incident. 王芳's 审核进度 marks 绩效目标 SMART 检查 red and lists it as 出错 with the engine's
 * message. Screenshot at 1366×768 to .ci/results/.
 */
const CLERK = 'nm_clerk_yz';
const NAME = '第一中学引擎出错展示项目';

describe('a failed step in the browser', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem({}, { workers: platformWorkers(allWorkers.filter((w) => w !== projectSmartCheck)) });
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    fs.mkdirSync(RESULTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test("given a SMART check that failed for good, when 王芳 opens 审核进度, then the element is red and the step says 出错 with the engine's message", async () => {
    const cookie = await loginCookie(t!.system.url, CLERK, DEMO_PASSWORD);
    const created = await apiRequest(t!.system.url, cookie, 'POST', '/api/projects', {
      fiscalYear: 2026,
      name: NAME,
      category: '33',
      functionalCode: '2050204',
      description: '详见可行性研究报告',
      amounts: [{ economicCode: '30213', amountFen: 100_000_00 }],
      targets: [
        { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1000', unit: '平方米' },
        { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
      ],
    });
    expect(created.status).toBe(201);
    expect(
      (await apiRequest(t!.system.url, cookie, 'POST', `/api/projects/${created.json.id}/submit`, { version: created.json.version }))
        .status,
    ).toBe(200);
    const engine = t!.system.engine;
    const topic = namespaced(t!.config.engine.namespace, 'project.smart-check');
    let locked: Array<{ id: string }> = [];
    for (let i = 0; i < 50 && locked.length === 0; i++) {
      locked = await engine.fetchAndLock({
        workerId: 'incident-page-test',
        maxTasks: 1,
        topics: [{ topicName: topic, lockDuration: 60_000 }],
      });
      if (!locked.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(locked).toHaveLength(1);
    await engine.externalTaskFailure(locked[0]!.id, 'incident-page-test', {
      errorMessage: 'SMART 检查服务不可用',
      retries: 0,
      retryTimeout: 0,
    });

    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/my-applications', CLERK, DEMO_PASSWORD);
    const row = page.locator(`${sel('application-table')} .el-table__body-wrapper tbody tr`, { hasText: NAME });
    await row.locator(sel('application-open')).click();
    const drawer = page.locator(sel('project-drawer'));
    await drawer.locator(`${sel('process-diagram')} [data-element-id="SmartCheck"].failed`).waitFor();
    expect(await drawer.locator(`${sel('process-diagram')} [data-element-id="SmartCheck"].active`).count()).toBe(0);
    expect(await drawer.locator(`${sel('process-diagram')} [data-element-id="Submitted"].done`).count()).toBe(1);
    const stroke = await drawer
      .locator(`${sel('process-diagram')} [data-element-id="SmartCheck"] .djs-visual > :nth-child(1)`)
      .first()
      .evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { stroke: string } }).getComputedStyle(el).stroke);
    expect(stroke).toBe('rgb(217, 58, 58)');
    const failedRow = drawer.locator(`${sel('process-steps')} tr.process-step--failed`);
    await failedRow.waitFor();
    expect(await failedRow.locator(sel('step-name')).innerText()).toBe('绩效目标 SMART 检查');
    expect(await failedRow.locator(sel('step-status')).innerText()).toBe('出错');
    expect(await failedRow.locator(sel('step-actor')).innerText()).toBe('系统自动');
    expect(await failedRow.locator(sel('step-incident')).innerText()).toBe('SMART 检查服务不可用');
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(RESULTS, 'process-incident-1366.png') });
  });
});
