/**
 * Quota ledger throughput: `npx tsx bench/ledger.ts` (npm run bench:ledger).
 *
 * Against the database DATABASE_URL names (SQLite when unset), in a fresh database that is dropped
 * afterwards, prints freezes per second for
 *   - one hot quota, N concurrent clients (every freeze waits for the same row lock),
 *   - the same load spread over 1,000 quotas,
 * each through the ledger service (transaction + conditional UPDATE + balance read + journal row)
 * and as the bare conditional UPDATE alone, so the cost of the journal and transaction is visible.
 * Figures only, no assertions. Phases stop after BENCH_SECONDS (5) or BENCH_MAX_OPS (5000);
 * BENCH_CLIENTS lists the client counts to try (default "1,10"; MySQL's pool holds 10 connections,
 * SQLite's one).
 */
import { checkDatabase, migrateLatest, openDatabase } from '../server/db';
import * as ledger from '../server/ledger/service';
import { freshDatabase } from './fresh-database';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MAX_OPS = Number(process.env.BENCH_MAX_OPS ?? 5000);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,10').split(',').map(Number);
const SPREAD = 1000;
const meta = { actor: 'bench', reason: '压力测试' };

interface Figures {
  phase: string;
  clients: number;
  ops: number;
  refused: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
}

/** `clients` loops issuing `op` until the time or operation budget is spent. */
async function run(phase: string, clients: number, op: () => Promise<boolean>): Promise<Figures> {
  const latencies: number[] = [];
  let started = 0;
  let refused = 0;
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (started < MAX_OPS && performance.now() < deadline) {
        started += 1;
        const t = performance.now();
        if (!(await op())) refused += 1;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 100) / 100;
  return {
    phase,
    clients,
    ops: latencies.length,
    refused,
    perSecond: Math.round(latencies.length / elapsed),
    p50ms: at(0.5),
    p99ms: at(0.99),
  };
}

const amount = () => 1 + Math.floor(Math.random() * 100);

async function main(): Promise<void> {
  const fresh = freshDatabase();
  const db = await openDatabase(fresh.database);
  try {
    await migrateLatest(db);
    const status = await checkDatabase(db, fresh.database.client);
    const big = 10 ** 12; // ¥100 亿 per quota: no freeze is refused, every operation does the full work
    const issue = async (i: number) =>
      (
        await ledger.issueQuota(db, {
          quotaNo: `B-${i}`,
          fiscalYear: 2026,
          functionalCode: '2010101',
          economicCode: '30201',
          fundSource: 'bench',
          documentNo: 'bench',
          amountFen: big,
          ...meta,
        })
      ).quota.id;
    const hot = await issue(0);
    const spread: number[] = [];
    for (let i = 1; i <= SPREAD; i += 1) spread.push(await issue(i));
    const pick = () => spread[Math.floor(Math.random() * spread.length)]!;

    const viaLedger = (quotaId: () => number) => async () => {
      await ledger.freeze(db, { quotaId: quotaId(), amountFen: amount(), ...meta });
      return true;
    };
    // The same rule as the service's UPDATE, alone: autocommit, no balance read, no journal row.
    const rawUpdate = (quotaId: () => number) => async () => {
      const x = amount();
      const n = await db('quotas')
        .where('id', quotaId())
        .whereRaw('amount_fen - used_fen - frozen_fen >= ?', [x])
        .update({ frozen_fen: db.raw('frozen_fen + ?', [x]), version: db.raw('version + 1'), updated_at: new Date() });
      return n === 1;
    };

    const results: Figures[] = [];
    for (const clients of CLIENTS) {
      results.push(
        await run(
          'ledger freeze, 1 hot quota',
          clients,
          viaLedger(() => hot),
        ),
      );
      results.push(
        await run(
          'raw UPDATE,    1 hot quota',
          clients,
          rawUpdate(() => hot),
        ),
      );
      results.push(await run(`ledger freeze, ${SPREAD} quotas`, clients, viaLedger(pick)));
      results.push(await run(`raw UPDATE,    ${SPREAD} quotas`, clients, rawUpdate(pick)));
    }

    const [journal] = await db('quota_journal').count({ n: '*' });
    console.log(
      `quota ledger bench — ${status.serverVersion ?? fresh.database.client}, pool ${String(db.client.pool?.max ?? '?')} connection(s), phases ≤ ${SECONDS} s or ${MAX_OPS} ops`,
    );
    console.table(results);
    console.log(`journal rows written: ${String(journal?.n)} (${SPREAD + 1} issues + the ledger freezes)`);
  } finally {
    await db.destroy();
    await fresh.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
