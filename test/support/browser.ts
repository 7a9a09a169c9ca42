import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** What the browser tests share: paths, Chromium, waiting. */
export const ROOT = path.resolve(__dirname, '../..');
export const RESULTS = path.join(ROOT, '.ci', 'results');
const WEB = path.join(ROOT, 'web');
const BUILT_INDEX = path.join(WEB, 'dist', 'index.html');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

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
