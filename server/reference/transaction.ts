import type { Knex } from 'knex';

/**
 * Runs `work` in the caller's transaction when given one (so a whole use case commits or rolls
 * back together), else in a new one.
 */
export function inTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Knex.Transaction) : db.transaction(work);
}
