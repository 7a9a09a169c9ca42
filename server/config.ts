import path from 'node:path';
import { z } from 'zod';

/**
 * All configuration comes from environment variables, read and validated here once.
 * A value we do not understand stops the start with a message naming the variable:
 * guessing at a finance system's configuration is worse than not starting.
 */

export const PROJECT_ROOT = path.resolve(__dirname, '..');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type DatabaseConfig =
  | { client: 'sqlite'; filename: string }
  | { client: 'mysql'; url: string; database: string };

export interface EngineDatabaseConfig {
  kind: 'h2' | 'mysql' | 'postgres';
  /** JDBC URL the engine connects with (H2 file, MariaDB/MySQL or PostgreSQL). */
  jdbcUrl: string;
  user: string;
  password: string;
}

export interface EngineConfig {
  /** local: this app builds and launches the engine in engine/; external: ENGINE_URL points at an engine or cluster. */
  mode: 'local' | 'external';
  /**
   * Prefix for process ids and external-task topics, so several installations (or parallel test
   * runs) can share one engine without taking each other's work. Empty by default.
   */
  namespace: string;
  /** Base of the engine's REST API, e.g. http://127.0.0.1:8480/engine-rest (no trailing slash). */
  restUrl: string;
  /** History time to live of every deployed process and decision, in days (BUDGET_HISTORY_TTL_DAYS, default 3650). */
  historyTtlDays: number;
  /** This app node's name in the engine (external-task worker id prefix): BUDGET_NODE_NAME, default host name + pid. */
  nodeName: string;
  /** Local engine only. */
  local: {
    /** Operaton version of engine/pom.xml (package.json "operaton.version"). */
    version: string;
    /** The Maven project (engine/). */
    projectDir: string;
    /** The jar `mvn package` builds in engine/target. */
    jarFile: string;
    /** Logs, pid file and (H2) data: ENGINE_HOME, default .cache/engine. */
    home: string;
    dataDir: string;
    logFile: string;
    port: number;
    javaHome?: string;
    javaOpts: string;
    startTimeoutMs: number;
    database: EngineDatabaseConfig;
  };
}

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: (typeof LOG_LEVELS)[number];
  database: DatabaseConfig;
  engine: EngineConfig;
  /** Deploy processes/ on start (on by default). */
  deployOnStart: boolean;
  /** Start the job workers inside the API process (on by default). */
  workersInProcess: boolean;
  /** Load the demo organisations and accounts into an empty database (not in production). */
  demoData: boolean;
  /**
   * Secret the platform root key and the PIN pepper are derived from (server/seals). Required in
   * production; development and tests use a fixed, publicly known value (README says so).
   */
  sealSecret: string;
}

export class ConfigError extends Error {
  constructor(
    public readonly variable: string,
    message: string,
  ) {
    super(`配置错误 ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Every variable the app reads; an unknown BUDGET_* variable is refused (likely a typo). */
export const KNOWN_VARIABLES = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'LOG_LEVEL',
  'DATABASE_URL',
  'SQLITE_FILE',
  'ZEEBE_ADDRESS',
  'ZEEBE_REST_ADDRESS',
  'CAMUNDA_VERSION',
  'CAMUNDA_HOME',
  'CAMUNDA_DATA_DIR',
  'CAMUNDA_MAVEN_REPO_URL',
  'CAMUNDA_START_TIMEOUT_SECONDS',
  'ENGINE_GRPC_PORT',
  'ENGINE_REST_PORT',
  'ENGINE_MONITORING_PORT',
  'JAVA_HOME',
  'ENGINE_JAVA_OPTS',
  'CHROMIUM_PATH',
  'BUDGET_DEPLOY_ON_START',
  'BUDGET_WORKERS_IN_PROCESS',
  'BUDGET_DEMO_DATA',
  'BUDGET_ENGINE_NAMESPACE',
  'BUDGET_SEAL_SECRET',
] as const;

/** Known to everyone: only for development and tests (production refuses to start without a secret). */
export const DEVELOPMENT_SEAL_SECRET = 'development-only-seal-secret-do-not-use-in-production';

type Env = Record<string, string | undefined>;

function pinnedCamundaVersion(): string {
  // The one place the engine version is pinned: package.json "camunda.version".
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(path.join(PROJECT_ROOT, 'package.json')) as { camunda?: { version?: string } };
  const version = pkg.camunda?.version;
  if (!version) throw new ConfigError('package.json camunda.version', '未固定流程引擎版本');
  return version;
}

function parse<T>(variable: string, schema: z.ZodType<T>, raw: string | undefined, hint: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(variable, `取值 "${raw ?? ''}" 无效，${hint}`);
  return result.data;
}

const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

function parseDatabase(env: Env): DatabaseConfig {
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    const file = env.SQLITE_FILE?.trim() || path.join(PROJECT_ROOT, '.data', 'budget.sqlite');
    return { client: 'sqlite', filename: path.resolve(file) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL', '不是有效的地址，应形如 mysql://user:password@host:3306/dbname');
  }
  if (parsed.protocol === 'mysql:' || parsed.protocol === 'mariadb:') {
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (!database) throw new ConfigError('DATABASE_URL', '缺少数据库名，应形如 mysql://user:password@host:3306/dbname');
    if (!/^[A-Za-z0-9_$]+$/.test(database)) throw new ConfigError('DATABASE_URL', `数据库名 "${database}" 只能包含字母、数字、下划线`);
    parsed.protocol = 'mysql:';
    return { client: 'mysql', url: parsed.toString(), database };
  }
  if (parsed.protocol === 'sqlite:' || parsed.protocol === 'file:') {
    const file = decodeURIComponent(parsed.pathname || parsed.host);
    if (!file) throw new ConfigError('DATABASE_URL', '缺少 SQLite 文件路径，应形如 sqlite:///path/to/file.sqlite');
    return { client: 'sqlite', filename: path.resolve(file) };
  }
  throw new ConfigError('DATABASE_URL', `不支持的数据库类型 "${parsed.protocol.replace(':', '')}"，仅支持 mysql:// (MySQL/MariaDB) 或 sqlite://`);
}

function parseHostPort(variable: string, raw: string): string {
  if (!/^(grpcs?:\/\/)?[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(raw)) throw new ConfigError(variable, `取值 "${raw}" 无效，应形如 host:26500（TLS 集群写作 grpcs://host:443）`);
  return raw;
}

export function loadConfig(env: Env = process.env): AppConfig {
  for (const name of Object.keys(env)) {
    if (name.startsWith('BUDGET_') && !(KNOWN_VARIABLES as readonly string[]).includes(name)) {
      throw new ConfigError(name, '未知的配置项（请检查拼写，可用配置见 README）');
    }
  }
  const nodeEnv = parse('NODE_ENV', z.enum(['development', 'production', 'test']).default('development'), env.NODE_ENV || undefined, '可选 development / production / test');
  const logLevel = parse('LOG_LEVEL', z.enum(LOG_LEVELS).default(nodeEnv === 'test' ? 'warn' : 'info'), env.LOG_LEVEL || undefined, `可选 ${LOG_LEVELS.join(' / ')}`);
  const host = env.HOST?.trim() || '127.0.0.1';
  const appPort = parse('PORT', port.default(3000), env.PORT || undefined, '应为 1–65535 的端口号');

  const grpcPort = parse('ENGINE_GRPC_PORT', port.default(26500), env.ENGINE_GRPC_PORT || undefined, '应为 1–65535 的端口号');
  const restPort = parse('ENGINE_REST_PORT', port.default(8080), env.ENGINE_REST_PORT || undefined, '应为 1–65535 的端口号');
  const monitoringPort = parse('ENGINE_MONITORING_PORT', port.default(9600), env.ENGINE_MONITORING_PORT || undefined, '应为 1–65535 的端口号');
  const startTimeoutSeconds = parse('CAMUNDA_START_TIMEOUT_SECONDS', z.coerce.number().int().min(5).max(3600).default(180), env.CAMUNDA_START_TIMEOUT_SECONDS || undefined, '应为 5–3600 的整数秒');

  const version = env.CAMUNDA_VERSION?.trim() || pinnedCamundaVersion();
  if (!/^\d+\.\d+\.\d+(-[A-Za-z0-9.]+)?$/.test(version)) throw new ConfigError('CAMUNDA_VERSION', `取值 "${version}" 不是有效的版本号，应形如 8.6.0`);
  const home = path.resolve(env.CAMUNDA_HOME?.trim() || path.join(PROJECT_ROOT, '.cache', 'camunda'));
  const repoUrl = env.CAMUNDA_MAVEN_REPO_URL?.trim() || undefined;
  if (repoUrl && !/^https?:\/\/\S+$/.test(repoUrl)) throw new ConfigError('CAMUNDA_MAVEN_REPO_URL', `取值 "${repoUrl}" 不是 http(s) 地址`);

  const external = env.ZEEBE_ADDRESS?.trim();
  const restOverride = env.ZEEBE_REST_ADDRESS?.trim();
  if (restOverride && !/^https?:\/\/\S+$/.test(restOverride)) throw new ConfigError('ZEEBE_REST_ADDRESS', `取值 "${restOverride}" 不是 http(s) 地址`);

  const namespace = env.BUDGET_ENGINE_NAMESPACE?.trim() ?? '';
  if (namespace && !/^[a-z][a-z0-9-]{0,30}$/.test(namespace)) throw new ConfigError('BUDGET_ENGINE_NAMESPACE', `取值 "${namespace}" 无效，应为小写字母开头的字母、数字或连字符（最长 31 位）`);
  // TEMPORARY (replaced by the launcher branch): enough to run against ENGINE_URL.
  const enginePort = Number(env.ENGINE_PORT || 8480);
  const engine: EngineConfig = {
    mode: env.ENGINE_URL ? 'external' : 'local',
    namespace,
    restUrl: env.ENGINE_URL || `http://127.0.0.1:${enginePort}/engine-rest`,
    historyTtlDays: 3650,
    nodeName: `${require('node:os').hostname()}-${process.pid}`,
    local: {
      version: '1.0.3',
      projectDir: path.join(PROJECT_ROOT, 'engine'),
      jarFile: path.join(PROJECT_ROOT, 'engine', 'target', 'budget-engine.jar'),
      home,
      dataDir: path.join(home, 'data'),
      logFile: path.join(home, 'logs', 'engine.log'),
      port: enginePort,
      javaOpts: '-Xmx768m',
      startTimeoutMs: startTimeoutSeconds * 1000,
      database: { kind: 'h2', jdbcUrl: `jdbc:h2:file:${path.join(home, 'data', 'engine')}`, user: 'sa', password: '' },
    },
  };
  void grpcPort; void restPort; void monitoringPort; void external; void restOverride; void repoUrl; void version; void parseHostPort;

  return {
    env: nodeEnv,
    host,
    port: appPort,
    logLevel,
    database: parseDatabase(env),
    engine,
    deployOnStart: parse('BUDGET_DEPLOY_ON_START', bool.default(true), env.BUDGET_DEPLOY_ON_START || undefined, '可选 true / false'),
    workersInProcess: parse('BUDGET_WORKERS_IN_PROCESS', bool.default(true), env.BUDGET_WORKERS_IN_PROCESS || undefined, '可选 true / false'),
    demoData: parse('BUDGET_DEMO_DATA', bool.default(nodeEnv !== 'production'), env.BUDGET_DEMO_DATA || undefined, '可选 true / false'),
    sealSecret: parseSealSecret(env.BUDGET_SEAL_SECRET, nodeEnv),
  };
}

function parseSealSecret(raw: string | undefined, nodeEnv: AppConfig['env']): string {
  const secret = raw?.trim();
  if (!secret) {
    if (nodeEnv === 'production') throw new ConfigError('BUDGET_SEAL_SECRET', '生产环境必须设置签章主密钥口令（至少 32 个字符，请妥善保管，丢失后平台根密钥无法解开）');
    return DEVELOPMENT_SEAL_SECRET;
  }
  if (secret.length < 32) throw new ConfigError('BUDGET_SEAL_SECRET', '至少 32 个字符');
  return secret;
}
