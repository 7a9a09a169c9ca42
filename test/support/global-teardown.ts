import { loadConfig } from '../../server/config';
import { stopEngine } from '../../server/engine/launcher';
import { createLogger } from '../../server/log';

/** Stops the engine only when the tests started it; an engine that was already running stays. */
export default async function globalTeardown(): Promise<void> {
  if (!(globalThis as { __engineStartedByTests?: boolean }).__engineStartedByTests) return;
  const config = loadConfig();
  if (config.engine.mode === 'external') return;
  await stopEngine(config.engine.local, createLogger('info', 'test-engine'));
}
