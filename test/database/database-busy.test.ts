import Database from 'better-sqlite3';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { errorHandler, isDatabaseBusy } from '../../server/api/errors';
import type { Db } from '../../server/db';
import { createLogger } from '../../server/log';
import { openFreshDatabase } from '../support/system';

/**
 * Contention is not a fault: a database that refuses for a lock held elsewhere (SQLite busy, a
 * MySQL/MariaDB deadlock) rolled the transaction back whole, so the API answers 503 DATABASE_BUSY
 * with Retry-After — never a 500 — and nothing of it is written. The refusal is provoked for real
 * on the database under test.
 */
describe('a database busy with another writer answers 503, nothing written', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let filename: string | null = null;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    filename = fresh.database.client === 'sqlite' ? fresh.database.filename : null;
    await db.schema.createTable('busy_probe', (t) => {
      t.integer('id').primary();
      t.integer('n').notNullable();
    });
    await db('busy_probe').insert([
      { id: 1, n: 0 },
      { id: 2, n: 0 },
    ]);
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  /** A real contention error of this database: a write refused while another writer holds the lock. */
  async function contentionError(): Promise<unknown> {
    if (filename) {
      // Another process's writer holds the file; this one does not wait (timeout 0).
      const other = new Database(filename, { timeout: 0 });
      const holder = new Database(filename, { timeout: 0 });
      try {
        holder.exec('BEGIN IMMEDIATE');
        holder.prepare('UPDATE busy_probe SET n = n + 1 WHERE id = 1').run();
        try {
          other.prepare('UPDATE busy_probe SET n = n + 100 WHERE id = 2').run();
        } catch (err) {
          return err;
        } finally {
          holder.exec('ROLLBACK');
        }
        throw new Error('expected SQLITE_BUSY');
      } finally {
        other.close();
        holder.close();
      }
    }
    // MySQL/MariaDB: two transactions take two rows in opposite order — one is the deadlock victim.
    let release!: () => void;
    const bothHold = new Promise<void>((r) => (release = r));
    let held = 0;
    const take = (first: number, second: number) =>
      db.transaction(async (trx) => {
        await trx('busy_probe')
          .where('id', first)
          .update({ n: trx.raw('n + 1') });
        if (++held === 2) release();
        await bothHold;
        await trx('busy_probe')
          .where('id', second)
          .update({ n: trx.raw('n + 1') });
      });
    const results = await Promise.allSettled([take(1, 2), take(2, 1)]);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!refused) throw new Error('expected a deadlock');
    return refused.reason;
  }

  test('the refusal is recognised and answered 503 DATABASE_BUSY with Retry-After', async () => {
    const before = (await db('busy_probe').orderBy('id').select('id', 'n')) as Array<{ id: number; n: number }>;
    const err = await contentionError();
    expect(isDatabaseBusy(err)).toBe(true);
    // What the refused write would have changed is not there (the victim rolled back whole).
    const after = (await db('busy_probe').orderBy('id').select('id', 'n')) as Array<{ id: number; n: number }>;
    // SQLite: the holder rolled back too, nothing moved. MySQL: the survivor's +1 on each row, none of the victim's.
    const moved = filename ? 0 : 1;
    expect(after.map((r) => Number(r.n))).toEqual(before.map((r) => Number(r.n) + moved));

    const app = express();
    app.post('/api/probe', (_req, _res, next) => next(err));
    app.use(errorHandler(createLogger('silent')));
    const server = app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const r = await fetch(`http://127.0.0.1:${port}/api/probe`, { method: 'POST' });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('DATABASE_BUSY');
      expect(body.error.message).toContain('请稍后重试');
    } finally {
      server.close();
    }
  });

  test('other errors are not taken for contention', () => {
    expect(isDatabaseBusy(new Error('boom'))).toBe(false);
    expect(isDatabaseBusy({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(false);
    expect(isDatabaseBusy({ code: 'ER_DUP_ENTRY', errno: 1062 })).toBe(false);
    expect(isDatabaseBusy(null)).toBe(false);
  });
});
