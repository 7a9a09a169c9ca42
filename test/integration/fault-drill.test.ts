import { countsBad, runDrill } from '../../bench/drill';

/**
 * The fault drill's small version (issue 15 item 7; `npm run drill` is the long one): a few intake
 * applications submitted and reviewed through the API by bots (sealed completions), and a few
 * 用款申请 filed against two quotas, approved by 国库处 with a seal and paid through the bank
 * simulator, while the app
 * process and the workers process are SIGKILLed twice each and the engine once, at points drawn
 * from a fixed seed, each restarted at once. After every restart and at the end: no task lost or
 * duplicated, nothing written twice, nothing stuck in "completing", every instance recorded, the
 * audit chain verifies, no ledger entry twice, every quota adds up to the fen (frozen + used +
 * available = amount, each column = its journal, frozen + used = the requests holding money), no
 * request with two orders nor a payee paid twice by the bank, no order stuck — and at the end every
 * application reached 入库, every payment 已到账 and every instance its end.
 * Real processes (scripts/start.ts, workers/main.ts, the engine's JVM), a fresh database on
 * DATABASE_URL's server (SQLite when unset), an engine of the drill's own.
 */
jest.setTimeout(900_000);
const PAYMENTS = Number(process.env.FAULT_DRILL_PAYMENTS ?? 4);

test('kills of the app, the workers and the engine during a flow of applications and payments: nothing lost, nothing twice, every quota to the fen, every instance at its end', async () => {
  const lines: string[] = [];
  const report = await runDrill({
    applications: Number(process.env.FAULT_DRILL_APPLICATIONS ?? 3),
    payments: PAYMENTS,
    kills: { app: 2, workers: 2, engine: 1 },
    seed: Number(process.env.FAULT_DRILL_SEED ?? 7),
    minGapMs: 300,
    maxGapMs: 2500,
    settleMs: 15_000,
    timeoutMs: 480_000,
    print: (l) => lines.push(l),
  });
  console.log(lines.join('\n'));
  for (const k of report.kills)
    expect({ kill: k.kind, ...k.counts }).toEqual({
      kill: k.kind,
      lost: 0,
      ghost: 0,
      duplicated: 0,
      statusMismatch: 0,
      doubleRecords: 0,
      completing: 0,
      unrecorded: 0,
      chainOk: true,
      chainRecords: expect.any(Number),
      ledgerTwice: 0,
      balanceOff: 0,
      paidTwice: 0,
      paymentsStuck: 0,
      paymentsFiled: expect.any(Number),
      paymentsPaid: expect.any(Number),
    });
  expect(report.kills.length).toBeGreaterThanOrEqual(3);
  expect(report.final).toMatchObject({
    lost: 0,
    ghost: 0,
    duplicated: 0,
    statusMismatch: 0,
    doubleRecords: 0,
    completing: 0,
    unrecorded: 0,
    chainOk: true,
    instancesNotEnded: 0,
    projectsNotReserved: 0,
    incidents: 0,
    engineTasksOpen: 0,
    ledgerTwice: 0,
    balanceOff: 0,
    paidTwice: 0,
    paymentsStuck: 0,
    paymentsNotPaid: 0,
    paymentsFiled: PAYMENTS,
    paymentsPaid: PAYMENTS,
  });
  // An approval whose answer a kill cut off is refused when repeated (it went through). 孙丽 holds
  // at most two steps of a request in its short chain: 风险核查 (when a 严重 risk hit routes it
  // there, also 国库处's) and 国库处科室负责人审核 — one SQLite run had 5 accepted for 4 requests.
  expect(report.paymentsApproved).toBeLessThanOrEqual(2 * PAYMENTS);
  expect(report.paymentsApproved).toBeGreaterThan(0);
  expect(countsBad(report.final)).toBe(false);
});
