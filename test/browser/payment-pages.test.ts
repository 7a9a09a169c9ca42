import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { issueQuota } from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sealInDialog, sel, waitUntil } from '../support/browser';
import { apiAs, demoApplication } from '../support/intake';
import { startBankSimulator, type BankSimulator } from '../../scripts/bank-simulator';
import { startTestSystem, testConfig, type TestSystem } from '../support/system';
import { freePort } from '../support/treasury';

/**
 * 用款申请 in a real Chromium against the real system, at 1366×768: 王芳 (第一中学) files a ¥3,000
 * request against the school's quota, with its contract, and sees the amount frozen; 孙丽 (国库科)
 * opens it, sees the quota's balance, the account in full and the contract, and approves it with her
 * seal (enrolling in the dialog). The approval hands it to the treasury: a payment order goes to
 * the bank (the simulator), whose arrival notice settles it, and 王芳 sees 已到账 on the request and
 * in her list (the status follows the payment order), the frozen amount consumed.
 */
const PASSWORD = 'Budget@2026';
const PIN = '369258';
const field = (name: string) => `input${sel(name)}, ${sel(name)} input`;
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));

describe('用款申请 pages in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  const pages = new PageOpener({ width: 1366, height: 768 });
  let quotaId = 0;
  let sim: BankSimulator | undefined;

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    const base = testConfig();
    sim = await startBankSimulator({ secret: base.bank.secret, noticeDelayMs: 100, retryMs: 100 });
    t = await startTestSystem({ port: await freePort(), bank: { ...base.bank, url: sim.url, noticeTimeout: 'PT10M' } });
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    await seedReferenceData(db, { year: YEAR });
    await seedDemoUsers(db);
    const call = apiAs(`${t.system.url}/api`, { nm_clerk_yz: await loginCookie(t.system.url, 'nm_clerk_yz', PASSWORD) });
    const r = await call('nm_clerk_yz', 'POST', '/projects', { ...demoApplication('用款页面测试项目', '页面测试'), fiscalYear: YEAR });
    expect(r.status).toBe(201);
    await db('projects').where('id', r.body.id).update({ status: 'funded' }); // setup: as the allocation leaves it
    const unitOrgId = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    quotaId = (
      await issueQuota(db, {
        fiscalYear: YEAR,
        projectId: Number(r.body.id),
        unitOrgId,
        functionalCode: '2050204',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: `教财〔${YEAR}〕9号`,
        amountFen: 50_000_00,
        actor: 'test',
        reason: '测试指标',
      })
    ).quota.id;
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
    await sim?.stop();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  test('a unit files a request, 国库处 approves it sealed, the bank pays and the unit sees 已到账 on the request and in its list', async () => {
    const db = t!.system.db;
    const clerk = await pages.open(browser!);
    await logInThroughPage(clerk, t!.system.url, '/payments', 'nm_clerk_yz', PASSWORD);
    await clerk.locator('.el-menu-item', { hasText: '用款申请' }).waitFor();
    await clerk.locator(sel('new-payment')).click();
    await clerk.waitForURL(/\/payments\/new$/);
    await clerk.locator(sel('payment-quota')).click();
    await clerk.locator(`.el-select-dropdown__item:visible${sel(`quota-option-${quotaId}`)}`).click();
    await clerk.locator(sel('quota-available')).filter({ hasText: '可用 ¥50,000.00' }).waitFor();
    await clerk.locator(field('payment-amount')).fill('3000');
    await clerk.locator(field('payment-payee')).fill('呼和浩特市新华书店');
    await clerk.locator(field('payment-account')).fill('6222 0212 3456 7890 123');
    await clerk.locator(field('payment-bank')).fill('中国工商银行呼和浩特新华支行');
    await clerk.locator(field('payment-purpose')).fill('购置教学用书');
    await clerk
      .locator(sel('payment-file'))
      .setInputFiles({ name: '采购合同.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 合同') });
    await clerk.getByText('合同：采购合同.pdf').waitFor();
    await clerk.locator(sel('payment-submit')).click();
    await clerk.waitForURL(/\/payments\/\d+$/);
    const id = Number(new URL(clerk.url()).pathname.split('/').pop());
    await clerk.locator(sel('payment-status')).filter({ hasText: '审批中' }).waitFor();
    await clerk.locator(sel('payment-quota-available')).filter({ hasText: '¥47,000.00' }).waitFor();
    expect(Number(((await db('quotas').where('id', quotaId).first('frozen_fen')) as { frozen_fen: number }).frozen_fen)).toBe(3_000_00);
    await clerk.screenshot({ path: path.join(RESULTS, 'payment-submitted.png'), fullPage: true });

    const row = (await db('payment_requests').where('id', id).first('process_instance_key')) as { process_instance_key: string };
    await waitUntil(
      async () =>
        (await t!.system.engine.tasks({ processInstanceId: row.process_instance_key })).some(
          (x) => x.taskDefinitionKey === 'TreasuryReview',
        ),
      'the treasury review in the engine',
    );

    const gkk = await pages.open(browser!);
    await logInThroughPage(gkk, t!.system.url, '/payments', 'nm_gkk', PASSWORD);
    await gkk.locator(`${sel('payments-table')} tbody tr`, { hasText: '呼和浩特市新华书店' }).click();
    await gkk.waitForURL(new RegExp(`/payments/${id}$`));
    await gkk.locator(sel('payment-steps')).filter({ hasText: '国库处科室负责人审核' }).waitFor();
    await gkk.locator(sel('payment-account-view')).filter({ hasText: '6222021234567890123' }).waitFor();
    await gkk.locator(sel('payment-attachment')).filter({ hasText: '采购合同.pdf' }).waitFor();
    await gkk.locator(sel('payment-risks')).filter({ hasText: '未命中风险规则' }).waitFor();
    await gkk.locator(sel('payment-decide')).click();
    expect(await sealInDialog(gkk, PIN)).toBe('enrol');
    await gkk.locator(sel('payment-decisions')).filter({ hasText: '已签章' }).waitFor();
    await gkk.screenshot({ path: path.join(RESULTS, 'payment-approved-by-treasury.png'), fullPage: true });
    await waitUntil(
      async () => ((await db('payment_requests').where('id', id).first('status')) as { status: string }).status === 'approved',
      'the request approved',
    );

    await clerk.goto(`${t!.system.url}/payments`);
    // Approved: 已审批/待支付 until its payment order exists, then the order's phase (the bank here pays at once).
    await clerk
      .locator(sel(`payment-status-${id}`))
      .filter({ hasText: /已审批\/待支付|支付中|已支付|已到账/ })
      .waitFor();
    const decision = (await db('payment_decisions').where({ request_id: id, element_id: 'TreasuryReview' }).first('sealed')) as {
      sealed: number | boolean;
    };
    expect(Boolean(Number(decision.sealed))).toBe(true);

    // Approved → a payment order to the bank; its arrival notice consumes the frozen amount, once.
    await waitUntil(
      async () =>
        (
          (await db('payment_orders').where({ source_kind: 'payment-request', source_id: id }).first('status')) as
            { status: string } | undefined
        )?.status === 'paid',
      'the payment order paid',
      90_000,
    );
    await clerk.goto(`${t!.system.url}/payments/${id}`);
    await clerk.locator(sel('payment-order')).filter({ hasText: '已到账' }).waitFor();
    await clerk.locator(sel('payment-status')).filter({ hasText: '已到账' }).waitFor();
    await clerk.goto(`${t!.system.url}/payments`);
    await clerk
      .locator(sel(`payment-status-${id}`))
      .filter({ hasText: '已到账' })
      .waitFor();
    await clerk.goto(`${t!.system.url}/payments/${id}`);
    const quota = (await db('quotas').where('id', quotaId).first('frozen_fen', 'used_fen')) as { frozen_fen: number; used_fen: number };
    expect([Number(quota.frozen_fen), Number(quota.used_fen)]).toEqual([0, 3_000_00]);
    expect(
      Number(
        ((await db('quota_journal').where({ quota_id: quotaId, kind: 'consume' }).count({ n: '*' }).first()) as { n: number | string }).n,
      ),
    ).toBe(1);
    await clerk.screenshot({ path: path.join(RESULTS, 'payment-paid.png'), fullPage: true });
  }, 240_000);

  test('the unit withdraws a request no one has decided yet from its page: 已撤回, and the quota’s available amount is back', async () => {
    const db = t!.system.db;
    const call = apiAs(`${t!.system.url}/api`, { nm_clerk_yz: await loginCookie(t!.system.url, 'nm_clerk_yz', PASSWORD) });
    const before = (await db('quotas').where('id', quotaId).first('amount_fen', 'used_fen', 'frozen_fen')) as Record<string, number>;
    const availableBefore = Number(before.amount_fen) - Number(before.used_fen) - Number(before.frozen_fen);
    const r = await call('nm_clerk_yz', 'POST', '/payments', {
      quotaId,
      amountFen: 1_000_00,
      payeeName: '呼和浩特市文具商店',
      payeeKind: 'organisation',
      payeeAccount: '6222 0212 3456 7811 222',
      payeeBank: '中国工商银行呼和浩特新华支行',
      purpose: '购置办公文具',
      economicCode: '30201',
      paymentType: 'direct',
    });
    expect(r.status).toBe(201);
    const id = Number(r.body.id);
    const yuan = (fen: number) => `¥${(fen / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`;
    const clerk = await pages.open(browser!);
    await logInThroughPage(clerk, t!.system.url, `/payments/${id}`, 'nm_clerk_yz', PASSWORD);
    await clerk.locator(sel('payment-status')).filter({ hasText: '审批中' }).waitFor();
    await clerk
      .locator(sel('payment-quota-available'))
      .filter({ hasText: yuan(availableBefore - 1_000_00) })
      .waitFor();
    await clerk.locator(sel('payment-withdraw')).click();
    // A confirmation first: 取消 changes nothing.
    await clerk.locator('.el-message-box', { hasText: '撤回用款申请' }).waitFor();
    await clerk.locator('.el-message-box .el-button', { hasText: '取消' }).click();
    await clerk.locator('.el-message-box').waitFor({ state: 'hidden' });
    expect(((await db('payment_requests').where('id', id).first('status')) as { status: string }).status).toBe('approving');
    await clerk.locator(sel('payment-withdraw')).click();
    await clerk.locator('.el-message-box .el-button--primary', { hasText: '撤回' }).click();
    await clerk.locator(sel('payment-status')).filter({ hasText: '已撤回' }).waitFor();
    await clerk
      .locator(sel('payment-quota-available'))
      .filter({ hasText: yuan(availableBefore) })
      .waitFor();
    expect(await clerk.locator(sel('payment-withdraw')).count()).toBe(0);
    const after = (await db('quotas').where('id', quotaId).first('frozen_fen')) as { frozen_fen: number };
    expect(Number(after.frozen_fen)).toBe(Number(before.frozen_fen));
    await clerk.screenshot({ path: path.join(RESULTS, 'payment-withdrawn.png'), fullPage: true });
  }, 240_000);
});
