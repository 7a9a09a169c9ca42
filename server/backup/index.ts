import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sm3Hex } from '../../domain/digest';
import { PROJECT_ROOT, type AppConfig } from '../config';
import { MIGRATIONS_DIR } from '../db';
import { h2Path, serverDatabaseParts } from '../engine/launcher';
import { BackupError } from './errors';
import { checkBackup, writeManifest, type BackupManifest, type RestoreAbility } from './manifest';
import {
  adminConnection,
  countRows,
  damagedAttachmentsMysql,
  databaseInfo,
  dumpMysql,
  loadMysql,
  serverAddressOf,
  type ServerAddress,
} from './mysql';
import { assertStopped, lockSqlite, type SqliteLock } from './running';

export { BackupError } from './errors';
export { checkBackup, type BackupManifest } from './manifest';

/**
 * `npm run backup` and `npm run restore` (scripts/backup.ts, scripts/restore.ts).
 *
 * Backup: with the app and the engine stopped (refused otherwise: APP_RUNNING, ENGINE_RUNNING),
 * the app database (SQLite: VACUUM INTO under the file's exclusive lock; MySQL/MariaDB: a logical
 * dump in one consistent snapshot), the engine database (the H2 file copied; MySQL/MariaDB: the
 * same dump) and so the attachments (stored in the app database) go into one new folder with a
 * manifest; the checks run again at the end, and a system that started meanwhile voids the backup
 * (SYSTEM_STARTED_DURING_BACKUP, the folder removed).
 *
 * Restore: the folder is checked first (manifest digest, format, versions, every file's size and
 * SM3); the targets are the databases the configuration names and must be empty
 * (DATABASE_NOT_EMPTY). Each database is built beside its target (a staging database, a
 * temporary file), checked (row counts, SQLite integrity), and only then moved into place: an
 * SQLite or H2 file by rename, MySQL tables by one RENAME TABLE statement. A failure before that
 * leaves the targets as they were; a failure in the last step puts back what had been moved.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PLATFORM_VERSION = (require(path.join(PROJECT_ROOT, 'package.json')) as { version: string }).version;

const APP_SQLITE = 'app.sqlite';
const APP_MYSQL = 'app.mysql.ndjson';
const ENGINE_H2 = 'engine.h2.mv.db';
const ENGINE_MYSQL = 'engine.mysql.ndjson';

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  ms: number;
}

/** The migrations this code knows (file names, as knex_migrations records them). */
export function knownMigrations(): string[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
}

export function restoreAbility(config: AppConfig): RestoreAbility {
  return { operatonVersion: config.engine.local.version, migrationNames: knownMigrations() };
}

/** Where a backup goes by default: .data/backups/backup-<Beijing time>. */
export function defaultBackupDir(now = new Date()): string {
  const t = new Date(now.getTime() + 8 * 3600_000).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join(PROJECT_ROOT, '.data', 'backups', `backup-${t}`);
}

function engineMysql(config: AppConfig): { server: ServerAddress; database: string } | undefined {
  const db = config.engine.local.database;
  const parts = serverDatabaseParts(db);
  if (!parts) return undefined;
  if (parts.kind !== 'mysql')
    throw new BackupError('BACKUP_FAILED', '本工具暂不支持 PostgreSQL 引擎数据库的备份与恢复，请使用数据库自带的 pg_dump / pg_restore');
  return {
    server: { host: parts.host.replace(/^\[(.*)\]$/, '$1'), port: Number(parts.port), user: db.user, password: db.password },
    database: parts.database,
  };
}

function h2File(config: AppConfig): string {
  return `${h2Path(config.engine.local)}.mv.db`;
}

function sqliteMigrations(db: Database.Database): string[] {
  const has = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'knex_migrations'").get();
  if (!has) return [];
  return (db.prepare('SELECT name FROM knex_migrations ORDER BY id').all() as Array<{ name: string }>).map((r) => r.name);
}

function sqliteCounts(db: Database.Database): Record<string, number> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string }>;
  const out: Record<string, number> = {};
  for (const { name } of tables)
    out[name] = Number((db.prepare(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n);
  return out;
}

function attachmentsSqlite(db: Database.Database): { count: number; bytes: number } {
  const has = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'attachment_blobs'").get();
  if (!has) return { count: 0, bytes: 0 };
  const r = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(content)), 0) AS b FROM attachment_blobs').get() as {
    n: number;
    b: number;
  };
  return { count: Number(r.n), bytes: Number(r.b) };
}

async function mysqlFacts(
  server: ServerAddress,
  database: string,
): Promise<{ migrations: string[]; attachments: { count: number; bytes: number } }> {
  const conn = await adminConnection(server, database);
  try {
    const info = await databaseInfo(conn, database);
    const migrations = info.tables.includes('knex_migrations')
      ? ((await conn.query('SELECT name FROM knex_migrations ORDER BY id'))[0] as Array<{ name: string }>).map((r) => r.name)
      : [];
    let attachments = { count: 0, bytes: 0 };
    if (info.tables.includes('attachment_blobs')) {
      const [[r]] = (await conn.query('SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(content)), 0) AS b FROM attachment_blobs')) as unknown as [
        [{ n: number | string; b: number | string }],
      ];
      attachments = { count: Number(r.n), bytes: Number(r.b) };
    }
    return { migrations, attachments };
  } finally {
    await conn.end();
  }
}

async function engineSchemaVersion(server: ServerAddress, database: string): Promise<string | null> {
  const conn = await adminConnection(server, database);
  try {
    const [rows] = (await conn.query("SELECT VALUE_ AS v FROM ACT_GE_PROPERTY WHERE NAME_ = 'schema.version'")) as unknown as [
      Array<{ v: string }>,
    ];
    return rows[0]?.v ?? null;
  } catch {
    return null;
  } finally {
    await conn.end();
  }
}

export interface BackupOptions {
  /** The new folder (must not exist); default defaultBackupDir(). */
  dir?: string;
  log?: (line: string) => void;
}

export async function backup(config: AppConfig, options: BackupOptions = {}): Promise<BackupResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const dir = path.resolve(options.dir ?? defaultBackupDir());
  if (fs.existsSync(dir) && fs.readdirSync(dir).length)
    throw new BackupError('BACKUP_TARGET_EXISTS', `备份目录 ${dir} 已存在且不为空，请指定新的目录`);
  const engineServer = engineMysql(config);
  const h2 = engineServer ? undefined : h2File(config);
  if (config.database.client === 'sqlite' && !fs.existsSync(config.database.filename))
    throw new BackupError('DATABASE_UNAVAILABLE', `平台数据库文件 ${config.database.filename} 不存在，没有可备份的数据`, {
      database: config.database.filename,
    });
  if (h2 && !fs.existsSync(h2))
    throw new BackupError(
      'DATABASE_UNAVAILABLE',
      `流程引擎数据库文件 ${h2} 不存在（ENGINE_DATA_DIR / ENGINE_DATABASE_URL 是否指向引擎实际使用的数据？）`,
      { database: h2 },
    );

  // SQLite: the file's exclusive lock first (an app holding the file open is APP_RUNNING), held
  // until the copies are made, so no app can start on it meanwhile.
  const lock: SqliteLock | undefined = config.database.client === 'sqlite' ? lockSqlite(config.database.filename) : undefined;
  let ok = false;
  try {
    await assertStopped(config, { appDatabase: true, engineDatabase: true });
    fs.mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    let app: BackupManifest['app'];
    let migrations: string[];
    let attachments: { count: number; bytes: number };
    if (lock) {
      log(`正在备份平台数据库（SQLite ${config.database.client === 'sqlite' ? config.database.filename : ''}）…`);
      migrations = sqliteMigrations(lock.db);
      attachments = attachmentsSqlite(lock.db);
      const tables = sqliteCounts(lock.db);
      lock.db.prepare('VACUUM INTO ?').run(path.join(dir, APP_SQLITE));
      const version = (lock.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
      app = {
        kind: 'sqlite',
        file: APP_SQLITE,
        serverVersion: `SQLite ${version}`,
        source: config.database.client === 'sqlite' ? config.database.filename : '',
        tables,
      };
    } else {
      const { url, database } = config.database as Extract<AppConfig['database'], { client: 'mysql' }>;
      log(`正在备份平台数据库（MySQL/MariaDB ${database}）…`);
      const server = serverAddressOf(url);
      ({ migrations, attachments } = await mysqlFacts(server, database));
      const dump = await dumpMysql(server, database, path.join(dir, APP_MYSQL));
      app = {
        kind: 'mysql',
        file: APP_MYSQL,
        serverVersion: dump.serverVersion,
        source: database,
        tables: dump.tables,
        charset: dump.charset,
        collation: dump.collation,
      };
    }
    files.push(app.file);

    let engine: BackupManifest['engine'];
    if (engineServer) {
      log(`正在备份流程引擎数据库（MySQL/MariaDB ${engineServer.database}）…`);
      const dump = await dumpMysql(engineServer.server, engineServer.database, path.join(dir, ENGINE_MYSQL));
      const schemaVersion = await engineSchemaVersion(engineServer.server, engineServer.database);
      engine = {
        kind: 'mysql',
        file: ENGINE_MYSQL,
        source: engineServer.database,
        serverVersion: dump.serverVersion,
        schemaVersion,
        tables: dump.tables,
        charset: dump.charset,
        collation: dump.collation,
      };
    } else {
      log(`正在备份流程引擎数据库（H2 ${h2}）…`);
      fs.copyFileSync(h2!, path.join(dir, ENGINE_H2), fs.constants.COPYFILE_EXCL);
      engine = { kind: 'h2', file: ENGINE_H2, source: h2! };
    }
    files.push(engine.file);

    // Nothing may have started while the copies were made.
    try {
      await assertStopped(config, { appDatabase: true, engineDatabase: true });
    } catch (err) {
      if (err instanceof BackupError && (err.code === 'APP_RUNNING' || err.code === 'ENGINE_RUNNING')) {
        throw new BackupError('SYSTEM_STARTED_DURING_BACKUP', `备份期间系统被启动（${err.message}），本次备份不一致，已作废`);
      }
      throw err;
    }
    log('正在计算每个文件的 SM3 摘要并写入清单…');
    const manifest = await writeManifest(
      dir,
      {
        createdAt: new Date().toISOString(),
        platformVersion: PLATFORM_VERSION,
        operatonVersion: config.engine.local.version,
        migrations: { count: migrations.length, latest: migrations[migrations.length - 1] ?? null, names: migrations },
        app,
        engine,
        attachments,
        fieldKeyIds: config.fieldKeys.keys.map((k) => k.id),
      },
      files,
    );
    ok = true;
    return { dir, manifest, ms: Date.now() - started };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError('BACKUP_FAILED', `备份失败：${(err as Error).message}`);
  } finally {
    lock?.release();
    if (!ok && fs.existsSync(dir) && !fs.readdirSync(dir).some((f) => f === 'manifest.json'))
      fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Restore

/** One database restored beside its target, waiting to be moved into place. */
interface Staged {
  what: string;
  commit(): Promise<void>;
  /** Puts the target back as it was after a commit (another part failed to commit). */
  undo(): Promise<void>;
  /** Removes the staging copy (after a failure, or after commit: what is left of it). */
  discard(): Promise<void>;
}

export interface RestoreResult {
  manifest: BackupManifest;
  app: string;
  engine: string;
  ms: number;
  warnings: string[];
}

const suffix = (): string => crypto.randomBytes(3).toString('hex');

function sqliteIsEmpty(file: string): boolean {
  if (!fs.existsSync(file)) return true;
  if (fs.statSync(file).size === 0) return true;
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
  try {
    return !db.prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') LIMIT 1").get();
  } finally {
    db.close();
  }
}

async function stageSqlite(manifest: BackupManifest, dir: string, target: string): Promise<Staged> {
  if (!sqliteIsEmpty(target))
    throw new BackupError(
      'DATABASE_NOT_EMPTY',
      `目标平台数据库 ${target} 已有数据。恢复只写入空数据库：请用 SQLITE_FILE（或 DATABASE_URL=sqlite:///…）指定一个新文件，或先移走现有文件`,
      { database: target },
    );
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = `${target}.restoring-${suffix()}`;
  fs.copyFileSync(path.join(dir, manifest.app.file), staging, fs.constants.COPYFILE_EXCL);
  let db: Database.Database | undefined;
  try {
    db = new Database(staging, { fileMustExist: true });
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok')
      throw new BackupError('BACKUP_DAMAGED', `备份的平台数据库 ${manifest.app.file} 未通过 SQLite 完整性检查：${String(check)}`, {
        file: manifest.app.file,
      });
    assertCounts(manifest.app.tables, sqliteCounts(db), manifest.app.file);
    const hasBlobs = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attachment_blobs'").get();
    const bad = hasBlobs
      ? (db.prepare('SELECT sm3, content FROM attachment_blobs').iterate() as Iterable<{ sm3: string; content: Uint8Array }>)
      : [];
    for (const row of bad) if (sm3Hex(row.content) !== row.sm3) throw damagedAttachment(manifest.app.file, row.sm3);
  } catch (err) {
    db?.close();
    fs.rmSync(staging, { force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError('BACKUP_DAMAGED', `备份的平台数据库 ${manifest.app.file} 无法读取：${(err as Error).message}`, {
      file: manifest.app.file,
    });
  }
  db.close();
  return {
    what: `SQLite ${target}`,
    async commit() {
      if (!sqliteIsEmpty(target))
        throw new BackupError('DATABASE_NOT_EMPTY', `目标平台数据库 ${target} 在恢复期间被写入了数据`, { database: target });
      for (const extra of ['-wal', '-shm', '-journal']) fs.rmSync(`${target}${extra}`, { force: true });
      fs.renameSync(staging, target);
    },
    async undo() {
      fs.rmSync(target, { force: true });
    },
    async discard() {
      fs.rmSync(staging, { force: true });
    },
  };
}

function damagedAttachment(file: string, sm3: string, n = 1): BackupError {
  return new BackupError('BACKUP_DAMAGED', `备份文件 ${file} 中有 ${n} 个附件的内容与其 SM3 摘要不符（如 ${sm3.slice(0, 16)}…），未恢复`, {
    file,
  });
}

function assertCounts(expected: Record<string, number>, actual: Record<string, number>, file: string): void {
  for (const [table, n] of Object.entries(expected)) {
    if (actual[table] !== n)
      throw new BackupError('BACKUP_DAMAGED', `备份文件 ${file} 中表 ${table} 的行数为 ${actual[table] ?? '（缺表）'}，清单记录为 ${n}`, {
        file,
      });
  }
}

async function stageMysql(
  kind: 'app' | 'engine',
  manifestPart: { file: string; tables?: Record<string, number>; charset?: string; collation?: string },
  dir: string,
  server: ServerAddress,
  target: string,
): Promise<Staged> {
  const label = kind === 'app' ? '平台数据库' : '流程引擎数据库';
  const admin = await adminConnection(server).catch((err: Error) => {
    throw new BackupError('DATABASE_UNAVAILABLE', `无法连接${label}服务器 ${server.host}:${server.port}：${err.message}`, {
      database: target,
    });
  });
  try {
    const info = await databaseInfo(admin, target);
    if (info.tables.length) {
      throw new BackupError(
        'DATABASE_NOT_EMPTY',
        `目标${label} ${target} 已有 ${info.tables.length} 张表。恢复只写入空数据库：请在配置中指定一个新的（或空的）数据库名`,
        { database: target },
      );
    }
  } finally {
    await admin.end();
  }
  const staging = `${target.slice(0, 48)}_rs_${suffix()}`;
  const collation = manifestPart.collation || (kind === 'engine' ? 'utf8mb4_bin' : 'utf8mb4_unicode_ci');
  const charset = manifestPart.charset || 'utf8mb4';
  const withAdmin = async (fn: (c: Awaited<ReturnType<typeof adminConnection>>) => Promise<void>): Promise<void> => {
    const c = await adminConnection(server);
    try {
      await fn(c);
    } finally {
      await c.end();
    }
  };
  await withAdmin(async (c) => {
    await c.query(`CREATE DATABASE \`${staging}\` CHARACTER SET ${charset} COLLATE ${collation}`);
  });
  const dropStaging = (): Promise<void> => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS \`${staging}\``)));
  let tables: string[];
  try {
    const loaded = await loadMysql(server, staging, path.join(dir, manifestPart.file)).catch((err: Error) => {
      throw err instanceof BackupError
        ? err
        : new BackupError('RESTORE_FAILED', `载入${label}备份 ${manifestPart.file} 失败：${err.message}`, { file: manifestPart.file });
    });
    tables = Object.keys(loaded);
    if (manifestPart.tables) assertCounts(manifestPart.tables, await countRows(server, staging, tables), manifestPart.file);
    if (kind === 'app') {
      const bad = await damagedAttachmentsMysql(server, staging, sm3Hex);
      if (bad.length) throw damagedAttachment(manifestPart.file, bad[0]!, bad.length);
    }
  } catch (err) {
    await dropStaging().catch(() => undefined);
    throw err;
  }
  const move = (from: string, to: string): string =>
    `RENAME TABLE ${tables.map((t) => `\`${from}\`.\`${t}\` TO \`${to}\`.\`${t}\``).join(', ')}`;
  return {
    what: `MySQL/MariaDB ${target}`,
    async commit() {
      await withAdmin(async (c) => {
        await c.query(`CREATE DATABASE IF NOT EXISTS \`${target}\` CHARACTER SET ${charset} COLLATE ${collation}`);
        const info = await databaseInfo(c, target);
        if (info.tables.length)
          throw new BackupError('DATABASE_NOT_EMPTY', `目标${label} ${target} 在恢复期间被写入了数据`, { database: target });
        // One statement: every table moves, or none.
        if (tables.length) await c.query(move(staging, target));
      });
    },
    async undo() {
      await withAdmin(async (c) => {
        if (tables.length) await c.query(move(target, staging));
      });
    },
    async discard() {
      await dropStaging();
    },
  };
}

function stageH2(manifest: BackupManifest, dir: string, target: string): Staged {
  const existing = fs.existsSync(target);
  if (existing)
    throw new BackupError(
      'DATABASE_NOT_EMPTY',
      `目标流程引擎数据库文件 ${target} 已存在。恢复只写入空数据库：请用 ENGINE_DATA_DIR 指定一个新目录，或先执行 npm run engine:reset 清空`,
      { database: target },
    );
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = `${target}.restoring-${suffix()}`;
  fs.copyFileSync(path.join(dir, manifest.engine.file), staging, fs.constants.COPYFILE_EXCL);
  return {
    what: `H2 ${target}`,
    async commit() {
      if (fs.existsSync(target))
        throw new BackupError('DATABASE_NOT_EMPTY', `目标流程引擎数据库文件 ${target} 在恢复期间被创建`, { database: target });
      fs.renameSync(staging, target);
    },
    async undo() {
      fs.rmSync(target, { force: true });
    },
    async discard() {
      fs.rmSync(staging, { force: true });
    },
  };
}

export interface RestoreOptions {
  log?: (line: string) => void;
}

/** Restores the backup in `dir` into the (empty) databases `config` names. */
export async function restore(config: AppConfig, dir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  log(`正在校验备份 ${dir}（清单、版本、每个文件的 SM3 摘要）…`);
  const manifest = await checkBackup(path.resolve(dir), restoreAbility(config));
  const appKind = config.database.client;
  const engineServer = engineMysql(config);
  const engineKind = engineServer ? 'mysql' : 'h2';
  if (manifest.app.kind !== appKind) {
    throw new BackupError(
      'RESTORE_TARGET_MISMATCH',
      `备份的平台数据库是 ${manifest.app.kind === 'mysql' ? 'MySQL/MariaDB' : 'SQLite'}，当前配置的是 ${appKind === 'mysql' ? 'MySQL/MariaDB' : 'SQLite'}：请按备份的类型设置 DATABASE_URL`,
    );
  }
  if (manifest.engine.kind !== engineKind) {
    throw new BackupError(
      'RESTORE_TARGET_MISMATCH',
      `备份的流程引擎数据库是 ${manifest.engine.kind === 'mysql' ? 'MySQL/MariaDB' : 'H2'}，当前配置的是 ${engineKind === 'mysql' ? 'MySQL/MariaDB' : 'H2'}：请按备份的类型设置 ENGINE_DATABASE_URL（或 DATABASE_URL）`,
    );
  }
  await assertStopped(config, { appDatabase: true, engineDatabase: true });
  const warnings: string[] = [];
  const keyIds = config.fieldKeys.keys.map((k) => k.id);
  const missingKeys = manifest.fieldKeyIds.filter((id) => !keyIds.includes(id));
  if (missingKeys.length)
    warnings.push(
      `备份时使用的敏感字段密钥 ${missingKeys.join('、')} 不在当前 BUDGET_FIELD_KEYS 中：恢复后这些密钥加密的数据（如收款账号、动态口令密钥）将无法打开，请配置备份时的密钥`,
    );

  const staged: Staged[] = [];
  const committed: Staged[] = [];
  let appTarget: string;
  let engineTarget: string;
  try {
    if (config.database.client === 'sqlite') {
      appTarget = config.database.filename;
      log(`正在恢复平台数据库到 ${appTarget}（先写入临时文件并校验）…`);
      staged.push(await stageSqlite(manifest, dir, appTarget));
    } else {
      appTarget = config.database.database;
      log(`正在恢复平台数据库到 ${appTarget}（先写入临时数据库并校验）…`);
      staged.push(await stageMysql('app', manifest.app, dir, serverAddressOf(config.database.url), appTarget));
    }
    if (engineServer) {
      engineTarget = engineServer.database;
      log(`正在恢复流程引擎数据库到 ${engineTarget}（先写入临时数据库并校验）…`);
      staged.push(await stageMysql('engine', manifest.engine, dir, engineServer.server, engineTarget));
    } else {
      engineTarget = h2File(config);
      log(`正在恢复流程引擎数据库到 ${engineTarget}…`);
      staged.push(stageH2(manifest, dir, engineTarget));
    }
    for (const s of staged) {
      await s.commit();
      committed.push(s);
    }
  } catch (err) {
    for (const s of committed.reverse()) await s.undo().catch(() => undefined);
    for (const s of staged) await s.discard().catch(() => undefined);
    if (err instanceof BackupError) throw err;
    throw new BackupError('RESTORE_FAILED', `恢复失败，目标数据库保持原状：${(err as Error).message}`);
  }
  for (const s of staged) await s.discard().catch(() => undefined);
  return { manifest, app: appTarget, engine: engineTarget, ms: Date.now() - started, warnings };
}
