import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/api/app';
import type { ExportLimits } from '../../server/api/excel-export';
import type { Db } from '../../server/db';
import type { Express } from 'express';
import { createEngineClient, type EngineClient } from '../../server/engine/client';
import { EngineSupervisor } from '../../server/engine/supervisor';
import { createLogger } from '../../server/log';
import type { DatabaseConfig } from '../../server/config';
import { testConfig } from './system';

/**
 * The whole API (app.ts: every router, authentication, error middleware) on an ephemeral port
 * over a real database, without an engine: for tests of routes that do not touch the engine.
 */
export async function startApi(
  db: Db,
  database: DatabaseConfig,
  options: { exportLimits?: ExportLimits } = {},
): Promise<{ base: string; close(): Promise<void> }> {
  const { app } = buildApp(db, database, options);
  const server = http.createServer(app);
  // Longer than fetch's own idle timeout (4 s), so the client always closes an idle connection
  // first: on a loaded machine a server-side close raced a reuse and surfaced as ECONNRESET.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((r) => server.close(r));
    },
  };
}

/** The Express app startApi serves, and the engine client it holds (close it when done). */
export function buildApp(
  db: Db,
  database: DatabaseConfig,
  options: { exportLimits?: ExportLimits } = {},
): { app: Express; engine: EngineClient } {
  const config = testConfig({ database, engine: { ...testConfig().engine, mode: 'external', restUrl: 'http://127.0.0.1:1/engine-rest' } });
  const log = createLogger('silent');
  const engine = createEngineClient(config.engine);
  const supervisor = new EngineSupervisor(engine, log, async () => undefined);
  return { app: createApp({ config, db, engine, supervisor, version: 'test', log, exportLimits: options.exportLimits }), engine };
}
