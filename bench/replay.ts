/**
 * Replay bench: `npx tsx bench/replay.ts` (npm run bench:replay). One intake instance made long on
 * purpose — 陈静 (财政业务处室) returns it to the department BENCH_ROUNDS (70) times and 李娜 sends
 * it on again, then it is admitted — so the engine's history holds some 500 events (activity
 * instances, tasks, variable revisions); then 何敏 (合规核验) opens its 流程回放 in Chromium at
 * 1366×768, BENCH_RUNS (5) times, each in a fresh page:
 *   - api: GET /api/processes/instances/{key}/replay on its own (server time + transfer);
 *   - first draw: from navigation to the diagram drawn with its elements and the step list shown
 *     (the page's own data load included).
 * Needs ENGINE_URL (an engine already running) or starts the local one like the tests; a fresh
 * database on DATABASE_URL's server (SQLite when unset), dropped afterwards. Figures only.
 */
import { chromium } from 'playwright-core';
import { seedDemoUsers } from '../server/auth/demo-users';
import { seedReferenceData } from '../server/reference';
import { loginCookie } from '../test/support/accounts';
import { apiAs, demoApplication } from '../test/support/intake';
import { buildWebIfStale, logInThroughPage } from '../test/support/browser';
import { startTestSystem } from '../test/support/system';
import { percentiles } from './http';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 70);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PASSWORD = 'Budget@2026';
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function main(): Promise<void> {
  process.env.NODE_ENV = 'test';
  buildWebIfStale();
  const t = await startTestSystem();
  try {
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const cookies: Record<string, string> = {};
    for (const u of ['nm_clerk_yz', 'nm_dept_jy', 'nm_jkw', 'nm_ysk', 'nm_compliance'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    const call = apiAs(`${t.system.url}/api`, cookies);
    const created = await call('nm_clerk_yz', 'POST', '/projects', demoApplication('回放基准测试项目'));
    const projectId = Number(created.body.id);
    const submitted = await call('nm_clerk_yz', 'POST', `/projects/${projectId}/submit`, { version: created.body.version });
    if (submitted.status !== 200) throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.body)}`);
    const taskAt = async (step: string) => {
      for (let i = 0; i < 600; i++) {
        const row = (await db('inbox_tasks')
          .where({ business_id: projectId, element_id: step, status: 'open' })
          .first('id', 'process_instance_key')) as { id: number; process_instance_key: string } | undefined;
        if (row) return row;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no open ${step}`);
    };
    const complete = async (who: string, taskId: number, data: Record<string, unknown>) => {
      const r = await call(who, 'POST', `/tasks/${taskId}/complete`, { data });
      if (r.status !== 200) throw new Error(`${who} complete: ${r.status} ${JSON.stringify(r.body)}`);
    };
    const started = Date.now();
    let key = '';
    for (let round = 0; round <= ROUNDS; round++) {
      const dept = await taskAt('DepartmentReview');
      key = dept.process_instance_key;
      await complete('nm_dept_jy', dept.id, { decision: 'approve', comment: `第 ${round + 1} 次报送` });
      const sector = await taskAt('SectorReview');
      if (round < ROUNDS)
        await complete('nm_jkw', sector.id, {
          decision: 'return',
          returnTo: 'department',
          countersign: false,
          comment: `第 ${round + 1} 次退回主管部门补充材料`,
        });
      else await complete('nm_jkw', sector.id, { decision: 'approve', countersign: false, comment: '符合支出方向' });
    }
    await complete('nm_ysk', (await taskAt('BudgetDecision')).id, { decision: 'admit' });
    for (let i = 0; i < 300; i++) {
      if ((await t.system.engine.historicProcessInstance(key))?.state === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const engine = t.system.engine;
    const [activities, tasks, variables] = await Promise.all([
      engine.request<Array<unknown>>('GET', '/history/activity-instance', { query: { processInstanceId: key, maxResults: 100_000 } }),
      engine.request<Array<unknown>>('GET', '/history/task', { query: { processInstanceId: key, maxResults: 100_000 } }),
      engine.request<Array<unknown>>('GET', '/history/detail', { query: { processInstanceId: key, maxResults: 100_000 } }),
    ]);
    console.log(
      `instance ${key}: ${ROUNDS} returns, built in ${((Date.now() - started) / 1000).toFixed(1)} s; engine history: ${activities.length} activity instances, ${tasks.length} tasks, ${variables.length} variable revisions = ${activities.length + tasks.length + variables.length} events`,
    );

    const api: number[] = [];
    let steps = 0;
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const res = await fetch(`${t.system.url}/api/processes/instances/${key}/replay`, { headers: { cookie: cookies.nm_compliance! } });
      const text = await res.text();
      api.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`replay API: ${res.status} ${text.slice(0, 300)}`);
      bytes = text.length;
      steps = ((JSON.parse(text) as { steps?: unknown[] }).steps ?? []).length;
    }

    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const draw: number[] = [];
    let shownSteps = 0;
    try {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      await logInThroughPage(page, t.system.url, '/compliance', 'nm_compliance', PASSWORD);
      for (let i = 0; i < RUNS + 1; i++) {
        await page.goto(`${t.system.url}/compliance`);
        await page.waitForLoadState('networkidle');
        const t0 = performance.now();
        await page.goto(`${t.system.url}/compliance/replay/${key}`);
        await page.locator('[data-test="replay-steps"] li').first().waitFor();
        await page.locator('.process-diagram .djs-element').first().waitFor();
        const ms = performance.now() - t0;
        if (i > 0) draw.push(ms); // the first one warms the browser's cache of the scripts
        shownSteps = await page.locator('[data-test="replay-steps"] li').count();
      }
      await context.close();
    } finally {
      await browser.close();
    }
    const a = percentiles(api);
    const d = percentiles(draw);
    console.table([
      { what: 'replay API (GET …/replay)', runs: api.length, p50: a.p50, p95: a.p95, max: a.max, steps, kB: Math.round(bytes / 1024) },
      {
        what: 'page: navigation → diagram and steps drawn',
        runs: draw.length,
        p50: d.p50,
        p95: d.p95,
        max: d.max,
        steps: shownSteps,
        kB: '',
      },
    ]);
  } finally {
    await t.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
