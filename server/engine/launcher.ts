import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { serverJdbcUrl, type EngineConfig, type EngineDatabaseConfig, type ServerDatabaseParts } from '../config';
import type { Logger } from '../log';
import { basicAuthorization } from './client';

/**
 * The local engine: Operaton (Apache-2.0, Camunda 7 lineage) in the small Spring Boot app of
 * engine/, built with Maven when its jar is missing or older than its sources, started on a
 * JDK 17+, reached over /engine-rest, stopped cleanly. Used by `npm start`, `npm run engine:*`,
 * the benchmarks and the test suite's global setup alike.
 *
 * Several engines may run from one machine (several nodes on one database, or a test engine
 * beside a developer's): each ENGINE_HOME has its own pid file, start lock, log and copy of the
 * jar; the build of engine/ is shared and serialised by a lock file in engine/target.
 */

export type EngineLaunchErrorCode = 'JDK_NOT_FOUND' | 'MAVEN_NOT_FOUND' | 'BUILD_FAILED' | 'PORT_IN_USE' | 'START_FAILED' | 'START_TIMEOUT';

export class EngineLaunchError extends Error {
  constructor(
    public readonly code: EngineLaunchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineLaunchError';
  }
}

export type LocalEngineConfig = EngineConfig['local'];

export interface Jdk {
  home: string;
  major: number;
}

const MIN_JAVA = 17;
const JVM_DIR = '/usr/lib/jvm';
/** The jar's name, as built (engine/pom.xml finalName) and as copied into ENGINE_HOME; how our engine's process is recognised. */
const JAR_NAME = 'budget-engine.jar';
/** How long a launch waits for another one's build or start before giving up. */
const LOCK_WAIT_MS = 15 * 60_000;

// ---------------------------------------------------------------------------------------------
// JDK

function javaMajor(javaHome: string): number | undefined {
  const bin = path.join(javaHome, 'bin', 'java');
  if (!fs.existsSync(bin)) return undefined;
  const out = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 20_000 });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first; // "1.8.0" style
}

/** The real home of the first `java` on PATH (e.g. /usr/bin/java → /usr/lib/jvm/java-17-openjdk-amd64). */
function javaHomeOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const bin = path.join(dir, 'java');
    try {
      fs.accessSync(bin, fs.constants.X_OK);
      return path.dirname(path.dirname(fs.realpathSync(bin)));
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** JAVA_HOME when it is 17+, else the newest 17+ JDK under /usr/lib/jvm, else the one `java` on PATH belongs to. */
export function findJdk(javaHome: string | undefined, jvmDir = JVM_DIR): Jdk {
  const checked: string[] = [];
  if (javaHome) {
    const major = javaMajor(javaHome);
    if (major !== undefined && major >= MIN_JAVA) return { home: javaHome, major };
    checked.push(`JAVA_HOME=${javaHome}（${major === undefined ? '不是 JDK' : `Java ${major}`}）`);
  }
  const candidates: Jdk[] = [];
  if (fs.existsSync(jvmDir)) {
    for (const name of fs.readdirSync(jvmDir)) {
      const home = path.join(jvmDir, name);
      try {
        if (fs.lstatSync(home).isSymbolicLink() || !fs.statSync(home).isDirectory()) continue;
      } catch {
        continue;
      }
      const major = javaMajor(home);
      if (major === undefined) continue;
      if (major >= MIN_JAVA) candidates.push({ home, major });
      else checked.push(`${home}（Java ${major}）`);
    }
  }
  candidates.sort((a, b) => b.major - a.major);
  const best = candidates[0];
  if (best) return best;
  const onPath = javaHomeOnPath();
  if (onPath) {
    const major = javaMajor(onPath);
    if (major !== undefined && major >= MIN_JAVA) return { home: onPath, major };
    checked.push(`PATH 中的 java（${onPath}，${major === undefined ? '无法识别版本' : `Java ${major}`}）`);
  }
  throw new EngineLaunchError(
    'JDK_NOT_FOUND',
    `流程引擎（Operaton）需要 Java ${MIN_JAVA} 或更高版本，但未找到。已检查：${checked.join('；') || `JAVA_HOME 未设置，${jvmDir} 下没有 JDK，PATH 中没有 java`}。` +
      `请安装 JDK ${MIN_JAVA}+（如 Temurin 17 或 21）并设置 JAVA_HOME，或设置 ENGINE_URL 连接外部流程引擎。`,
  );
}

// ---------------------------------------------------------------------------------------------
// Lock files

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding a lock file; undefined when the lock is stale (holder gone, or unreadable and not brand new). */
function lockHolder(file: string): number | undefined {
  try {
    const raw = fs.readFileSync(file, 'utf8');
    const pid = (JSON.parse(raw) as { pid?: number }).pid;
    if (typeof pid === 'number' && processAlive(pid)) return pid;
    return undefined;
  } catch {
    // Being written right now (created, not yet filled): held, unless it has been like that for long.
    try {
      return Date.now() - fs.statSync(file).mtimeMs < 10_000 ? -1 : undefined;
    } catch {
      return -1; // vanished: the next attempt takes it
    }
  }
}

/**
 * Runs fn holding a lock file (created exclusively; a lock whose process is gone is taken over),
 * so two launches never build engine/ at once, nor start two engines for one ENGINE_HOME.
 */
async function withLock<T>(file: string, what: string, log: Logger, onTimeout: EngineLaunchError, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(file);
    if (holder === undefined) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (!told) {
      log.info({ lock: file, holder }, `另一个进程正在${what}，等待其完成`);
      told = true;
    }
    if (Date.now() > deadline) throw onTimeout;
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Build

function newestSourceMtime(projectDir: string): number {
  const pom = path.join(projectDir, 'pom.xml');
  if (!fs.existsSync(pom)) throw new EngineLaunchError('BUILD_FAILED', `流程引擎工程缺少 ${pom}`);
  let newest = fs.statSync(pom).mtimeMs;
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  };
  const src = path.join(projectDir, 'src');
  if (fs.existsSync(src)) walk(src);
  return newest;
}

/** True when the engine jar exists and is not older than engine/pom.xml and every file under engine/src. */
export function engineJarFresh(local: LocalEngineConfig): boolean {
  let jar: number;
  try {
    jar = fs.statSync(local.jarFile).mtimeMs;
  } catch {
    return false;
  }
  return jar >= newestSourceMtime(local.projectDir);
}

export interface EngineBuild {
  jarFile: string;
  /** False when the jar was already current. */
  built: boolean;
  ms: number;
}

/**
 * Builds engine/ (`mvn -B -q package -DskipTests`) when its jar is missing or stale; the build
 * log goes to $ENGINE_HOME/logs/build.log. Two launches never build at once (lock file in
 * engine/target); the second finds the jar current and uses it.
 */
export async function ensureEngineJar(local: LocalEngineConfig, log: Logger): Promise<EngineBuild> {
  const started = Date.now();
  const lock = path.join(path.dirname(local.jarFile), '.build.lock');
  const timeout = new EngineLaunchError('BUILD_FAILED', `等待另一个进程构建流程引擎超时（${LOCK_WAIT_MS / 60_000} 分钟）。若没有构建在进行，请删除 ${lock} 后重试。`);
  return withLock(lock, '构建流程引擎', log, timeout, async () => {
    if (engineJarFresh(local)) return { jarFile: local.jarFile, built: false, ms: Date.now() - started };
    const jdk = findJdk(local.javaHome);
    if (!fs.existsSync(path.join(jdk.home, 'bin', 'javac'))) {
      throw new EngineLaunchError('JDK_NOT_FOUND', `${jdk.home} 是 Java 运行环境（JRE），没有 javac；构建流程引擎需要完整的 JDK ${MIN_JAVA}+。请安装 JDK 并设置 JAVA_HOME。`);
    }
    const buildLog = path.join(local.home, 'logs', 'build.log');
    log.info({ projectDir: local.projectDir, buildLog, jdk: jdk.home }, `正在构建流程引擎 Operaton ${local.version}（mvn package；首次需从 Maven 仓库下载依赖）`);
    const code = await run('mvn', ['-B', '-q', 'package', '-DskipTests'], buildLog, { cwd: local.projectDir, env: { ...process.env, JAVA_HOME: jdk.home } });
    if (code === 'ENOENT') {
      throw new EngineLaunchError('MAVEN_NOT_FOUND', '未找到 Maven（mvn 命令），无法构建流程引擎。请安装 Maven 3.9+（3.8 亦可）并确保 mvn 在 PATH 中，或设置 ENGINE_URL 连接外部流程引擎。');
    }
    if (code !== 0 || !fs.existsSync(local.jarFile)) {
      // A failed build never leaves a jar that looks current: the next launch builds again.
      if (engineJarFresh(local)) fs.rmSync(local.jarFile, { force: true });
      throw new EngineLaunchError(
        'BUILD_FAILED',
        `流程引擎构建失败（mvn 退出码 ${code}）。构建日志 ${buildLog} 末尾：\n${tail(buildLog, 25)}\n` +
          '请检查 engine/ 的源码与 Maven 仓库是否可达（~/.m2/settings.xml 中的镜像）。',
      );
    }
    // Maven may keep a jar it finds up to date (e.g. only pom.xml was touched): it is current now,
    // also against a source stamped in the future (a clock ahead, a copied tree).
    if (!engineJarFresh(local)) {
      const t = Math.max(Date.now(), newestSourceMtime(local.projectDir) + 1) / 1000;
      fs.utimesSync(local.jarFile, t, t);
    }
    const ms = Date.now() - started;
    log.info({ jarFile: local.jarFile, seconds: Math.round(ms / 100) / 10 }, '流程引擎构建完成');
    return { jarFile: local.jarFile, built: true, ms };
  });
}

function run(cmd: string, args: string[], logFile: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number | 'ENOENT'> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'w');
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', out, out] });
    child.on('error', (err: NodeJS.ErrnoException) => {
      fs.closeSync(out);
      resolve(err.code === 'ENOENT' ? 'ENOENT' : -1);
    });
    child.on('exit', (code) => {
      fs.closeSync(out);
      resolve(code ?? -1);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Port, pid file, readiness

/** Resolves true when nothing listens on the port (on any interface). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function localRestUrl(port: number): string {
  return `http://127.0.0.1:${port}/engine-rest`;
}

export async function assertPortsFree(local: LocalEngineConfig): Promise<void> {
  if (await isPortFree(local.port)) return;
  const engine = await engineVersion(localRestUrl(local.port), local.credentials);
  throw new EngineLaunchError(
    'PORT_IN_USE',
    `端口 ${local.port}（流程引擎 REST 接口）已被其他程序占用` +
      (engine ? `（那里已有一个 Operaton ${engine} 在应答，但不是由 ENGINE_HOME=${local.home} 启动的）` : '') +
      '。请关闭占用该端口的程序，或通过 ENGINE_PORT 改用其他端口。',
  );
}

export interface EnginePidFile {
  pid: number;
  version: string;
  port: number;
  restUrl: string;
  dataDir: string;
  database: { kind: EngineDatabaseConfig['kind']; jdbcUrl: string };
  startedAt: string;
}

function pidFilePath(local: LocalEngineConfig): string {
  return path.join(local.home, 'engine.pid.json');
}

function isOurEngine(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(JAR_NAME);
  } catch {
    return false;
  }
}

/** The engine this launcher started for this ENGINE_HOME, if it is still alive (a stale pid file is removed). */
export function runningEngine(local: LocalEngineConfig): EnginePidFile | undefined {
  const file = pidFilePath(local);
  if (!fs.existsSync(file)) return undefined;
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as EnginePidFile;
    if (isOurEngine(info.pid)) return info;
  } catch {
    /* unreadable pid file: treat as stale */
  }
  fs.rmSync(file, { force: true });
  return undefined;
}

type Credentials = LocalEngineConfig['credentials'];
const authHeaders = (credentials: Credentials): Record<string, string> => (credentials ? { authorization: basicAuthorization(credentials) } : {});

/** True when the engine's REST API answers GET /version with 200 (within 2 s), with the platform's account when it has one. */
export async function engineReady(restUrl: string, credentials?: Credentials): Promise<boolean> {
  try {
    const res = await fetch(`${restUrl}/version`, { headers: authHeaders(credentials), signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The version the engine reports (GET /version), or undefined when it does not answer. */
export async function engineVersion(restUrl: string, credentials?: Credentials): Promise<string | undefined> {
  try {
    const res = await fetch(`${restUrl}/version`, { headers: authHeaders(credentials), signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as { version?: unknown };
    return typeof body.version === 'string' ? body.version : undefined;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines: number, fromByte = 0): string {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(fromByte).toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// The engine's database

/** Host, port and database name of a MySQL/MariaDB or PostgreSQL engine database; undefined for H2. */
export function serverDatabaseParts(db: EngineDatabaseConfig): ServerDatabaseParts | undefined {
  if (db.kind === 'h2') return undefined;
  const url = new URL(db.jdbcUrl.replace(/^jdbc:/, ''));
  return {
    kind: db.kind,
    host: url.hostname,
    port: url.port || (db.kind === 'mysql' ? '3306' : '5432'),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    params: new URLSearchParams(url.search),
  };
}

/** The same server database configuration under another database name (e.g. the tests' own). */
export function withDatabaseName(db: EngineDatabaseConfig, database: string): EngineDatabaseConfig {
  const parts = serverDatabaseParts(db);
  if (!parts) throw new Error('H2 引擎数据库没有数据库名，请改用数据目录（ENGINE_DATA_DIR）');
  return { ...db, jdbcUrl: serverJdbcUrl({ ...parts, database }) };
}

const bareHost = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

async function mysqlAdmin(db: EngineDatabaseConfig, parts: ServerDatabaseParts, statements: string[]): Promise<void> {
  const conn = await createConnection({ host: bareHost(parts.host), port: Number(parts.port), user: db.user, password: db.password, connectTimeout: 10_000 });
  try {
    for (const sql of statements) await conn.query(sql);
  } finally {
    await conn.end();
  }
}

function psql(db: EngineDatabaseConfig, parts: ServerDatabaseParts, sql: string): { ok: true; out: string } | { ok: false; error: string; missing?: boolean } {
  const env: NodeJS.ProcessEnv = { ...process.env, PGPASSWORD: db.password, PGCONNECT_TIMEOUT: '10' };
  const r = spawnSync('psql', ['-h', bareHost(parts.host), '-p', parts.port, '-U', db.user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-tAc', sql], { env, encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return { ok: false, error: '未找到 psql 命令', missing: true };
  if (r.status !== 0) return { ok: false, error: (r.stderr || r.error?.message || `psql 退出码 ${r.status}`).trim() };
  return { ok: true, out: r.stdout.trim() };
}

const mysqlCreate = (name: string): string => `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;
const pgIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Creates the engine's MySQL/MariaDB or PostgreSQL database when it is missing (MySQL with the
 * case-sensitive utf8mb4_bin collation the engine expects). A failure is only logged: the JDBC
 * parameter createDatabaseIfNotExist may still succeed, and otherwise the engine's own error says.
 */
async function ensureEngineDatabase(local: LocalEngineConfig, log: Logger): Promise<void> {
  const parts = serverDatabaseParts(local.database);
  if (!parts) return;
  if (parts.kind === 'mysql') {
    try {
      await mysqlAdmin(local.database, parts, [mysqlCreate(parts.database)]);
    } catch (err) {
      log.warn({ database: parts.database, err: (err as Error).message }, '无法预先创建流程引擎数据库，交由引擎连接时创建（createDatabaseIfNotExist）');
    }
    return;
  }
  const exists = psql(local.database, parts, `SELECT 1 FROM pg_database WHERE datname = '${parts.database.replace(/'/g, "''")}'`);
  if (!exists.ok) {
    log.warn({ database: parts.database, err: exists.error }, `无法检查 PostgreSQL 数据库 ${parts.database} 是否存在，请确认它已创建`);
    return;
  }
  if (exists.out === '1') return;
  const created = psql(local.database, parts, `CREATE DATABASE ${pgIdent(parts.database)}`);
  if (created.ok) log.info({ database: parts.database }, '已创建流程引擎的 PostgreSQL 数据库');
  else log.warn({ database: parts.database, err: created.error }, `无法创建 PostgreSQL 数据库 ${parts.database}，请手工创建`);
}

/** The H2 database file's path prefix (jdbc:h2:file:/x/engine → /x/engine; relative to the data folder, the engine's cwd). */
export function h2Path(local: LocalEngineConfig): string {
  const m = /^jdbc:h2:(?:file:)?([^;]+)/i.exec(local.database.jdbcUrl);
  const spec = m?.[1];
  if (!spec || /^(mem|tcp|ssl|zip):/i.test(spec)) throw new Error(`无法清空 H2 数据库 ${local.database.jdbcUrl}：只支持本地文件（jdbc:h2:file:）`);
  if (spec.startsWith('~')) return path.join(os.homedir(), spec.slice(1));
  return path.resolve(local.dataDir, spec);
}

/**
 * Wipes the engine's data, for an engine that starts fresh (the tests' own): the H2 files of its
 * database, or the MySQL/MariaDB/PostgreSQL engine database dropped and created empty. Refuses
 * while this ENGINE_HOME's engine runs.
 */
export async function resetEngineData(local: LocalEngineConfig): Promise<void> {
  const running = runningEngine(local);
  if (running) throw new Error(`本地流程引擎（进程 ${running.pid}）正在运行，不能清空其数据；请先执行 npm run engine:stop`);
  const parts = serverDatabaseParts(local.database);
  if (!parts) {
    const prefix = h2Path(local);
    const dir = path.dirname(prefix);
    if (fs.existsSync(dir)) {
      for (const name of fs.readdirSync(dir)) {
        if (name.startsWith(`${path.basename(prefix)}.`)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      }
    }
    return;
  }
  if (parts.kind === 'mysql') {
    try {
      await mysqlAdmin(local.database, parts, [`DROP DATABASE IF EXISTS \`${parts.database}\``, mysqlCreate(parts.database)]);
    } catch (err) {
      throw new Error(`无法清空 MySQL/MariaDB 引擎数据库 ${parts.database}（${parts.host}:${parts.port}，用户 ${local.database.user}）：${(err as Error).message}`);
    }
    return;
  }
  let dropped = psql(local.database, parts, `DROP DATABASE IF EXISTS ${pgIdent(parts.database)} WITH (FORCE)`);
  if (!dropped.ok && !dropped.missing && /syntax/i.test(dropped.error)) dropped = psql(local.database, parts, `DROP DATABASE IF EXISTS ${pgIdent(parts.database)}`); // before PostgreSQL 13
  const created = dropped.ok ? psql(local.database, parts, `CREATE DATABASE ${pgIdent(parts.database)}`) : dropped;
  if (!created.ok) {
    throw new Error(`无法清空 PostgreSQL 引擎数据库 ${parts.database}：${created.error}${created.missing ? '（需要 PostgreSQL 客户端 psql）' : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Start and stop

export interface LaunchResult {
  pid: number;
  reused: boolean;
  jdk?: Jdk;
  startMs: number;
}

/** The engine's environment: application.yaml reads only these (ENGINE_DB_POOL, ENGINE_LOG_LEVEL … pass through). */
function engineEnv(local: LocalEngineConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Spring Boot would let these override application.yaml's own placeholders.
  for (const name of ['SERVER_PORT', 'SERVER_ADDRESS', 'SPRING_DATASOURCE_URL', 'SPRING_DATASOURCE_USERNAME', 'SPRING_DATASOURCE_PASSWORD', 'SPRING_APPLICATION_JSON']) delete env[name];
  Object.assign(env, {
    ENGINE_PORT: String(local.port),
    // A developer's engine is not a service for the network.
    ENGINE_BIND: '127.0.0.1',
    ENGINE_DB_URL: local.database.jdbcUrl,
    ENGINE_DB_USER: local.database.user,
    ENGINE_DB_PASSWORD: local.database.password,
  });
  if (local.historyTtlDays) env.ENGINE_HISTORY_TTL = `P${local.historyTtlDays}D`;
  // The platform's account: the engine asks every REST call for it and creates it at start.
  if (local.credentials) Object.assign(env, { ENGINE_REST_AUTH: 'true', ENGINE_REST_USER: local.credentials.user, ENGINE_REST_PASSWORD: local.credentials.password });
  return env;
}

/** A copy of the jar per ENGINE_HOME, so a rebuild of engine/ never rewrites the jar under a running engine. */
function installJar(local: LocalEngineConfig): string {
  const dir = path.join(local.home, 'lib');
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, JAR_NAME);
  const staging = path.join(dir, `.${JAR_NAME}.${process.pid}`);
  fs.copyFileSync(local.jarFile, staging);
  fs.renameSync(staging, target);
  return target;
}

async function waitReady(restUrl: string, credentials: Credentials, timeoutMs: number, failed: () => EngineLaunchError | undefined): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await engineReady(restUrl, credentials))) {
    const failure = failed();
    if (failure) throw failure;
    if (Date.now() > deadline) return false;
    await sleep(300);
  }
  return true;
}

/**
 * Makes sure this ENGINE_HOME's engine runs: reuses the one started before, else finds a JDK,
 * builds engine/ if stale, checks the port, creates a missing server database, starts the jar
 * and waits until /engine-rest/version answers.
 */
export async function ensureEngineRunning(local: LocalEngineConfig, log: Logger): Promise<LaunchResult> {
  const started = Date.now();
  const timeout = new EngineLaunchError('START_TIMEOUT', `等待另一个进程启动流程引擎超时。若没有启动在进行，请删除 ${path.join(local.home, 'start.lock')} 后重试。`);
  return withLock(path.join(local.home, 'start.lock'), '启动流程引擎', log, timeout, async () => {
    const existing = runningEngine(local);
    if (existing) {
      const restUrl = localRestUrl(existing.port);
      if (!(await waitReady(restUrl, local.credentials, local.startTimeoutMs, () => undefined))) {
        throw new EngineLaunchError('START_TIMEOUT', `已运行的流程引擎（进程 ${existing.pid}，${restUrl}）没有响应，请执行 npm run engine:stop 后重试`);
      }
      log.info({ pid: existing.pid, version: existing.version, restUrl }, '复用已在运行的本地流程引擎');
      return { pid: existing.pid, reused: true, startMs: Date.now() - started };
    }

    const jdk = findJdk(local.javaHome);
    await ensureEngineJar(local, log);
    await assertPortsFree(local);
    await ensureEngineDatabase(local, log);
    fs.mkdirSync(path.dirname(local.logFile), { recursive: true });
    fs.mkdirSync(local.dataDir, { recursive: true });
    const jar = installJar(local);
    const logFrom = fs.existsSync(local.logFile) ? fs.statSync(local.logFile).size : 0;
    const out = fs.openSync(local.logFile, 'a');
    const args = ['-Dfile.encoding=UTF-8', ...local.javaOpts.split(/\s+/).filter(Boolean), '-jar', jar];
    const child = spawn(path.join(jdk.home, 'bin', 'java'), args, { env: engineEnv(local), cwd: local.dataDir, detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    let exited: number | null | undefined;
    let spawnError: Error | undefined;
    child.on('exit', (code) => (exited = code));
    child.on('error', (err) => (spawnError = err));
    if (!child.pid) throw new EngineLaunchError('START_FAILED', `流程引擎进程未能启动：${spawnError?.message ?? '未知原因'}`);
    child.unref();
    const restUrl = localRestUrl(local.port);
    const pidInfo: EnginePidFile = {
      pid: child.pid,
      version: local.version,
      port: local.port,
      restUrl,
      dataDir: local.dataDir,
      database: { kind: local.database.kind, jdbcUrl: local.database.jdbcUrl },
      startedAt: new Date().toISOString(),
    };
    fs.writeFileSync(pidFilePath(local), JSON.stringify(pidInfo, null, 2));
    log.info({ pid: child.pid, jdk: jdk.home, javaMajor: jdk.major, port: local.port, database: local.database.kind, logFile: local.logFile }, `正在启动本地流程引擎 Operaton ${local.version}`);

    const ready = await waitReady(restUrl, local.credentials, local.startTimeoutMs, () => {
      if (exited === undefined && !spawnError) return undefined;
      fs.rmSync(pidFilePath(local), { force: true });
      return new EngineLaunchError(
        'START_FAILED',
        `流程引擎启动后退出（${spawnError ? spawnError.message : `退出码 ${exited}`}）。日志 ${local.logFile} 末尾：\n${tail(local.logFile, 25, logFrom)}`,
      );
    });
    if (!ready) {
      await stopEngine(local, log, 10_000);
      throw new EngineLaunchError('START_TIMEOUT', `流程引擎 ${local.startTimeoutMs / 1000} 秒内未就绪，已停止（可用 ENGINE_START_TIMEOUT_SECONDS 延长）。详见日志 ${local.logFile}`);
    }
    const startMs = Date.now() - started;
    log.info({ pid: child.pid, startMs, restUrl }, '本地流程引擎已就绪');
    return { pid: child.pid, reused: false, jdk, startMs };
  });
}

/** Stops this ENGINE_HOME's engine: SIGTERM, then SIGKILL after the grace period; removes the pid file. */
export async function stopEngine(local: LocalEngineConfig, log: Logger, graceMs = 30_000): Promise<boolean> {
  const info = runningEngine(local);
  if (!info) return false;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-info.pid, sig); // its process group (started detached)
    } catch {
      try {
        process.kill(info.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isOurEngine(info.pid) && Date.now() < deadline) await sleep(200);
  if (isOurEngine(info.pid)) {
    log.warn({ pid: info.pid }, '流程引擎未在规定时间内退出，强制结束');
    signal('SIGKILL');
    while (isOurEngine(info.pid)) await sleep(100);
  }
  fs.rmSync(pidFilePath(local), { force: true });
  log.info({ pid: info.pid }, '本地流程引擎已停止');
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
