import type { EngineClient } from '../server/engine/client';

/** Engine housekeeping the benches share: what the engine runs on, and removing what a run deployed. */

/** "Operaton 1.0.3 on MariaDB 10.11.…" from the engine's telemetry data (its database included). */
export async function describeEngine(engine: EngineClient): Promise<string> {
  try {
    const t = await engine.request<{ product: { version: string; internals: { database: { vendor: string; version: string } } } }>(
      'GET',
      '/telemetry/data',
    );
    return `Operaton ${t.product.version} on ${t.product.internals.database.vendor} ${t.product.internals.database.version}`;
  } catch {
    return `Operaton ${(await engine.version()).version} (database not reported)`;
  }
}

/**
 * Deletes the deployments whose name carries the namespace, with their instances and history
 * (cascade): a run's instances left open in the engine's shared database would otherwise stay
 * there for good and weigh on every later task query and completion.
 */
export async function dropDeployments(engine: EngineClient, namespace: string): Promise<number> {
  const found = await engine.request<Array<{ id: string; name: string | null }>>('GET', '/deployment', {
    query: { nameLike: `%${namespace}%` },
  });
  let n = 0;
  // The name is checked here as well: the REST API ignores a query parameter it does not know.
  for (const d of found.filter((x) => x.name?.includes(namespace))) {
    await engine.request('DELETE', `/deployment/${encodeURIComponent(d.id)}`, {
      query: { cascade: true, skipCustomListeners: true, skipIoMappings: true },
      timeoutMs: 300_000,
    });
    n += 1;
  }
  return n;
}
