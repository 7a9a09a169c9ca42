import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { responseContracts } from '../../server/api/contracts';
import type { RouteDoc } from '../../server/api/catalog';
import { createLogger } from '../../server/log';
import { ROUTE_CATALOGUE } from '../../server/api/catalog';
import { sealStatus } from '../../contracts/seals';

const catalogue: RouteDoc[] = [
  {
    method: 'get',
    path: '/api/things/{id}',
    summary: 't',
    tag: 'seals',
    access: 'public',
    response: z.strictObject({ id: z.number(), name: z.string() }),
  },
];

async function serve(env: 'test' | 'production', body: unknown): Promise<{ status: number; json: any }> {
  const app = express();
  const api = express.Router();
  api.use(responseContracts({ env }, createLogger('silent'), catalogue));
  api.get('/things/:id', (_req, res) => {
    res.json(body);
  });
  app.use('/api', api);
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/things/7`);
    return { status: res.status, json: await res.json() };
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe('response contracts', () => {
  test('an answer that matches its contract goes out as it is', async () => {
    expect(await serve('test', { id: 7, name: '甲' })).toEqual({ status: 200, json: { id: 7, name: '甲' } });
  });

  test('under tests a drifted answer (renamed or undeclared field) is a 500 naming the field', async () => {
    const r = await serve('test', { id: 7, title: '甲' });
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe('CONTRACT_VIOLATION');
    expect(r.json.error.message).toContain('GET /api/things/{id}');
    expect(r.json.error.message).toContain('name');
  });

  test('in production the check is off', async () => {
    expect(await serve('production', { id: 7, title: '甲' })).toEqual({ status: 200, json: { id: 7, title: '甲' } });
  });

  test('the seal routes declare their answers, and the status contract is strict', () => {
    const declared = ROUTE_CATALOGUE.filter((r) => r.path.startsWith('/api/seals/')).map((r) => [r.path, r.response !== undefined]);
    expect(declared).toEqual(declared.map(([p]) => [p, true]));
    expect(
      sealStatus.safeParse({
        enrolled: false,
        key: null,
        canSign: false,
        recordVerified: null,
        lockedUntil: null,
        failedPins: 0,
        reenrolment: null,
        revokedKeys: [],
        extra: 1,
      }).success,
    ).toBe(false);
  });
});
