import path from 'node:path';
import { ConfigError, loadConfig, PROJECT_ROOT } from '../../server/config';

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

describe('configuration', () => {
  test('with nothing set: local engine, SQLite file in .data/, port 3000, pinned engine version', () => {
    const config = loadConfig({});
    expect(config.engine.mode).toBe('local');
    expect(config.engine.grpcAddress).toBe('127.0.0.1:26500');
    expect(config.database).toEqual({ client: 'sqlite', filename: path.join(PROJECT_ROOT, '.data', 'budget.sqlite') });
    expect(config.port).toBe(3000);
    expect(config.engine.local.version).toBe((require(path.join(PROJECT_ROOT, 'package.json')) as { camunda: { version: string } }).camunda.version);
  });

  test('DATABASE_URL selects MySQL/MariaDB', () => {
    const config = loadConfig({ DATABASE_URL: 'mariadb://root@127.0.0.1:3306/budget' });
    expect(config.database).toMatchObject({ client: 'mysql', database: 'budget' });
  });

  test('ZEEBE_ADDRESS selects an external cluster and no local engine', () => {
    const config = loadConfig({ ZEEBE_ADDRESS: 'zeebe.example.internal:26500' });
    expect(config.engine.mode).toBe('external');
    expect(config.engine.grpcAddress).toBe('zeebe.example.internal:26500');
    expect(config.engine.restAddress).toBe('http://zeebe.example.internal:8080');
  });

  test.each([
    [{ DATABASE_URL: 'postgres://localhost/budget' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://localhost:3306/' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ ZEEBE_ADDRESS: 'http://zeebe' }, 'ZEEBE_ADDRESS'],
    [{ CAMUNDA_VERSION: 'latest' }, 'CAMUNDA_VERSION'],
    [{ CAMUNDA_MAVEN_REPO_URL: 'ftp://mirror' }, 'CAMUNDA_MAVEN_REPO_URL'],
    [{ BUDGET_DEPLOY_ON_START: 'maybe' }, 'BUDGET_DEPLOY_ON_START'],
    [{ BUDGET_WORKER_IN_PROCESS: 'true' }, 'BUDGET_WORKER_IN_PROCESS'],
  ])('refuses %p naming %s', (env, variable) => {
    expectRefused(env, variable);
  });
});
