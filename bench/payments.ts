/**
 * 用款 end to end: `npx tsx bench/payments.ts` (npm run bench:payments). Needs the engine running
 * (`npm run engine:start`, ENGINE_PORT) like bench:engine and bench:treasury.
 *
 * In one run, on one fresh database (DATABASE_URL's server, SQLite when unset), with the demo data:
 *   a. the bare ledger: freeze → consume, BENCH_PAYMENTS (40) times with BENCH_CLIENTS (4)
 *      concurrent clients over BENCH_QUOTAS (4) quotas of 第一中学;
 *   b. the same count through the API with the bank simulator (started here as its own process):
 *      王芳 (nm_clerk_yz) files each request (POST /api/payments: freeze in the request's
 *      transaction, payment-approval.bpmn started) with BENCH_CLIENTS concurrent requests; the
 *      approvers of the chain are bots — 孙丽 (nm_gkk, 国库处科室负责人审核) and 郑国华 (nm_director,
 *      分管局长审批; ¥BENCH_AMOUNT_YUAN = 6,000 takes the 国库处 → 分管局长 chain) — each with an
 *      enrolled seal, polling the 用款申请 list for requests at their step (GET /api/payments?
 *      status=approving, as their page does) and deciding with their signing PIN (POST
 *      /api/payments/:id/decision, sealed) with BENCH_COMPLETERS (2) concurrent clients; after the
 *      last approval the step 开具支付凭证 issues the payment order to 国库处's treasury process,
 *      the bank simulator accepts it and sends its signed arrival notice, and the settlement
 *      consumes the frozen amount. A payment counts when its order is 已到账 (settled paid).
 * Prints payments/s of each (b: from the first submission to the last settlement), p50/p95 of
 * one payment (a: freeze → consume; b: submission → settled, and the approval and treasury parts
 * of it), and the ratio b/a. Deployments, simulator and database are removed afterwards. Figures
 * only, no assertions.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { seedDemoUsers } from '../server/auth/demo-users';
import { loadConfig } from '../server/config';
import { checkDatabase, readInstant } from '../server/db';
import { EngineClient } from '../server/engine/client';
import * as ledger from '../server/ledger/service';
import { seedReferenceData } from '../server/reference';
import { startSystem } from '../server/system';
import { asShipped } from './shipped';
import { allWorkers, platformWorkers } from '../workers';
import { describeEngine, dropDeployments } from './engine-admin';
import { freshDatabase } from './fresh-database';
import { drive, login, percentiles, sleep, type Client } from './http';
import { capturingLogger, messageOf, Tally } from './log';
import { freePort } from '../test/support/treasury';

const N = Number(process.env.BENCH_PAYMENTS ?? 40);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const COMPLETERS = Number(process.env.BENCH_COMPLETERS ?? 2);
const QUOTAS = Number(process.env.BENCH_QUOTAS ?? 4);
const LOOPS = Number(process.env.BENCH_LOOPS ?? 4);
const AMOUNT = Number(process.env.BENCH_AMOUNT_YUAN ?? 6_000) * 100;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const TIMEOUT_MS = Math.max(300_000, N * 5_000);
const PIN = '602918';
const POLL_MS = 200;

/** The bots: who decides which step (by the step's name, as the list shows it). */
const BOTS = [
  { username: 'nm_gkk', step: '国库处科室负责人审核', comment: '资料齐全，同意支付' },
  { username: 'nm_director', step: '分管局长审批', comment: '同意' },
] as const;

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Bot {
  label: string;
  client: Client;
  step: string;
  comment: string;
}

/** One approver: a poller of the 用款申请 list, `COMPLETERS` clients deciding what it found. */
async function approve(bot: Bot, state: { stopped: boolean; decided: number; latencies: number[]; errors: Tally }): Promise<void> {
  const queue: number[] = [];
  const seen = new Set<number>();
  const poller = (async () => {
    while (!state.stopped) {
      try {
        const r = await bot.client.call('GET', '/payments?status=approving&pageSize=100');
        if (r.status !== 200) throw new Error(`GET /payments: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        for (const item of r.body.items as Array<{ id: number; currentSteps: string[] }>) {
          if (item.currentSteps.includes(bot.step) && !seen.has(item.id)) {
            seen.add(item.id);
            queue.push(item.id);
          }
        }
      } catch (err) {
        if (!state.stopped) state.errors.add(`${bot.label} poll: ${messageOf(err)}`);
      }
      await sleep(POLL_MS);
    }
  })();
  const deciders = Array.from({ length: COMPLETERS }, async () => {
    while (!state.stopped) {
      const id = queue.shift();
      if (id === undefined) {
        await sleep(20);
        continue;
      }
      const t = performance.now();
      const r = await bot.client
        .call('POST', `/payments/${id}/decision`, { decision: 'approve', comment: bot.comment, signingPin: PIN })
        .catch((err: unknown) => ({ status: 0, body: { error: { code: messageOf(err) } } }));
      if (r.status === 200) {
        state.latencies.push(performance.now() - t);
        state.decided += 1;
        continue;
      }
      state.errors.add(`${bot.label} decide: ${r.status} ${r.body?.error?.code ?? ''}`);
      // A step not yet open to this person (the list ran ahead of the engine) or a passing failure: offer it again.
      if (r.status >= 500 || r.body?.error?.code === 'NO_TASK_FOR_YOU') setTimeout(() => seen.delete(id), 500).unref();
    }
  });
  await Promise.all([poller, ...deciders]);
}

async function main(): Promise<void> {
  const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
  const { log, seen } = capturingLogger(LOG_LEVEL);
  const fresh = freshDatabase('budget_bench_payments');
  const namespace = `bp${crypto.randomBytes(4).toString('hex')}`;
  const simPort = await freePort();
  const sim = spawn(
    process.execPath,
    [path.join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(__dirname, '..', 'scripts', 'bank-simulator.ts')],
    {
      env: { ...process.env, BUDGET_BANK_SIM_PORT: String(simPort), BUDGET_BANK_SECRET: base.bank.secret, NODE_ENV: 'development' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const simUrl = `http://127.0.0.1:${simPort}`;
  const config = {
    ...base,
    database: fresh.database,
    port: await freePort(),
    demoData: false,
    logLevel: LOG_LEVEL as typeof base.logLevel,
    engine: { ...base.engine, namespace },
    bank: { ...base.bank, url: simUrl, noticeTimeout: 'PT10M' },
  };
  const engine = new EngineClient(config.engine.restUrl, { timeoutMs: 60_000 });
  await engine.version().catch(() => {
    throw new Error(`流程引擎未运行（${config.engine.restUrl}），请先 npm run engine:start`);
  });
  const system = await startSystem(asShipped(config), { log, workers: platformWorkers(allWorkers, { loops: LOOPS }) });
  const state = { stopped: false, decided: 0, latencies: [] as number[], errors: new Tally() };
  try {
    await system.databaseReady;
    const db = system.db;
    const status = await checkDatabase(db, config.database.client);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    await Promise.race([
      system.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error('engine not ready after 120 s')), 120_000).unref()),
    ]);
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`${simUrl}/health`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    )
      await sleep(200);
    const unit = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const quotas: number[] = [];
    for (let i = 0; i < QUOTAS; i++) {
      const q = await ledger.issueQuota(db, {
        fiscalYear: 2026,
        unitOrgId: unit,
        functionalCode: '2050203',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: `用款压测〔2026〕${i + 1}号`,
        amountFen: AMOUNT * N * 4,
        actor: 'bench',
        reason: '压测下达',
      });
      quotas.push(q.quota.id);
    }
    const meta = { actor: 'bench', reason: '压测' };

    // a. the bare ledger
    const bare = await drive(
      Array.from({ length: N }, (_, i) => i),
      CLIENTS,
      async (i) => {
        await ledger.freeze(db, { ...meta, quotaId: quotas[i % QUOTAS]!, amountFen: AMOUNT, idempotencyKey: `bare-${i}-f` });
        await ledger.consume(db, { ...meta, quotaId: quotas[i % QUOTAS]!, amountFen: AMOUNT, idempotencyKey: `bare-${i}-c` });
      },
    );
    const barePerSecond = N / bare.seconds;

    // b. through the API
    const clerk = await login(system.url, 'nm_clerk_yz');
    const bots: Bot[] = [];
    for (const b of BOTS) {
      const client = await login(system.url, b.username);
      const enrolled = await client.call('POST', '/seals/enrol', { pin: PIN });
      if (enrolled.status !== 201) throw new Error(`enrol ${b.username}: ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
      bots.push({ label: `${b.step} (${b.username})`, client, step: b.step, comment: b.comment });
    }
    const approving = bots.map((b) => approve(b, state));
    const submitted = new Map<number, number>();
    const t1Wall = Date.now();
    const filing = await drive(
      Array.from({ length: N }, (_, i) => i),
      CLIENTS,
      async (i) => {
        // A payee of its own each (name and account): the risk rules see neither split payments nor changed accounts.
        const body = {
          quotaId: quotas[i % QUOTAS]!,
          amountFen: AMOUNT,
          payeeName: `压测收款单位${i + 1}`,
          payeeKind: 'organisation',
          payeeAccount: `62220212${String(i + 1).padStart(7, '0')}0`,
          payeeBank: '中国工商银行呼和浩特分行',
          purpose: `压测用款第${i + 1}笔`,
          economicCode: '30201',
          paymentType: 'direct',
        };
        for (let attempt = 1; ; attempt++) {
          const at = Date.now();
          const r = await clerk.call('POST', '/payments', body);
          if (r.status === 201) {
            submitted.set(Number(r.body.id), at);
            return;
          }
          state.errors.add(`submit: ${r.status} ${r.body?.error?.code ?? JSON.stringify(r.body).slice(0, 120)}`);
          if (r.status < 500 || attempt >= 5) return;
          await sleep(200 * attempt);
        }
      },
    );
    const deadline = Date.now() + TIMEOUT_MS;
    const countPaid = async () =>
      Number(
        (
          (
            await db('payment_orders')
              .where({ source_kind: 'payment-request', status: 'paid' })
              .whereIn('source_id', [...submitted.keys()])
              .count({ n: '*' })
          )[0] as { n: number | string }
        ).n,
      );
    let paid = 0;
    while (Date.now() < deadline && (paid = await countPaid()) < submitted.size) await sleep(250);
    state.stopped = true;
    await Promise.all(approving);

    const requests = (await db('payment_requests')
      .whereIn('id', [...submitted.keys()])
      .select('id', 'approved_at')) as Array<{ id: number; approved_at: unknown }>;
    const approvedAt = new Map(requests.map((r) => [Number(r.id), r.approved_at ? readInstant(r.approved_at).getTime() : null]));
    const orders = (await db('payment_orders')
      .where({ source_kind: 'payment-request', status: 'paid' })
      .whereIn('source_id', [...submitted.keys()])
      .select('source_id', 'created_at', 'settled_at')) as Array<{ source_id: number; created_at: unknown; settled_at: unknown }>;
    const endToEnd: number[] = [];
    const approval: number[] = [];
    const treasury: number[] = [];
    let last = t1Wall;
    for (const o of orders) {
      const start = submitted.get(Number(o.source_id))!;
      const settled = readInstant(o.settled_at).getTime();
      last = Math.max(last, settled);
      endToEnd.push(settled - start);
      const approved = approvedAt.get(Number(o.source_id));
      if (approved) approval.push(approved - start);
      treasury.push(settled - readInstant(o.created_at).getTime());
    }
    const apiSeconds = (last - t1Wall) / 1000;
    const apiPerSecond = paid / apiSeconds;
    const consumed = Number(
      (
        (await db('quota_journal').where({ kind: 'consume', reference_type: 'payment-order' }).count({ n: '*' }))[0] as {
          n: number | string;
        }
      ).n,
    );
    const frozenLeft = Number(
      ((await db('quotas').whereIn('id', quotas).sum({ s: 'frozen_fen' }))[0] as { s: number | string | null }).s ?? 0,
    );
    const decisions = percentiles(state.latencies);
    const bareP = percentiles(bare.times);
    const e2e = percentiles(endToEnd);

    console.log(
      `用款端到端基准 — 应用数据库 ${status.serverVersion ?? config.database.client} (${config.database.client})；引擎 ${await describeEngine(engine)}`,
    );
    console.log(
      `${N} 笔，每笔 ¥${AMOUNT / 100}（国库处科室负责人 → 分管局长），提交并发 ${CLIENTS}，每位审批人并发 ${COMPLETERS}，指标 ${QUOTAS} 个，外部任务循环 ${LOOPS}；时间单位 ms`,
    );
    console.table([
      {
        run: 'a. 账本 冻结→核销',
        payments: N,
        seconds: round(bare.seconds, 2),
        perSecond: round(barePerSecond),
        p50: bareP.p50,
        p95: bareP.p95,
        max: bareP.max,
      },
      {
        run: 'b. API 提交→审批(签章)→支付凭证→银行模拟器→到账通知→核销',
        payments: paid,
        seconds: round(apiSeconds, 2),
        perSecond: round(apiPerSecond, 2),
        p50: e2e.p50,
        p95: e2e.p95,
        max: e2e.max,
      },
    ]);
    const ap = percentiles(approval);
    const tp = percentiles(treasury);
    const submit = percentiles(filing.times);
    console.log(
      `(b) 其中 提交→审批通过 p50 ${ap.p50} / p95 ${ap.p95}；开具支付凭证→到账核销 p50 ${tp.p50} / p95 ${tp.p95}；提交请求 p50 ${submit.p50} / p95 ${submit.p95}；审批请求 ${state.decided} 次 p50 ${decisions.p50} / p95 ${decisions.p95}`,
    );
    console.log(`(b) 已到账 ${paid} / 提交 ${submitted.size}；核销流水 ${consumed} 笔；指标上剩余冻结 ¥${(frozenLeft - 0) / 100}`);
    if (state.errors.total) {
      console.log('(b) errors while driving:');
      console.table(state.errors.rows());
    }
    console.log(`(b) system log (level ${LOG_LEVEL}): ${seen.total} warnings/errors`);
    if (seen.total) console.table(seen.rows().slice(0, 15));
    console.log(`b/a = ${(apiPerSecond / barePerSecond).toFixed(4)}`);
  } finally {
    state.stopped = true;
    await system.stop();
    sim.kill('SIGTERM');
    await dropDeployments(engine, namespace).catch(() => 0);
    await fresh.drop();
  }
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
