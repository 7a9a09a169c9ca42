import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedReferenceData } from '../../server/reference';
import { startSystem, type System } from '../../server/system';
import { createLogger } from '../../server/log';
import type { TreasuryDeps } from '../../server/treasury/orders';
import { startBankSimulator, type BankSimulator } from '../../scripts/bank-simulator';
import { allWorkers, platformWorkers } from '../../workers';
import { freshDatabaseConfig, testConfig } from '../support/system';
import { freePort, frozenOrder, orderStatus, quotaOf, settlementEntries, until } from '../support/treasury';

/**
 * Restarts in the middle of a payment. The app: node A has the bank's notice in the process but
 * dies before the ledger write (it runs without the settlement worker); node B starts on the same
 * database, engine namespace and port and settles exactly once, also when the bank repeats the
 * notice. The simulator: stopped while a notice is still owed and started again from its state
 * file; the notice still comes, once.
 */
jest.setTimeout(300_000);

describe('treasury payment across restarts', () => {
  const fresh = freshDatabaseConfig();
  let config: ReturnType<typeof testConfig>;
  let sim: BankSimulator;
  let simPort: number;
  const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bank-sim-')), 'state.json');
  let running: System | undefined;
  let unit: number;
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const simOptions = () => ({ port: simPort, secret: config.bank.secret, stateFile, noticeDelayMs: 100, retryMs: 100, maxRetryMs: 500 });

  // Node A long-polls briefly: a poll still open in the engine when A dies would take (and lose,
  // until its lock runs out) the next task of its topics.
  const start = async (workers = allWorkers, longPollMs = 10_000): Promise<System> => {
    const s = await startSystem(config, { log, workers: platformWorkers(workers, { longPollMs }), reconcileEveryMs: 1000 });
    await s.ready;
    return s;
  };
  const depsOf = (s: System): TreasuryDeps => ({ db: s.db, engine: s.engine, config });

  beforeAll(async () => {
    simPort = await freePort();
    const base = testConfig({ database: fresh.database });
    config = { ...base, port: await freePort(), bank: { ...base.bank, url: `http://127.0.0.1:${simPort}`, noticeTimeout: 'PT10M' } };
    sim = await startBankSimulator(simOptions());
  });

  afterAll(async () => {
    await running?.stop();
    await sim?.stop();
    await fresh.drop();
  });

  test('the app dies between the bank’s answer and the ledger write: the next node settles once', async () => {
    running = await start(
      allWorkers.filter((w) => w.topic !== 'treasury.settle'),
      500,
    );
    const db = running.db;
    await seedReferenceData(db, { year: 2026 });
    unit = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    const o = await frozenOrder(depsOf(running), unit, '6222021234567890');
    // The notice reached A and the process has it (its event handled); the settlement is still owed.
    await until(
      'the notice taken',
      async () =>
        (await db('payment_order_events').where({ order_id: o.orderId, kind: 'notice' }).whereNotNull('handled_at').first('id')) as
          { id: number } | undefined,
    );
    expect(await orderStatus(db, o.orderId)).toBe('sent');
    expect(await quotaOf(db, o.quotaId)).toMatchObject({ usedFen: 0, frozenFen: o.amountFen });
    await running.stop();
    running = undefined;

    // The bank sends it again while no app is there: refused connections, retried.
    await fetch(`${sim.url}/_control/orders/${o.orderNo}/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sameId: true }),
    });
    await new Promise((r) => setTimeout(r, 1500));

    running = await start();
    expect(
      await until('paid after the restart', async () => ((await orderStatus(running!.db, o.orderId)) === 'paid' ? 'paid' : undefined)),
    ).toBe('paid');
    await until('the repeated notice delivered', async () => sim.order(o.orderNo).notices.every((d) => d.delivered));
    expect(await settlementEntries(running.db, o.orderId)).toEqual(['consume']);
    expect(await quotaOf(running.db, o.quotaId)).toMatchObject({ usedFen: o.amountFen, frozenFen: 0 });
  });

  test('the simulator restarts while it owes a notice: it comes after the restart, and pays once', async () => {
    const s = running!;
    const o = await frozenOrder(depsOf(s), unit, '6222021234569008'); // hold
    await until('sent', async () => (await orderStatus(s.db, o.orderId)) === 'sent');
    await sim.stop();
    sim = await startBankSimulator(simOptions());
    expect(sim.order(o.orderNo).order).toMatchObject({ submissions: 1, accepted: 1 });
    // (a kept-alive socket to the old simulator may answer "closed" once)
    const release = () => fetch(`${sim.url}/_control/orders/${o.orderNo}/release`, { method: 'POST' });
    expect((await release().catch(release)).status).toBe(202);
    expect(await until('paid', async () => ((await orderStatus(s.db, o.orderId)) === 'paid' ? 'paid' : undefined))).toBe('paid');
    expect(await settlementEntries(s.db, o.orderId)).toEqual(['consume']);
    expect(sim.order(o.orderNo).order).toMatchObject({ submissions: 1, accepted: 1 });
  });
});
