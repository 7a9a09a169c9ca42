import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, type AppConfig, type DatabaseConfig } from '../../server/config';
import { migrateLatest, openDatabase, type Db } from '../../server/db';
import { createLogger } from '../../server/log';
import { startSystem, type StartOptions, type System } from '../../server/system';
import { platformWorkers } from '../../workers';

/**
 * A fresh database for one test file, on the server DATABASE_URL names (MySQL/MariaDB), else a
 * new SQLite file: tests never share rows, and the same suite runs against both.
 */
export function freshDatabaseConfig(): { database: DatabaseConfig; drop(): Promise<void> } {
  const base = loadConfig().database;
  const suffix = crypto.randomBytes(4).toString('hex');
  if (base.client === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'budget-test-'));
    return {
      database: { client: 'sqlite', filename: path.join(dir, 'test.sqlite') },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `budget_test_${suffix}`;
  const url = new URL(base.url);
  url.pathname = `/${name}`;
  return {
    database: { client: 'mysql', url: url.toString(), database: name },
    drop: async () => {
      const serverUrl = new URL(base.url);
      serverUrl.pathname = '/';
      const admin: Knex = knexFactory({
        client: 'mysql2',
        connection: { uri: serverUrl.toString() } as Knex.MySql2ConnectionConfig & { uri: string },
        pool: { min: 0, max: 1 },
      });
      try {
        await admin.raw('DROP DATABASE IF EXISTS ??', [name]);
      } finally {
        await admin.destroy();
      }
    },
  };
}

/** A fresh database (see freshDatabaseConfig), opened and migrated to the latest schema. */
export async function openFreshDatabase(): Promise<{ db: Db; database: DatabaseConfig; drop(): Promise<void> }> {
  const fresh = freshDatabaseConfig();
  const db = await openDatabase(fresh.database);
  await migrateLatest(db);
  return { db, database: fresh.database, drop: fresh.drop };
}

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  // Test files run in parallel against one engine: each system gets a namespace of its own, so
  // its workers never take another system's external tasks (and write into another test's database).
  const engine = { ...config.engine, namespace: `t${crypto.randomBytes(4).toString('hex')}` };
  // Tests make the accounts they need (test/support/accounts.ts); the demo set has its own test.
  return { ...config, engine, port: 0, demoData: false, ...overrides };
}

export interface TestSystem {
  system: System;
  config: AppConfig;
  close(): Promise<void>;
}

/** The whole system on an ephemeral port against the real engine and a fresh database. */
export async function startTestSystem(overrides: Partial<AppConfig> = {}, options: StartOptions = {}): Promise<TestSystem> {
  const db = freshDatabaseConfig();
  const config = testConfig({ database: db.database, ...overrides });
  const system = await startSystem(config, {
    log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    workers: platformWorkers(),
    reconcileEveryMs: 1000,
    ...options,
  });
  if (config.database.client === 'sqlite' || !overrides.database) await system.databaseReady;
  return {
    system,
    config,
    close: async () => {
      await system.stop();
      await db.drop();
    },
  };
}
