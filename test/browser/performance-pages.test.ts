import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { freeze, consume, issueQuota } from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sealInDialog, sel, waitUntil } from '../support/browser';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 绩效自评 and 评价结果 in a real Chromium at 1366×768 against the real system: 王芳 (nm_clerk_yz)
 * files last year's self-evaluation of a funded project — an actual per indicator, an explanation
 * of the gap, an evidence file — and submits it; 周强 (nm_jxc, 绩效处) opens the result, approves
 * the review with his seal (enrolling in the dialog) and sees the grade the engine gave: 中.
 */
const PASSWORD = 'Budget@2026';
const PIN = '258036';
const field = (name: string) => `input${sel(name)}, ${sel(name)} input`;
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));

describe('绩效自评 and 评价结果 pages in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let call: ApiCall;
  const pages = new PageOpener({ width: 1366, height: 768 });
  let projectId = 0;
  let evaluationId = 0;

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    await seedReferenceData(db, { year: YEAR });
    await seedDemoUsers(db);
    call = apiAs(`${t.system.url}/api`, {
      nm_clerk_yz: await loginCookie(t.system.url, 'nm_clerk_yz', PASSWORD),
      nm_jxc: await loginCookie(t.system.url, 'nm_jxc', PASSWORD),
    });
    const r = await call('nm_clerk_yz', 'POST', '/projects', { ...demoApplication('绩效页面测试项目'), fiscalYear: YEAR });
    expect(r.status).toBe(201);
    projectId = Number(r.body.id);
    // Setup: last year's project, funded and partly paid, as allocation and payments leave it.
    const school = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    await db('projects')
      .where('id', projectId)
      .update({ fiscal_year: YEAR - 1, status: 'funded' });
    const q = await issueQuota(db, {
      fiscalYear: YEAR - 1,
      projectId,
      unitOrgId: school,
      functionalCode: '2050204',
      economicCode: '30213',
      fundSource: '一般公共预算',
      documentNo: '测指〔页面〕1号',
      amountFen: 100_000_00,
      actor: 'test',
      reason: '测试下达',
    });
    await freeze(db, { quotaId: q.quota.id, amountFen: 60_000_00, actor: 'test', reason: '测试支付申请' });
    await consume(db, { quotaId: q.quota.id, amountFen: 60_000_00, actor: 'test', reason: '测试支付' });
    const started = await call('nm_jxc', 'POST', '/performance/evaluations', { fiscalYear: YEAR - 1, projectIds: [projectId] });
    expect(started.status).toBe(201);
    evaluationId = started.body.started[0].id;
    await waitUntil(
      async () =>
        Boolean(await db('inbox_tasks').where({ business_id: projectId, element_id: 'SelfEvaluation', status: 'open' }).first('id')),
      'the self-evaluation task',
      60_000,
    );
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('the unit files its self-evaluation with evidence and submits it', async () => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/performance/self-evaluation', 'nm_clerk_yz', PASSWORD);
    await page.locator('.el-menu-item', { hasText: '绩效自评' }).waitFor();
    await page.locator('.el-menu-item', { hasText: '评价结果' }).waitFor();
    await page.locator(`${sel('self-evaluation-list')} tbody tr`, { hasText: '绩效页面测试项目' }).click();
    const form = page.locator(sel('self-evaluation-form'));
    await form.waitFor();
    await form.locator(sel('execution-rate')).filter({ hasText: '60.00%' }).waitFor();
    await page.locator(field('actual-0')).fill('900');
    await page.locator(field('gap-0')).fill('雨季停工两周');
    await page.locator(field('actual-1')).fill('400');
    const actualIds = (
      (await t!.system.db('performance_actuals').where('evaluation_id', evaluationId).orderBy('seq').select('id')) as Array<{ id: number }>
    ).map((a) => Number(a.id));
    await page
      .locator(sel(`evidence-${actualIds[0]}`))
      .setInputFiles({ name: '验收单.txt', mimeType: 'text/plain', buffer: Buffer.from('维修验收单：900 平方米') });
    await form.getByText('验收单.txt').waitFor();
    // The upload reloaded the evaluation: the typed values stay in the form until saved.
    expect(await page.locator(field('actual-0')).inputValue()).toBe('900');
    await page.screenshot({ path: path.join(RESULTS, 'performance-self-evaluation.png'), fullPage: true });
    await page.locator(sel('submit-self')).click();
    await page.locator(sel('self-readonly')).waitFor();
    const db = t!.system.db;
    expect(
      (await db('performance_actuals')
        .where('evaluation_id', evaluationId)
        .orderBy('seq')
        .select('self_value', 'gap_explanation')) as Array<Record<string, unknown>>,
    ).toEqual([
      { self_value: '900', gap_explanation: '雨季停工两周' },
      { self_value: '400', gap_explanation: null },
    ]);
    expect(await db('inbox_tasks').where({ business_id: projectId, element_id: 'SelfEvaluation' }).first('status')).toEqual({
      status: 'completed',
    });
  }, 180_000);

  test('绩效处 approves the review with a seal and sees the grade 中', async () => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/performance/results', 'nm_jxc', PASSWORD);
    await page.locator('.el-menu-item', { hasText: '评价结果' }).waitFor();
    await page.locator(`${sel('evaluation-list')} tbody tr`, { hasText: '绩效页面测试项目' }).click();
    await page.waitForURL(/\/performance\/results\/\d+$/);
    // The score step runs on the engine: reload until the review is this person's to do.
    await waitUntil(
      async () => {
        if (await page.locator(sel('submit-review')).count()) return true;
        await page.reload();
        await page.locator(sel('result-summary')).waitFor();
        return (await page.locator(sel('submit-review')).count()) > 0;
      },
      'the review step',
      60_000,
    );
    await page.locator(sel('submit-review')).click();
    expect(await sealInDialog(page, PIN)).toBe('enrol');
    // Wait for the sealing to finish (the dialog closes) before reloading, or the reload aborts it.
    await page.locator(`.el-dialog${sel('seal-dialog')}`).waitFor({ state: 'hidden', timeout: 60_000 });
    await waitUntil(
      async () => {
        await page.reload();
        await page.locator(sel('result-summary')).waitFor();
        return (await page.locator(sel('grade')).count()) > 0;
      },
      'the grade',
      120_000,
    ); // scoring and grading workers, under the whole suite's load
    await page.locator(sel('grade')).filter({ hasText: '中' }).waitFor();
    await page.locator(sel('final-score')).filter({ hasText: '73.51' }).waitFor();
    await page.locator(sel('download-report')).waitFor();
    await page.locator(`${sel('grade-history')} tbody tr`, { hasText: String(YEAR - 1) }).waitFor();
    const noScroll = (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) as boolean;
    expect(noScroll).toBe(true);
    await page.screenshot({ path: path.join(RESULTS, 'performance-result.png'), fullPage: true });
    const sealed = (await t!.system.db('audit_records').where({ project_id: projectId, sealed: true }).count({ n: '*' }))[0] as {
      n: number | string;
    };
    expect(Number(sealed.n)).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
