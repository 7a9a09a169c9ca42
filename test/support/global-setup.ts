import path from 'node:path';
import { h2EngineDatabase, loadConfig } from '../../server/config';
import {
  ensureEngineRunning,
  resetEngineData,
  runningEngine,
  serverDatabaseParts,
  withDatabaseName,
  type LocalEngineConfig,
} from '../../server/engine/launcher';
import { createLogger } from '../../server/log';

/**
 * Before any test: a real engine. With ENGINE_URL set, that engine (or cluster) is used as is.
 * Otherwise an engine of this ENGINE_HOME that already runs is reused (CI starts one with
 * `npm run engine:start`; a developer's `npm start` is another) — the suite does not depend on an
 * empty engine, every test system works in a namespace of its own. When none runs, the tests
 * start their own, from empty data that is theirs alone (see testEngineConfig), and the teardown
 * stops it again.
 */
export default async function globalSetup(): Promise<void> {
  process.env.NODE_ENV = 'test';
  const config = loadConfig();
  if (config.engine.mode === 'external') return;
  const log = createLogger('info', 'test-engine');
  let local = config.engine.local;
  if (!runningEngine(local)) {
    local = testEngineConfig(local);
    await resetEngineData(local);
  }
  const result = await ensureEngineRunning(local, log);
  // Sticky: when several projects' setups run, the one that started the engine decides.
  const g = globalThis as { __engineStartedByTests?: boolean };
  g.__engineStartedByTests = g.__engineStartedByTests === true || !result.reused;
}

/**
 * The tests' own engine: H2 in $ENGINE_HOME/test-data, or on a database server a database named
 * after the configured one plus `_test` (DATABASE_URL=mysql://…/budget_ci → budget_ci_engine_test).
 * Never the engine data `npm start` uses with the same settings: that is wiped before every run.
 */
export function testEngineConfig(local: LocalEngineConfig): LocalEngineConfig {
  const dataDir = path.join(local.home, 'test-data');
  const server = serverDatabaseParts(local.database);
  const database = server ? withDatabaseName(local.database, `${server.database}_test`) : h2EngineDatabase(dataDir);
  return { ...local, dataDir, database };
}
