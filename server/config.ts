import { DEFAULT_WEIGHTS, weightProblems, type ScoreWeights } from '../domain/performance-scoring';
import { createHash } from 'node:crypto';
import { checkDeviationRule, DEFAULT_DEVIATION_RULE, type DeviationRule } from '../domain/execution';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { roleByCode, ROLES } from '../domain/roles';

/**
 * All configuration comes from environment variables, read and validated here once.
 * A value we do not understand stops the start with a message naming the variable:
 * guessing at a finance system's configuration is worse than not starting.
 */

export const PROJECT_ROOT = path.resolve(__dirname, '..');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type DatabaseConfig = { client: 'sqlite'; filename: string } | { client: 'mysql'; url: string; database: string };

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
  /**
   * The platform's account on the engine's REST API (HTTP Basic): ENGINE_REST_USER and
   * ENGINE_REST_PASSWORD, both or neither. With them the local engine starts with ENGINE_REST_AUTH
   * on and creates (or updates) this account; every call of the platform sends it.
   */
  credentials?: { user: string; password: string };
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
    /** EngineConfig.credentials: the account the launched engine creates and asks for. */
    credentials?: { user: string; password: string };
    database: EngineDatabaseConfig;
    /** Passed to the engine as its default history time to live (ENGINE_HISTORY_TTL=P<days>D); same as historyTtlDays. */
    historyTtlDays?: number;
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
  /**
   * Minutes an opened seal stays open in the app's memory for the same PIN (签章会话,
   * BUDGET_SEAL_UNLOCK_MINUTES, default 10, 0–120; 0: every seal opens the key anew). The PIN is
   * asked for and checked for every seal either way (server/seals/unlocked-keys.ts).
   */
  sealUnlockMinutes: number;
  /**
   * Keys of the sensitive columns at rest (SM4, domain/field-cipher.ts): BUDGET_FIELD_KEYS lists
   * `id:64-hex` pairs, the first is current (new writes), the others still open old rows until
   * `npm run keys:rotate` re-seals them; BUDGET_FIELD_INDEX_KEY (64 hex) keys the blind index.
   * Required in production; development and tests derive fixed keys from the seal secret.
   */
  fieldKeys: { keys: { id: string; hex: string }[]; indexKeyHex: string; derived: boolean };
  /**
   * 绩效评价 (domain/performance-scoring.ts): the weights (BUDGET_PERFORMANCE_WEIGHTS, 预算执行率,产出,
   * 效益,满意度 in points, default 10,50,30,10), the amount issued from which a project also gets an
   * external evaluation by drawn experts (BUDGET_EVALUATION_EXTERNAL_YUAN, default ¥5,000,000) and
   * how many experts are drawn (BUDGET_EVALUATION_PANEL_SIZE, default 3).
   */
  performance: { weights: ScoreWeights; externalThresholdFen: number; panelSize: number };
  /**
   * 执行进度落后时间进度的预警阈值（百分点，均为“超过”）：提示、预警、严重
   * (BUDGET_EXECUTION_DEVIATION_POINTS, default 10,20,40; domain/execution.ts).
   */
  executionDeviation: DeviationRule;
  /** The bank interface of 国库支付 (server/treasury/bank.ts) and its simulator (scripts/bank-simulator.ts). */
  bank: BankConfig;
  /**
   * Roles whose holders must pass a second factor (TOTP) at login (BUDGET_SECOND_FACTOR_ROLES,
   * comma-separated role codes; `none` for nobody). By default the three admins, 局长/分管局长,
   * 预算处 and 国库处.
   */
  secondFactorRoles: string[];
}

export interface BankConfig {
  /** Base URL of the bank's payment interface (the simulator in development and tests). */
  url: string;
  /** Shared secret of the HMAC-SM3 signatures both ways (≥ 32 characters; required in production). */
  secret: string;
  /** Where the bank sends arrival notices; unset: this app's own /api/treasury/bank-notices on PORT. */
  notifyUrl?: string;
  /** ISO-8601 duration the process waits for an arrival notice before it asks the bank (查询). */
  noticeTimeout: string;
  /** Timeout of one HTTP call to the bank. */
  timeoutMs: number;
  /** Port `npm run bank:sim` listens on. */
  simPort: number;
}

/** Where the bank is told to send arrival notices. */
export function bankNotifyUrl(config: Pick<AppConfig, 'bank' | 'port'>): string {
  return config.bank.notifyUrl ?? `http://127.0.0.1:${config.port}/api/treasury/bank-notices`;
}

export const DEFAULT_SECOND_FACTOR_ROLES = [
  'system_admin',
  'security_admin',
  'audit_admin',
  'director',
  'budget_division',
  'treasury_division',
];

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
  'ENGINE_URL',
  'ENGINE_PORT',
  'ENGINE_HOME',
  'ENGINE_DATA_DIR',
  'ENGINE_DATABASE_URL',
  'ENGINE_JAVA_OPTS',
  'ENGINE_REST_USER',
  'ENGINE_REST_PASSWORD',
  'ENGINE_START_TIMEOUT_SECONDS',
  'JAVA_HOME',
  'CHROMIUM_PATH',
  'BUDGET_DEPLOY_ON_START',
  'BUDGET_WORKERS_IN_PROCESS',
  'BUDGET_DEMO_DATA',
  'BUDGET_ENGINE_NAMESPACE',
  'BUDGET_HISTORY_TTL_DAYS',
  'BUDGET_NODE_NAME',
  'BUDGET_SEAL_SECRET',
  'BUDGET_SEAL_UNLOCK_MINUTES',
  'BUDGET_FIELD_KEYS',
  'BUDGET_FIELD_INDEX_KEY',
  'BUDGET_PERFORMANCE_WEIGHTS',
  'BUDGET_EVALUATION_EXTERNAL_YUAN',
  'BUDGET_EVALUATION_PANEL_SIZE',
  'BUDGET_EXECUTION_DEVIATION_POINTS',
  'BUDGET_BANK_URL',
  'BUDGET_BANK_SECRET',
  'BUDGET_BANK_NOTIFY_URL',
  'BUDGET_BANK_NOTICE_TIMEOUT',
  'BUDGET_BANK_TIMEOUT_MS',
  'BUDGET_BANK_SIM_PORT',
  'BUDGET_SECOND_FACTOR_ROLES',
] as const;

/** Known to everyone: the bank simulator's and the platform's shared secret in development and tests. */
export const DEVELOPMENT_BANK_SECRET = 'development-only-bank-secret-do-not-use-in-production';

/** Known to everyone: only for development and tests (production refuses to start without a secret). */
export const DEVELOPMENT_SEAL_SECRET = 'development-only-seal-secret-do-not-use-in-production';

type Env = Record<string, string | undefined>;

function pinnedOperatonVersion(): string {
  // The one place the engine version is named for the app: package.json "operaton.version",
  // kept equal to engine/pom.xml's operaton.version (test/unit/config.test.ts holds them together).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(path.join(PROJECT_ROOT, 'package.json')) as { operaton?: { version?: string } };
  const version = pkg.operaton?.version;
  if (!version) throw new ConfigError('package.json operaton.version', '未固定流程引擎版本');
  return version;
}

function parse<T>(variable: string, schema: z.ZodType<T>, raw: string | undefined, hint: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(variable, `取值 "${raw ?? ''}" 无效，${hint}`);
  return result.data;
}

const port = z.coerce.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

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
  throw new ConfigError(
    'DATABASE_URL',
    `不支持的数据库类型 "${parsed.protocol.replace(':', '')}"，仅支持 mysql:// (MySQL/MariaDB) 或 sqlite://`,
  );
}

/** An address as it may appear in a message: without its password. */
function redact(raw: string): string {
  return raw.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@').replace(/([?&;]password=)[^&;]*/gi, '$1***');
}

/** ENGINE_REST_USER / ENGINE_REST_PASSWORD: both or neither; letters and digits, a password of 12–128 characters. */
function parseEngineCredentials(rawUser: string | undefined, rawPassword: string | undefined): EngineConfig['credentials'] {
  const user = rawUser?.trim() ?? '';
  const password = rawPassword ?? '';
  if (!user && !password) return undefined;
  if (!user) throw new ConfigError('ENGINE_REST_USER', '配置了 ENGINE_REST_PASSWORD 时也必须配置流程引擎账号');
  if (!password) throw new ConfigError('ENGINE_REST_PASSWORD', '配置了 ENGINE_REST_USER 时也必须配置流程引擎账号的密码');
  // The engine takes only letters and digits in a user id (its resource id whitelist).
  if (!/^[A-Za-z0-9]{1,64}$/.test(user))
    throw new ConfigError('ENGINE_REST_USER', `取值 "${user.slice(0, 20)}" 无效，应为 1–64 位字母或数字`);
  if (password.length < 12 || password.length > 128) throw new ConfigError('ENGINE_REST_PASSWORD', '流程引擎账号的密码应为 12–128 个字符');
  return { user, password };
}

/** ENGINE_URL: the http(s) base of an external engine or load-balanced cluster; a bare host gets /engine-rest. */
function parseEngineUrl(raw: string): string {
  const hint = '应形如 http://engine:8480/engine-rest';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ENGINE_URL', `取值 "${redact(raw)}" 不是有效的地址，${hint}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError('ENGINE_URL', `取值 "${redact(raw)}" 不是 http(s) 地址，${hint}`);
  if (url.username || url.password) throw new ConfigError('ENGINE_URL', '地址中不能包含用户名或密码');
  if (url.search || url.hash) throw new ConfigError('ENGINE_URL', `取值 "${redact(raw)}" 不能带查询参数或锚点，${hint}`);
  const base = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${base || '/engine-rest'}`;
}

const ENGINE_DB_HINT =
  '应形如 mysql://user:password@host:3306/budget_engine、postgres://user:password@host:5432/budget_engine 或 jdbc:h2:/jdbc:mariadb:/jdbc:mysql:/jdbc:postgresql: 开头的 JDBC 地址';
const DB_NAME = /^[A-Za-z0-9_$]+$/;

/** The H2 file the engine uses when no database server is configured for it. */
export function h2EngineDatabase(dataDir: string): EngineDatabaseConfig {
  return { kind: 'h2', jdbcUrl: `jdbc:h2:file:${path.join(dataDir, 'engine')};DB_CLOSE_ON_EXIT=FALSE`, user: 'sa', password: '' };
}

/** Where a MySQL/MariaDB or PostgreSQL engine database lives (the account is kept apart). */
export interface ServerDatabaseParts {
  kind: 'mysql' | 'postgres';
  host: string;
  port: string;
  database: string;
  /** JDBC parameters, e.g. allowPublicKeyRetrieval=true or sslmode=require. */
  params: URLSearchParams;
}

/**
 * The JDBC URL of a MySQL/MariaDB or PostgreSQL engine database. MySQL goes through the MariaDB
 * connector (the one in engine/pom.xml), which only accepts jdbc:mariadb:. Two parameters are
 * added unless given: createDatabaseIfNotExist, and nullDatabaseMeansCurrent — without it the
 * engine's schema check (JDBC metadata with no catalog) sees the tables of any other engine
 * database on the same server (budget_engine beside budget_engine_test), skips creating its own
 * and fails on "Table … ACT_GE_PROPERTY doesn't exist".
 */
export function serverJdbcUrl(parts: ServerDatabaseParts): string {
  const params = new URLSearchParams(parts.params);
  if (parts.kind === 'mysql') {
    if (!params.has('createDatabaseIfNotExist')) params.set('createDatabaseIfNotExist', 'true');
    if (!params.has('nullDatabaseMeansCurrent')) params.set('nullDatabaseMeansCurrent', 'true');
  }
  const query = params.toString();
  const scheme = parts.kind === 'mysql' ? 'mariadb' : 'postgresql';
  return `jdbc:${scheme}://${parts.host}:${parts.port}/${parts.database}${query ? `?${query}` : ''}`;
}

function serverDatabase(variable: string, raw: string, url: URL, kind: 'mysql' | 'postgres', fromJdbc: boolean): EngineDatabaseConfig {
  if (!url.hostname) throw new ConfigError(variable, `取值 "${redact(raw)}" 缺少主机名，${ENGINE_DB_HINT}`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError(variable, `取值 "${redact(raw)}" 缺少数据库名，${ENGINE_DB_HINT}`);
  if (!DB_NAME.test(database)) throw new ConfigError(variable, `数据库名 "${database}" 只能包含字母、数字、下划线`);
  const params = new URLSearchParams(url.search);
  // A raw JDBC URL may carry the account as parameters; they are passed to the engine apart.
  let user = decodeURIComponent(url.username);
  let password = decodeURIComponent(url.password);
  if (fromJdbc) {
    user = params.get('user') ?? user;
    password = params.get('password') ?? password;
    params.delete('user');
    params.delete('password');
  }
  const parts: ServerDatabaseParts = { kind, host: url.hostname, port: url.port || (kind === 'mysql' ? '3306' : '5432'), database, params };
  return { kind, jdbcUrl: serverJdbcUrl(parts), user: user || (kind === 'mysql' ? 'root' : 'postgres'), password };
}

/**
 * The engine's own database. ENGINE_DATABASE_URL when set; else, beside a MySQL/MariaDB app
 * database, a database of its own on the same server (`<appdb>_engine`, never the app's tables);
 * else an H2 file in the data folder.
 */
function parseEngineDatabase(raw: string | undefined, app: DatabaseConfig, dataDir: string): EngineDatabaseConfig {
  const V = 'ENGINE_DATABASE_URL';
  if (!raw) {
    if (app.client !== 'mysql') return h2EngineDatabase(dataDir);
    const url = new URL(app.url);
    url.pathname = `/${app.database}_engine`;
    url.search = '';
    return serverDatabase('DATABASE_URL', app.url, url, 'mysql', false);
  }
  if (/^jdbc:h2:/i.test(raw)) {
    if (/^jdbc:h2:mem:/i.test(raw)) throw new ConfigError(V, '不能使用 H2 内存库（引擎重启即丢失全部流程数据），请用 jdbc:h2:file:');
    return { kind: 'h2', jdbcUrl: raw, user: 'sa', password: '' };
  }
  const jdbc = /^jdbc:(mariadb|mysql|postgresql):(\/\/.*)$/i.exec(raw);
  if (raw.startsWith('jdbc:') && !jdbc)
    throw new ConfigError(V, `取值 "${redact(raw)}" 不是支持的 JDBC 地址（只支持单台主机），${ENGINE_DB_HINT}`);
  let url: URL;
  try {
    url = new URL(jdbc ? `${jdbc[1]!.toLowerCase()}:${jdbc[2]}` : raw);
  } catch {
    throw new ConfigError(V, `取值 "${redact(raw)}" 不是有效的地址，${ENGINE_DB_HINT}`);
  }
  switch (url.protocol) {
    case 'mysql:':
    case 'mariadb:':
      return serverDatabase(V, raw, url, 'mysql', Boolean(jdbc));
    case 'postgres:':
    case 'postgresql:':
      return serverDatabase(V, raw, url, 'postgres', Boolean(jdbc));
    default:
      throw new ConfigError(V, `不支持的数据库类型 "${url.protocol.replace(':', '')}"，${ENGINE_DB_HINT}`);
  }
}

/**
 * Variables of the engine the platform ran on before Operaton (Zeebe). Set, they would be ignored
 * silently — an installation pointed at its cluster would start a local engine instead — so they
 * are refused, naming what replaces them.
 */
const RETIRED_VARIABLES: Record<string, string> = {
  ZEEBE_ADDRESS: 'ENGINE_URL',
  ZEEBE_REST_ADDRESS: 'ENGINE_URL',
  CAMUNDA_VERSION: 'engine/pom.xml 中的 operaton.version',
  CAMUNDA_HOME: 'ENGINE_HOME',
  CAMUNDA_DATA_DIR: 'ENGINE_DATA_DIR',
  CAMUNDA_MAVEN_REPO_URL: 'Maven 的 ~/.m2/settings.xml 镜像配置',
  CAMUNDA_START_TIMEOUT_SECONDS: 'ENGINE_START_TIMEOUT_SECONDS',
  ENGINE_GRPC_PORT: 'ENGINE_PORT',
  ENGINE_REST_PORT: 'ENGINE_PORT',
  ENGINE_MONITORING_PORT: 'ENGINE_PORT',
};

export function loadConfig(env: Env = process.env): AppConfig {
  for (const name of Object.keys(env)) {
    if (name.startsWith('BUDGET_') && !(KNOWN_VARIABLES as readonly string[]).includes(name)) {
      throw new ConfigError(name, '未知的配置项（请检查拼写，可用配置见 README）');
    }
    const replacement = RETIRED_VARIABLES[name];
    if (replacement && env[name]?.trim())
      throw new ConfigError(name, `已停用（流程引擎已改为 Operaton），请改用 ${replacement}，并删除此变量`);
  }
  const nodeEnv = parse(
    'NODE_ENV',
    z.enum(['development', 'production', 'test']).default('development'),
    env.NODE_ENV || undefined,
    '可选 development / production / test',
  );
  const logLevel = parse(
    'LOG_LEVEL',
    z.enum(LOG_LEVELS).default(nodeEnv === 'test' ? 'warn' : 'info'),
    env.LOG_LEVEL || undefined,
    `可选 ${LOG_LEVELS.join(' / ')}`,
  );
  const host = env.HOST?.trim() || '127.0.0.1';
  const appPort = parse('PORT', port.default(3000), env.PORT || undefined, '应为 1–65535 的端口号');

  const database = parseDatabase(env);

  const external = env.ENGINE_URL?.trim();
  const restUrlExternal = external ? parseEngineUrl(external) : undefined;
  const enginePort = parse('ENGINE_PORT', port.default(8480), env.ENGINE_PORT || undefined, '应为 1–65535 的端口号');
  if (!external && enginePort === appPort)
    throw new ConfigError('ENGINE_PORT', `端口 ${enginePort} 与 PORT 相同，流程引擎与平台不能共用一个端口`);
  const startTimeoutSeconds = parse(
    'ENGINE_START_TIMEOUT_SECONDS',
    z.coerce.number().int().min(5).max(3600).default(180),
    env.ENGINE_START_TIMEOUT_SECONDS || undefined,
    '应为 5–3600 的整数秒',
  );
  const historyTtlDays = parse(
    'BUDGET_HISTORY_TTL_DAYS',
    z.coerce.number().int().min(1).max(36500).default(3650),
    env.BUDGET_HISTORY_TTL_DAYS || undefined,
    '应为 1–36500 的整数天数',
  );
  const nodeName = env.BUDGET_NODE_NAME?.trim() || `${os.hostname()}-${process.pid}`;
  if (env.BUDGET_NODE_NAME?.trim() && !/^[A-Za-z0-9._:@-]{1,100}$/.test(nodeName)) {
    throw new ConfigError('BUDGET_NODE_NAME', `取值 "${nodeName}" 无效，应为字母、数字或 . _ : @ -（最长 100 位）`);
  }
  const home = path.resolve(env.ENGINE_HOME?.trim() || path.join(PROJECT_ROOT, '.cache', 'engine'));
  const dataDir = path.resolve(env.ENGINE_DATA_DIR?.trim() || path.join(home, 'data'));
  const projectDir = path.join(PROJECT_ROOT, 'engine');

  const credentials = parseEngineCredentials(env.ENGINE_REST_USER, env.ENGINE_REST_PASSWORD);
  const namespace = env.BUDGET_ENGINE_NAMESPACE?.trim() ?? '';
  if (namespace && !/^[a-z][a-z0-9-]{0,30}$/.test(namespace))
    throw new ConfigError('BUDGET_ENGINE_NAMESPACE', `取值 "${namespace}" 无效，应为小写字母开头的字母、数字或连字符（最长 31 位）`);
  const engine: EngineConfig = {
    mode: external ? 'external' : 'local',
    namespace,
    restUrl: restUrlExternal ?? `http://127.0.0.1:${enginePort}/engine-rest`,
    credentials,
    historyTtlDays,
    nodeName,
    local: {
      version: pinnedOperatonVersion(),
      projectDir,
      jarFile: path.join(projectDir, 'target', 'budget-engine.jar'),
      home,
      dataDir,
      logFile: path.join(home, 'logs', 'engine.log'),
      port: enginePort,
      javaHome: env.JAVA_HOME?.trim() || undefined,
      javaOpts: env.ENGINE_JAVA_OPTS?.trim() || '-Xms256m -Xmx768m',
      startTimeoutMs: startTimeoutSeconds * 1000,
      credentials,
      database: parseEngineDatabase(env.ENGINE_DATABASE_URL?.trim() || undefined, database, dataDir),
      historyTtlDays,
    },
  };

  return {
    env: nodeEnv,
    host,
    port: appPort,
    logLevel,
    database,
    engine,
    deployOnStart: parse('BUDGET_DEPLOY_ON_START', bool.default(true), env.BUDGET_DEPLOY_ON_START || undefined, '可选 true / false'),
    workersInProcess: parse(
      'BUDGET_WORKERS_IN_PROCESS',
      bool.default(true),
      env.BUDGET_WORKERS_IN_PROCESS || undefined,
      '可选 true / false',
    ),
    demoData: parse('BUDGET_DEMO_DATA', bool.default(nodeEnv !== 'production'), env.BUDGET_DEMO_DATA || undefined, '可选 true / false'),
    sealSecret: parseSealSecret(env.BUDGET_SEAL_SECRET, nodeEnv),
    sealUnlockMinutes: parse(
      'BUDGET_SEAL_UNLOCK_MINUTES',
      z.coerce.number().int().min(0).max(120).default(10),
      env.BUDGET_SEAL_UNLOCK_MINUTES || undefined,
      '应为 0–120 的整数分钟（0 表示每次签章都重新解锁）',
    ),
    fieldKeys: parseFieldKeys(env.BUDGET_FIELD_KEYS, env.BUDGET_FIELD_INDEX_KEY, nodeEnv, parseSealSecret(env.BUDGET_SEAL_SECRET, nodeEnv)),
    performance: parsePerformance(env),
    executionDeviation: parseDeviation(env.BUDGET_EXECUTION_DEVIATION_POINTS),
    bank: parseBank(env, nodeEnv),
    secondFactorRoles: parseSecondFactorRoles(env.BUDGET_SECOND_FACTOR_ROLES),
  };
}

function parseSecondFactorRoles(raw: string | undefined): string[] {
  const text = raw?.trim();
  if (!text) return [...DEFAULT_SECOND_FACTOR_ROLES];
  if (text === 'none') return [];
  const codes = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const code of codes)
    if (!roleByCode(code))
      throw new ConfigError('BUDGET_SECOND_FACTOR_ROLES', `未知角色 ${code}（可选：${ROLES.map((r) => r.code).join('、')}，或 none）`);
  return [...new Set(codes)];
}

function parsePerformance(env: NodeJS.ProcessEnv): AppConfig['performance'] {
  let weights = DEFAULT_WEIGHTS;
  const raw = env.BUDGET_PERFORMANCE_WEIGHTS?.trim();
  if (raw) {
    const parts = raw.split(',').map((x) => Number(x.trim()));
    const w = { execution: parts[0]!, output: parts[1]!, benefit: parts[2]!, satisfaction: parts[3]! };
    if (parts.length !== 4 || weightProblems(w).length)
      throw new ConfigError(
        'BUDGET_PERFORMANCE_WEIGHTS',
        `取值 "${raw}" 无效，应为 预算执行率,产出,效益,满意度 四个分值（逗号分隔，合计 100），如 10,50,30,10`,
      );
    weights = w;
  }
  const yuan = parse(
    'BUDGET_EVALUATION_EXTERNAL_YUAN',
    z.coerce.number().int().min(0).max(1e12).default(5_000_000),
    env.BUDGET_EVALUATION_EXTERNAL_YUAN || undefined,
    '应为不小于 0 的整数元',
  );
  const panelSize = parse(
    'BUDGET_EVALUATION_PANEL_SIZE',
    z.coerce.number().int().min(1).max(15).default(3),
    env.BUDGET_EVALUATION_PANEL_SIZE || undefined,
    '应为 1–15 的整数',
  );
  return { weights, externalThresholdFen: yuan * 100, panelSize };
}

function parseDeviation(raw: string | undefined): DeviationRule {
  const text = raw?.trim();
  if (!text) return DEFAULT_DEVIATION_RULE;
  const parts = text.split(',').map((x) => x.trim());
  const message = '应为三个以逗号分隔的 0–100 整数（提示、预警、严重的百分点阈值，依次不减），如 10,20,40';
  if (parts.length !== 3 || !parts.every((x) => /^\d{1,3}$/.test(x))) throw new ConfigError('BUDGET_EXECUTION_DEVIATION_POINTS', message);
  const rule = { noticePoints: Number(parts[0]), warningPoints: Number(parts[1]), severePoints: Number(parts[2]) };
  try {
    checkDeviationRule(rule);
  } catch {
    throw new ConfigError('BUDGET_EXECUTION_DEVIATION_POINTS', message);
  }
  return rule;
}

function parseBank(env: Env, nodeEnv: AppConfig['env']): BankConfig {
  const simPort = parse('BUDGET_BANK_SIM_PORT', port.default(8590), env.BUDGET_BANK_SIM_PORT || undefined, '应为 1–65535 的端口号');
  const url = env.BUDGET_BANK_URL?.trim() || `http://127.0.0.1:${simPort}`;
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url)) throw new ConfigError('BUDGET_BANK_URL', `取值 "${url}" 不是有效的 http(s) 地址`);
  const notifyUrl = env.BUDGET_BANK_NOTIFY_URL?.trim() || undefined;
  if (notifyUrl && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(notifyUrl))
    throw new ConfigError('BUDGET_BANK_NOTIFY_URL', `取值 "${notifyUrl}" 不是有效的 http(s) 地址`);
  const secret = env.BUDGET_BANK_SECRET?.trim();
  if (!secret && nodeEnv === 'production')
    throw new ConfigError('BUDGET_BANK_SECRET', '生产环境必须配置与银行约定的通知签名密钥（至少 32 个字符）');
  if (secret && secret.length < 32) throw new ConfigError('BUDGET_BANK_SECRET', '至少 32 个字符');
  const noticeTimeout = env.BUDGET_BANK_NOTICE_TIMEOUT?.trim() || 'PT30M';
  if (
    !/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/.test(noticeTimeout) ||
    noticeTimeout === 'P' ||
    noticeTimeout.endsWith('T')
  ) {
    throw new ConfigError('BUDGET_BANK_NOTICE_TIMEOUT', `取值 "${noticeTimeout}" 无效，应为 ISO-8601 时长，如 PT30M、PT2H、P1D`);
  }
  const timeoutMs = parse(
    'BUDGET_BANK_TIMEOUT_MS',
    z.coerce.number().int().min(100).max(600_000).default(10_000),
    env.BUDGET_BANK_TIMEOUT_MS || undefined,
    '应为 100–600000 的整数毫秒',
  );
  return { url: url.replace(/\/$/, ''), secret: secret || DEVELOPMENT_BANK_SECRET, notifyUrl, noticeTimeout, timeoutMs, simPort };
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;

function parseFieldKeys(
  rawKeys: string | undefined,
  rawIndex: string | undefined,
  nodeEnv: AppConfig['env'],
  sealSecret: string,
): AppConfig['fieldKeys'] {
  const keysText = rawKeys?.trim();
  const indexText = rawIndex?.trim();
  if (!keysText && !indexText) {
    if (nodeEnv === 'production')
      throw new ConfigError(
        'BUDGET_FIELD_KEYS',
        '生产环境必须配置敏感字段加密密钥（格式 编号:64位十六进制，多个以逗号分隔，第一个为当前密钥），并配置 BUDGET_FIELD_INDEX_KEY',
      );
    // Development and tests: fixed keys derived from the (public, development) seal secret.
    const derive = (label: string) => createHash('sha256').update(`${label}\0${sealSecret}`).digest('hex');
    return { keys: [{ id: 'dev1', hex: derive('field-key:dev1') }], indexKeyHex: derive('field-index-key'), derived: true };
  }
  if (!keysText) throw new ConfigError('BUDGET_FIELD_KEYS', '配置了 BUDGET_FIELD_INDEX_KEY 时也必须配置加密密钥');
  if (!indexText || !HEX_KEY.test(indexText)) throw new ConfigError('BUDGET_FIELD_INDEX_KEY', '应为 64 位十六进制（32 字节）');
  const keys: { id: string; hex: string }[] = [];
  for (const item of keysText
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [id, hex, ...rest] = item.split(':');
    if (rest.length || !id || !/^[A-Za-z0-9_-]{1,16}$/.test(id))
      throw new ConfigError('BUDGET_FIELD_KEYS', `“${item.slice(0, 20)}…”：编号只能是 1–16 位字母、数字、- 或 _，格式 编号:64位十六进制`);
    if (!hex || !HEX_KEY.test(hex)) throw new ConfigError('BUDGET_FIELD_KEYS', `密钥 ${id} 应为 64 位十六进制（32 字节）`);
    if (keys.some((k) => k.id === id)) throw new ConfigError('BUDGET_FIELD_KEYS', `密钥编号 ${id} 重复`);
    keys.push({ id, hex: hex.toLowerCase() });
  }
  if (!keys.length) throw new ConfigError('BUDGET_FIELD_KEYS', '至少配置一个密钥');
  return { keys, indexKeyHex: indexText.toLowerCase(), derived: false };
}

function parseSealSecret(raw: string | undefined, nodeEnv: AppConfig['env']): string {
  const secret = raw?.trim();
  if (!secret) {
    if (nodeEnv === 'production')
      throw new ConfigError('BUDGET_SEAL_SECRET', '生产环境必须设置签章主密钥口令（至少 32 个字符，请妥善保管，丢失后平台根密钥无法解开）');
    return DEVELOPMENT_SEAL_SECRET;
  }
  if (secret.length < 32) throw new ConfigError('BUDGET_SEAL_SECRET', '至少 32 个字符');
  return secret;
}
