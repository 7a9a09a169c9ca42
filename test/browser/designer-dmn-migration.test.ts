import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { seedReferenceData } from '../../server/reference';
import fs from 'node:fs';
import { PROCESSES_DIR } from '../../server/engine/deploy';
import { loginCookie } from '../support/accounts';
import { apiRequest, buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 流程设计 beyond BPMN, in Chromium at 1366×768 as 冯晓 (nm_designer): the 决策表 tab opens the
 * approval-chain table in dmn-js; the test panel, evaluated by the engine, shows the matched rule
 * for ¥15,000 (分管局长); the director's threshold is edited in the table (FEEL), deployed with a
 * reason, and the test panel and a real start of budget-allocation then both take the new outcome
 * (局长). Then 实例迁移: an allocation instance running on version n, version n+1 deployed, the
 * preview shows where it waits and that it can move; executed with a reason, the engine has it on
 * n+1. Screenshots in .ci/results/.
 */
jest.setTimeout(240_000);
const PASSWORD = 'Budget@2026';

describe('流程设计: decision tables, in a browser', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let page: Page;
  const pages = new PageOpener({ width: 1366, height: 768 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    // Workers off: instances wait at their first external task (the migration test moves them).
    t = await startTestSystem({ workersInProcess: false });
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    page = await pages.open(browser);
    await logInThroughPage(page, t.system.url, '/designer', 'nm_designer', PASSWORD);
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  /** A real start of the allocation process: the chain its business rule task chose. */
  async function chainOfRealStart(totalFen: number): Promise<string> {
    const engine = t!.system.engine;
    const started = await engine.startProcess(namespaced(t!.config.engine.namespace, 'budget-allocation'), {
      businessKey: `dmn-browser-${Date.now()}`,
      variables: { totalFen, majorDecision: false, allocationId: 0 },
    });
    try {
      return String(
        (await engine.historicDecisions(started.id)).flatMap((d) => d.outputs ?? []).find((o) => o.variableName === 'approvalChain')?.value,
      );
    } finally {
      await engine.retrying(() => engine.cancelProcessInstance(started.id, 'decision test'));
    }
  }

  async function testPanel(totalFen: string): Promise<void> {
    await page.locator(sel('dmn-input-majorDecision-false')).click();
    await page.locator(sel('dmn-input-totalFen')).fill(totalFen);
    await page.locator(sel('dmn-evaluate')).click();
  }

  test('edit a threshold in the table, deploy it, the test panel and a real start take the new outcome', async () => {
    const key = namespaced(t!.config.engine.namespace, 'allocation-approval-chain');
    const n = (await t!.system.engine.decisionDefinitions({ key, latestVersion: true }))[0]!.version;

    // The BPMN model opens first (and shows its tab); dmn-js loads when the 决策表 tab opens.
    await page
      .locator(`${sel('designer-canvas')} .djs-shape`)
      .first()
      .waitFor();
    await page.locator(sel('designer-opened')).waitFor();
    expect(await page.locator(sel('dmn-editor')).count()).toBe(0);
    await page.locator('.el-tabs__item', { hasText: '决策表' }).click();
    const cell = page.locator(`${sel('dmn-editor')} td[data-element-id="RuleDirectorTotal"]`);
    await cell.waitFor();
    expect(await page.locator(sel('dmn-opened')).innerText()).toBe(`版本 ${n}`);
    // Chinese labels in the table head.
    await page.screenshot({ path: path.join(RESULTS, 'designer-dmn-open.png') });
    expect(await page.locator(sel('dmn-editor')).innerText()).toContain('命中策略');

    // ¥15,000 before: 分管局长 (rule 4).
    await testPanel('1500000');
    await page.locator(sel('dmn-matched-RuleDeputy')).waitFor();
    expect(await page.locator(sel('dmn-matched-RuleDeputy')).innerText()).toContain('命中第 4 条规则');
    expect(await page.locator(sel('dmn-output-approvalChain')).innerText()).toContain('deputy');
    expect(await chainOfRealStart(1_500_000)).toBe('deputy');

    // The director's threshold from ¥20,000 down to ¥10,000, typed into the FEEL cell.
    await cell.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('> 1000000');
    await page.locator(`${sel('dmn-editor')} td[data-element-id="RuleDeputyTotal"]`).click();
    await page.locator(sel('dmn-opened')).filter({ hasText: '已修改' }).waitFor();
    expect(await cell.innerText()).toContain('> 1000000');
    await page.screenshot({ path: path.join(RESULTS, 'designer-dmn-edit.png') });

    await page.locator(sel('dmn-deploy')).click();
    const dialog = page.locator(`.el-dialog${sel('dmn-deploy-dialog')}`);
    await dialog.waitFor();
    await dialog.locator(sel('dmn-deploy-reason')).fill('局长审批起点降至一万元');
    await dialog.locator(sel('dmn-deploy-submit')).click();
    await page
      .locator(sel('dmn-deployed-version'))
      .filter({ hasText: String(n + 1) })
      .waitFor();
    await page
      .locator(sel('dmn-opened'))
      .filter({ hasText: new RegExp(`^版本 ${n + 1}$`) })
      .waitFor();
    const firstRow = page.locator(`${sel('dmn-versions')} .el-table__body tr`).first();
    await firstRow.filter({ hasText: '局长审批起点降至一万元' }).waitFor();
    expect(await firstRow.innerText()).toContain('冯晓');

    // After: 局长 (rule 3) in the test panel, and in a real start.
    await testPanel('1500000');
    await page.locator(sel('dmn-matched-RuleDirector')).waitFor();
    expect(await page.locator(sel('dmn-result')).innerText()).toContain(`版本 ${n + 1}`);
    expect(await page.locator(sel('dmn-output-approvalChain')).innerText()).toContain('director');
    await page.screenshot({ path: path.join(RESULTS, 'designer-dmn-test.png') });
    expect(await chainOfRealStart(1_500_000)).toBe('director');
    const deployedXml = (
      await t!.system.engine.decisionDefinitionXml((await t!.system.engine.decisionDefinitions({ key, latestVersion: true }))[0]!.id)
    ).dmnXml;
    expect(deployedXml).toContain('&gt; 1000000');
  });

  test('migration: preview where the running instance waits, execute, the engine has it on the newer version', async () => {
    const engine = t!.system.engine;
    const key = namespaced(t!.config.engine.namespace, 'budget-allocation');
    const n = (await engine.processDefinitions({ key, latestVersion: true }))[0]!.version;
    const started = await engine.startProcess(key, {
      businessKey: 'migrate-browser',
      variables: { totalFen: 100_000, majorDecision: false, allocationId: 0 },
    });
    const xml = fs
      .readFileSync(path.join(PROCESSES_DIR, 'budget-allocation.bpmn'), 'utf8')
      .replace('camunda:candidateGroups="director" camunda:dueDate="P3D"', 'camunda:candidateGroups="director" camunda:dueDate="P5D"');
    const cookie = await loginCookie(t!.system.url, 'nm_designer', PASSWORD);
    expect(
      (await apiRequest(t!.system.url, cookie, 'POST', '/api/designer/deploy', { xml, reason: '分管局长审批期限延至 5 天' })).status,
    ).toBe(201);

    await page.reload();
    await page
      .locator(`${sel('designer-canvas')} .djs-shape`)
      .first()
      .waitFor();
    // The first model in the list opens on arrival (another process sorts before this one): pick it.
    await page.locator(sel('designer-process')).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '预算分配审批与指标下达' }).click();
    await page
      .locator(sel('designer-opened'))
      .filter({ hasText: `版本 ${n + 1}` })
      .waitFor();
    await page.locator('.el-tabs__item', { hasText: '版本与差异' }).click();
    await page
      .locator(sel(`migration-running-${n}`))
      .filter({ hasText: '1 个' })
      .waitFor();
    expect(await page.locator(sel(`migration-running-${n + 1}`)).innerText()).toContain('0 个');
    await page.locator(sel('migration-preview')).click();
    await page.locator(sel('migration-ok-RecordChain')).waitFor();
    expect(await page.locator(sel('migration-activities')).innerText()).toContain('记录审批链');
    expect(await page.locator(sel('migration-summary')).innerText()).toContain(
      `版本 ${n} → 版本 ${n + 1}：运行中 1 个，可迁移 1 个，不能迁移 0 个`,
    );
    await page.screenshot({ path: path.join(RESULTS, 'designer-migration-preview.png') });

    await page.locator(sel('migration-execute')).click();
    const dialog = page.locator(`.el-dialog${sel('migration-dialog')}`);
    await dialog.waitFor();
    await dialog.locator(sel('migration-reason')).fill('在办方案按新期限办理');
    await dialog.locator(sel('migration-submit')).click();
    await page.locator(sel('migration-done-count')).filter({ hasText: '1' }).waitFor();
    await page
      .locator(sel(`migration-running-${n + 1}`))
      .filter({ hasText: '1 个' })
      .waitFor();
    const v2 = (await engine.processDefinitions({ key, version: n + 1 }))[0]!;
    expect((await engine.processInstance(started.id))?.definitionId).toBe(v2.id);
    await engine.cancelProcessInstance(started.id, 'migration test');
  });
});
