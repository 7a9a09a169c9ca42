import { LedgerError, replay, type Entry, type LedgerErrorCode } from '../../domain/ledger';
import { fen } from '../../domain/money';
import type { Db } from '../../server/db';
import * as ledger from '../../server/ledger/service';
import { openFreshDatabase } from '../support/system';
import { insertProjectRow } from '../support/projects';

/** The quota ledger on the real database DATABASE_URL names (SQLite when unset). */
describe('quota ledger service', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let seq = 0;
  // A unit and projects that quotas may name (quotas' project and unit are foreign keys).
  const ref = { unit: 0, p7: 0, p9: 0, pList: 0 };

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
  });

  /** Written when first needed: the migration test below drops and recreates the project library. */
  async function refs(): Promise<typeof ref> {
    if (ref.p7 && (await db('projects').where('id', ref.p7).first('id'))) return ref;
    if (!(await db('regions').where('code', '150000').first('code')))
      await db('regions').insert({ code: '150000', name: '内蒙古自治区', level: 'province' });
    const org = (await db('organisations').where('code', 'LEDGER-UNIT').first('id')) as { id: number } | undefined;
    ref.unit = org
      ? Number(org.id)
      : Number(
          (
            await db('organisations').insert({
              code: 'LEDGER-UNIT',
              name: '测试单位',
              kind: 'budget_unit',
              region_code: '150000',
              path: '/',
              created_at: new Date(),
            })
          )[0],
        );
    ref.p7 = await insertProjectRow(db, { unitOrgId: ref.unit });
    ref.p9 = await insertProjectRow(db, { unitOrgId: ref.unit });
    ref.pList = await insertProjectRow(db, { unitOrgId: ref.unit, fiscalYear: 2030 });
    return ref;
  }
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const meta = { actor: '张会计', reason: '测试' };

  async function newQuota(amountFen: number, extra: Partial<ledger.NewQuota> = {}): Promise<ledger.Quota> {
    seq += 1;
    const r = await ledger.issueQuota(db, {
      quotaNo: `T-${seq}`,
      fiscalYear: 2026,
      functionalCode: '2010101',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: `财预〔2026〕${seq}号`,
      amountFen,
      ...meta,
      ...extra,
    });
    return r.quota;
  }

  const quota = async (id: number) => (await ledger.getQuota(db, id))!;
  const journalCount = async (quotaId?: number) => {
    const q = db('quota_journal');
    if (quotaId !== undefined) q.where({ quota_id: quotaId });
    const [row] = await q.count({ n: '*' });
    return Number(row?.n);
  };

  async function refusedWith(code: LedgerErrorCode, p: Promise<unknown>): Promise<LedgerError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LedgerError);
    expect((err as LedgerError).code).toBe(code);
    return err as LedgerError;
  }

  /**
   * Every balance equals the SQL sum of its journal's deltas, and each journal row's balance_after
   * is the previous row's plus its delta (rows are written under the quota's row lock, so id order
   * is the order the changes happened in).
   */
  async function expectJournalReproducesBalances(): Promise<void> {
    const sums = await db('quotas as q')
      .leftJoin('quota_journal as j', 'j.quota_id', 'q.id')
      .groupBy('q.id', 'q.amount_fen', 'q.used_fen', 'q.frozen_fen')
      .select('q.id', 'q.amount_fen', 'q.used_fen', 'q.frozen_fen')
      .select(
        db.raw(
          'coalesce(sum(j.delta_amount_fen), 0) as sa, coalesce(sum(j.delta_used_fen), 0) as su, coalesce(sum(j.delta_frozen_fen), 0) as sf',
        ),
      );
    for (const r of sums) {
      expect([Number(r.amount_fen), Number(r.used_fen), Number(r.frozen_fen)]).toEqual([Number(r.sa), Number(r.su), Number(r.sf)]);
      expect(Number(r.amount_fen) - Number(r.used_fen) - Number(r.frozen_fen)).toBeGreaterThanOrEqual(0);
    }
    const rows = await db('quota_journal').orderBy(['quota_id', 'id']);
    const last = new Map<number, [number, number, number]>();
    const entries = new Map<number, Entry[]>();
    for (const j of rows) {
      const [a, u, f] = last.get(j.quota_id) ?? [0, 0, 0];
      const after: [number, number, number] = [
        Number(j.balance_after_amount_fen),
        Number(j.balance_after_used_fen),
        Number(j.balance_after_frozen_fen),
      ];
      expect(after).toEqual([a + Number(j.delta_amount_fen), u + Number(j.delta_used_fen), f + Number(j.delta_frozen_fen)]);
      last.set(j.quota_id, after);
      entries.set(j.quota_id, [...(entries.get(j.quota_id) ?? []), { kind: j.kind, amount: fen(Number(j.amount_fen)) }]);
    }
    // The domain's replay of each journal, in order, accepts every entry and lands on the stored balance.
    for (const r of sums) {
      expect(replay(entries.get(r.id) ?? [])).toEqual({
        amount: Number(r.amount_fen),
        used: Number(r.used_fen),
        frozen: Number(r.frozen_fen),
      });
    }
  }

  test('migration: down removes both tables, up restores them; CHECK constraints refuse a negative balance written behind the service', async () => {
    const name = '20261123C-create-quota-ledger.ts';
    // Later migrations add columns to quotas and tables referring to it (payments, orders,
    // adjustments, final accounts …): they go down first, newest first, and come back after it.
    const [completed] = (await db.migrate.list()) as [Array<{ name: string }>, unknown];
    const downs = completed
      .map((c) => c.name)
      .filter((n) => n >= name)
      .sort()
      .reverse();
    for (const n of downs) await db.migrate.down({ name: n });
    expect(await db.schema.hasTable('quotas')).toBe(false);
    expect(await db.schema.hasTable('quota_journal')).toBe(false);
    for (const n of [...downs].reverse()) await db.migrate.up({ name: n });
    expect(await db.schema.hasTable('quota_journal')).toBe(true);
    expect(await db.schema.hasColumn('quotas', 'issuer_org_id')).toBe(true);

    const q = await newQuota(100);
    // Await each statement ourselves: jest's .rejects on a knex builder (a thenable, not a
    // Promise) proved flaky here under parallel load.
    const refused = (statement: PromiseLike<unknown>) =>
      Promise.resolve(statement).then(
        () => false,
        () => true,
      );
    expect(await refused(db('quotas').where({ id: q.id }).update({ frozen_fen: 101 }))).toBe(true);
    expect(await refused(db('quotas').where({ id: q.id }).update({ used_fen: -1, frozen_fen: 0 }))).toBe(true);
    expect(await refused(db('quotas').where({ id: q.id }).update({ frozen_fen: -1 }))).toBe(true);
    const row = {
      quota_id: q.id,
      kind: 'freeze',
      delta_amount_fen: 0,
      delta_used_fen: 0,
      delta_frozen_fen: 0,
      balance_after_amount_fen: 0,
      balance_after_used_fen: 0,
      balance_after_frozen_fen: 0,
      actor: 'x',
      reason: 'x',
      created_at: new Date(),
    };
    expect(await refused(db('quota_journal').insert({ ...row, amount_fen: 0 }))).toBe(true);
    expect(await refused(db('quota_journal').insert({ ...row, amount_fen: 1, kind: 'gift' }))).toBe(true);
    expect(await quota(q.id)).toMatchObject({ amountFen: 100, usedFen: 0, frozenFen: 0 });
  });

  test('issue creates the quota with its descriptive fields and one journal row', async () => {
    await refs();
    const q = await newQuota(1_000_000, { projectId: ref.p7, unitOrgId: ref.unit });
    expect(q).toMatchObject({
      fiscalYear: 2026,
      projectId: ref.p7,
      unitOrgId: ref.unit,
      functionalCode: '2010101',
      economicCode: '30201',
      amountFen: 1_000_000,
      usedFen: 0,
      frozenFen: 0,
      availableFen: 1_000_000,
      version: 1,
      sourceQuotaId: null,
    });
    const { items } = await ledger.listJournal(db, q.id, { page: 1, pageSize: 10, order: 'asc' });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      kind: 'issue',
      amountFen: 1_000_000,
      deltaAmountFen: 1_000_000,
      actor: '张会计',
      reason: '测试',
      balanceAfter: { amountFen: 1_000_000, availableFen: 1_000_000 },
    });
    expect(items[0]!.createdAt).toBeInstanceOf(Date);
    await refusedWith('DUPLICATE_QUOTA_NO', newQuotaNamed(q.quotaNo));
    expect(await journalCount(q.id)).toBe(1);
  });

  const newQuotaNamed = (quotaNo: string) =>
    ledger.issueQuota(db, {
      quotaNo,
      fiscalYear: 2026,
      functionalCode: '201',
      economicCode: '302',
      fundSource: 'x',
      documentNo: 'x',
      amountFen: 1,
      ...meta,
    });

  test('each operation writes one journal row and the right balance', async () => {
    const q = await newQuota(1_000_000);
    const steps: Array<[string, () => Promise<ledger.EntryResult>, [number, number, number]]> = [
      [
        'freeze',
        () => ledger.freeze(db, { quotaId: q.id, amountFen: 300_000, ...meta, reference: { type: 'payment-request', id: '42' } }),
        [1_000_000, 0, 300_000],
      ],
      [
        'consume',
        () => ledger.consume(db, { quotaId: q.id, amountFen: 200_000, ...meta, reference: { type: 'payment-request', id: '42' } }),
        [1_000_000, 200_000, 100_000],
      ],
      ['unfreeze', () => ledger.unfreeze(db, { quotaId: q.id, amountFen: 100_000, ...meta }), [1_000_000, 200_000, 0]],
      ['adjust-in', () => ledger.adjustIn(db, { quotaId: q.id, amountFen: 50_000, ...meta }), [1_050_000, 200_000, 0]],
      ['adjust-out', () => ledger.adjustOut(db, { quotaId: q.id, amountFen: 850_000, ...meta }), [200_000, 200_000, 0]],
    ];
    let rows = 1;
    for (const [kind, op, [amount, used, frozen]] of steps) {
      const r = await op();
      rows += 1;
      expect(r.replayed).toBe(false);
      expect(r.entry).toMatchObject({ kind, quotaId: q.id, balanceAfter: { amountFen: amount, usedFen: used, frozenFen: frozen } });
      expect(r.quota).toMatchObject({
        amountFen: amount,
        usedFen: used,
        frozenFen: frozen,
        availableFen: amount - used - frozen,
        version: rows,
      });
      expect(await journalCount(q.id)).toBe(rows);
    }
    const [ref] = await db('quota_journal').where({ reference_type: 'payment-request', reference_id: '42' }).count({ n: '*' });
    expect(Number(ref?.n)).toBe(2);
    await expectJournalReproducesBalances();
  });

  test('refusals write nothing: insufficient available, insufficient frozen, invalid amount, unknown quota', async () => {
    const q = await newQuota(100_000);
    await ledger.freeze(db, { quotaId: q.id, amountFen: 60_000, ...meta });
    const before = await quota(q.id);
    const rows = await journalCount();

    const err = await refusedWith('INSUFFICIENT_AVAILABLE', ledger.freeze(db, { quotaId: q.id, amountFen: 40_001, ...meta }));
    expect(err.message).toBe('可用指标不足：可用 ¥400.00，申请冻结 ¥400.01');
    await refusedWith('INSUFFICIENT_AVAILABLE', ledger.adjustOut(db, { quotaId: q.id, amountFen: 40_001, ...meta }));
    await refusedWith('INSUFFICIENT_FROZEN', ledger.unfreeze(db, { quotaId: q.id, amountFen: 60_001, ...meta }));
    await refusedWith('INSUFFICIENT_FROZEN', ledger.consume(db, { quotaId: q.id, amountFen: 60_001, ...meta }));
    await refusedWith('INVALID_AMOUNT', ledger.freeze(db, { quotaId: q.id, amountFen: 0, ...meta }));
    await refusedWith('INVALID_AMOUNT', ledger.freeze(db, { quotaId: q.id, amountFen: 1.5, ...meta }));
    await expect(ledger.freeze(db, { quotaId: 999_999, amountFen: 1, ...meta })).rejects.toBeInstanceOf(ledger.QuotaNotFoundError);
    await expect(ledger.listJournal(db, 999_999, { page: 1, pageSize: 1, order: 'asc' })).rejects.toBeInstanceOf(ledger.QuotaNotFoundError);

    expect(await quota(q.id)).toEqual(before);
    expect(await journalCount()).toBe(rows);
  });

  test('idempotency key: a repeat returns the original entry and changes nothing; a different request with the key is refused', async () => {
    const q = await newQuota(100_000);
    const input = { quotaId: q.id, amountFen: 100_000, ...meta, idempotencyKey: `pay-${q.id}-freeze` };
    const first = await ledger.freeze(db, input);
    // The repeat would be refused if applied again (nothing is available now): it must not be applied.
    const again = await ledger.freeze(db, input);
    expect(again.replayed).toBe(true);
    expect(again.entry).toEqual(first.entry);
    expect(again.quota).toMatchObject({ frozenFen: 100_000, version: 2 });
    expect(await journalCount(q.id)).toBe(2);

    await refusedWith('IDEMPOTENCY_KEY_REUSED', ledger.freeze(db, { ...input, amountFen: 1 }));
    await refusedWith('IDEMPOTENCY_KEY_REUSED', ledger.unfreeze(db, input));

    // Only accepted entries are remembered: a refused call may be retried with its key.
    const key = `retry-${q.id}`;
    await refusedWith('INSUFFICIENT_AVAILABLE', ledger.adjustOut(db, { quotaId: q.id, amountFen: 5, ...meta, idempotencyKey: key }));
    await ledger.adjustIn(db, { quotaId: q.id, amountFen: 5, ...meta });
    expect((await ledger.adjustOut(db, { quotaId: q.id, amountFen: 5, ...meta, idempotencyKey: key })).replayed).toBe(false);

    // Issue is idempotent too: the same quota is not created twice.
    const issue = {
      quotaNo: `IDEM-${q.id}`,
      fiscalYear: 2026,
      functionalCode: '201',
      economicCode: '302',
      fundSource: 'x',
      documentNo: 'x',
      amountFen: 7,
      ...meta,
      idempotencyKey: `issue-${q.id}`,
    };
    const i1 = await ledger.issueQuota(db, issue);
    const i2 = await ledger.issueQuota(db, issue);
    expect(i2).toMatchObject({ replayed: true, entry: i1.entry, quota: { id: i1.quota.id } });
    await expectJournalReproducesBalances();
  });

  test('idempotency key under concurrency: 20 simultaneous calls with one key make exactly one entry', async () => {
    const q = await newQuota(1_000_000);
    const input = { quotaId: q.id, amountFen: 1_000, ...meta, idempotencyKey: `burst-${q.id}` };
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.freeze(db, input)));
    expect(new Set(results.map((r) => r.entry.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await quota(q.id)).toMatchObject({ frozenFen: 1_000 });
    expect(await journalCount(q.id)).toBe(2);
  });

  test("idempotency key inside callers' transactions: concurrent callers with one key make one entry, with distinct keys all succeed", async () => {
    const q = await newQuota(1_000_000);
    const inCaller = (key: string) =>
      db.transaction((trx) => ledger.freeze(trx, { quotaId: q.id, amountFen: 100, ...meta, idempotencyKey: key }));
    const same = await Promise.all(Array.from({ length: 10 }, () => inCaller(`caller-${q.id}`)));
    expect(new Set(same.map((r) => r.entry.id)).size).toBe(1);
    const distinct = await Promise.all(Array.from({ length: 20 }, (_, i) => inCaller(`caller-${q.id}-${i}`)));
    expect(distinct.every((r) => !r.replayed)).toBe(true);
    expect(await quota(q.id)).toMatchObject({ frozenFen: 2_100 });
    expect(await journalCount(q.id)).toBe(22);
  });

  test('transfer (调剂): adjust-out on A and adjust-in on B in one transaction, both rows naming the other quota', async () => {
    const a = await newQuota(500_000);
    const b = await newQuota(100_000);
    const r = await ledger.transfer(db, { fromQuotaId: a.id, toQuotaId: b.id, amountFen: 200_000, ...meta, idempotencyKey: `tr-${a.id}` });
    expect(r.out).toMatchObject({ quotaId: a.id, kind: 'adjust-out', counterpartQuotaId: b.id, idempotencyKey: `tr-${a.id}` });
    expect(r.in).toMatchObject({ quotaId: b.id, kind: 'adjust-in', counterpartQuotaId: a.id, idempotencyKey: `tr-${a.id}/in` });
    expect(r.from.amountFen).toBe(300_000);
    expect(r.to.amountFen).toBe(300_000);
    const again = await ledger.transfer(db, {
      fromQuotaId: a.id,
      toQuotaId: b.id,
      amountFen: 200_000,
      ...meta,
      idempotencyKey: `tr-${a.id}`,
    });
    expect(again).toMatchObject({ replayed: true, out: r.out, in: r.in });
    // Lower id receiving: the locks are taken the other way round, the result is the same.
    await ledger.transfer(db, { fromQuotaId: b.id, toQuotaId: a.id, amountFen: 50_000, ...meta });
    expect([(await quota(a.id)).amountFen, (await quota(b.id)).amountFen]).toEqual([350_000, 250_000]);
  });

  test('a transfer whose adjust-out fails leaves both quotas and the journal unchanged', async () => {
    const a = await newQuota(100_000);
    const b = await newQuota(100_000);
    await ledger.freeze(db, { quotaId: a.id, amountFen: 90_000, ...meta });
    const [qa, qb, rows] = [await quota(a.id), await quota(b.id), await journalCount()];
    // Both lock orders: B (higher id) → A changes A first (the in side), then refuses B's out side.
    await refusedWith('INSUFFICIENT_AVAILABLE', ledger.transfer(db, { fromQuotaId: a.id, toQuotaId: b.id, amountFen: 10_001, ...meta }));
    await ledger.freeze(db, { quotaId: b.id, amountFen: 95_000, ...meta });
    const qb2 = await quota(b.id);
    await refusedWith('INSUFFICIENT_AVAILABLE', ledger.transfer(db, { fromQuotaId: b.id, toQuotaId: a.id, amountFen: 5_001, ...meta }));
    expect(await quota(a.id)).toEqual(qa);
    expect(await quota(b.id)).toEqual(qb2);
    expect(qb2.amountFen).toBe(qb.amountFen);
    expect(await journalCount()).toBe(rows + 1);
    await refusedWith('INVALID_TRANSFER', ledger.transfer(db, { fromQuotaId: a.id, toQuotaId: a.id, amountFen: 1, ...meta }));
    const other = await newQuota(100, { fiscalYear: 2027 });
    await refusedWith('INVALID_TRANSFER', ledger.transfer(db, { fromQuotaId: a.id, toQuotaId: other.id, amountFen: 1, ...meta }));
    await expect(ledger.transfer(db, { fromQuotaId: a.id, toQuotaId: 999_999, amountFen: 1, ...meta })).rejects.toBeInstanceOf(
      ledger.QuotaNotFoundError,
    );
    expect(await quota(a.id)).toEqual(qa);
  });

  test('carry-over (结转): into a new next-year quota that names its source, or into an existing later-year quota', async () => {
    await refs();
    const src = await newQuota(300_000, { projectId: ref.p9 });
    await ledger.consume(db, {
      quotaId: (await ledger.freeze(db, { quotaId: src.id, amountFen: 100_000, ...meta })).quota.id,
      amountFen: 100_000,
      ...meta,
    });
    const r = await ledger.carryOver(db, {
      quotaId: src.id,
      amountFen: 150_000,
      into: { quotaNo: `CO-${src.id}` },
      ...meta,
      idempotencyKey: `co-${src.id}`,
    });
    expect(r.out).toMatchObject({ kind: 'carry-over', quotaId: src.id, counterpartQuotaId: r.to.id });
    expect(r.in).toMatchObject({ kind: 'issue', quotaId: r.to.id, counterpartQuotaId: src.id, amountFen: 150_000 });
    expect(r.from).toMatchObject({ amountFen: 150_000, usedFen: 100_000, availableFen: 50_000 });
    expect(r.to).toMatchObject({
      fiscalYear: 2027,
      sourceQuotaId: src.id,
      projectId: ref.p9,
      functionalCode: src.functionalCode,
      documentNo: src.documentNo,
      amountFen: 150_000,
    });
    expect(
      await ledger.carryOver(db, {
        quotaId: src.id,
        amountFen: 150_000,
        into: { quotaNo: `CO-${src.id}` },
        ...meta,
        idempotencyKey: `co-${src.id}`,
      }),
    ).toMatchObject({ replayed: true, in: r.in });

    const r2 = await ledger.carryOver(db, { quotaId: src.id, amountFen: 50_000, into: { quotaId: r.to.id }, ...meta });
    expect(r2.in).toMatchObject({ kind: 'adjust-in', quotaId: r.to.id });
    expect(r2.from.availableFen).toBe(0);
    expect(r2.to.amountFen).toBe(200_000);

    await refusedWith(
      'INSUFFICIENT_AVAILABLE',
      ledger.carryOver(db, { quotaId: src.id, amountFen: 1, into: { quotaNo: `CO2-${src.id}` }, ...meta }),
    );
    expect(await ledger.getQuota(db, 0)).toBeNull();
    const [n] = await db('quotas')
      .where({ quota_no: `CO2-${src.id}` })
      .count({ n: '*' });
    expect(Number(n?.n)).toBe(0); // the refused carry-over's new quota was rolled back with it
    const sameYear = await newQuota(1);
    await refusedWith(
      'INVALID_CARRY_OVER',
      ledger.carryOver(db, { quotaId: r.to.id, amountFen: 1, into: { quotaId: sameYear.id }, ...meta }),
    );
    await expectJournalReproducesBalances();
  });

  test("inside the caller's transaction: the caller's rollback undoes the entry, its commit keeps it", async () => {
    const q = await newQuota(10_000);
    await db
      .transaction(async (trx) => {
        await ledger.freeze(trx, { quotaId: q.id, amountFen: 4_000, ...meta });
        throw new Error('payment request could not be saved');
      })
      .catch(() => undefined);
    expect(await quota(q.id)).toMatchObject({ frozenFen: 0 });
    expect(await journalCount(q.id)).toBe(1);

    await db.transaction(async (trx) => {
      await ledger.freeze(trx, { quotaId: q.id, amountFen: 4_000, ...meta });
      // A refusal inside rolls back only its own savepoint; the caller decides what happens next.
      await refusedWith('INSUFFICIENT_AVAILABLE', ledger.freeze(trx, { quotaId: q.id, amountFen: 6_001, ...meta }));
      await ledger.freeze(trx, { quotaId: q.id, amountFen: 6_000, ...meta });
    });
    expect(await quota(q.id)).toMatchObject({ frozenFen: 10_000, availableFen: 0 });
    expect(await journalCount(q.id)).toBe(3);
  });

  test('listQuotas filters, sorts and paginates in SQL; listJournal pages', async () => {
    await refs();
    const p1 = await newQuota(5, { projectId: ref.pList, fiscalYear: 2030 });
    const p2 = await newQuota(9, { projectId: ref.pList, fiscalYear: 2030 });
    const p3 = await newQuota(7, { projectId: ref.pList, fiscalYear: 2030 });
    await newQuota(1, { projectId: ref.pList, fiscalYear: 2031 });
    const page = await ledger.listQuotas(db, {
      projectId: ref.pList,
      fiscalYear: 2030,
      page: 1,
      pageSize: 2,
      sort: 'amountFen',
      order: 'desc',
    });
    expect(page.total).toBe(3);
    expect(page.items.map((q) => q.id)).toEqual([p2.id, p3.id]);
    const page2 = await ledger.listQuotas(db, {
      projectId: ref.pList,
      fiscalYear: 2030,
      page: 2,
      pageSize: 2,
      sort: 'amountFen',
      order: 'desc',
    });
    expect(page2.items.map((q) => q.id)).toEqual([p1.id]);
    await ledger.freeze(db, { quotaId: p2.id, amountFen: 8, ...meta });
    const byAvailable = await ledger.listQuotas(db, {
      projectId: ref.pList,
      fiscalYear: 2030,
      page: 1,
      pageSize: 10,
      sort: 'availableFen',
      order: 'asc',
    });
    expect(byAvailable.items.map((q) => q.id)).toEqual([p2.id, p1.id, p3.id]);

    for (let i = 0; i < 4; i++) await ledger.adjustIn(db, { quotaId: p1.id, amountFen: i + 1, ...meta });
    const j = await ledger.listJournal(db, p1.id, { page: 2, pageSize: 2, order: 'desc' });
    expect(j.total).toBe(5);
    expect(j.items.map((e) => e.amountFen)).toEqual([2, 1]);
  });

  test('concurrency: 300 simultaneous freezes on one ¥10,000.00 quota never overspend, and no affordable request is refused', async () => {
    const q = await newQuota(1_000_000);
    // Deterministic amounts between ¥0.01 and ¥200.00: their sum (~¥30,000) is about three times the quota.
    let seed = 20261123;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const amounts = Array.from({ length: 300 }, () => 1 + Math.floor(rand() * 20_000));
    expect(amounts.reduce((s, x) => s + x, 0)).toBeGreaterThan(2_000_000);

    const settled = await Promise.allSettled(
      amounts.map((amountFen, i) =>
        ledger.freeze(db, { quotaId: q.id, amountFen, ...meta, reference: { type: 'payment-request', id: String(i) } }),
      ),
    );
    const accepted: number[] = [];
    const refused: number[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') accepted.push(amounts[i]!);
      else {
        // The only acceptable failure is the rule: no deadlock, no timeout, no lost update.
        expect(s.reason).toBeInstanceOf(LedgerError);
        expect((s.reason as LedgerError).code).toBe('INSUFFICIENT_AVAILABLE');
        refused.push(amounts[i]!);
      }
    });
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);

    const after = await quota(q.id);
    const sumAccepted = accepted.reduce((s, x) => s + x, 0);
    expect(after.frozenFen).toBe(sumAccepted);
    expect(after.availableFen).toBe(1_000_000 - sumAccepted);
    expect(after.availableFen).toBeGreaterThanOrEqual(0);

    // Exactly the accepted requests are journaled, each once.
    const journaled = await db('quota_journal').where({ quota_id: q.id, kind: 'freeze' }).select('reference_id', 'amount_fen');
    expect(journaled.map((r) => Number(r.reference_id)).sort((x, y) => x - y)).toEqual(
      settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : [])),
    );
    expect(journaled.reduce((s, r) => s + Number(r.amount_fen), 0)).toBe(sumAccepted);

    // What is guaranteed: each refusal was decided against the committed balance at that moment
    // (the conditional UPDATE, then a locked re-read), and with only freezes running available
    // never grows, so the final available is below every refused amount. (With unfreezes running
    // concurrently this would not hold: money released after a refusal could have covered it.)
    expect(after.availableFen).toBeLessThan(Math.min(...refused));
    await expectJournalReproducesBalances();
  });

  test('concurrency: mixed load on a few quotas (freeze, unfreeze, consume, transfers both ways) keeps every invariant', async () => {
    const qs = [await newQuota(200_000), await newQuota(200_000), await newQuota(200_000)];
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const ops = Array.from({ length: 240 }, () => {
      const a = qs[rand(3)]!.id;
      const b = qs[rand(3)]!.id;
      const amountFen = 1 + rand(30_000);
      switch (rand(5)) {
        case 0:
          return () => ledger.freeze(db, { quotaId: a, amountFen, ...meta });
        case 1:
          return () => ledger.unfreeze(db, { quotaId: a, amountFen, ...meta });
        case 2:
          return () => ledger.consume(db, { quotaId: a, amountFen, ...meta });
        case 3:
          return () => ledger.adjustIn(db, { quotaId: a, amountFen, ...meta });
        default:
          return () => ledger.transfer(db, { fromQuotaId: a, toQuotaId: b, amountFen, ...meta });
      }
    });
    const settled = await Promise.allSettled(ops.map((op) => op()));
    for (const s of settled) {
      if (s.status === 'rejected')
        expect(['INSUFFICIENT_AVAILABLE', 'INSUFFICIENT_FROZEN', 'INVALID_TRANSFER']).toContain((s.reason as LedgerError).code);
    }
    expect(settled.filter((s) => s.status === 'fulfilled').length).toBeGreaterThan(60);
    await expectJournalReproducesBalances();
  });
});
