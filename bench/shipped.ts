import type { AppConfig } from '../server/config';

/**
 * The system as a bureau runs it: NODE_ENV=production, so answers are not parsed against their
 * contracts on the way out (server/api/contracts.ts; every API and browser test does that check)
 * and the session cookie is Secure (the benches send it by hand). The rest of the configuration
 * is the benches' own (a test load: development keys, no production secrets needed).
 * BENCH_APP_ENV=test measures with the contract checks on.
 */
export function asShipped<T extends Pick<AppConfig, 'env'>>(config: T): T {
  const env = process.env.BENCH_APP_ENV ?? 'production';
  if (env !== 'production' && env !== 'test' && env !== 'development')
    throw new Error(`BENCH_APP_ENV: "${env}" (production, test or development)`);
  return { ...config, env };
}
