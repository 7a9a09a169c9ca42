import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { sm3Hex } from '../../domain/digest';
import { DEMO_PASSWORD } from '../../server/auth/demo-users';
import { loginCookie } from '../support/accounts';
import {
  apiRequest,
  buildWebIfStale,
  countRequests,
  launchChromium,
  logInThroughPage,
  PageOpener,
  RESULTS,
  sel,
  waitUntil,
} from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';
import { changeStatus } from '../../server/projects/service';
import { formatShanghaiDateTime } from '../../web/src/utils/datetime';
import { shortDigest } from '../../web/src/utils/digest';

/**
 * 项目库 pages in a real Chromium, served by the real system (API + built SPA) on a fresh database
 * loaded with the demo data (organisations, this year's code tables, demo accounts): 王芳
 * (nm_clerk_yz, 呼和浩特市第一中学) files a project through the dialog, is refused a three-decimal
 * amount at the field, sees the exact total in the list, uploads an attachment and sees its SM3,
 * edits against a concurrent change (409 → 重新载入) and voids a project with a reason; a
 * near-identical second application carries the 疑似重复 tag; 刘洋 (nm_ysk, the city's budget
 * section) sees both once the first is submitted (drafts are the unit's own), the similar projects and the timeline. Screenshots go to .ci/results/.
 */

/** The fiscal year the pages default to and the demo data is loaded for: the current year in Asia/Shanghai. */
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));
const CLERK = 'nm_clerk_yz';
const CITY = 'nm_ysk';
const NAME = `${YEAR}年第一中学实验楼水电改造项目`;
const TWIN = `${YEAR}年第一中学实验楼水电改造工程`;
const DESCRIPTION = '实验楼水电线路改造，更换老化线路和给排水管道，消除安全隐患，保障实验教学正常开展。';

describe('项目库 pages in a browser, against the real system with the demo data', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const cookies: Record<string, string> = {};
  const pages = new PageOpener({ height: 900 });
  /** The project the clerk files through the dialog (set by the first test). */
  let first: { id: number; projectNo: string } | undefined;
  let twin: { id: number; projectNo: string } | undefined;
  let demoProjects = 0;
  let demoFlagged = 0;

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem({ demoData: true });
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    for (const u of [CLERK, CITY]) cookies[u] = await loginCookie(t.system.url, u, DEMO_PASSWORD);
    // The demo data already holds applications (one near-identical pair among them): counts below are on top of these.
    demoProjects = Number(((await t.system.db('projects').count({ n: '*' }).first()) as { n: number | string }).n);
    demoFlagged = (await api(CLERK, 'GET', '/api/projects?duplicates=true')).json.total as number;
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  const api = (user: string, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
    apiRequest(t!.system.url, cookies[user]!, method, url, body);
  const openPage = () => pages.open(browser!);
  const logInAt = (page: Page, pathname: string, username: string) =>
    logInThroughPage(page, t!.system.url, pathname, username, DEMO_PASSWORD);

  async function pickCascader(page: Page, scope: Locator, popperClass: string, labels: string[]): Promise<void> {
    await scope.locator(sel('functional-code-picker')).click();
    for (const label of labels) await page.locator(`.${popperClass}:visible .el-cascader-node`, { hasText: label }).click();
    await page.locator(`.${popperClass}:visible`).waitFor({ state: 'hidden' });
  }

  async function pickOption(page: Page, trigger: Locator, label: string): Promise<void> {
    await trigger.click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: label }).first().click();
  }

  const rowOf = (page: Page, text: string) => page.locator(`${sel('project-table')} .el-table__body-wrapper tbody tr`, { hasText: text });
  const projectRow = (projectNo: string) => t!.system.db('projects').where({ project_no: projectNo }).first();

  test('given the clerk 王芳, when she files a project through the dialog with two amount lines and two targets, then the list shows it with the exact total; 1.234 is refused at the field and a double click saves once', async () => {
    const page = await openPage();
    await logInAt(page, '/projects', CLERK);
    expect(await page.locator(`${sel('main-menu')} ${sel('menu-projects')}`).count()).toBe(1);
    expect(await page.locator(sel('menu-upcoming-projects')).count()).toBe(0);
    await page.locator(sel('project-table')).waitFor();

    await page.locator(sel('project-create')).click();
    const dialog = page.locator(sel('project-dialog'));
    await dialog.waitFor();
    expect(await page.locator(sel('project-unit')).inputValue()).toBe('呼和浩特市第一中学');
    await page.locator(sel('project-name')).fill(NAME);
    await pickOption(page, page.locator(sel('project-category')), '33 其他特定目标类项目');
    await page.locator(sel('project-sub-type')).waitFor(); // 特定目标类: the local scenarios are offered
    await pickCascader(page, dialog, 'code-cascader__popper--functional', ['205 教育支出', '20502 普通教育', '2050204 高中教育']);
    await page.locator(sel('project-description')).fill(DESCRIPTION);
    await page.locator(sel('project-basis')).fill('《呼和浩特市中小学校舍安全保障长效机制实施方案》');

    // Two amount lines: the economic 款 typed into a searchable select, amounts in yuan.
    const economic = dialog.locator(sel('amount-economic'));
    const amount = dialog.locator(sel('amount-value'));
    await economic.nth(0).click();
    await page.keyboard.type('维修');
    await page.locator('.economic-select__popper .el-select-dropdown__item:visible', { hasText: '30213 维修（护）费' }).click();
    await amount.nth(0).fill('1,250,000');
    await page.locator(sel('amount-add')).click();
    await economic.nth(1).click();
    await page.keyboard.type('办公');
    await page.locator('.economic-select__popper .el-select-dropdown__item:visible', { hasText: '30201 办公费' }).click();
    await amount.nth(1).fill('3000.5');
    await dialog.locator(sel('amount-note')).nth(1).fill('资料印制');
    await waitUntil(async () => (await page.locator(sel('amounts-total')).innerText()) === '¥1,253,000.50', 'the live total ¥1,253,000.50');

    // Two targets, pre-set to 产出/数量 and 效益/社会效益: the SMART hint turns green once both are quantified.
    expect(await page.locator(sel('smart-hint')).innerText()).toContain('SMART 检查未通过');
    const targets = dialog.locator(`${sel('targets-table')} .el-table__body-wrapper tbody tr`);
    expect(await targets.count()).toBe(2);
    for (const [i, [name, value, unit]] of [
      ['维修校舍面积', '3200', '平方米'],
      ['受益学生人数', '1800', '人'],
    ].entries()) {
      await targets.nth(i).locator(sel('target-name')).fill(name!);
      await targets.nth(i).locator(sel('target-value')).fill(value!);
      await targets.nth(i).locator(sel('target-unit')).fill(unit!);
    }
    await waitUntil(async () => (await page.locator(sel('smart-hint')).innerText()).includes('SMART 检查通过'), 'the SMART hint to pass');

    // 1.234 yuan is not a whole number of fen: refused at the field, before any request.
    const posts = countRequests(page, 'POST', /^\/api\/projects$/);
    await amount.nth(1).fill('1.234');
    await waitUntil(
      async () => (await page.locator(sel('amounts-total')).innerText()) === '¥1,250,000.00',
      'the total without the bad line',
    );
    await page.locator(sel('project-submit')).click();
    await dialog.locator('.el-form-item__error', { hasText: '最多两位小数' }).waitFor();
    expect(posts.count).toBe(0);
    await amount.nth(1).fill('3000.50');
    await amount.nth(1).blur();
    await dialog.locator('.el-form-item__error', { hasText: '最多两位小数' }).waitFor({ state: 'detached' });
    await page.screenshot({ path: path.join(RESULTS, 'projects-form.png') });

    // The server's field errors land on the field: a request altered on its way (an economic code
    // the year does not have) is refused with UNKNOWN_CODE at amounts.0.economicCode, nothing written.
    await page.route('**/api/projects', async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { amounts: Array<{ economicCode: string }> };
      body.amounts[0]!.economicCode = '39999';
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.locator(sel('project-submit')).click();
    await page.locator(sel('project-form-error')).waitFor();
    expect(await page.locator(sel('project-form-error')).innerText()).toContain('科目代码不存在或级次不对');
    const rowError = dialog
      .locator(`${sel('amounts-table')} .el-table__body-wrapper tbody tr`)
      .nth(0)
      .locator('.el-form-item__error');
    expect(await rowError.innerText()).toContain(`${YEAR} 年度没有部门预算经济分类「款」39999`);
    await page.unroute('**/api/projects');
    expect(posts.count).toBe(1);
    const [none] = await t!.system.db('projects').count({ n: '*' });
    expect(Number(none?.n)).toBe(demoProjects);

    // A quick double click on 保存 creates one project: the button is disabled while it runs.
    await page.route('**/api/projects', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
    await page.locator(sel('project-submit')).dblclick();
    expect(await page.locator(sel('project-submit')).isDisabled()).toBe(true);
    await dialog.waitFor({ state: 'hidden' });
    await page.unroute('**/api/projects');
    expect(posts.count).toBe(2);

    const stored = (await t!.system.db('projects').where({ name: NAME })) as Array<{
      id: number;
      project_no: string;
      total_amount_fen: number | string;
      category: string;
      functional_code: string;
      status: string;
    }>;
    expect(stored).toHaveLength(1);
    expect({ ...stored[0]!, total_amount_fen: Number(stored[0]!.total_amount_fen) }).toMatchObject({
      total_amount_fen: 125_300_050,
      category: '33',
      functional_code: '2050204',
      status: 'draft',
    });
    const lines = await t!.system
      .db('project_amounts')
      .where({ project_id: stored[0]!.id })
      .orderBy('id')
      .select('economic_code', 'amount_fen', 'note');
    expect(lines.map((l) => [l.economic_code, Number(l.amount_fen), l.note])).toEqual([
      ['30213', 125_000_000, null],
      ['30201', 300_050, '资料印制'],
    ]);
    const storedTargets = await t!.system
      .db('project_targets')
      .where({ project_id: stored[0]!.id })
      .orderBy('seq')
      .select('level1', 'level2', 'name', 'direction', 'target_value', 'unit');
    expect(storedTargets).toEqual([
      { level1: '产出指标', level2: '数量指标', name: '维修校舍面积', direction: '>=', target_value: '3200', unit: '平方米' },
      { level1: '效益指标', level2: '社会效益指标', name: '受益学生人数', direction: '>=', target_value: '1800', unit: '人' },
    ]);
    first = { id: Number(stored[0]!.id), projectNo: stored[0]!.project_no };

    const row = rowOf(page, first.projectNo);
    await row.waitFor();
    expect((await row.locator(sel('project-amount')).innerText()).trim()).toBe('¥1,253,000.50');
    expect((await row.locator(sel('project-status')).innerText()).trim()).toBe('草稿');
    expect(await row.innerText()).toContain('其他特定目标类项目');
    expect(await row.locator(sel('project-duplicate-tag')).count()).toBe(0);
    const summary = (await api(CLERK, 'GET', `/api/projects/${first.id}`)).json;
    expect((await row.locator(sel('project-updated')).innerText()).replace(/\s+/g, ' ')).toBe(formatShanghaiDateTime(summary.updatedAt));
  });

  test('given a second near-identical application, then both rows carry the 疑似重复 tag and 只看疑似重复 finds them; an attachment uploaded in 查看 shows its SM3', async () => {
    const created = await api(CLERK, 'POST', '/api/projects', {
      fiscalYear: YEAR,
      name: TWIN,
      category: '33',
      functionalCode: '2050204',
      description: DESCRIPTION,
      amounts: [{ economicCode: '30213', amountFen: 1_200_000_00 }],
      targets: [],
    });
    expect(created.status).toBe(201);
    twin = { id: created.json.id, projectNo: created.json.projectNo };

    const page = await openPage();
    await logInAt(page, '/projects', CLERK);
    for (const projectNo of [first!.projectNo, twin.projectNo]) {
      const tag = rowOf(page, projectNo).locator(sel('project-duplicate-tag'));
      await tag.waitFor();
      expect((await tag.innerText()).replace(/\s+/g, ' ').trim()).toBe('疑似重复 1');
    }
    await page.locator(sel('project-search-duplicates')).click();
    const listed = page.waitForResponse((r) => r.url().includes('/api/projects?') && r.url().includes('duplicates=true'));
    await page.locator(sel('project-search-submit')).click();
    expect((await listed).status()).toBe(200);
    await waitUntil(
      async () => (await page.locator(`${sel('project-pagination')}`).innerText()).includes(`共 ${demoFlagged + 2} 条`),
      'the two new flagged projects besides the demo pair',
    );
    await page
      .locator('.el-message')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
    await page.screenshot({ path: path.join(RESULTS, 'projects-list.png') });

    // 查看 → 附件: the raw file goes up with its name in X-File-Name; the SM3 is shown short, in full on hover.
    await rowOf(page, first!.projectNo).locator(sel('project-view')).click();
    const drawer = page.locator(sel('project-drawer'));
    await drawer.locator(sel('detail-basic')).waitFor();
    const bytes = Buffer.from('%PDF-1.4\n可行性研究报告（示例）\n', 'utf8');
    const digest = sm3Hex(bytes);
    await drawer
      .locator(`${sel('attachment-upload')} input[type=file]`)
      .setInputFiles({ name: '可行性研究报告.pdf', mimeType: 'application/pdf', buffer: bytes });
    const sm3 = drawer.locator(sel('attachment-sm3'));
    await sm3.waitFor();
    expect(await sm3.innerText()).toBe(shortDigest(digest));
    await sm3.hover();
    await page.locator('.sm3-tooltip', { hasText: digest }).waitFor();
    expect(await drawer.locator(sel('attachment-download')).innerText()).toBe('可行性研究报告.pdf');
    const att = await t!.system
      .db('project_attachments')
      .where({ project_id: first!.id })
      .first('file_name', 'content_type', 'sm3', 'uploaded_by');
    expect(att).toEqual({ file_name: '可行性研究报告.pdf', content_type: 'application/pdf', sm3: digest, uploaded_by: CLERK });
    // The link downloads the same bytes (the server re-checks the digest).
    const href = await drawer.locator(sel('attachment-download')).getAttribute('href');
    const down = await fetch(`${t!.system.url}${href}`, { headers: { cookie: cookies[CLERK]! } });
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);
    await drawer.locator(sel('project-timeline')).getByText('上传附件').waitFor();
  });

  test('given a concurrent change, when the clerk saves her edit, then 409 says so and 重新载入 shows the latest; 作废 needs a reason and lands on the timeline', async () => {
    const page = await openPage();
    await logInAt(page, '/projects', CLERK);
    const row = rowOf(page, first!.projectNo);
    await row.locator(sel('project-edit')).click();
    const dialog = page.locator(sel('project-dialog'));
    await dialog.waitFor();
    await waitUntil(async () => (await page.locator(sel('project-name')).inputValue()) === NAME, 'the form filled with the project');
    expect(await dialog.locator(sel('amount-value')).nth(1).inputValue()).toBe('3,000.50');

    // Someone else saves first (the same clerk in another window).
    const current = (await api(CLERK, 'GET', `/api/projects/${first!.id}`)).json;
    const {
      id: _i,
      projectNo: _n,
      fiscalYear: _y,
      unitOrgId: _u,
      unitName: _un,
      categoryLabel: _c,
      subTypeLabel: _s,
      totalAmountFen: _t,
      status: _st,
      statusLabel: _sl,
      returnedFrom: _rf,
      duplicateCount: _d,
      createdAt: _ca,
      updatedAt: _ua,
      functionalName: _f,
      attachments: _a,
      duplicates: _du,
      smartProblems: _sp,
      expertReview: _er,
      can: _can,
      amounts,
      ...fields
    } = current;
    const other = await api(CLERK, 'PUT', `/api/projects/${first!.id}`, {
      ...fields,
      amounts: amounts.map((a: { economicCode: string; amountFen: number; note: string | null }) => ({
        economicCode: a.economicCode,
        amountFen: a.amountFen,
        ...(a.note ? { note: a.note } : {}),
      })),
      basis: '另一窗口改的依据',
    });
    expect(other.status).toBe(200);

    await page.locator(sel('project-basis')).fill('本窗口改的依据');
    await page.locator(sel('project-submit')).click();
    const error = page.locator(sel('project-form-error'));
    await error.waitFor();
    expect(await error.innerText()).toContain('项目已被他人修改');
    expect((await projectRow(first!.projectNo)).basis).toBe('另一窗口改的依据');
    await page.locator(sel('project-form-reload')).click();
    await waitUntil(async () => (await page.locator(sel('project-basis')).inputValue()) === '另一窗口改的依据', 'the reloaded basis');
    expect(await error.count()).toBe(0);
    await page.locator(sel('project-basis')).fill('本窗口改的依据');
    await page.locator(sel('project-submit')).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await projectRow(first!.projectNo)).basis).toBe('本窗口改的依据');

    // 作废 the twin: an empty reason is refused in the prompt; with a reason it is voided.
    const twinRow = rowOf(page, twin!.projectNo);
    await twinRow.locator(sel('project-void')).click();
    const prompt = page.locator('.void-prompt');
    await prompt.waitFor();
    await prompt.locator('.el-button--danger').click();
    await prompt.locator('.el-message-box__errormsg', { hasText: '请填写作废原因' }).waitFor();
    expect((await projectRow(twin!.projectNo)).status).toBe('draft');
    await prompt.locator('textarea').fill('与第一中学实验楼改造项目重复，撤销申报');
    await prompt.locator('.el-button--danger').click();
    await prompt.waitFor({ state: 'hidden' });
    await waitUntil(async () => (await twinRow.locator(sel('project-status')).innerText()).trim() === '已作废', 'the twin to show 已作废');
    expect(await twinRow.locator(sel('project-edit')).count()).toBe(0);
    expect(await twinRow.locator(sel('project-void')).count()).toBe(0);
    expect((await projectRow(twin!.projectNo)).status).toBe('void');
  });

  test('given the city budget section 刘洋, then both projects are listed without 新建项目 once submitted (a draft is the unit’s own); 查看 shows the similar project and the timeline in Beijing time', async () => {
    // 送审 as the intake process records it (the process itself is the intake tests' business).
    await changeStatus(t!.system.db, { userId: null, username: 'system', displayName: '系统自动' }, first!.id, 'submitted');
    const page = await openPage();
    await logInAt(page, '/projects', CITY);
    await rowOf(page, first!.projectNo).waitFor();
    await rowOf(page, twin!.projectNo).waitFor();
    expect(await page.locator(sel('project-create')).count()).toBe(0);
    expect(await rowOf(page, first!.projectNo).locator(sel('project-edit')).count()).toBe(0);
    expect(await rowOf(page, first!.projectNo).innerText()).toContain('呼和浩特市第一中学');

    await rowOf(page, twin!.projectNo).locator(sel('project-view')).click();
    const drawer = page.locator(sel('project-drawer'));
    await drawer.locator(sel('detail-basic')).waitFor();
    expect(await drawer.locator(sel('detail-status')).innerText()).toBe('已作废');
    const dup = drawer.locator(`${sel('duplicates-table')} .el-table__body-wrapper tbody tr`);
    await waitUntil(async () => (await dup.count()) === 1, 'one similar project');
    const dupText = await dup.innerText();
    expect(dupText).toContain(first!.projectNo);
    expect(dupText).toContain(NAME);
    expect(dupText).toContain('已送审');
    expect(dupText).toContain('名称相近');
    expect(dupText).toMatch(/\d+\.\d%/);
    expect(await drawer.locator(sel('attachment-upload')).count()).toBe(0);

    const events = (await api(CITY, 'GET', `/api/projects/${twin!.id}/events`)).json.items as Array<{ kind: string; createdAt: string }>;
    expect(events.map((e) => e.kind)).toEqual(['created', 'duplicate_flagged', 'voided']);
    const items = drawer.locator(sel('timeline-item'));
    await waitUntil(async () => (await items.count()) === 3, 'three timeline entries');
    const texts = await items.allInnerTexts();
    expect(texts[0]).toContain('创建');
    expect(texts[0]).toContain('王芳');
    expect(texts[0]).toContain(formatShanghaiDateTime(events[0]!.createdAt));
    expect(texts[1]).toContain('疑似重复');
    expect(texts[2]).toContain('作废');
    expect(texts[2]).toContain('草稿 → 已作废');
    expect(texts[2]).toContain('与第一中学实验楼改造项目重复，撤销申报');

    // The similar project opens in the same drawer: its timeline has the upload and the edits.
    await dup.locator(sel('duplicate-open')).click();
    await waitUntil(
      async () => (await drawer.locator(sel('detail-basic')).innerText()).includes(first!.projectNo),
      'the first project in the drawer',
    );
    await waitUntil(async () => (await items.allInnerTexts()).join('\n').includes('修改了 立项依据'), 'the edits on the timeline');
    const firstTexts = (await items.allInnerTexts()).join('\n');
    expect(firstTexts).toContain('上传附件');
    expect(firstTexts).toContain('「可行性研究报告.pdf」');
    expect(firstTexts).toContain('修改了 立项依据');
    expect(await drawer.locator(sel('detail-smart')).innerText()).toBe('SMART 检查通过');
    expect(await drawer.locator(sel('detail-total')).innerText()).toBe('¥1,253,000.50');
    await new Promise((r) => setTimeout(r, 400));
    await page.screenshot({ path: path.join(RESULTS, 'projects-detail.png') });
  });

  test('导入项目: a file that is not .xlsx is refused before any upload; a workbook without the template sheets is refused inside the dialog with one row per problem, and nothing is imported', async () => {
    const page = await openPage();
    await logInAt(page, '/projects', CLERK);
    await page.locator(sel('project-table')).waitFor();
    const before = Number(((await t!.system.db('projects').count({ n: '*' }).first()) as { n: number | string }).n);
    const uploads = countRequests(page, 'POST', /^\/api\/projects\/import$/);

    await page.locator(sel('project-import')).click();
    const dialog = page.locator(`.el-dialog${sel('project-import-dialog')}`);
    await dialog.waitFor();
    expect(await dialog.locator(sel('project-import-submit')).isDisabled()).toBe(true);
    const file = dialog.locator(sel('project-import-file'));
    await file.setInputFiles({ name: '项目.csv', mimeType: 'text/csv', buffer: Buffer.from('名称\n', 'utf8') });
    await dialog.locator(sel('project-import-error'), { hasText: '请选择 Excel 文件（.xlsx）' }).waitFor();
    expect(await dialog.locator(sel('project-import-submit')).isDisabled()).toBe(true);

    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Sheet1').addRow(['名称']);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    await file.setInputFiles({
      name: '项目.xlsx',
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: xlsx,
    });
    await dialog.locator(sel('project-import-file-name'), { hasText: '项目.xlsx' }).waitFor();
    expect(await dialog.locator(sel('project-import-error')).count()).toBe(0);
    await dialog.locator(sel('project-import-submit')).click();
    await dialog.locator(sel('project-import-error'), { hasText: '工作簿缺少工作表' }).waitFor();
    const issues = dialog.locator(`${sel('project-import-issues')} tr.el-table__row`);
    await issues.first().waitFor();
    expect((await issues.allInnerTexts()).join('\n')).toContain('缺少工作表「项目」');
    expect(uploads.count).toBe(1);
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.locator(sel('project-import-success')).count()).toBe(0);
    const after = Number(((await t!.system.db('projects').count({ n: '*' }).first()) as { n: number | string }).n);
    expect(after).toBe(before);
  });
});
