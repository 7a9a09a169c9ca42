/**
 * 国库支付 throughput: `npx tsx bench/treasury.ts` (npm run bench:treasury). Needs the engine
 * running (`npm run engine:start`, ENGINE_PORT) like bench:engine.
 *
 * In one run, on one fresh database (DATABASE_URL's server, SQLite when unset):
 *   a. the bare ledger: freeze → consume, BENCH_ORDERS (200) times with BENCH_CLIENTS (8)
 *      concurrent clients over BENCH_QUOTAS (20) quotas;
 *   b. the whole treasury path: freeze → issuePaymentOrder → the engine (send external task →
 *      the bank simulator, started here as its own process → its signed arrival notice at
 *      /api/treasury/bank-notices → message correlation → settle external task → ledger consume),
 *      the same count, clients and quotas, with the system's workers (BENCH_LOOPS, 4) in process.
 * Prints orders/s for each (b: from the first freeze to the last settlement), p50/p95 of one
 * order's issue → settled, and the ratio b/a. Deployments, simulator and database are removed
 * afterwards. Figures only, no assertions.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { seedReferenceData } from '../server/reference';
import { loadConfig } from '../server/config';
import { checkDatabase, readInstant } from '../server/db';
import { createEngineClient } from '../server/engine/client';
import * as ledger from '../server/ledger/service';
import { startSystem } from '../server/system';
import { createLogger } from '../server/log';
import { issuePaymentOrder } from '../server/treasury/orders';
import { allWorkers, platformWorkers } from '../workers';
import { describeEngine, dropDeployments } from './engine-admin';
import { freshDatabase } from './fresh-database';
import net from 'node:net';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 200);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const QUOTAS = Number(process.env.BENCH_QUOTAS ?? 20);
const LOOPS = Number(process.env.BENCH_LOOPS ?? 4);
const AMOUNT = 1_000_00;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], q: number) => Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0);

async function pool(n: number, clients: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

async function main(): Promise<void> {
  const base = loadConfig();
  const fresh = freshDatabase('budget_bench_treasury');
  const namespace = `bt${crypto.randomBytes(4).toString('hex')}`;
  const simPort = await freePort();
  const sim = spawn(
    process.execPath,
    [path.join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(__dirname, '..', 'scripts', 'bank-simulator.ts')],
    {
      env: { ...process.env, BUDGET_BANK_SIM_PORT: String(simPort), NODE_ENV: 'development' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const simUrl = `http://127.0.0.1:${simPort}`;
  const config = {
    ...base,
    database: fresh.database,
    port: await freePort(),
    demoData: false,
    logLevel: (process.env.BENCH_LOG_LEVEL ?? 'warn') as typeof base.logLevel,
    engine: { ...base.engine, namespace },
    bank: { ...base.bank, url: simUrl, noticeTimeout: 'PT10M' },
  };
  const engine = createEngineClient(config.engine, { timeoutMs: 60_000 });
  await engine.version().catch(() => {
    throw new Error(`流程引擎未运行（${config.engine.restUrl}），请先 npm run engine:start`);
  });
  const system = await startSystem(config, { log: createLogger(config.logLevel), workers: platformWorkers(allWorkers, { loops: LOOPS }) });
  try {
    await system.ready;
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
    const db = system.db;
    const status = await checkDatabase(db, config.database.client);
    await seedReferenceData(db, { year: 2026 });
    const unit = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const quotas: number[] = [];
    for (let i = 0; i < QUOTAS; i++) {
      const q = await ledger.issueQuota(db, {
        fiscalYear: 2026,
        unitOrgId: unit,
        functionalCode: '2050203',
        economicCode: '30213',
        fundSource: '一般公共预算',
        documentNo: `压测${i}`,
        amountFen: AMOUNT * ORDERS * 4,
        actor: 'bench',
        reason: '压测下达',
      });
      quotas.push(q.quota.id);
    }
    const meta = { actor: 'bench', reason: '压测' };

    // a. the bare ledger
    const t0 = performance.now();
    await pool(ORDERS, CLIENTS, async (i) => {
      const key = `bare-${i}`;
      await ledger.freeze(db, { ...meta, quotaId: quotas[i % QUOTAS]!, amountFen: AMOUNT, idempotencyKey: `${key}-f` });
      await ledger.consume(db, { ...meta, quotaId: quotas[i % QUOTAS]!, amountFen: AMOUNT, idempotencyKey: `${key}-c` });
    });
    const bareSeconds = (performance.now() - t0) / 1000;
    const bare = ORDERS / bareSeconds;

    // b. freeze → issuePaymentOrder → paid through the simulator
    const deps = { db, engine: system.engine, config };
    const ids: number[] = [];
    const t1 = performance.now();
    await pool(ORDERS, CLIENTS, async (i) => {
      const quotaId = quotas[i % QUOTAS]!;
      const freezeKey = `pay-${i}-f`;
      await ledger.freeze(db, { ...meta, quotaId, amountFen: AMOUNT, idempotencyKey: freezeKey });
      const o = await issuePaymentOrder(deps, {
        source: { kind: 'payment-request', id: i + 1 },
        quotaId,
        amountFen: AMOUNT,
        freezeKey,
        payeeName: '压测收款单位',
        payeeAccount: `62220212${String(i).padStart(8, '0')}`.replace(/900[1-8]$/, '8000'),
        payeeBank: '压测银行',
        purpose: '压测',
        paymentType: 'direct',
        unitOrgId: unit,
        economicCode: '30213',
      });
      ids.push(o.orderId);
    });
    const issued = (performance.now() - t1) / 1000;
    const deadline = Date.now() + 600_000;
    let open = ORDERS;
    while (Date.now() < deadline) {
      open = Number(((await db('payment_orders').whereNot('status', 'paid').count({ n: '*' }))[0] as { n: number | string }).n);
      if (open === 0) break;
      await sleep(100);
    }
    const paidSeconds = (performance.now() - t1) / 1000;
    const rows = (await db('payment_orders').select('created_at', 'settled_at', 'status')) as Array<{
      created_at: unknown;
      settled_at: unknown;
      status: string;
    }>;
    const latencies = rows
      .filter((r) => r.settled_at)
      .map((r) => readInstant(r.settled_at).getTime() - readInstant(r.created_at).getTime());
    const consumed = Number(
      (
        (await db('quota_journal').where({ kind: 'consume', reference_type: 'payment-order' }).count({ n: '*' }))[0] as {
          n: number | string;
        }
      ).n,
    );
    const through = (ORDERS - open) / paidSeconds;

    console.log(
      `国库支付基准 — 应用数据库 ${status.serverVersion ?? config.database.client} (${config.database.client})；引擎 ${await describeEngine(engine)}`,
    );
    console.log(`订单 ${ORDERS} 笔，并发 ${CLIENTS}，指标 ${QUOTAS} 个，外部任务循环 ${LOOPS}`);
    console.log(`a. 账本 冻结→核销：${bare.toFixed(1)} 笔/秒（${bareSeconds.toFixed(2)} 秒）`);
    console.log(
      `b. 冻结→开具支付凭证→银行模拟器→到账通知→核销：${through.toFixed(1)} 笔/秒（开具 ${issued.toFixed(2)} 秒，全部到账 ${paidSeconds.toFixed(2)} 秒；未到账 ${open} 笔；核销流水 ${consumed} 笔）`,
    );
    console.log(`   单笔 开具→办结 p50 ${pct(latencies, 0.5)} ms，p95 ${pct(latencies, 0.95)} ms，最大 ${pct(latencies, 1)} ms`);
    console.log(`b/a = ${(through / bare).toFixed(3)}`);
  } finally {
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
