import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, KNOWN_VARIABLES, loadConfig, PROJECT_ROOT } from '../../server/config';

const expectRefused = (env: Record<string, string>, variable: string) => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(variable);
    expect((err as ConfigError).message).toContain(variable);
    return;
  }
  throw new Error(`expected ${variable} to be refused`);
};

const pinned = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { operaton: { version: string } }).operaton
  .version;

describe('configuration', () => {
  test('with nothing set: local engine, SQLite file in .data/, port 3000, pinned engine version', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ client: 'sqlite', filename: path.join(PROJECT_ROOT, '.data', 'budget.sqlite') });
    expect(config.port).toBe(3000);
    const { engine } = config;
    expect(engine.mode).toBe('local');
    expect(engine.namespace).toBe('');
    expect(engine.restUrl).toBe('http://127.0.0.1:8480/engine-rest');
    expect(engine.historyTtlDays).toBe(3650);
    expect(engine.nodeName).toBe(`${os.hostname()}-${process.pid}`);
    const home = path.join(PROJECT_ROOT, '.cache', 'engine');
    expect(engine.local).toEqual({
      version: pinned,
      projectDir: path.join(PROJECT_ROOT, 'engine'),
      jarFile: path.join(PROJECT_ROOT, 'engine', 'target', 'budget-engine.jar'),
      home,
      dataDir: path.join(home, 'data'),
      logFile: path.join(home, 'logs', 'engine.log'),
      port: 8480,
      javaHome: undefined,
      javaOpts: '-Xms256m -Xmx768m',
      startTimeoutMs: 180_000,
      database: {
        kind: 'h2',
        jdbcUrl: `jdbc:h2:file:${path.join(home, 'data', 'engine')};DB_CLOSE_ON_EXIT=FALSE`,
        user: 'sa',
        password: '',
      },
      historyTtlDays: 3650,
    });
  });

  test('the pinned version is the one engine/pom.xml builds', () => {
    const pom = fs.readFileSync(path.join(PROJECT_ROOT, 'engine', 'pom.xml'), 'utf8');
    expect(/<operaton\.version>([^<]+)<\/operaton\.version>/.exec(pom)?.[1]).toBe(pinned);
    expect(pinned).toBe('1.0.3');
  });

  test('engine settings: port, home, data folder, JVM, timeout, history TTL, node name', () => {
    const config = loadConfig({
      ENGINE_PORT: '18480',
      ENGINE_HOME: '/srv/engine',
      ENGINE_JAVA_OPTS: '-Xmx1g',
      ENGINE_START_TIMEOUT_SECONDS: '60',
      JAVA_HOME: '/opt/jdk-21',
      BUDGET_HISTORY_TTL_DAYS: '30',
      BUDGET_NODE_NAME: 'app-1',
    });
    expect(config.engine).toMatchObject({ restUrl: 'http://127.0.0.1:18480/engine-rest', historyTtlDays: 30, nodeName: 'app-1' });
    expect(config.engine.local).toMatchObject({
      home: '/srv/engine',
      dataDir: '/srv/engine/data',
      logFile: '/srv/engine/logs/engine.log',
      port: 18480,
      javaHome: '/opt/jdk-21',
      javaOpts: '-Xmx1g',
      startTimeoutMs: 60_000,
      historyTtlDays: 30,
      database: { kind: 'h2', jdbcUrl: 'jdbc:h2:file:/srv/engine/data/engine;DB_CLOSE_ON_EXIT=FALSE' },
    });
    expect(loadConfig({ ENGINE_HOME: '/srv/engine', ENGINE_DATA_DIR: '/var/lib/engine' }).engine.local).toMatchObject({
      dataDir: '/var/lib/engine',
      database: { kind: 'h2', jdbcUrl: 'jdbc:h2:file:/var/lib/engine/engine;DB_CLOSE_ON_EXIT=FALSE' },
    });
  });

  test('DATABASE_URL selects MySQL/MariaDB, and the engine gets a database of its own on that server', () => {
    const config = loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/budget' });
    expect(config.database).toMatchObject({ client: 'mysql', database: 'budget' });
    expect(config.engine.local.database).toEqual({
      kind: 'mysql',
      jdbcUrl: 'jdbc:mariadb://127.0.0.1:3306/budget_engine?createDatabaseIfNotExist=true&nullDatabaseMeansCurrent=true',
      user: 'root',
      password: '',
    });
    const ci = loadConfig({ DATABASE_URL: 'mysql://budget:s%40cret@db.internal/budget_ci?charset=utf8mb4' });
    expect(ci.engine.local.database).toEqual({
      kind: 'mysql',
      jdbcUrl: 'jdbc:mariadb://db.internal:3306/budget_ci_engine?createDatabaseIfNotExist=true&nullDatabaseMeansCurrent=true',
      user: 'budget',
      password: 's@cret',
    });
  });

  test('ENGINE_DATABASE_URL: MySQL/MariaDB, PostgreSQL and raw JDBC addresses', () => {
    const db = (ENGINE_DATABASE_URL: string) =>
      loadConfig({ ENGINE_DATABASE_URL, DATABASE_URL: 'mysql://root@127.0.0.1:3306/budget' }).engine.local.database;
    expect(db('postgres://engine:pw@pg.internal/budget_engine')).toEqual({
      kind: 'postgres',
      jdbcUrl: 'jdbc:postgresql://pg.internal:5432/budget_engine',
      user: 'engine',
      password: 'pw',
    });
    expect(db('postgresql://127.0.0.1:6432/flow?sslmode=require')).toEqual({
      kind: 'postgres',
      jdbcUrl: 'jdbc:postgresql://127.0.0.1:6432/flow?sslmode=require',
      user: 'postgres',
      password: '',
    });
    expect(db('mysql://u:p@mysql:3306/budget_engine?allowPublicKeyRetrieval=true')).toEqual({
      kind: 'mysql',
      jdbcUrl:
        'jdbc:mariadb://mysql:3306/budget_engine?allowPublicKeyRetrieval=true&createDatabaseIfNotExist=true&nullDatabaseMeansCurrent=true',
      user: 'u',
      password: 'p',
    });
    // jdbc:mysql: goes through the MariaDB connector; the account travels apart from the URL.
    expect(db('jdbc:mysql://10.0.0.5:3306/wf?user=wf&password=x')).toEqual({
      kind: 'mysql',
      jdbcUrl: 'jdbc:mariadb://10.0.0.5:3306/wf?createDatabaseIfNotExist=true&nullDatabaseMeansCurrent=true',
      user: 'wf',
      password: 'x',
    });
    expect(db('jdbc:postgresql://pg:5432/wf?user=wf')).toEqual({
      kind: 'postgres',
      jdbcUrl: 'jdbc:postgresql://pg:5432/wf',
      user: 'wf',
      password: '',
    });
    expect(db('jdbc:h2:file:/var/lib/engine/flow')).toEqual({
      kind: 'h2',
      jdbcUrl: 'jdbc:h2:file:/var/lib/engine/flow',
      user: 'sa',
      password: '',
    });
  });

  test('ENGINE_URL selects an external engine or cluster and no local engine', () => {
    const config = loadConfig({ ENGINE_URL: 'http://engine:8480/engine-rest' });
    expect(config.engine.mode).toBe('external');
    expect(config.engine.restUrl).toBe('http://engine:8480/engine-rest');
    expect(loadConfig({ ENGINE_URL: 'https://bpm.czj.example.gov.cn' }).engine.restUrl).toBe('https://bpm.czj.example.gov.cn/engine-rest');
    expect(loadConfig({ ENGINE_URL: 'http://lb:80/' }).engine.restUrl).toBe('http://lb/engine-rest');
    expect(loadConfig({ ENGINE_URL: 'http://gw:9000/flow/engine-rest/' }).engine.restUrl).toBe('http://gw:9000/flow/engine-rest');
    // With an external engine PORT and ENGINE_PORT may coincide: nothing listens on ENGINE_PORT here.
    expect(loadConfig({ ENGINE_URL: 'http://engine:8480', PORT: '8480' }).port).toBe(8480);
  });

  test("ENGINE_REST_USER / ENGINE_REST_PASSWORD: the platform's engine account, both or neither, for the local engine too", () => {
    expect(loadConfig({}).engine.credentials).toBeUndefined();
    const config = loadConfig({ ENGINE_REST_USER: 'budgetplatform', ENGINE_REST_PASSWORD: 'long enough secret' });
    expect(config.engine.credentials).toEqual({ user: 'budgetplatform', password: 'long enough secret' });
    expect(config.engine.local.credentials).toEqual(config.engine.credentials);
    expect(
      loadConfig({ ENGINE_URL: 'http://engine:8480', ENGINE_REST_USER: 'p', ENGINE_REST_PASSWORD: 'long enough secret' }).engine
        .credentials,
    ).toEqual({ user: 'p', password: 'long enough secret' });
    expectRefused({ ENGINE_REST_USER: 'budgetplatform' }, 'ENGINE_REST_PASSWORD');
    expectRefused({ ENGINE_REST_PASSWORD: 'long enough secret' }, 'ENGINE_REST_USER');
    expectRefused({ ENGINE_REST_USER: 'budget-platform', ENGINE_REST_PASSWORD: 'long enough secret' }, 'ENGINE_REST_USER');
    expectRefused({ ENGINE_REST_USER: 'budgetplatform', ENGINE_REST_PASSWORD: 'short' }, 'ENGINE_REST_PASSWORD');
    expect(() => loadConfig({ ENGINE_REST_USER: 'budgetplatform', ENGINE_REST_PASSWORD: 'short' })).not.toThrow(/short/);
  });

  test('the variables of the previous engine are gone', () => {
    for (const old of [
      'ZEEBE_ADDRESS',
      'ZEEBE_REST_ADDRESS',
      'CAMUNDA_VERSION',
      'CAMUNDA_HOME',
      'ENGINE_GRPC_PORT',
      'ENGINE_REST_PORT',
      'ENGINE_MONITORING_PORT',
    ]) {
      expect(KNOWN_VARIABLES as readonly string[]).not.toContain(old);
    }
    // Left set from before, they are refused (not silently ignored), naming what replaces them.
    expectRefused({ ZEEBE_ADDRESS: 'zeebe:26500' }, 'ZEEBE_ADDRESS');
    expect(() => loadConfig({ ZEEBE_ADDRESS: 'zeebe:26500' })).toThrow(/ENGINE_URL/);
    expect(() => loadConfig({ CAMUNDA_HOME: '/opt/camunda' })).toThrow(/ENGINE_HOME/);
    expect(loadConfig({ ZEEBE_ADDRESS: '' }).engine.mode).toBe('local'); // empty: nothing to refuse
  });

  test('messages do not repeat a password', () => {
    expect(() => loadConfig({ ENGINE_DATABASE_URL: 'mysql://u:top-secret@db/' })).toThrow(/缺少数据库名/);
    expect(() => loadConfig({ ENGINE_DATABASE_URL: 'mysql://u:top-secret@db/' })).not.toThrow(/top-secret/);
    expect(() => loadConfig({ ENGINE_DATABASE_URL: 'jdbc:oracle:thin:@db;password=top-secret' })).not.toThrow(/top-secret/);
  });

  test.each([
    [{ DATABASE_URL: 'postgres://localhost/budget' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://localhost:3306/' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ ENGINE_URL: 'engine:8480' }, 'ENGINE_URL'],
    [{ ENGINE_URL: 'ftp://engine/engine-rest' }, 'ENGINE_URL'],
    [{ ENGINE_URL: 'http://' }, 'ENGINE_URL'],
    [{ ENGINE_URL: 'http://demo:demo@engine:8480/engine-rest' }, 'ENGINE_URL'],
    [{ ENGINE_URL: 'http://engine:8480/engine-rest?x=1' }, 'ENGINE_URL'],
    [{ ENGINE_PORT: '0' }, 'ENGINE_PORT'],
    [{ ENGINE_PORT: '65536' }, 'ENGINE_PORT'],
    [{ ENGINE_PORT: 'http' }, 'ENGINE_PORT'],
    [{ ENGINE_PORT: '3000' }, 'ENGINE_PORT'],
    [{ ENGINE_START_TIMEOUT_SECONDS: '1' }, 'ENGINE_START_TIMEOUT_SECONDS'],
    [{ BUDGET_HISTORY_TTL_DAYS: '0' }, 'BUDGET_HISTORY_TTL_DAYS'],
    [{ BUDGET_HISTORY_TTL_DAYS: '36501' }, 'BUDGET_HISTORY_TTL_DAYS'],
    [{ BUDGET_HISTORY_TTL_DAYS: '7.5' }, 'BUDGET_HISTORY_TTL_DAYS'],
    [{ BUDGET_HISTORY_TTL_DAYS: 'ten years' }, 'BUDGET_HISTORY_TTL_DAYS'],
    [{ BUDGET_NODE_NAME: 'node one' }, 'BUDGET_NODE_NAME'],
    [{ ENGINE_DATABASE_URL: 'sqlite:///tmp/engine.sqlite' }, 'ENGINE_DATABASE_URL'],
    [{ ENGINE_DATABASE_URL: 'mysql://root@127.0.0.1:3306/' }, 'ENGINE_DATABASE_URL'],
    [{ ENGINE_DATABASE_URL: 'postgres://127.0.0.1/bad-name' }, 'ENGINE_DATABASE_URL'],
    [{ ENGINE_DATABASE_URL: 'jdbc:oracle:thin:@db:1521/orcl' }, 'ENGINE_DATABASE_URL'],
    [{ ENGINE_DATABASE_URL: 'jdbc:mariadb:replication://a,b/db' }, 'ENGINE_DATABASE_URL'],
    [{ ENGINE_DATABASE_URL: 'jdbc:h2:mem:engine' }, 'ENGINE_DATABASE_URL'],
    [{ ENGINE_DATABASE_URL: 'budget_engine' }, 'ENGINE_DATABASE_URL'],
    [{ BUDGET_DEPLOY_ON_START: 'maybe' }, 'BUDGET_DEPLOY_ON_START'],
    [{ BUDGET_WORKER_IN_PROCESS: 'true' }, 'BUDGET_WORKER_IN_PROCESS'],
  ])('refuses %p naming %s', (env, variable) => {
    expectRefused(env, variable);
  });

  test('BUDGET_SECOND_FACTOR_ROLES: the privileged roles by default, a list of role codes, none, or a refusal naming the variable', () => {
    expect(loadConfig({}).secondFactorRoles.sort()).toEqual([
      'audit_admin',
      'budget_division',
      'director',
      'security_admin',
      'system_admin',
      'treasury_division',
    ]);
    expect(loadConfig({ BUDGET_SECOND_FACTOR_ROLES: 'director, budget_division' }).secondFactorRoles).toEqual([
      'director',
      'budget_division',
    ]);
    expect(loadConfig({ BUDGET_SECOND_FACTOR_ROLES: 'none' }).secondFactorRoles).toEqual([]);
    expect(() => loadConfig({ BUDGET_SECOND_FACTOR_ROLES: 'director,boss' })).toThrow(/BUDGET_SECOND_FACTOR_ROLES.*boss/);
  });
});
