import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { createOrganisation } from '../../server/reference/organisations';
import { createAccount, TEST_PASSWORD } from '../support/accounts';
import { buildWebIfStale, launchChromium, logInThroughPage, PageOpener, RESULTS, sel, waitUntil } from '../support/browser';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 用户管理 in a real Chromium against the real system: the system admin creates an account
 * (no roles, must change the password), the security admin grants it a role (三员分立: the system
 * admin is not offered that), and the new person logs in, cannot get past the 修改密码 dialog
 * until the password is changed, then sees the pages of the role. Screenshots go to .ci/results/.
 */
describe('用户管理 page in a browser, against the real system', () => {
  let browser: Browser | undefined;
  let t: TestSystem | undefined;
  let sysadmin: { username: string };
  let secadmin: { username: string };
  let unit: { id: number; name: string };
  const pages = new PageOpener({ height: 1000 });
  const NEW_USER = `clerk_${Date.now().toString(36)}`;
  const INITIAL = 'Initial#2026';
  const OWN = 'MyOwn#2026pw';
  const RESET = 'Reset#2026pw';

  beforeAll(async () => {
    buildWebIfStale();
    browser = await launchChromium();
    t = await startTestSystem();
    await t.system.ready;
    fs.mkdirSync(RESULTS, { recursive: true });
    const db = t.system.db;
    sysadmin = await createAccount(db, ['system_admin']);
    secadmin = await createAccount(db, ['security_admin']);
    const bureau = (await db('organisations').where({ code: 'TEST-CZT' }).first('id')) as { id: number };
    unit = await createOrganisation(db, {
      code: 'TEST-UNIT-USERS',
      name: '测试用户管理中学',
      kind: 'budget_unit',
      regionCode: '150000',
      parentId: bureau.id,
    });
  }, 240_000);

  afterAll(async () => {
    await pages.closeAll();
    await browser?.close();
    await t?.close();
  }, 60_000);

  afterEach(() => {
    expect(pages.errors.splice(0)).toEqual([]);
  });

  const openPage = () => pages.open(browser!);
  const logInAt = (page: Page, pathname: string, username: string, password = TEST_PASSWORD) =>
    logInThroughPage(page, t!.system.url, pathname, username, password);

  const userRow = (page: Page) => page.locator(`${sel('user-table')} tbody tr`, { hasText: NEW_USER });

  test('the system admin creates an account: no roles yet, 待改密; it is not offered 分配角色', async () => {
    const page = await openPage();
    await logInAt(page, '/users', sysadmin.username);
    expect(await page.locator(sel('menu-users')).count()).toBe(1);
    await page.locator(sel('user-table')).waitFor();

    await page.locator(sel('user-create')).click();
    const dialog = page.locator(sel('user-form-dialog'));
    await dialog.waitFor();
    // A name already taken: the server refuses it, shown inside the dialog (message and the field).
    await page.locator(sel('user-form-username')).fill(sysadmin.username);
    await page.locator(sel('user-form-display-name')).fill('张新');
    await page.locator(sel('user-form-org')).click();
    await page.keyboard.type('用户管理');
    await page.locator('.el-select-dropdown__item', { hasText: unit.name }).click();
    // A weak password is refused in the form, with the policy's words.
    await page.locator(sel('user-form-password')).fill('weakpass');
    await page.locator(sel('user-form-submit')).click();
    await page.locator('.el-form-item__error', { hasText: '至少三类' }).waitFor();
    await page.locator(sel('user-form-password')).fill(INITIAL);
    await page.locator(sel('user-form-submit')).click();
    await dialog.locator(sel('user-form-error')).waitFor();
    await dialog.locator('.el-form-item__error', { hasText: '该用户名已被使用' }).waitFor();
    expect(await dialog.isVisible()).toBe(true);
    await page.locator(sel('user-form-username')).fill(NEW_USER);
    await page.locator(sel('user-form-submit')).click();
    await dialog.waitFor({ state: 'hidden' });

    const row = userRow(page);
    await row.waitFor();
    expect(await row.locator(sel('user-roles')).innerText()).toContain('未分配');
    expect(await row.locator(sel('user-must-change')).count()).toBe(1);
    expect(await row.locator(sel('user-assign-roles')).count()).toBe(0);
    expect(await row.locator(sel('user-reset-password')).count()).toBe(0);
    const stored = (await t!.system.db('users').where({ username: NEW_USER }).first('display_name', 'org_id', 'must_change_password')) as {
      display_name: string;
      org_id: number;
      must_change_password: unknown;
    };
    expect({ ...stored, must_change_password: Boolean(stored.must_change_password) }).toEqual({
      display_name: '张新',
      org_id: unit.id,
      must_change_password: true,
    });
    await page.screenshot({ path: path.join(RESULTS, 'users.png'), fullPage: true });

    // 编辑: the same dialog, filled from the row; the username cannot be changed.
    await row.locator(sel('user-edit')).click();
    await dialog.waitFor();
    expect(await page.locator(sel('user-form-username')).inputValue()).toBe(NEW_USER);
    expect(await page.locator(sel('user-form-username')).isDisabled()).toBe(true);
    expect(await page.locator(sel('user-form-password')).count()).toBe(0);
    await page.locator(sel('user-form-display-name')).fill('张新新');
    await page.locator(sel('user-form-submit')).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitUntil(async () => (await row.innerText()).includes('张新新'), 'the row to show the new name');
    const edited = (await t!.system.db('users').where({ username: NEW_USER }).first('display_name')) as { display_name: string };
    expect(edited.display_name).toBe('张新新');
  });

  test('the security admin assigns a role; two of the three admin roles are refused before sending', async () => {
    const page = await openPage();
    await logInAt(page, '/users', secadmin.username);
    expect(await page.locator(sel('user-create')).count()).toBe(0);
    const row = userRow(page);
    await row.waitFor();
    expect(await row.locator(sel('user-edit')).count()).toBe(0);

    await row.locator(sel('user-assign-roles')).click();
    const dialog = page.locator(sel('user-roles-dialog'));
    await dialog.waitFor();
    await page.locator(sel('user-role-system_admin')).click();
    await page.locator(sel('user-role-audit_admin')).click();
    expect(await page.locator(sel('user-roles-submit')).isDisabled()).toBe(true);
    expect(await page.locator(`${sel('user-roles-separation')}.el-alert--error`).count()).toBe(1);
    await page.locator(sel('user-role-system_admin')).click();
    await page.locator(sel('user-role-audit_admin')).click();
    await page.locator(sel('user-role-unit_clerk')).click();
    await page.locator(sel('user-roles-submit')).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitUntil(
      async () => (await row.locator(sel('user-roles')).innerText()).includes('预算单位经办人'),
      'the row to show the granted role',
    );
    const created = (await t!.system.db('users').where({ username: NEW_USER }).first('id')) as { id: number };
    expect(await t!.system.db('user_roles').where({ user_id: created.id }).select('role')).toEqual([{ role: 'unit_clerk' }]);
  });

  test('the new person must change the password before anything else, then sees the pages of the role', async () => {
    const page = await openPage();
    await logInAt(page, '/quotas', NEW_USER, INITIAL);
    const dialog = page.locator(sel('change-password-dialog'));
    await dialog.waitFor();
    expect(await page.locator(sel('quotas-page')).count()).toBe(0);
    // It cannot be dismissed.
    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.locator('.el-dialog__headerbtn').count()).toBe(0);
    expect(await dialog.getByRole('button', { name: '取消' }).count()).toBe(0);
    expect(await dialog.locator(sel('change-password-logout')).isVisible()).toBe(true);

    await page.locator(sel('change-password-old')).fill(INITIAL);
    await page.locator(sel('change-password-new')).fill(OWN);
    await page.locator(sel('change-password-confirm')).fill(OWN);
    await page.locator(sel('change-password-submit')).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator(sel('quota-table')).waitFor();

    const menu = page.locator(sel('main-menu'));
    expect(await menu.locator(sel('menu-quotas')).count()).toBe(1);
    expect(await menu.locator(sel('menu-organisations')).count()).toBe(1);
    expect(await menu.locator(sel('menu-users')).count()).toBe(0);
    // 组织机构: only the person's own unit.
    await menu.locator(sel('menu-organisations')).click();
    const orgRows = page.locator(`${sel('org-table')} tbody tr`);
    await waitUntil(
      async () => (await orgRows.count()) === 1 && (await orgRows.first().innerText()).includes(unit.name),
      'the organisation list to show the own unit only',
    );
    const stored = (await t!.system.db('users').where({ username: NEW_USER }).first('must_change_password')) as {
      must_change_password: unknown;
    };
    expect(Boolean(stored.must_change_password)).toBe(false);
  });

  test('the security admin resets the password: a server refusal shows inside the dialog, which stays open; then 待改密 again', async () => {
    const page = await openPage();
    await logInAt(page, '/users', secadmin.username);
    const row = userRow(page);
    await row.waitFor();
    expect(await row.locator(sel('user-must-change')).count()).toBe(0);

    await row.locator(sel('user-reset-password')).click();
    const dialog = page.locator(sel('reset-password-dialog'));
    await dialog.waitFor();
    await page.locator(sel('reset-password-new')).fill(RESET);
    await page.locator(sel('reset-password-confirm')).fill('Other#2026pw');
    await page.locator(sel('reset-password-submit')).click();
    await dialog.locator('.el-form-item__error', { hasText: '不一致' }).waitFor();
    await page.locator(sel('reset-password-confirm')).fill(RESET);

    // The server's refusal (made up once here: the real server accepts this password) is shown in the dialog, by the field.
    let refused = 0;
    await page.route('**/api/users/*/reset-password', async (route) => {
      refused += 1;
      await route.fulfill({
        status: 400,
        contentType: 'application/json',
        body: JSON.stringify({
          error: {
            code: 'VALIDATION_FAILED',
            message: '新密码不符合要求',
            details: [{ field: 'body.password', message: '服务端拒绝了这个密码' }],
          },
        }),
      });
    });
    await page.locator(sel('reset-password-submit')).click();
    await dialog.locator(sel('reset-password-error'), { hasText: '新密码不符合要求' }).waitFor();
    await dialog.locator('.el-form-item__error', { hasText: '服务端拒绝了这个密码' }).waitFor();
    expect(refused).toBe(1);
    expect(await dialog.isVisible()).toBe(true);
    await page.unroute('**/api/users/*/reset-password');

    await page.locator(sel('reset-password-submit')).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.locator(sel('user-must-change')).waitFor();
    const stored = (await t!.system.db('users').where({ username: NEW_USER }).first('must_change_password')) as {
      must_change_password: unknown;
    };
    expect(Boolean(stored.must_change_password)).toBe(true);
  });
});
