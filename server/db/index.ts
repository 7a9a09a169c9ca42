import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseConfig } from '../config';
import type { Logger } from '../log';
import { PROJECT_ROOT } from '../config';

export type Db = Knex;

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

/** knex options for a database; the one place the dialects' differences are settled. */
export function knexOptions(config: DatabaseConfig, logger?: Logger): Knex.Config {
  // knex's own warnings go to the structured log, not to the console.
  const log = {
    warn: (m: unknown) => logger?.warn({ knex: String(m) }, 'knex'),
    error: (m: unknown) => logger?.error({ knex: String(m) }, 'knex'),
    deprecate: (m: unknown) => logger?.warn({ knex: String(m) }, 'knex deprecation'),
    debug: (m: unknown) => logger?.debug({ knex: String(m) }, 'knex'),
  };
  const migrations: Knex.MigratorConfig = {
    directory: MIGRATIONS_DIR,
    loadExtensions: ['.ts'],
    tableName: 'knex_migrations',
  };
  if (config.client === 'sqlite') {
    return {
      client: 'better-sqlite3',
      connection: { filename: config.filename },
      useNullAsDefault: true,
      migrations,
      log,
      pool: {
        afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          // Integrity first: enforce foreign keys; WAL lets readers work beside one writer.
          conn.pragma('foreign_keys = ON');
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 5000');
          done(null, conn);
        },
      },
    };
  }
  return {
    client: 'mysql2',
    connection: {
      uri: config.url,
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      connectTimeout: 5000,
    } as Knex.MySql2ConnectionConfig & { uri: string },
    pool: { min: 0, max: 10 },
    migrations,
    log,
  };
}

/**
 * Opens the database. For SQLite the folder is created; for MySQL/MariaDB a missing database is
 * created (the account needs the right), so a newcomer's first start needs no manual step.
 */
export async function openDatabase(config: DatabaseConfig, logger?: Logger): Promise<Db> {
  if (config.client === 'sqlite') {
    fs.mkdirSync(path.dirname(config.filename), { recursive: true });
    return knexFactory(knexOptions(config, logger));
  }
  await ensureMysqlDatabase(config);
  return knexFactory(knexOptions(config, logger));
}

async function ensureMysqlDatabase(config: Extract<DatabaseConfig, { client: 'mysql' }>): Promise<void> {
  const serverUrl = new URL(config.url);
  serverUrl.pathname = '/';
  const admin = knexFactory({
    client: 'mysql2',
    connection: { uri: serverUrl.toString(), connectTimeout: 5000 } as Knex.MySql2ConnectionConfig & { uri: string },
    pool: { min: 0, max: 1 },
    log: { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined },
  });
  try {
    await admin.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [config.database]);
  } catch (err) {
    // No right to create databases, or server down: openDatabase still succeeds and the health
    // check reports the real cause, so a later start can recover without a restart loop.
    void err;
  } finally {
    await admin.destroy();
  }
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

export interface DatabaseStatus {
  status: 'up' | 'down';
  client: 'mysql' | 'sqlite';
  serverVersion?: string;
  latencyMs?: number;
  message?: string;
}

/** A live round trip to the database, for /api/health. Never throws. */
export async function checkDatabase(db: Db, client: DatabaseConfig['client']): Promise<DatabaseStatus> {
  const started = process.hrtime.bigint();
  try {
    let serverVersion: string;
    if (client === 'sqlite') {
      const row = (await db.raw('select sqlite_version() as v')) as Array<{ v: string }>;
      serverVersion = `SQLite ${row[0]?.v ?? ''}`.trim();
    } else {
      const [rows] = (await db.raw('select version() as v')) as [Array<{ v: string }>];
      serverVersion = rows[0]?.v ?? '';
    }
    const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { status: 'up', client, serverVersion, latencyMs: Math.round(latencyMs * 10) / 10 };
  } catch (err) {
    return { status: 'down', client, message: describeDatabaseError(err) };
  }
}

/** A clerk-readable sentence for a database fault; details stay in the logs. */
export function describeDatabaseError(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return '数据库无法连接（连接被拒绝），请确认数据库服务已启动';
    case 'ETIMEDOUT':
      return '数据库连接超时，请检查网络或数据库服务';
    case 'ER_ACCESS_DENIED_ERROR':
      return '数据库拒绝登录，请检查 DATABASE_URL 中的用户名和密码';
    case 'ER_BAD_DB_ERROR':
      return '数据库不存在，且当前账号无权创建';
    default:
      return '数据库暂不可用，请稍后再试或联系管理员';
  }
}

/**
 * Instants go into DATETIME(3) columns as UTC. SQLite (better-sqlite3) hands them back as epoch
 * milliseconds, MySQL as Date: readers use this to get a Date either way.
 */
export function readInstant(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string')
    return new Date(/^\d+$/.test(value) ? Number(value) : value.replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? '' : 'Z'));
  throw new TypeError(`not an instant: ${String(value)}`);
}

/** MySQL/MariaDB rather than SQLite: the one place the dialect is told apart. */
export function isMysql(db: Knex): boolean {
  return String(db.client.config.client).startsWith('mysql');
}

/**
 * SELECT … FOR UPDATE on MySQL/MariaDB: reads the latest committed row (not the transaction's
 * snapshot) and holds it until commit. SQLite has one writer at a time already, so the query is
 * left as it is there.
 */
export function forUpdate<T extends Knex.QueryBuilder>(db: Knex, q: T): T {
  return isMysql(db) ? (q.forUpdate() as T) : q;
}
