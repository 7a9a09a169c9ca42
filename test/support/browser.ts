import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { nextTotpCode, rememberSecret } from './second-factor';

/** What the browser tests share: paths, Chromium, waiting. */
export const ROOT = path.resolve(__dirname, '../..');
export const RESULTS = path.join(ROOT, '.ci', 'results');
const WEB = path.join(ROOT, 'web');
const BUILT_INDEX = path.join(WEB, 'dist', 'index.html');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** How long the page may take to show something that depends on the server (a smoke check waits up to 15 s). */
export const UI_TIMEOUT = 30_000;

export const sel = (name: string) => `[data-test="${name}"]`;

/** Runs scripts/build-web-if-stale.mjs when web/dist/index.html is missing or older than web/ sources. */
export function buildWebIfStale(): void {
  if (fs.existsSync(BUILT_INDEX) && fs.statSync(BUILT_INDEX).mtimeMs >= newestMtime(WEB)) return;
  const r = spawnSync(process.execPath, ['scripts/build-web-if-stale.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) {
    throw new Error(`node scripts/build-web-if-stale.mjs failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const p = path.join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

export async function launchChromium(): Promise<Browser> {
  const hint = `Install it with \`apt-get install chromium fonts-noto-cjk\`, or set CHROMIUM_PATH to a Chromium/Chrome executable.`;
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: the browser tests need it. ${hint}`);
  }
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (e) {
    throw new Error(`Chromium at ${CHROMIUM_PATH} failed to start: ${(e as Error).message}\n${hint}`, { cause: e });
  }
}

export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = UI_TIMEOUT): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface PageOptions {
  /** Viewport height. */
  height: number;
  /** Viewport width, 1440 unless given (1366: the common office laptop). */
  width?: number;
  acceptDownloads?: boolean;
}

/**
 * Opens each page in a fresh context (1440 wide unless told, zh-CN, in UTC so the page must format times in
 * Asia/Shanghai itself) and collects every uncaught page exception in `errors`: a test file
 * asserts it empty after each test, whatever the assertions saw.
 */
export class PageOpener {
  readonly errors: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  constructor(private readonly options: PageOptions) {}

  async open(browser: Browser): Promise<Page> {
    const { height, width = 1440, acceptDownloads } = this.options;
    const context = await browser.newContext({
      viewport: { width, height },
      locale: 'zh-CN',
      timezoneId: 'UTC',
      ...(acceptDownloads ? { acceptDownloads } : {}),
    });
    this.contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => this.errors.push(err.message));
    return page;
  }

  async closeAll(): Promise<void> {
    for (const c of this.contexts.splice(0)) await c.close().catch(() => undefined);
  }
}

/**
 * Fills in the login form and submits it, as a person would. A person of a second-factor role
 * goes on as they would too: at the first login the page asks to bind an authenticator (the
 * helper reads the secret shown for typing by hand, confirms with a code and saves the recovery
 * codes), later logins ask for the code (test/support/second-factor.ts computes it).
 * `secondFactor: false` stops after the password (tests of those steps themselves).
 */
export async function submitLogin(page: Page, username: string, password: string, options: { secondFactor?: boolean } = {}): Promise<void> {
  await page.locator(sel('login-username')).fill(username);
  await page.locator(sel('login-password')).fill(password);
  await page.locator(sel('login-submit')).click();
  if (options.secondFactor === false) return;
  const outcome = await loginOutcome(page);
  const origin = new URL(page.url()).origin;
  if (outcome === 'code') {
    await page.locator(sel('login-otp')).fill(await nextTotpCode(origin, username));
    await page.locator(sel('login-otp-submit')).click();
    return;
  }
  if (outcome === 'enrol') await enrolThroughPage(page, origin, username);
}

/** What the page shows after the password: the code step, the forced enrolment, a login error, or the app. */
async function loginOutcome(page: Page): Promise<'code' | 'enrol' | 'error' | 'in'> {
  let outcome: 'code' | 'enrol' | 'error' | 'in' | null = null;
  await waitUntil(async () => {
    if (await page.locator(sel('login-second-factor')).isVisible()) outcome = 'code';
    else if (await page.locator(sel('login-error')).isVisible()) outcome = 'error';
    else if (await page.locator(sel('second-factor-forced')).isVisible()) outcome = 'enrol';
    else if (!new URL(page.url()).pathname.startsWith('/login') && (await page.locator(sel('current-user')).isVisible()))
      outcome = (await page.locator(sel('second-factor-forced')).count()) > 0 ? 'enrol' : 'in';
    return outcome !== null;
  }, 'the page after the password');
  return outcome!;
}

/** Binds an authenticator through the page (account page or the forced first-login card). */
export async function enrolThroughPage(page: Page, origin: string, username: string): Promise<string[]> {
  await page.locator(sel('second-factor-start')).click();
  const secret = (await page.locator(sel('second-factor-secret')).innerText()).replace(/\s/g, '');
  rememberSecret(origin, username, secret);
  await page.locator(sel('second-factor-code')).fill(await nextTotpCode(origin, username));
  await page.locator(sel('second-factor-confirm')).click();
  await page.locator(sel('second-factor-recovery-codes')).waitFor();
  const codes = (await page.locator(`${sel('second-factor-recovery-codes')} li`).allInnerTexts()).map((c) => c.trim());
  await page.locator(sel('second-factor-done')).click();
  return codes;
}

/** Opens `baseUrl + pathname`, is sent to the login page, logs in and lands back on `pathname`. */
export async function logInThroughPage(page: Page, baseUrl: string, pathname: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}${pathname}`);
  await page.waitForURL(/\/login\?redirect=/);
  await submitLogin(page, username, password);
  await page.waitForURL((url) => url.pathname === pathname);
}

/** A JSON request to the API with a session cookie; `json` is null when the body is not JSON. */
export async function apiRequest(
  baseUrl: string,
  cookie: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { 'content-type': 'application/json', cookie },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** Counts the requests with `method` the page sends to paths matching `pattern`. */
export function countRequests(page: Page, method: string, pattern: RegExp): { count: number } {
  const counter = { count: 0 };
  page.on('request', (r) => {
    if (r.method() === method && pattern.test(new URL(r.url()).pathname)) counter.count += 1;
  });
  return counter;
}

/**
 * The sealing dialog a sealed action opens (web/src/seals/SealDialog.vue): a person who has not
 * enrolled sets the PIN twice there (and the same PIN seals at once), an enrolled person types it.
 * Returns which of the two the dialog asked for.
 */
export async function sealInDialog(page: Page, pin: string): Promise<'enrol' | 'pin'> {
  const dialog = page.locator(`.el-dialog${sel('seal-dialog')}`);
  await dialog.waitFor();
  await dialog
    .locator(`${sel('seal-new-pin')}, ${sel('seal-pin')}`)
    .first()
    .waitFor();
  const mode = (await dialog.locator(sel('seal-new-pin')).count()) > 0 ? 'enrol' : 'pin';
  if (mode === 'enrol') {
    await dialog.locator(`${sel('seal-new-pin')}`).fill(pin);
    await dialog.locator(`${sel('seal-new-pin-confirm')}`).fill(pin);
  } else {
    await dialog.locator(`${sel('seal-pin')}`).fill(pin);
  }
  await dialog.locator(sel('seal-submit')).click();
  return mode;
}
