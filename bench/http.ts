import { DEMO_PASSWORD } from '../server/auth/demo-users';
import { loginCookie } from '../test/support/accounts';

/** What the benches share for talking to the API as a demo person, and for figures. */

export const REQUEST_TIMEOUT_MS = 60_000;

export interface Client {
  username: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Logs a demo person in (the demo password) and returns a client that sends their session cookie.
 * A person of a second-factor role binds an authenticator at the first login and answers the
 * challenge later, through the tests' authenticator (test/support/second-factor.ts).
 */
export async function login(base: string, username: string): Promise<Client> {
  const cookie = await loginCookie(base, username, DEMO_PASSWORD);
  return {
    username,
    async call(method, path, body) {
      const r = await fetch(`${base}/api${path}`, {
        method,
        headers: { 'content-type': 'application/json', cookie },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await r.text();
      let parsed: unknown = null;
      try {
        parsed = text ? (JSON.parse(text) as unknown) : null;
      } catch {
        parsed = { raw: text.slice(0, 500) };
      }
      return { status: r.status, body: parsed };
    },
  };
}

/** p50 / p95 / max of a list of milliseconds, rounded to 0.1. */
export function percentiles(times: number[]): { p50: number; p95: number; max: number } {
  if (!times.length) return { p50: NaN, p95: NaN, max: NaN };
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: at(1) };
}

/** Runs `work` over `items` with `concurrency` clients; per-item latency and wall time. */
export async function drive<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<{ times: number[]; seconds: number }> {
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t = performance.now();
        await work(item);
        times.push(performance.now() - t);
      }
    }),
  );
  return { times, seconds: (performance.now() - t0) / 1000 };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Files a draft project for 第一中学 as 王芳 (nm_clerk_yz) would: quantified targets, so SMART passes. */
export async function fileProject(clerk: Client, name: string): Promise<{ id: number; version: number }> {
  const created = await clerk.call('POST', '/projects', {
    fiscalYear: 2026,
    name,
    category: '33',
    functionalCode: '2050204',
    description: '详见可行性研究报告',
    amounts: [{ economicCode: '30213', amountFen: 500_000_00 }],
    targets: [
      { level1: '产出指标', level2: '数量指标', name: '维修面积', direction: '>=', targetValue: '1000', unit: '平方米' },
      { level1: '效益指标', level2: '社会效益指标', name: '受益学生', direction: '>=', targetValue: '800', unit: '人' },
    ],
  });
  if (created.status !== 201) throw new Error(`POST /projects: ${created.status} ${JSON.stringify(created.body)}`);
  return { id: Number(created.body.id), version: Number(created.body.version) };
}
