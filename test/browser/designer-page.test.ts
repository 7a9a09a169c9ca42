import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { PROCESSES_DIR } from '../../server/engine/deploy';
import { namespaced } from '../../server/engine/namespace';
import { seedReferenceData } from '../../server/reference';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 流程设计 in Chromium at 1366×768, as 冯晓 (nm_designer): the intake model opens from the engine in
 * the Modeler; an imported copy with a form key that is not in forms/ and a topic no worker serves
 * is refused by 检查 and by 部署新版本 (both problems listed and marked on the diagram, a click on
 * one selects its element); fixed through the properties panel's pick lists, and with a user
 * task's candidate group changed through the same kind of list, it deploys as version n+1 with a
 * reason; the version list names her and the reason, and the diff of n and n+1 marks the changed
 * element. Screenshots in .ci/results/.
 */
jest.setTimeout(240_000);
const PASSWORD = 'Budget@2026';

/** Opens a properties-panel group (they start collapsed) and returns its select for the entry. */
async function panelSelect(page: Page, group: string, entry: string) {
  const header = page.locator(`${sel('designer-properties')} [data-group-id="group-${group}"] .bio-properties-panel-group-header`);
  if (!((await header.getAttribute('class')) ?? '').includes('open')) await header.click();
  const select = page.locator(`${sel('designer-properties')} select#bio-properties-panel-${entry}`);
  await select.waitFor();
  return select;
}

async function selectedElementName(page: Page): Promise<string> {
  return page.locator(`${sel('designer-properties')} .bio-properties-panel-header-label`).innerText();
}

describe('流程设计 page in a browser', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });
  const intake = fs.readFileSync(path.join(PROCESSES_DIR, 'project-intake.bpmn'), 'utf8');
  const brokenFile = path.join(RESULTS, 'designer-broken-intake.bpmn');

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    const broken = intake
      .replace('camunda:formKey="intake-department-review"', 'camunda:formKey="intake-missing-form"')
      .replace('camunda:topic="project.smart-check"', 'camunda:topic="project.unknown-check"');
    expect(broken).not.toBe(intake);
    fs.writeFileSync(brokenFile, broken);
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('open, lint, fix through the pick lists, deploy n+1 with a reason, see it in the versions and in the diff', async () => {
    const key = namespaced(t!.config.engine.namespace, 'project-intake');
    const n = (await t!.system.engine.processDefinitions({ key, latestVersion: true }))[0]!.version;

    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/designer', 'nm_designer', PASSWORD);
    // The menu entry is live (no 建设中 placeholder any more).
    expect(await page.locator(sel('menu-designer')).innerText()).toContain('流程设计');
    expect(await page.locator('[data-test^="menu-upcoming-"]').count()).toBe(0);

    // The first model opens on arrival; then the latest intake version, with the Chinese palette.
    await page
      .locator(`${sel('designer-canvas')} .djs-shape`)
      .first()
      .waitFor();
    await page.locator(sel('designer-process')).click();
    await page.locator('.el-select-dropdown__item', { hasText: '项目申报审核' }).click();
    await page.locator(`${sel('designer-canvas')} [data-element-id="SectorReview"]`).waitFor();
    expect(await page.locator(sel('designer-opened')).innerText()).toBe(`版本 ${n}`);
    expect(await page.locator(`${sel('designer-canvas')} .djs-palette [aria-label="创建开始事件"]`).count()).toBe(1);

    // A copy with a missing form and an unknown topic: 检查 lists both and marks them on the diagram.
    await page.locator(sel('designer-import-file')).setInputFiles(brokenFile);
    await page.locator(sel('designer-opened')).filter({ hasText: 'designer-broken-intake.bpmn' }).waitFor();
    await page.locator(sel('designer-lint')).click();
    const formProblem = page.locator(sel('lint-error-DepartmentReview')).filter({ hasText: '表单 intake-missing-form 在 forms/ 中不存在' });
    const topicProblem = page.locator(sel('lint-error-SmartCheck')).filter({ hasText: '主题 project.unknown-check 没有已注册的工作者' });
    await formProblem.waitFor();
    await topicProblem.waitFor();
    expect(await page.locator('[data-test^="lint-error-"]').count()).toBe(2);
    expect(await page.locator(`${sel('designer-canvas')} [data-element-id="DepartmentReview"].lint-error`).count()).toBe(1);
    expect(await page.locator(`${sel('designer-canvas')} [data-element-id="SmartCheck"].lint-error`).count()).toBe(1);
    expect(await page.locator(sel('lint-badge-SmartCheck')).count()).toBe(1);
    expect(await page.locator(`${sel('designer-canvas')} [data-element-id="SectorReview"].lint-error`).count()).toBe(0);
    await page.screenshot({ path: path.join(RESULTS, 'designer-lint.png') });

    // 部署新版本 checks first and does not open the dialog while errors remain.
    await page.locator(sel('designer-deploy')).click();
    await page.locator('.el-message--error').filter({ hasText: '检查发现 2 个错误，未部署' }).waitFor();
    expect(await page.locator(`.el-dialog${sel('deploy-dialog')}`).isVisible()).toBe(false);

    // Clicking a problem selects its element; the form key is a pick list of forms/ (the missing one shown as such).
    await formProblem.click();
    expect(await selectedElementName(page)).toBe('主管部门审核');
    const formKey = await panelSelect(page, 'CamundaPlatform__Form', 'formKey');
    const formOptions = await formKey.locator('option').allInnerTexts();
    expect(formOptions).toEqual(
      expect.arrayContaining(['intake-department-review', 'intake-sector-review', 'intake-missing-form（不存在）']),
    );
    await formKey.selectOption('intake-department-review');
    await page.locator(sel('lint-stale')).waitFor();

    await topicProblem.click();
    expect(await selectedElementName(page)).toBe('绩效目标 SMART 检查');
    const topic = await panelSelect(page, 'CamundaPlatform__Implementation', 'externalTopic');
    expect(await topic.locator('option').allInnerTexts()).toEqual(expect.arrayContaining(['project.smart-check', 'project.set-status']));
    await topic.selectOption('project.smart-check');

    // The candidate group of 财政业务处室审核 through the role list (names in Chinese).
    await page.locator(`${sel('designer-canvas')} [data-element-id="SectorReview"]`).click();
    expect(await selectedElementName(page)).toBe('财政业务处室审核');
    const groups = await panelSelect(page, 'CamundaPlatform__UserAssignment', 'candidateGroups');
    expect(await groups.inputValue()).toBe('sector_division');
    expect(await groups.locator('option').allInnerTexts()).toContain('预算处（budget_division）');
    expect(await page.locator(`${sel('designer-properties')} input#bio-properties-panel-candidateGroups`).count()).toBe(0);
    await groups.selectOption('budget_division');
    await page.screenshot({ path: path.join(RESULTS, 'designer-properties.png') });

    await page.locator(sel('designer-lint')).click();
    await page.locator(sel('lint-clean')).waitFor();
    expect(await page.locator(sel('lint-stale')).count()).toBe(0);
    expect(await page.locator(`${sel('designer-canvas')} .lint-error`).count()).toBe(0);

    // Deploy with a reason: version n+1.
    await page.locator(sel('designer-deploy')).click();
    const dialog = page.locator(`.el-dialog${sel('deploy-dialog')}`);
    await dialog.waitFor();
    expect(await dialog.locator(sel('deploy-submit')).isDisabled()).toBe(true);
    await dialog.locator(sel('deploy-reason')).fill('财政业务处室审核改由预算处办理');
    await dialog.locator(sel('deploy-submit')).click();
    await page
      .locator(sel('designer-deployed-version'))
      .filter({ hasText: String(n + 1) })
      .waitFor();
    await page
      .locator(sel('designer-opened'))
      .filter({ hasText: new RegExp(`^版本 ${n + 1}$`) })
      .waitFor();
    const latest = (await t!.system.engine.processDefinitions({ key, latestVersion: true }))[0]!;
    expect(latest.version).toBe(n + 1);
    expect((await t!.system.engine.processDefinitionXml(latest.id)).bpmn20Xml).toContain('camunda:candidateGroups="budget_division"');

    // The version list: who, when, why.
    await page.locator('.el-tabs__item', { hasText: '版本与差异' }).click();
    const firstRow = page.locator(`${sel('designer-versions')} .el-table__body tr`).first();
    await firstRow.filter({ hasText: '财政业务处室审核改由预算处办理' }).waitFor();
    const rowText = await firstRow.innerText();
    expect(rowText).toContain(String(n + 1));
    expect(rowText).toContain('冯晓');
    expect(rowText).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);

    // The diff of n and n+1: only 财政业务处室审核 changed, marked on the newer diagram, its candidate group listed.
    await page.locator(sel('diff-compare')).click();
    await page.locator(sel('diff-changes')).waitFor();
    await page.locator(`${sel('diff-canvas')} [data-element-id="SectorReview"]`).waitFor();
    expect(await page.locator(sel('diff-title')).innerText()).toContain(`版本 ${n} → 版本 ${n + 1}`);
    expect(await page.locator(sel('diff-kind-SectorReview')).innerText()).toBe('修改');
    expect(await page.locator('[data-test^="diff-kind-"]').count()).toBe(1);
    expect(await page.locator(sel('diff-changes')).innerText()).toContain('camunda:candidateGroups：sector_division → budget_division');
    expect(await page.locator(`${sel('diff-canvas')} [data-element-id="SectorReview"].diff-changed`).count()).toBe(1);
    expect(await page.locator(`${sel('diff-canvas')} .diff-changed, ${sel('diff-canvas')} .diff-added`).count()).toBe(1);
    await page.screenshot({ path: path.join(RESULTS, 'designer-diff.png') });
  });
});
