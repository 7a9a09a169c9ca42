import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../server/config';
import { ensureEngineRunning, runningEngine } from '../../server/engine/launcher';
import { createLogger } from '../../server/log';

/**
 * Before any test: a real engine. With ZEEBE_ADDRESS set, the configured cluster is used as is;
 * otherwise the local engine is started through the launcher (reused when one already runs),
 * on a fresh data folder of its own so tests never see a developer's instances.
 */
export default async function globalSetup(): Promise<void> {
  process.env.NODE_ENV = 'test';
  const config = loadConfig();
  if (config.engine.mode === 'external') return;
  const local = config.engine.local;
  const log = createLogger('info', 'test-engine');
  if (!runningEngine(local)) {
    local.dataDir = path.join(local.home, 'test-data');
    fs.rmSync(local.dataDir, { recursive: true, force: true });
  }
  const result = await ensureEngineRunning(local, log);
  // Sticky: when several projects' setups run, the one that started the engine decides.
  const g = globalThis as { __engineStartedByTests?: boolean };
  g.__engineStartedByTests = g.__engineStartedByTests === true || !result.reused;
}
