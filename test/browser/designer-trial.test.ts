import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { listTrials } from '../../server/designer/trial';
import { TRIAL_TENANT } from '../../server/designer/trial-model';
import { seedReferenceData } from '../../server/reference';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 试运行 in Chromium at 1366×768, as 冯晓 (nm_designer): the intake model opens in the Modeler, its
 * 财政业务处室审核 gets another candidate group through the panel (a draft, not deployed); 试运行
 * checks it, shows the generated data (a made-up project, changed here), starts it in the sandbox
 * and draws the token at 主管部门审核; 退回 sends it to 申报单位修改, 自动 back to 主管部门审核, 自动走完
 * to 已入库 with every passed element marked; 结束并清理 deletes the sandbox deployment. The real
 * intake gets no instance and no project row is written. Screenshots in .ci/results/.
 */
jest.setTimeout(240_000);
const PASSWORD = 'Budget@2026';

async function choose(page: Page, select: string, option: string): Promise<void> {
  await page.locator(sel(select)).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: option }).click();
}

describe('试运行 on the 流程设计 page', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('a designer starts a trial of a draft from the page and walks it to its end', async () => {
    const realKey = namespaced(t!.config.engine.namespace, 'project-intake');
    const realInstances = (await t!.system.engine.historicProcessInstances({ processDefinitionKey: realKey })).length;
    const versions = (await t!.system.engine.processDefinitions({ key: realKey })).length;
    const projectRows = async () => Number(((await t!.system.db('projects').count({ n: '*' })) as Array<{ n: number | string }>)[0]!.n);
    const projectsBefore = await projectRows();

    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/designer', 'nm_designer', PASSWORD);
    await page
      .locator(`${sel('designer-canvas')} .djs-shape`)
      .first()
      .waitFor();
    await page.locator(sel('designer-process')).click();
    await page.locator('.el-select-dropdown__item', { hasText: '项目申报审核' }).click();
    await page.locator(`${sel('designer-canvas')} [data-element-id="SectorReview"]`).waitFor();

    // A draft: 财政业务处室审核 by 预算处, chosen from the role list.
    await page.locator(`${sel('designer-canvas')} [data-element-id="SectorReview"]`).click();
    const header = page.locator(
      `${sel('designer-properties')} [data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header`,
    );
    if (!((await header.getAttribute('class')) ?? '').includes('open')) await header.click();
    await page.locator(`${sel('designer-properties')} select#bio-properties-panel-candidateGroups`).selectOption('budget_division');
    await page.locator(sel('designer-opened')).filter({ hasText: '已修改' }).waitFor();

    // 试运行: checked first, then the generated data.
    await page.locator(sel('designer-trial')).click();
    const panel = page.locator(sel('trial-panel'));
    await panel.locator(sel('trial-var-projectName')).waitFor();
    expect(await panel.locator(sel('trial-var-projectName')).inputValue()).toBe('试运行项目（虚构）');
    await panel.locator(sel('trial-var-projectName')).fill('试运行：实验室设备购置（虚构）');
    await panel.locator(sel('trial-start')).click();

    // The token waits at 主管部门审核 (the trial worker did the SMART check and the status step).
    await panel.locator(sel('trial-status')).filter({ hasText: '运行中' }).waitFor();
    await panel.locator(`${sel('process-diagram')} [data-element-id="DepartmentReview"].active`).waitFor();
    expect(await panel.locator(`${sel('process-diagram')} [data-element-id="SmartCheck"].done`).count()).toBe(1);
    expect(await panel.locator(sel('trial-state-variables')).innerText()).toContain('试运行：实验室设备购置（虚构）');
    const trialId = (await panel.locator(sel('trial-id')).innerText()).trim();
    expect(trialId).toMatch(/^[a-f0-9]{12}$/);
    await page.screenshot({ path: path.join(RESULTS, 'designer-trial-started.png') });

    // 退回 → 申报单位修改; 自动 → back at 主管部门审核.
    await choose(page, 'trial-choice-DepartmentReview-decision', '审核结论：退回');
    await panel.locator(sel('trial-complete-DepartmentReview')).click();
    await panel.locator(sel('trial-task-Revise')).waitFor();
    await panel.locator(`${sel('process-diagram')} [data-element-id="ReturnToApplicant"].done`).waitFor();
    await panel.locator(sel('trial-task-auto-Revise')).click();
    await panel.locator(sel('trial-task-DepartmentReview')).waitFor();

    // 自动走完: to 已入库.
    await panel.locator(sel('trial-auto')).click();
    await panel.locator(sel('trial-status')).filter({ hasText: '已走完' }).waitFor();
    await panel.locator(`${sel('process-diagram')} [data-element-id="Reserve"].done`).waitFor();
    for (const id of ['SectorReview', 'BudgetDecision', 'Revise'])
      expect(await panel.locator(`${sel('process-diagram')} [data-element-id="${id}"].done`).count()).toBe(1);
    expect(await panel.locator(sel('trial-no-tasks')).innerText()).toBe('流程已结束');
    expect(await panel.locator(sel('trial-steps')).innerText()).toContain('预算处审定');
    await page.screenshot({ path: path.join(RESULTS, 'designer-trial-ended.png') });

    // In the sandbox only: the real intake has no new instance nor version, no project row.
    const [trial] = await listTrials({ engine: t!.system.engine, namespace: t!.config.engine.namespace });
    expect(trial).toMatchObject({ trialId, processId: 'project-intake', startedBy: 'nm_designer' });
    const [definition] = await t!.system.engine.processDefinitions({ deploymentId: trial!.deploymentId, tenantIdIn: TRIAL_TENANT });
    expect((await t!.system.engine.processDefinitionXml(definition!.id)).bpmn20Xml).toContain('camunda:candidateGroups="budget_division"');
    expect((await t!.system.engine.historicProcessInstances({ processDefinitionKey: realKey })).length).toBe(realInstances);
    expect((await t!.system.engine.processDefinitions({ key: realKey })).length).toBe(versions);
    expect(await projectRows()).toBe(projectsBefore);

    // 结束并清理.
    await panel.locator(sel('trial-end')).click();
    await page.locator('.el-message--success').filter({ hasText: '沙箱已清理' }).waitFor();
    expect(await listTrials({ engine: t!.system.engine, namespace: t!.config.engine.namespace })).toEqual([]);
    expect(await t!.system.engine.deployments({ id: trial!.deploymentId })).toEqual([]);
  });

  test('触发定时器: a trial waiting at a timer moves on at once', async () => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/designer', 'nm_designer', PASSWORD);
    await page
      .locator(`${sel('designer-canvas')} .djs-shape`)
      .first()
      .waitFor();
    await page.locator(sel('designer-process')).click();
    await page.locator('.el-select-dropdown__item', { hasText: '国库集中支付' }).click();
    await page.locator(`${sel('designer-canvas')} [data-element-id="WaitNotice"]`).waitFor();

    await page.locator(sel('designer-trial')).click();
    const panel = page.locator(sel('trial-panel'));
    await panel.locator(sel('trial-var-noticeWithin')).waitFor();
    expect(await panel.locator(sel('trial-var-noticeWithin')).inputValue()).toBe('PT10M');
    await panel.locator(sel('trial-start')).click();

    // The bank was sent the order; the token waits for its notice, the timer due in 10 minutes.
    await panel.locator(`${sel('process-diagram')} [data-element-id="WaitNotice"].active`).waitFor();
    const timer = panel.locator(sel('trial-timer-NoticeTimeout'));
    await timer.waitFor();
    expect(await timer.innerText()).toContain('逾期未收到通知');
    await page.screenshot({ path: path.join(RESULTS, 'designer-trial-timer-waiting.png') });

    await panel.locator(sel('trial-fire-NoticeTimeout')).click();
    const fired = panel.locator(sel('trial-fired'));
    await fired.waitFor();
    expect(await fired.innerText()).toContain('定时器“逾期未收到通知”已触发');
    await panel.locator(`${sel('process-diagram')} [data-element-id="QueryBank"].done`).waitFor();
    expect(await panel.locator(`${sel('process-diagram')} [data-element-id="WaitNotice"].active`).count()).toBe(0);
    expect(await panel.locator(sel('trial-timer-NoticeTimeout')).count()).toBe(0);
    expect(await panel.locator(sel('trial-steps')).innerText()).toContain('查询银行');
    await page.screenshot({ path: path.join(RESULTS, 'designer-trial-timer-fired.png') });

    await panel.locator(sel('trial-end')).click();
    await page.locator('.el-message--success').filter({ hasText: '沙箱已清理' }).waitFor();
  });
});
