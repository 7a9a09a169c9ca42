import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { verifyEvidencePackage } from '../../domain/evidence';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 流程回放 in Chromium at 1366×768: a finished intake (李娜, 陈静 sealed, 刘洋) replays every step
 * for 何敏 (nm_compliance) from 合规核验 — the scrubber walks from the first step to the last, the
 * sealed step says 签章核验通过 — and the exported evidence package verifies as `npm run verify` does.
 * Screenshots in .ci/results/.
 */
jest.setTimeout(240_000);
const PASSWORD = 'Budget@2026';

describe('流程回放 page in a browser', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let call: ApiCall;
  let key = '';
  const pages = new PageOpener({ width: 1366, height: 768, acceptDownloads: true });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    await seedReferenceData(t.system.db, { year: 2026 });
    await seedDemoUsers(t.system.db);
    const cookies: Record<string, string> = {};
    for (const u of ['nm_clerk_yz', 'nm_dept_jy', 'nm_jkw', 'nm_ysk']) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    expect((await call('nm_jkw', 'POST', '/seals/enrol', { pin: '602918' })).status).toBe(201);
    const created = await call('nm_clerk_yz', 'POST', '/projects', demoApplication('第一中学回放页面测试项目'));
    const projectId = Number(created.body.id);
    expect((await call('nm_clerk_yz', 'POST', `/projects/${projectId}/submit`, { version: created.body.version })).status).toBe(200);
    const taskAt = async (step: string) => {
      for (let i = 0; i < 150; i++) {
        const row = (await t!.system
          .db('inbox_tasks')
          .where({ business_id: projectId, element_id: step, status: 'open' })
          .first('id', 'process_instance_key')) as { id: number; process_instance_key: string } | undefined;
        if (row) return row;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no ${step}`);
    };
    const dept = await taskAt('DepartmentReview');
    key = dept.process_instance_key;
    expect(
      (await call('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve', comment: '同意报送' } })).status,
    ).toBe(200);
    const sector = await taskAt('SectorReview');
    expect(
      (
        await call('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, {
          data: { decision: 'approve', countersign: false, comment: '符合支出方向' },
          signingPin: '602918',
        })
      ).status,
    ).toBe(200);
    const budget = await taskAt('BudgetDecision');
    expect((await call('nm_ysk', 'POST', `/tasks/${budget.id}/complete`, { data: { decision: 'admit' } })).status).toBe(200);
    for (let i = 0; i < 150; i++) {
      const h = await t.system.engine.historicProcessInstance(key);
      if (h?.state === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('from 合规核验, the replay of a finished intake shows every step, the scrubber steps through it, and the evidence package exports and verifies', async () => {
    const page = await pages.open(browser!);
    await logInThroughPage(page, t!.system.url, '/compliance', 'nm_compliance', PASSWORD);
    await page.locator(sel('replay-key')).fill(key);
    await page.locator(sel('replay-open')).click();
    await page.locator(sel('replay-steps')).waitFor();
    await page.locator('.process-diagram .djs-element').first().waitFor();

    const names = await page.locator(`${sel('replay-steps')} li .step-name`).allInnerTexts();
    expect(names).toEqual([
      '项目已送审',
      '绩效目标 SMART 检查',
      '目标可量化？',
      '进入主管部门审核',
      '主管部门审核',
      '审核意见',
      '进入财政审核',
      '财政业务处室审核',
      '审核意见',
      '预算处审定',
      expect.any(String),
      expect.any(String),
      '已入库',
    ]);
    expect(await page.locator(sel('replay-state')).innerText()).toBe('已结束');
    expect(await page.locator(sel('replay-seal-SectorReview')).innerText()).toBe('签章核验通过');
    expect(await page.locator(sel('replay-seal-DepartmentReview')).innerText()).toBe('无签章');
    expect(await page.locator(sel('replay-position')).innerText()).toBe('第 13 / 13 步');
    await page.screenshot({ path: path.join(RESULTS, 'replay-last-step.png') });

    // The scrubber: back to the first step, then step forward to 主管部门审核.
    await page.locator(sel('replay-first')).click();
    expect(await page.locator(sel('replay-current-name')).innerText()).toBe('项目已送审');
    for (let i = 0; i < 4; i++) await page.locator(sel('replay-next')).click();
    expect(await page.locator(sel('replay-current-name')).innerText()).toBe('主管部门审核');
    expect(await page.locator(sel('replay-detail')).innerText()).toContain('李娜');
    expect(await page.locator(sel('replay-variables')).innerText()).toContain('decision');
    // The diagram marks the current element and the ones passed before it.
    expect(await page.locator('.process-diagram [data-element-id="DepartmentReview"].active').count()).toBe(1);
    expect(await page.locator('.process-diagram [data-element-id="SmartCheck"].done').count()).toBe(1);
    expect(await page.locator('.process-diagram [data-element-id="SectorReview"].done').count()).toBe(0);
    await page.locator(sel('replay-next')).click();
    await page.locator(sel('replay-prev')).click();
    expect(await page.locator(sel('replay-current-name')).innerText()).toBe('主管部门审核');
    await page.screenshot({ path: path.join(RESULTS, 'replay-department-step.png') });

    // 导出证据包: the instance's package, verified as npm run verify does.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(sel('replay-export')).click()]);
    const file = path.join(RESULTS, 'replay-evidence.json');
    await download.saveAs(file);
    expect(verifyEvidencePackage(fs.readFileSync(file, 'utf8'))).toMatchObject({ ok: true, engine: { ok: true } });
  });
});
