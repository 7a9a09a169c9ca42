import fs from 'node:fs';
import Database from 'better-sqlite3';
import type { AppConfig } from '../config';
import { engineReady, runningEngine, serverDatabaseParts } from '../engine/launcher';
import { BackupError } from './errors';
import { otherConnections, serverAddressOf } from './mysql';

/**
 * A backup is consistent because nothing runs while it is taken: no app node, no worker process,
 * no engine. These checks refuse (APP_RUNNING / ENGINE_RUNNING) when something does:
 * - the app: its port answers /api/health; on SQLite, another connection has the file open (the
 *   check takes the file's exclusive lock and keeps it, so no app can start while the copy is
 *   made); on MySQL/MariaDB, another connection is using the app database;
 * - the engine: this ENGINE_HOME's engine runs (pid file), the engine's REST address answers, or
 *   another connection is using a MySQL/MariaDB engine database.
 */

export interface SqliteLock {
  db: Database.Database;
  release(): void;
}

/** The SQLite file opened with its exclusive lock held (APP_RUNNING when another connection has it). */
export function lockSqlite(filename: string): SqliteLock {
  let db: Database.Database;
  try {
    db = new Database(filename, { fileMustExist: true, timeout: 0 });
  } catch (err) {
    throw new BackupError('DATABASE_UNAVAILABLE', `无法打开平台数据库文件 ${filename}：${(err as Error).message}`, { database: filename });
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new BackupError(
        'APP_RUNNING',
        `平台正在运行（数据库文件 ${filename} 正被其他进程使用）。请先停止平台（npm start 的窗口中按 Ctrl+C，以及单独运行的 npm run workers），再执行备份或恢复`,
        { database: filename },
      );
    }
    throw new BackupError('DATABASE_UNAVAILABLE', `无法锁定平台数据库文件 ${filename}：${(err as Error).message}`, { database: filename });
  }
  return { db, release: () => db.close() };
}

async function appAnswers(config: AppConfig): Promise<string | undefined> {
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  if (!config.port) return undefined;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/api/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return (res.headers.get('content-type') ?? '').includes('json') ? url : undefined;
  } catch {
    return undefined;
  }
}

const STOP_APP = '请先停止平台（npm start 的窗口中按 Ctrl+C，以及单独运行的 npm run workers），再执行备份或恢复';
const STOP_ENGINE = '请先停止流程引擎（npm run engine:stop；外部引擎请由运维停止），再执行备份或恢复';

/**
 * Refuses when the app or the engine runs. `which` limits the checks to what exists (a restore
 * target that does not exist yet cannot be in use). SQLite's file lock is taken by the caller.
 */
export async function assertStopped(config: AppConfig, which: { appDatabase: boolean; engineDatabase: boolean }): Promise<void> {
  const app = await appAnswers(config);
  if (app) throw new BackupError('APP_RUNNING', `平台正在运行（${app} 有应答）。${STOP_APP}`);
  if (which.appDatabase && config.database.client === 'mysql') {
    const others = await connectionsOrUnavailable(config.database.url, config.database.database);
    if (others.length)
      throw new BackupError(
        'APP_RUNNING',
        `平台数据库 ${config.database.database} 上还有 ${others.length} 个其他连接（${describe(others)}），平台或工作进程可能仍在运行。${STOP_APP}`,
        { database: config.database.database },
      );
  }
  const local = config.engine.local;
  if (config.engine.mode === 'local') {
    const info = runningEngine(local);
    if (info) throw new BackupError('ENGINE_RUNNING', `本地流程引擎正在运行（进程 ${info.pid}，端口 ${info.port}）。${STOP_ENGINE}`);
  }
  if (await engineReady(config.engine.restUrl))
    throw new BackupError('ENGINE_RUNNING', `流程引擎正在运行（${config.engine.restUrl} 有应答）。${STOP_ENGINE}`);
  const server = serverDatabaseParts(local.database);
  if (which.engineDatabase && server?.kind === 'mysql') {
    const address = {
      ...serverAddressOf(`mysql://${server.host}:${server.port}`),
      user: local.database.user,
      password: local.database.password,
    };
    const others = await otherConnections(address, server.database).catch((err: Error) => {
      throw new BackupError('DATABASE_UNAVAILABLE', `无法连接流程引擎数据库服务器 ${server.host}:${server.port}：${err.message}`, {
        database: server.database,
      });
    });
    if (others.length)
      throw new BackupError(
        'ENGINE_RUNNING',
        `流程引擎数据库 ${server.database} 上还有 ${others.length} 个其他连接（${describe(others)}），可能有引擎节点仍在运行。${STOP_ENGINE}`,
        { database: server.database },
      );
  }
}

async function connectionsOrUnavailable(url: string, database: string): Promise<Array<{ user: string; host: string }>> {
  try {
    return await otherConnections(serverAddressOf(url), database);
  } catch (err) {
    throw new BackupError('DATABASE_UNAVAILABLE', `无法连接平台数据库服务器：${(err as Error).message}`, { database });
  }
}

function describe(rows: Array<{ user: string; host: string }>): string {
  return [...new Set(rows.map((r) => `${r.user}@${r.host.replace(/:\d+$/, '')}`))].slice(0, 3).join('、');
}

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}
