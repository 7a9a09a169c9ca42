import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, type DatabaseConfig } from '../server/config';

/**
 * A throwaway database for one benchmark run on the server DATABASE_URL names (a new SQLite file
 * when unset), like test/support/system.ts freshDatabaseConfig; `drop` removes it afterwards.
 */
export function freshDatabase(prefix = 'budget_bench'): { database: DatabaseConfig; drop(): Promise<void> } {
  const base = loadConfig().database;
  if (base.client === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'budget-bench-'));
    return {
      database: { client: 'sqlite', filename: path.join(dir, 'bench.sqlite') },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const url = new URL(base.url);
  url.pathname = `/${name}`;
  return {
    database: { client: 'mysql', url: url.toString(), database: name },
    drop: async () => {
      url.pathname = '/';
      const admin = knexFactory({
        client: 'mysql2',
        connection: { uri: url.toString() } as Knex.MySql2ConnectionConfig & { uri: string },
        pool: { min: 0, max: 1 },
      });
      await admin.raw('DROP DATABASE IF EXISTS ??', [name]).finally(() => admin.destroy());
    },
  };
}
