import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { type Browser } from 'playwright-core';
import { executionLevel, executionRate, quarterOf, timeProgress } from '../../domain/execution';
import { shanghaiDate } from '../../domain/time';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { consume, freeze, issueQuota } from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel, waitUntil } from '../support/browser';
import { apiAs, demoApplication } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 绩效监控 and 执行监控 in a real Chromium at 1366×768 against the real system: 周强 (绩效处) starts
 * the current quarter from the page; 王芳 (第一中学) files the quarterly report of her funded
 * project, marking a target at risk; 周强 sees the deviation in his list, with its reasons, and asks
 * for 整改 with a due date; 刘洋 (预算科) sees the project on 执行监控 with its gap coloured by level.
 */
jest.setTimeout(180_000);

const PASSWORD = 'Budget@2026';
const field = (name: string) => `input${sel(name)}, ${sel(name)} input, textarea${sel(name)}, ${sel(name)} textarea`;
const YUAN = 100;
const COLOURS: Record<string, string> = {
  none: 'rgb(46, 125, 50)',
  notice: 'rgb(184, 134, 11)',
  warning: 'rgb(230, 81, 0)',
  severe: 'rgb(198, 40, 40)',
};

describe('绩效监控 and 执行监控 pages in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768, acceptDownloads: true });
  const { fiscalYear, quarter } = quarterOf(new Date());
  const NAME = '页面监控测试项目';
  let projectId = 0;

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const call = apiAs(`${t.system.url}/api`, { nm_clerk_yz: await loginCookie(t.system.url, 'nm_clerk_yz', PASSWORD) });
    const r = await call('nm_clerk_yz', 'POST', '/projects', demoApplication(NAME, NAME));
    expect(r.status).toBe(201);
    projectId = Number(r.body.id);
    // Setup: funded as the allocation leaves it, 20 % paid.
    await db('projects').where('id', projectId).update({ status: 'funded' });
    const unitOrgId = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const meta = { actor: 'test', reason: '测试' };
    const q = (
      await issueQuota(db, {
        fiscalYear,
        projectId,
        unitOrgId,
        functionalCode: '2050204',
        economicCode: '30213',
        fundSource: '一般公共预算',
        documentNo: '测试〔2026〕2号',
        amountFen: 100_000 * YUAN,
        ...meta,
      })
    ).quota.id;
    await freeze(db, { quotaId: q, amountFen: 25_000 * YUAN, ...meta });
    await consume(db, { quotaId: q, amountFen: 20_000 * YUAN, ...meta });
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('绩效处 starts the quarter, the unit files its report, 绩效处 sees the deviation and asks for 整改', async () => {
    const db = t!.system.db;
    const jxc = await pages.open(browser!);
    await logInThroughPage(jxc, t!.system.url, '/monitoring', 'nm_jxc', PASSWORD);
    await jxc.locator('.el-menu-item', { hasText: '绩效监控' }).waitFor();
    await jxc.locator(sel('start-quarter')).click();
    await jxc.locator('.el-message--success').waitFor();
    await waitUntil(
      async () =>
        Boolean(
          (
            (await db('monitoring_reports').where({ project_id: projectId }).first('process_instance_key')) as
              { process_instance_key: string | null } | undefined
          )?.process_instance_key,
        ),
      'the report and its instance',
    );

    const clerk = await pages.open(browser!);
    await logInThroughPage(clerk, t!.system.url, '/monitoring', 'nm_clerk_yz', PASSWORD);
    const row = clerk.locator(`${sel('report-list')} tbody tr`, { hasText: NAME });
    await row.waitFor();
    await row.locator(sel('report-status'), { hasText: '待填报' }).waitFor();
    await row.click();
    const drawer = clerk.locator(sel('report-drawer'));
    await drawer.locator(sel('report-targets')).waitFor();
    const targets = (await db('project_targets').where('project_id', projectId).orderBy('seq').select('id')) as Array<{ id: number }>;
    await drawer.locator(field(`actual-${targets[0]!.id}`)).fill('200');
    await drawer.locator(field(`note-${targets[0]!.id}`)).fill('雨季停工，维修面积恐难完成');
    await drawer.locator(sel(`risk-${targets[0]!.id}`)).click();
    await drawer.locator(field(`actual-${targets[1]!.id}`)).fill('800');
    // Without the note the server names the field; nothing is filed.
    await clerk.locator(sel('submit-report')).click();
    await drawer.locator(sel('report-error')).waitFor();
    expect(((await db('monitoring_reports').where({ project_id: projectId }).first('status')) as { status: string }).status).toBe(
      'pending',
    );
    await drawer.locator(field('progress-note')).fill('维修工程完成两成，受天气影响滞后');
    await clerk.locator(sel('submit-report')).click();
    await clerk.locator('.el-message--success', { hasText: '已填报' }).waitFor();
    await waitUntil(
      async () =>
        ((await db('monitoring_reports').where({ project_id: projectId }).first('status')) as { status: string }).status === 'warned',
      'the assessment',
    );
    await clerk.screenshot({ path: path.join(RESULTS, 'monitoring-unit-report.png') });

    await jxc.reload();
    const warned = jxc.locator(`${sel('report-list')} tbody tr`, { hasText: NAME });
    await warned.locator(sel('deviation-level')).waitFor();
    await warned.locator(sel('report-status'), { hasText: '偏差待处理' }).waitFor();
    await warned.click();
    const review = jxc.locator(sel('report-drawer'));
    await review.locator(sel('deviation-reason'), { hasText: '绩效目标实现有风险：维修面积' }).waitFor();
    const due = shanghaiDate(new Date(Date.now() + 7 * 86_400_000));
    await review.locator(field('due-date')).fill(due);
    await review.locator(field('review-comment')).fill('请于期限内说明维修面积目标的补救措施，并加快支付');
    await jxc.locator(sel('submit-review')).click();
    await jxc.locator('.el-message--success', { hasText: '已要求单位限期整改' }).waitFor();
    await review.locator(sel('rectification-request')).waitFor();
    const stored = (await db('monitoring_reports').where({ project_id: projectId }).first('status', 'rectification_due')) as {
      status: string;
      rectification_due: string;
    };
    expect(stored).toEqual({ status: 'rectifying', rectification_due: due });
    await jxc.screenshot({ path: path.join(RESULTS, 'monitoring-deviation.png') });

    // 导出 Excel of the deviation list (只看偏差 is on for 绩效处): the listed report, its due date.
    // The drawer covers the list's toolbar: closed first, as a person would.
    await review.locator('button', { hasText: '关闭' }).click();
    await review.waitFor({ state: 'hidden' });
    const [download] = await Promise.all([jxc.waitForEvent('download'), jxc.locator(sel('export-reports')).click()]);
    expect(download.suggestedFilename()).toMatch(/^绩效监控偏差清单-\d{8}\.xlsx$/);
    const file = path.join(RESULTS, 'monitoring-deviations.xlsx');
    await download.saveAs(file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('偏差清单');
    expect(sheet.rowCount).toBe(2);
    expect(sheet.getCell('D1').value).toBe('项目名称');
    expect(sheet.getCell('D2').value).toBe(NAME);
    expect(sheet.getCell('Q2').value).toBe(due);
  });

  test('执行监控 shows budget, frozen and paid from the ledger, and the gap coloured by its level', async () => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/execution', 'nm_ysk', PASSWORD);
    await page.locator('.el-menu-item', { hasText: '执行监控' }).waitFor();
    const row = page.locator(`${sel('execution-projects')} tbody tr`, { hasText: NAME });
    await row.waitFor();
    await row.getByText('¥100,000.00').waitFor();
    await row.getByText('¥5,000.00').waitFor();
    await row.getByText('¥20,000.00').waitFor();
    const level = executionLevel(timeProgress(fiscalYear, shanghaiDate(new Date())), executionRate(20_000 * YUAN, 100_000 * YUAN));
    const gap = row.locator(sel('gap'));
    expect(await gap.getAttribute('data-level')).toBe(level);
    expect(await gap.evaluate((el) => el.ownerDocument.defaultView!.getComputedStyle(el).color)).toBe(COLOURS[level]);
    // 1366 wide beside the menu: no horizontal scroll in the table.
    const wrapper = page.locator(`${sel('execution-projects')} .el-scrollbar__wrap`).first();
    expect(await wrapper.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
    await page.locator('.el-tabs__item', { hasText: '按单位' }).click();
    await page.locator(`${sel('execution-units')} tbody tr`, { hasText: '呼和浩特市第一中学' }).waitFor();
    await page.screenshot({ path: path.join(RESULTS, 'execution-monitoring.png') });
    void quarter;
  });
});
