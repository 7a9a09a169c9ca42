import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Locator, type Page } from 'playwright-core';
import { createOrganisation } from '../../server/reference/organisations';
import { createAccount, loginCookie, TEST_PASSWORD } from '../support/accounts';
import {
  apiRequest,
  buildWebIfStale,
  countRequests,
  launchChromium,
  logInThroughPage,
  PageOpener,
  RESULTS,
  ROOT,
  sealInDialog,
  sel,
  waitUntil,
} from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';
import { formatShanghaiDateTime } from '../../web/src/utils/datetime';

/**
 * 指标账 and 组织机构 pages in a real Chromium, served by the real system (API + built SPA) on a
 * fresh database, at 1366×768 (the common office screen): a budget-division clerk issues a quota
 * through the dialog (the number is the ledger's, never typed; every required field marked),
 * freezes part of it, is refused a freeze beyond what is available (and the database is
 * untouched), and reads the journal with people's names; a unit clerk is not offered 下达指标; the
 * menu follows permissions. Screenshots go to .ci/results/ (git-ignored).
 */

/** The fiscal year the pages default to: the current year in Asia/Shanghai. */
const YEAR = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(new Date()));

/** The budget clerk's signing PIN. */
const PIN = '258036';

describe('指标账 and 组织机构 pages in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  /** 预算处 + 国库处: may issue, adjust, freeze and pay. */
  let budget: { username: string; userId: number; orgId: number; displayName: string };
  let cookie = '';
  let department: { id: number; name: string };
  const pages = new PageOpener({ width: 1366, height: 768 });

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });

    const db = t.system.db;
    budget = await createAccount(db, ['budget_division', 'treasury_division']);
    cookie = await loginCookie(t.system.url, budget.username);
    // The code tables the issue dialog's pickers read, for the year it defaults to.
    for (const type of ['functional', 'economic'] as const) {
      const res = await api('POST', `/api/codes/import?year=${YEAR}&type=${type}`, {
        format: 'csv',
        content: fs.readFileSync(path.join(ROOT, 'seeds', `${type}-codes.csv`), 'utf8'),
      });
      expect(res.status).toBe(200);
    }
    // A department with 24 units under the test bureau (createAccount's organisation).
    const dept = await createOrganisation(db, {
      code: 'TEST-JYJ',
      name: '测试市教育局',
      kind: 'department',
      regionCode: '150000',
      parentId: budget.orgId,
    });
    for (let i = 1; i <= 24; i++) {
      await createOrganisation(db, {
        code: `TEST-JYJ-${String(i).padStart(3, '0')}`,
        name: `测试市第${i}中学`,
        kind: 'budget_unit',
        regionCode: '150000',
        parentId: dept.id,
      });
    }
    department = { id: dept.id, name: dept.name };
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  const api = (method: 'GET' | 'POST', url: string, body?: unknown) => apiRequest(t!.system.url, cookie, method, url, body);
  /** Issuance is sealed once the budget clerk has enrolled (in the page, by an earlier test). */
  const sealFields = async () => ((await api('GET', '/api/seals/me')).json.enrolled ? { signingPin: PIN } : {});
  const openPage = () => pages.open(browser!);
  const logInAt = (page: Page, pathname: string, username: string) =>
    logInThroughPage(page, t!.system.url, pathname, username, TEST_PASSWORD);

  async function journalRows(): Promise<number> {
    const [row] = await t!.system.db('quota_journal').count({ n: '*' });
    return Number(row?.n);
  }

  async function quotaRow(quotaNo: string) {
    return t!.system.db('quotas').where({ quota_no: quotaNo }).first('id', 'amount_fen', 'used_fen', 'frozen_fen');
  }

  /** The number the ledger gives a quota: ZB, its year, its id in six digits. */
  const generatedNo = (fiscalYear: number, id: number) => `ZB${fiscalYear}-${String(id).padStart(6, '0')}`;

  /** Counts the POSTs the page sends to URLs matching `pattern`. */
  const countPosts = (page: Page, pattern: RegExp) => countRequests(page, 'POST', pattern);

  /** Holds matching requests back briefly (then sends them on unchanged) so a busy state is observable. */
  async function slowDown(page: Page, glob: string): Promise<void> {
    await page.route(glob, async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
  }

  /** Picks a path in the (lazy) cascader whose popper carries `popperClass`. */
  async function pickCascader(page: Page, trigger: string, popperClass: string, labels: string[]): Promise<void> {
    await page.locator(sel(trigger)).click();
    for (const label of labels) {
      await page.locator(`.${popperClass} .el-cascader-node`, { hasText: label }).click();
    }
    await page.locator(`.${popperClass}`).waitFor({ state: 'hidden' });
  }

  const cellText = async (row: Locator, name: string) => (await row.locator(sel(name)).innerText()).trim();

  test('given a budget-division account, when it issues ¥10,000.00 and freezes ¥2,500.50 through the dialogs, then 可用 reads ¥7,499.50; a freeze of ¥8,000.00 is refused with 可用指标不足 and changes nothing; 流水 lists 下达 and 冻结', async () => {
    const page = await openPage();
    await logInAt(page, '/quotas', budget.username);
    const menu = page.locator(sel('main-menu'));
    expect(await menu.locator(sel('menu-quotas')).count()).toBe(1);
    expect(await menu.locator(sel('menu-organisations')).count()).toBe(1);
    expect(await menu.locator(sel('menu-upcoming-indicators')).count()).toBe(0);
    await page.locator(sel('quota-table')).waitFor();

    // 下达指标: the dialog, with pickers for the code tables and the amount typed in yuan; the
    // number is not a field: the ledger gives it. Every field the server requires is marked *.
    await page.locator(sel('issue-quota')).click();
    const issueDialog = page.locator(sel('issue-dialog'));
    await issueDialog.waitFor();
    expect(await page.locator(sel('issue-quota-no')).innerText()).toBe(`下达后由系统生成（ZB${YEAR}-六位序号）`);
    expect(await issueDialog.locator('.el-form-item', { hasText: '指标编号' }).locator('input').count()).toBe(0);
    const labelsOf = async (items: Locator) => (await items.locator('.el-form-item__label').allInnerTexts()).map((l) => l.trim());
    expect(await labelsOf(issueDialog.locator('.el-form-item.is-required'))).toEqual([
      '预算年度',
      '功能分类科目',
      '经济分类科目',
      '资金来源',
      '指标文号',
      '下达金额',
      '事由',
    ]);
    expect(await labelsOf(issueDialog.locator('.el-form-item:not(.is-required)'))).toEqual(['指标编号', '预算单位']);
    // The economic picker's first level is the table (部门/政府), then 类 and 款: so says its placeholder.
    expect(await issueDialog.locator(`${sel('economic-code-picker')} input`).getAttribute('placeholder')).toBe(
      '部门/政府经济分类 → 类 → 款',
    );
    await page.screenshot({ path: path.join(RESULTS, 'quotas-issue-dialog.png') });
    await pickCascader(page, 'functional-code-picker', 'code-cascader__popper--functional', [
      '205 教育支出',
      '20502 普通教育',
      '2050202 小学教育',
    ]);
    await pickCascader(page, 'economic-code-picker', 'code-cascader__popper--economic', [
      '部门预算支出经济分类',
      '302 商品和服务支出',
      '30201 办公费',
    ]);
    await page.locator(sel('issue-document-no')).fill(`呼财预〔${YEAR}〕12号`);
    await page.locator(sel('issue-amount')).fill('10,000.00');
    await page.locator(sel('issue-reason')).fill('下达小学公用经费');
    expect(await page.locator(sel('issue-amount-preview')).innerText()).toContain('¥10,000.00（1.00万元）');

    // A quick double click sends one request: the button is disabled while it runs.
    const issuePosts = countPosts(page, /^\/api\/quotas$/);
    await slowDown(page, '**/api/quotas');
    const submit = page.locator(sel('issue-submit'));
    await submit.dblclick();
    expect(await submit.isDisabled()).toBe(true);
    // 下达指标 is sealed: the budget clerk has not enrolled yet and does so in the dialog.
    expect(await sealInDialog(page, PIN)).toBe('enrol');
    await issueDialog.waitFor({ state: 'hidden' });
    await page.unroute('**/api/quotas');
    expect(issuePosts.count).toBe(1);

    // The ledger numbered it, and the message says which number it got.
    const newest = (await t!.system.db('quotas').orderBy('id', 'desc').first('id', 'quota_no')) as { id: number; quota_no: string };
    const quotaNo = generatedNo(YEAR, Number(newest.id));
    expect(newest.quota_no).toBe(quotaNo);
    await page.locator('.el-message', { hasText: `指标 ${quotaNo} 已下达 ¥10,000.00` }).waitFor();
    const issued = await quotaRow(quotaNo);
    expect(issued).toMatchObject({ amount_fen: 1_000_000, used_fen: 0, frozen_fen: 0 });
    const stored = await t!.system.db('quotas').where({ quota_no: quotaNo }).first();
    expect(stored).toMatchObject({
      fiscal_year: YEAR,
      functional_code: '2050202',
      economic_code: '30201',
      fund_source: '一般公共预算',
      document_no: `呼财预〔${YEAR}〕12号`,
    });

    const row = page.locator(`${sel('quota-table')} tbody tr`, { hasText: quotaNo });
    await row.waitFor();
    expect(await cellText(row, 'quota-amount')).toBe('¥10,000.00');
    expect(await cellText(row, 'quota-available')).toBe('¥10,000.00');

    // 冻结 ¥2,500.50: the row is refreshed from the answer; again one request for a double click.
    const freezePosts = countPosts(page, /^\/api\/quotas\/\d+\/freeze$/);
    await row.locator(sel('quota-action-freeze')).click();
    const entryDialog = page.locator(sel('entry-dialog'));
    await entryDialog.waitFor();
    expect(await entryDialog.getAttribute('data-action')).toBe('freeze');
    await page.locator(sel('entry-amount')).fill('2500.50');
    await page.locator(sel('entry-reason')).fill('支付申请 ZF-001 冻结');
    await slowDown(page, '**/api/quotas/*/freeze');
    await page.locator(sel('entry-submit')).dblclick();
    expect(await page.locator(sel('entry-submit')).isDisabled()).toBe(true);
    await entryDialog.waitFor({ state: 'hidden' });
    await page.unroute('**/api/quotas/*/freeze');
    expect(freezePosts.count).toBe(1);
    await waitUntil(async () => (await cellText(row, 'quota-available')) === '¥7,499.50', 'the row to show 可用 ¥7,499.50');
    expect(await cellText(row, 'quota-frozen')).toBe('¥2,500.50');
    expect(await cellText(row, 'quota-amount')).toBe('¥10,000.00');
    expect(await quotaRow(quotaNo)).toMatchObject({ amount_fen: 1_000_000, used_fen: 0, frozen_fen: 250_050 });
    // Let the success messages fade before the screenshot.
    await page
      .locator('.el-message')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
    await page.screenshot({ path: path.join(RESULTS, 'quotas.png'), fullPage: true });

    // 冻结 ¥8,000.00 > 可用: the server's Chinese message in the dialog, nothing written.
    const journalBefore = await journalRows();
    await row.locator(sel('quota-action-freeze')).click();
    await entryDialog.waitFor();
    expect(await page.locator(sel('entry-amount')).inputValue()).toBe('');
    await page.locator(sel('entry-amount')).fill('8,000.00');
    await page.locator(sel('entry-reason')).fill('超出可用的冻结');
    const refused = page.waitForResponse((r) => /\/api\/quotas\/\d+\/freeze$/.test(r.url()) && r.request().method() === 'POST');
    await page.locator(sel('entry-submit')).click();
    expect((await refused).status()).toBe(409);
    const error = page.locator(sel('entry-error'));
    await error.waitFor();
    expect(await error.innerText()).toContain('可用指标不足：可用 ¥7,499.50，申请冻结 ¥8,000.00');
    expect(await entryDialog.isVisible()).toBe(true);
    // The dialog re-reads the quota after a refusal and only then offers 确定 again.
    await waitUntil(() => page.locator(sel('entry-submit')).isEnabled(), '确定 enabled again after the refusal');
    expect(await journalRows()).toBe(journalBefore);
    expect(await quotaRow(quotaNo)).toMatchObject({ amount_fen: 1_000_000, used_fen: 0, frozen_fen: 250_050 });
    expect(await cellText(row, 'quota-available')).toBe('¥7,499.50');
    await settled(entryDialog);
    await page.screenshot({ path: path.join(RESULTS, 'quotas-refused.png') });

    // An amount with three decimals is refused in the form, before any request.
    await page.locator(sel('entry-amount')).fill('1.234');
    await page.locator(sel('entry-submit')).click();
    await page.locator('.el-form-item__error', { hasText: '最多两位小数' }).waitFor();
    expect(freezePosts.count).toBe(2);
    await page.keyboard.press('Escape');
    await entryDialog.waitFor({ state: 'hidden' });

    // 流水: 下达 then 冻结, times in Asia/Shanghai although the browser runs in UTC.
    const journal = await api('GET', `/api/quotas/${issued!.id}/journal`);
    expect(journal.json.items.map((e: { kind: string }) => e.kind)).toEqual(['issue', 'freeze']);
    await row.locator(sel('quota-action-journal')).click();
    const journalTable = page.locator(`${sel('journal-drawer')} ${sel('journal-table')}`);
    const rows = journalTable.locator('tbody tr');
    await waitUntil(async () => (await rows.count()) === 2, 'two journal rows');
    const [first, second] = [await rows.nth(0).innerText(), await rows.nth(1).innerText()];
    expect(first).toContain('下达');
    expect(first).toContain('¥10,000.00');
    expect(first).toContain(formatShanghaiDateTime(journal.json.items[0].createdAt));
    // 经办人 is the person's name; the user name is only the hover hint.
    expect(await rows.nth(0).locator(sel('journal-actor')).innerText()).toBe(budget.displayName);
    expect(await rows.nth(1).locator(sel('journal-actor')).innerText()).toBe(budget.displayName);
    expect(await rows.nth(0).locator(sel('journal-actor')).getAttribute('title')).toBe(budget.username);
    expect(first).not.toContain(budget.username);
    expect(first).toContain('下达小学公用经费');
    expect(second).toContain('冻结');
    expect(second).toContain('¥2,500.50');
    expect(second).toContain('¥7,499.50');
    expect(second).toContain(formatShanghaiDateTime(journal.json.items[1].createdAt));
    expect(second).toContain('支付申请 ZF-001 冻结');
    await settled(page.locator(sel('journal-drawer')));
    await page.screenshot({ path: path.join(RESULTS, 'quotas-journal.png') });
    await page.keyboard.press('Escape');
    await page.locator(sel('journal-drawer')).waitFor({ state: 'hidden' });
  });

  /** Issues a quota of YEAR (or `fiscalYear`) over the API as the budget account: its id and the number the ledger gave it. */
  async function issueOverApi(amountFen: number, fiscalYear = YEAR): Promise<{ id: number; quotaNo: string }> {
    const r = await api('POST', '/api/quotas', {
      fiscalYear,
      functionalCode: '2050202',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: `呼财预〔${fiscalYear}〕20号`,
      amountFen,
      reason: '下达',
      ...(await sealFields()),
    });
    expect(r.status).toBe(201);
    return { id: r.json.quota.id as number, quotaNo: r.json.quota.quotaNo as string };
  }

  /** Opens a row action that may sit under 更多. */
  async function rowAction(page: Page, row: Locator, action: string): Promise<void> {
    const inline = row.locator(sel(`quota-action-${action}`));
    if ((await inline.count()) > 0) return inline.click();
    await row.locator(sel('quota-action-more')).click();
    await page.locator(`.el-dropdown-menu:visible ${sel(`quota-action-${action}`)}`).click();
  }

  test('given two quotas of one year, when ¥1,234.56 is transferred (调剂) through the dialog with a double click and a network retry, then one journal pair moves exactly 123,456 fen, the dialog shows both balances and the journal names the counterpart; 结转 into a new next-year quota works the same way', async () => {
    const { id: fromId, quotaNo: fromNo } = await issueOverApi(500_000);
    const { id: toId, quotaNo: toNo } = await issueOverApi(100_000);
    await issueOverApi(1, YEAR + 1); // another year: not offered as a target

    const page = await openPage();
    await logInAt(page, '/quotas', budget.username);
    const fromRow = page.locator(`${sel('quota-table')} tbody tr`, { hasText: fromNo });
    const toRow = page.locator(`${sel('quota-table')} tbody tr`, { hasText: toNo });
    await fromRow.waitFor();

    await rowAction(page, fromRow, 'transfer');
    const dialog = page.locator(sel('transfer-dialog'));
    await dialog.waitFor();
    expect(await page.locator(sel('transfer-source-available')).innerText()).toBe('¥5,000.00');
    // The picker lists quotas of the same year only, never the source itself.
    await page.locator(sel('transfer-target')).click();
    await page.keyboard.type(toNo);
    const options = page.locator('.el-select-dropdown__item:visible');
    // The first list (opened before typing) is replaced by the search's answer.
    await waitUntil(
      async () => (await options.count()) === 1 && (await options.first().innerText()).includes(toNo),
      `only ${toNo} offered`,
    );
    await options.filter({ hasText: toNo }).click();
    await page.locator(sel('transfer-amount')).fill('1,234.56');
    await page.locator(sel('transfer-reason')).fill('依据调剂批复调入');

    // The browser sends one request for a double click; the network then delivers it twice
    // (a retry after a lost answer): the same idempotency key makes the second change nothing.
    const posts = countPosts(page, /^\/api\/quota-transfers$/);
    const answers: Array<{ status: number; replayed: boolean }> = [];
    await page.route('**/api/quota-transfers', async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      const first = await route.fetch();
      answers.push({ status: first.status(), replayed: (await first.json()).replayed });
      const retried = await route.fetch();
      answers.push({ status: retried.status(), replayed: (await retried.json()).replayed });
      await route.fulfill({ response: retried });
    });
    const journalBefore = await journalRows();
    const submit = page.locator(sel('transfer-submit'));
    await submit.dblclick();
    expect(await submit.isDisabled()).toBe(true);
    const result = page.locator(sel('pair-result'));
    await result.waitFor();
    await page.unroute('**/api/quota-transfers');
    expect(posts.count).toBe(1);
    expect(answers).toEqual([
      { status: 201, replayed: false },
      { status: 200, replayed: true },
    ]);
    expect(await journalRows()).toBe(journalBefore + 2);
    expect(
      await t!.system.db('quota_journal').where({ quota_id: fromId, kind: 'adjust-out' }).select('amount_fen', 'counterpart_quota_id'),
    ).toEqual([{ amount_fen: 123_456, counterpart_quota_id: toId }]);
    expect(await quotaRow(fromNo)).toMatchObject({ amount_fen: 500_000 - 123_456 });
    expect(await quotaRow(toNo)).toMatchObject({ amount_fen: 100_000 + 123_456 });

    // Both balances after it, in the dialog and in the table.
    expect(await result.locator(sel('pair-result-from')).innerText()).toContain('¥3,765.44');
    expect(await result.locator(sel('pair-result-to')).innerText()).toContain('¥2,234.56');
    await page.screenshot({ path: path.join(RESULTS, 'quotas-transfer.png') });
    await page.locator(sel('transfer-close')).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitUntil(
      async () =>
        (await cellText(fromRow, 'quota-available')) === '¥3,765.44' && (await cellText(toRow, 'quota-available')) === '¥2,234.56',
      'both rows to show their new 可用',
    );

    // 流水 of the source: 调出 naming the quota it went to.
    await fromRow.locator(sel('quota-action-journal')).click();
    const journalRowsShown = page.locator(`${sel('journal-drawer')} ${sel('journal-table')} tbody tr`);
    await waitUntil(async () => (await journalRowsShown.count()) === 2, 'two journal rows');
    const out = journalRowsShown.nth(1);
    expect(await out.innerText()).toContain('调出');
    expect(await out.locator(sel('journal-counterpart')).innerText()).toBe(toNo);
    await page.keyboard.press('Escape');
    await page.locator(sel('journal-drawer')).waitFor({ state: 'hidden' });

    // 结转 ¥765.44 into a new quota of next year, with its own 文号 and a number the ledger gives.
    await rowAction(page, fromRow, 'carry-over');
    const carry = page.locator(sel('carry-over-dialog'));
    await carry.waitFor();
    expect(await page.locator(`${sel('carry-over-year')} input`).inputValue()).toBe(`${YEAR + 1}年`);
    expect(await page.locator(sel('carry-over-quota-no')).innerText()).toBe(`结转后由系统生成（ZB${YEAR + 1}-六位序号）`);
    await page.locator(sel('carry-over-document-no')).fill(`呼财预〔${YEAR + 1}〕1号`);
    await page.locator(sel('carry-over-amount')).fill('765.44');
    await page.locator(sel('carry-over-reason')).fill('项目跨年实施，结余结转下年');
    await page.locator(sel('carry-over-submit')).dblclick();
    await carry.locator(sel('pair-result')).waitFor();
    const newest = (await t!.system.db('quotas').orderBy('id', 'desc').first('id')) as { id: number };
    const newNo = generatedNo(YEAR + 1, Number(newest.id));
    expect(await carry.locator(sel('pair-result-from')).innerText()).toContain('¥3,000.00');
    expect(await carry.locator(sel('pair-result-to')).innerText()).toContain(newNo);
    const created = await t!.system
      .db('quotas')
      .where({ quota_no: newNo })
      .first('fiscal_year', 'amount_fen', 'source_quota_id', 'document_no', 'functional_code');
    expect(created).toMatchObject({
      fiscal_year: YEAR + 1,
      amount_fen: 76_544,
      source_quota_id: fromId,
      document_no: `呼财预〔${YEAR + 1}〕1号`,
      functional_code: '2050202',
    });
    const [carried] = await t!.system.db('quota_journal').where({ quota_id: fromId, kind: 'carry-over' }).count({ n: '*' });
    expect(Number(carried?.n)).toBe(1);
    await page.locator(sel('carry-over-close')).click();
    await waitUntil(async () => (await cellText(fromRow, 'quota-available')) === '¥3,000.00', 'the source row to show 可用 ¥3,000.00');
  });

  test("given a unit clerk, when the quota page is opened, then 下达指标, 追加 and 调减 are not offered; its own unit's quota can be frozen", async () => {
    const clerk = await createAccount(t!.system.db, ['unit_clerk']);
    const issued = await api('POST', '/api/quotas', {
      fiscalYear: YEAR,
      unitOrgId: clerk.orgId,
      functionalCode: '2050202',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: `呼财预〔${YEAR}〕13号`,
      amountFen: 500_000,
      reason: '下达到单位',
      ...(await sealFields()),
    });
    expect(issued.status).toBe(201);
    const quotaNo = issued.json.quota.quotaNo as string;

    const page = await openPage();
    await logInAt(page, '/quotas', clerk.username);
    const row = page.locator(`${sel('quota-table')} tbody tr`, { hasText: quotaNo });
    await row.waitFor();
    expect(await page.locator(sel('issue-quota')).count()).toBe(0);
    expect(await row.locator(sel('quota-action-freeze')).count()).toBe(1);
    expect(await row.locator(sel('quota-action-journal')).count()).toBe(1);
    await row.locator(sel('quota-action-more')).click();
    const menu = page.locator('.el-dropdown-menu:visible');
    await menu.waitFor();
    expect((await menu.innerText()).replace(/\s+/g, ' ').trim()).toBe('解冻 支付');
    await page.keyboard.press('Escape');

    await row.locator(sel('quota-action-freeze')).click();
    await page.locator(sel('entry-dialog')).waitFor();
    await page.locator(sel('entry-amount')).fill('1000');
    await page.locator(sel('entry-reason')).fill('支付申请冻结');
    await page.locator(sel('entry-submit')).click();
    await page.locator(sel('entry-dialog')).waitFor({ state: 'hidden' });
    await waitUntil(async () => (await cellText(row, 'quota-available')) === '¥4,000.00', 'the row to show 可用 ¥4,000.00');
    expect(await quotaRow(quotaNo)).toMatchObject({ amount_fen: 500_000, frozen_fen: 100_000 });
  });

  test('given a role without quotas:read, when it logs in, then 指标账 is not in the menu and /quotas leads to a page it may see', async () => {
    const designer = await createAccount(t!.system.db, ['process_designer']);
    const page = await openPage();
    await page.goto(`${t!.system.url}/login`);
    await page.locator(sel('login-username')).fill(designer.username);
    await page.locator(sel('login-password')).fill(TEST_PASSWORD);
    await page.locator(sel('login-submit')).click();
    await page.waitForURL(/\/workbench$/);
    const menu = page.locator(sel('main-menu'));
    expect(await menu.locator(sel('menu-quotas')).count()).toBe(0);
    expect(await menu.locator(sel('menu-organisations')).count()).toBe(1);
    await page.goto(`${t!.system.url}/quotas`);
    await page.waitForURL(/\/workbench$/);
  });

  test("given 24 units under a department, when 组织机构 is searched by kind and name and paged, then the server pages the results; 下级机构 shows the department's subtree", async () => {
    const page = await openPage();
    await logInAt(page, '/organisations', budget.username);
    const table = page.locator(sel('org-table'));
    const rows = table.locator('tbody tr');
    await rows.first().waitFor();

    // 机构类型 = 预算单位: 24 of them, 20 on the first page, 4 on the second.
    await page.locator(sel('org-search-kind')).click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '预算单位' }).click();
    await page.locator(sel('org-search-submit')).click();
    const pagination = page.locator(sel('org-pagination'));
    await waitUntil(
      async () => (await pagination.innerText()).includes('共 24 条') && (await rows.count()) === 20,
      '24 budget units, 20 on page 1',
    );
    expect(await rows.first().innerText()).toContain('预算单位');
    expect(await rows.first().innerText()).toContain('内蒙古自治区');
    const page2 = page.waitForResponse((r) => r.url().includes('/api/organisations?') && r.url().includes('page=2'));
    await pagination.locator('.el-pager li', { hasText: '2' }).click();
    await page2;
    await waitUntil(async () => (await rows.count()) === 4, '4 rows on page 2');

    // 机构名称 contains 第1: 第1, 第10–19 中学.
    await page.locator(sel('org-search-name')).fill('第1');
    await page.locator(sel('org-search-submit')).click();
    await waitUntil(async () => (await pagination.innerText()).includes('共 11 条') && (await rows.count()) === 11, '11 units named 第1…');

    // 重置, then 下级机构 of the department: itself and its 24 units.
    await page.locator(sel('org-search-reset')).click();
    const deptRow = rows.filter({ hasText: department.name });
    await deptRow.waitFor();
    await deptRow.locator(sel('org-subtree')).click();
    const drawer = page.locator(sel('org-subtree-drawer'));
    await drawer.locator(sel('org-subtree-summary')).waitFor();
    expect(await drawer.locator(sel('org-subtree-summary')).innerText()).toContain('共 25 个机构');
    const treeRows = drawer.locator(`${sel('org-subtree-table')} tbody tr`);
    await waitUntil(async () => (await treeRows.count()) === 25, 'the department and its 24 units in the tree');
    expect(await treeRows.nth(0).innerText()).toContain(department.name);
    expect(await treeRows.nth(1).innerText()).toContain('测试市第1中学');
    expect(await treeRows.nth(2).innerText()).toContain('测试市第2中学');
    await settled(drawer);
    await page.screenshot({ path: path.join(RESULTS, 'organisations.png') });
  });
});

/** Waits until a sliding or fading element has stopped moving (for screenshots). */
async function settled(locator: Locator): Promise<void> {
  let last = '';
  await waitUntil(async () => {
    const box = JSON.stringify(await locator.boundingBox());
    const same = box === last;
    last = box;
    return same;
  }, 'the element to settle');
  await new Promise((r) => setTimeout(r, 300));
}
