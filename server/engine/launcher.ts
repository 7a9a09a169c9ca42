import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { EngineConfig } from '../config';
import type { Logger } from '../log';

/**
 * The local single-node engine: fetched from Maven Central through Maven (so mirrors and
 * settings.xml are honoured), cached outside git, started on a JDK 21+, stopped cleanly.
 * Used by `npm start`, `npm run engine:*` and the test suite's global setup alike.
 */

export type EngineLaunchErrorCode =
  | 'JDK_NOT_FOUND'
  | 'MAVEN_NOT_FOUND'
  | 'DOWNLOAD_FAILED'
  | 'PORT_IN_USE'
  | 'START_FAILED'
  | 'START_TIMEOUT';

export class EngineLaunchError extends Error {
  constructor(
    public readonly code: EngineLaunchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineLaunchError';
  }
}

type LocalEngineConfig = EngineConfig['local'];

export interface Jdk {
  home: string;
  major: number;
}

const MIN_JAVA = 21;
const JVM_DIR = '/usr/lib/jvm';

function javaMajor(javaHome: string): number | undefined {
  const bin = path.join(javaHome, 'bin', 'java');
  if (!fs.existsSync(bin)) return undefined;
  const out = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 20_000 });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${out.stderr}${out.stdout}`);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first; // "1.8.0" style
}

/** JAVA_HOME when it is 21+, else the newest 21+ JDK under /usr/lib/jvm. */
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
      if (!fs.statSync(home).isDirectory() || fs.lstatSync(home).isSymbolicLink()) continue;
      const major = javaMajor(home);
      if (major === undefined) continue;
      if (major >= MIN_JAVA) candidates.push({ home, major });
      else checked.push(`${home}（Java ${major}）`);
    }
  }
  candidates.sort((a, b) => b.major - a.major);
  const best = candidates[0];
  if (best) return best;
  throw new EngineLaunchError(
    'JDK_NOT_FOUND',
    `流程引擎需要 Java ${MIN_JAVA} 或更高版本，但未找到。已检查：${checked.join('；') || `JAVA_HOME 未设置，${jvmDir} 下没有 JDK`}。` +
      `请安装 JDK ${MIN_JAVA}+（如 Temurin 21）并设置 JAVA_HOME，或设置 ZEEBE_ADDRESS 连接外部集群。`,
  );
}

export function distributionDir(cfg: LocalEngineConfig): string {
  return path.join(cfg.home, `camunda-zeebe-${cfg.version}`);
}

/** Unpacks the pinned distribution into the cache, fetching it through Maven the first time. */
export async function ensureDistribution(cfg: LocalEngineConfig, log: Logger): Promise<string> {
  const dir = distributionDir(cfg);
  if (fs.existsSync(path.join(dir, 'bin', 'broker'))) return dir;
  fs.mkdirSync(cfg.home, { recursive: true });
  const downloads = path.join(cfg.home, 'downloads');
  const artifact = `io.camunda:camunda-zeebe:${cfg.version}:tar.gz`;
  const args = ['-B', '-q', 'dependency:get', 'dependency:copy', `-Dartifact=${artifact}`, '-Dtransitive=false', `-DoutputDirectory=${downloads}`];
  if (cfg.mavenRepositoryUrl) args.push(`-DremoteRepositories=${cfg.mavenRepositoryUrl}`);
  log.info({ artifact, repository: cfg.mavenRepositoryUrl ?? 'Maven 默认配置（settings.xml / 镜像）' }, '首次启动：正在通过 Maven 下载流程引擎（约 300 MB）');
  const started = Date.now();
  const code = await run('mvn', args, path.join(cfg.home, 'logs', 'download.log'));
  const tarball = path.join(downloads, `camunda-zeebe-${cfg.version}.tar.gz`);
  if (code === 'ENOENT') {
    throw new EngineLaunchError('MAVEN_NOT_FOUND', '未找到 Maven（mvn 命令）。请安装 Maven 3.6+，或设置 ZEEBE_ADDRESS 连接外部集群。');
  }
  if (code !== 0 || !fs.existsSync(tarball)) {
    throw new EngineLaunchError(
      'DOWNLOAD_FAILED',
      `流程引擎 ${artifact} 下载失败（mvn 退出码 ${code}）。请检查网络、Maven 镜像配置（~/.m2/settings.xml）` +
        `或 CAMUNDA_MAVEN_REPO_URL；详见 ${path.join(cfg.home, 'logs', 'download.log')}。`,
    );
  }
  log.info({ seconds: Math.round((Date.now() - started) / 100) / 10 }, '流程引擎下载完成，正在解压');
  // Unpack beside the final folder, then rename: an interrupted unpack never looks complete.
  const staging = fs.mkdtempSync(path.join(cfg.home, 'unpack-'));
  try {
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', staging], { encoding: 'utf8' });
    if (tar.status !== 0) throw new EngineLaunchError('DOWNLOAD_FAILED', `流程引擎压缩包解压失败：${tar.stderr.trim()}`);
    const unpacked = path.join(staging, `camunda-zeebe-${cfg.version}`);
    if (!fs.existsSync(path.join(unpacked, 'bin', 'broker'))) {
      throw new EngineLaunchError('DOWNLOAD_FAILED', `压缩包中没有 camunda-zeebe-${cfg.version}/bin/broker，版本或制品不正确`);
    }
    fs.renameSync(unpacked, dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(tarball, { force: true }); // Maven's local repository keeps its own copy.
  }
  return dir;
}

function run(cmd: string, args: string[], logFile: string): Promise<number | 'ENOENT'> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', out, out] });
    child.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? 'ENOENT' : -1));
    child.on('exit', (code) => {
      fs.closeSync(out);
      resolve(code ?? -1);
    });
  });
}

/** Resolves true when nothing listens on the port (on any interface). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

interface PortPlan {
  port: number;
  variable: string;
  use: string;
}

function portPlan(cfg: LocalEngineConfig): PortPlan[] {
  return [
    { port: cfg.grpcPort, variable: 'ENGINE_GRPC_PORT', use: 'gRPC 网关' },
    { port: cfg.grpcPort + 1, variable: 'ENGINE_GRPC_PORT', use: 'broker 命令端口（gRPC 端口 + 1）' },
    { port: cfg.grpcPort + 2, variable: 'ENGINE_GRPC_PORT', use: 'broker 内部端口（gRPC 端口 + 2）' },
    { port: cfg.restPort, variable: 'ENGINE_REST_PORT', use: 'REST 接口' },
    { port: cfg.monitoringPort, variable: 'ENGINE_MONITORING_PORT', use: '监控端口' },
  ];
}

export async function assertPortsFree(cfg: LocalEngineConfig): Promise<void> {
  for (const p of portPlan(cfg)) {
    if (!(await isPortFree(p.port))) {
      throw new EngineLaunchError(
        'PORT_IN_USE',
        `端口 ${p.port}（流程引擎${p.use}）已被其他程序占用。请关闭占用该端口的程序，或通过 ${p.variable} 改用其他端口。`,
      );
    }
  }
}

export interface EnginePidFile {
  pid: number;
  version: string;
  grpcPort: number;
  restPort: number;
  dataDir: string;
  startedAt: string;
}

function pidFilePath(cfg: LocalEngineConfig): string {
  return path.join(cfg.home, 'engine.pid.json');
}

function isOurEngine(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('camunda-zeebe');
  } catch {
    return false;
  }
}

/** The engine this launcher started earlier, if it is still alive. */
export function runningEngine(cfg: LocalEngineConfig): EnginePidFile | undefined {
  const file = pidFilePath(cfg);
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

interface Topology {
  brokers?: Array<{ partitions?: Array<{ role?: string; health?: string }> }>;
  gatewayVersion?: string;
}

/** True once the gateway answers and every partition has a healthy leader. */
export async function gatewayReady(restPort: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${restPort}/v2/topology`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return false;
    const topology = (await res.json()) as Topology;
    const partitions = topology.brokers?.flatMap((b) => b.partitions ?? []) ?? [];
    return partitions.length > 0 && partitions.every((p) => p.role !== 'leader' || p.health === 'healthy') && partitions.some((p) => p.role === 'leader');
  } catch {
    return false;
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface LaunchResult {
  pid: number;
  reused: boolean;
  jdk?: Jdk;
  startMs: number;
}

/**
 * Makes sure a local engine runs: reuses the one this launcher started before, else fetches,
 * checks the JDK and ports, starts and waits until the gateway answers.
 */
export async function ensureEngineRunning(cfg: LocalEngineConfig, log: Logger): Promise<LaunchResult> {
  const started = Date.now();
  const existing = runningEngine(cfg);
  if (existing) {
    const deadline = Date.now() + cfg.startTimeoutMs;
    while (!(await gatewayReady(existing.restPort))) {
      if (Date.now() > deadline) throw new EngineLaunchError('START_TIMEOUT', `已运行的流程引擎（进程 ${existing.pid}）没有响应，请执行 npm run engine:stop 后重试`);
      await sleep(500);
    }
    log.info({ pid: existing.pid, version: existing.version }, '复用已在运行的本地流程引擎');
    return { pid: existing.pid, reused: true, startMs: Date.now() - started };
  }

  const jdk = findJdk(cfg.javaHome);
  const dir = await ensureDistribution(cfg, log);
  await assertPortsFree(cfg);
  fs.mkdirSync(path.dirname(cfg.logFile), { recursive: true });
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  const out = fs.openSync(cfg.logFile, 'a');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    JAVA_HOME: jdk.home,
    JAVA_OPTS: cfg.javaOpts,
    // Single node, bound to loopback: a developer's engine is not a service for the network.
    ZEEBE_BROKER_NETWORK_HOST: '127.0.0.1',
    ZEEBE_BROKER_GATEWAY_NETWORK_HOST: '127.0.0.1',
    ZEEBE_BROKER_GATEWAY_NETWORK_PORT: String(cfg.grpcPort),
    ZEEBE_BROKER_NETWORK_COMMANDAPI_PORT: String(cfg.grpcPort + 1),
    ZEEBE_BROKER_NETWORK_INTERNALAPI_PORT: String(cfg.grpcPort + 2),
    SERVER_ADDRESS: '127.0.0.1',
    SERVER_PORT: String(cfg.restPort),
    MANAGEMENT_SERVER_PORT: String(cfg.monitoringPort),
    ZEEBE_BROKER_DATA_DIRECTORY: cfg.dataDir,
    ZEEBE_BROKER_CLUSTER_PARTITIONSCOUNT: '1',
    ZEEBE_BROKER_CLUSTER_REPLICATIONFACTOR: '1',
    ZEEBE_BROKER_CLUSTER_CLUSTERSIZE: '1',
    ZEEBE_BROKER_THREADS_CPUTHREADCOUNT: '2',
    ZEEBE_BROKER_THREADS_IOTHREADCOUNT: '2',
    // Local runs: API authentication off (see README: production needs identity and a licence).
    CAMUNDA_SECURITY_AUTHENTICATION_UNPROTECTEDAPI: 'true',
    CAMUNDA_SECURITY_AUTHORIZATIONS_ENABLED: 'false',
  };
  const child = spawn(path.join(dir, 'bin', 'broker'), [], { env, cwd: dir, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (!child.pid) throw new EngineLaunchError('START_FAILED', '流程引擎进程未能启动');
  child.unref();
  const pidInfo: EnginePidFile = {
    pid: child.pid,
    version: cfg.version,
    grpcPort: cfg.grpcPort,
    restPort: cfg.restPort,
    dataDir: cfg.dataDir,
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(pidFilePath(cfg), JSON.stringify(pidInfo, null, 2));
  log.info({ pid: child.pid, jdk: jdk.home, javaMajor: jdk.major, logFile: cfg.logFile }, `正在启动本地流程引擎 Camunda ${cfg.version}`);

  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const deadline = Date.now() + cfg.startTimeoutMs;
  while (!(await gatewayReady(cfg.restPort))) {
    if (exited !== undefined) {
      fs.rmSync(pidFilePath(cfg), { force: true });
      throw new EngineLaunchError('START_FAILED', `流程引擎启动后退出（退出码 ${exited}）。日志 ${cfg.logFile} 末尾：\n${tail(cfg.logFile, 15)}`);
    }
    if (Date.now() > deadline) {
      await stopEngine(cfg, log);
      throw new EngineLaunchError('START_TIMEOUT', `流程引擎 ${cfg.startTimeoutMs / 1000} 秒内未就绪，已停止。详见日志 ${cfg.logFile}`);
    }
    await sleep(500);
  }
  const startMs = Date.now() - started;
  log.info({ pid: child.pid, startMs }, '本地流程引擎已就绪');
  return { pid: child.pid, reused: false, jdk, startMs };
}

/** Stops the engine this launcher started: SIGTERM, then SIGKILL after the grace period. */
export async function stopEngine(cfg: LocalEngineConfig, log: Logger, graceMs = 30_000): Promise<boolean> {
  const info = runningEngine(cfg);
  if (!info) return false;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-info.pid, sig); // the whole process group: the script and its JVM
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
  fs.rmSync(pidFilePath(cfg), { force: true });
  log.info({ pid: info.pid }, '本地流程引擎已停止');
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
