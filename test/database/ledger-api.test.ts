import type { Db } from '../../server/db';
import { createAccount, loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { insertProjectRow } from '../support/projects';
import { openFreshDatabase } from '../support/system';

/** The quota router over real HTTP and the real database, mounted the way app.ts mounts routers. */
describe('quotas API', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let base: string;
  let cookie: string;
  let username: string;
  let projectA: number;
  let projectB: number;
  let otherUnit: number;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    api = await startApi(db, fresh.database);
    base = `${api.base}/api`;
    // A finance officer who may issue, adjust and freeze (region scope: sees unassigned quotas).
    const account = await createAccount(db, ['budget_division', 'treasury_division']);
    username = account.username;
    cookie = await loginCookie(api.base, username);
    projectA = await insertProjectRow(db, { unitOrgId: account.orgId });
    projectB = await insertProjectRow(db, { unitOrgId: account.orgId, fiscalYear: 2029 });
    otherUnit = account.orgId;
  });
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json', cookie }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  }

  const actor = { reason: '2026 年第一批指标下达' };
  const issue = (quotaNo: string, amountFen: number, extra: object = {}) =>
    call('POST', '/quotas', { quotaNo, fiscalYear: 2026, functionalCode: '2050201', economicCode: '30201', fundSource: '一般公共预算', documentNo: '财教〔2026〕1号', amountFen, ...actor, ...extra });

  test('POST /quotas issues a quota; GET answers it with amountFen/usedFen/frozenFen/availableFen', async () => {
    const r = await issue('API-1', 1_000_000, { projectId: projectA, idempotencyKey: 'issue-API-1' });
    expect(r.status).toBe(201);
    expect(r.body.quota).toMatchObject({ quotaNo: 'API-1', projectId: projectA, unitOrgId: otherUnit, amountFen: 1_000_000, usedFen: 0, frozenFen: 0, availableFen: 1_000_000 });
    expect(r.body.quota.createdAt).toMatch(/\+08:00$/);
    expect(r.body.entry).toMatchObject({ kind: 'issue', kindLabel: '下达', actor: username });
    const again = await issue('API-1', 1_000_000, { projectId: projectA, idempotencyKey: 'issue-API-1' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, entry: { id: r.body.entry.id } });

    const got = await call('GET', `/quotas/${r.body.quota.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: r.body.quota.id, availableFen: 1_000_000 });
    expect((await call('GET', '/quotas/999999')).status).toBe(404);
    expect((await call('GET', '/quotas/abc')).status).toBe(404);
  });

  test('freeze, consume, unfreeze, adjust-in, adjust-out; a refusal is a 409 with the stable code and a Chinese message', async () => {
    const { body } = await issue('API-2', 100_000);
    const id = body.quota.id as number;
    const post = (op: string, amountFen: number, extra: object = {}) => call('POST', `/quotas/${id}/${op}`, { amountFen, ...actor, ...extra });

    expect((await post('freeze', 60_000, { referenceType: 'payment-request', referenceId: '7' })).body.quota).toMatchObject({ frozenFen: 60_000, availableFen: 40_000 });
    expect((await post('consume', 50_000)).body.quota).toMatchObject({ usedFen: 50_000, frozenFen: 10_000 });
    expect((await post('unfreeze', 10_000)).body.quota).toMatchObject({ frozenFen: 0, availableFen: 50_000 });
    expect((await post('adjust-in', 5_000)).body.quota).toMatchObject({ amountFen: 105_000 });
    expect((await post('adjust-out', 5_000)).body.entry).toMatchObject({ kind: 'adjust-out', kindLabel: '调出' });

    const refused = await post('freeze', 50_001);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({ code: 'INSUFFICIENT_AVAILABLE', message: '可用指标不足：可用 ¥500.00，申请冻结 ¥500.01' });
    expect((await post('consume', 1)).body.error.code).toBe('INSUFFICIENT_FROZEN');
    expect((await call('POST', '/quotas/999999/freeze', { amountFen: 1, ...actor })).status).toBe(404);

    const journal = await call('GET', `/quotas/${id}/journal?page=1&pageSize=2&order=desc`);
    expect(journal.status).toBe(200);
    expect(journal.body.total).toBe(6);
    expect(journal.body.items.map((e: { kind: string }) => e.kind)).toEqual(['adjust-out', 'adjust-in']);
    expect((await call('GET', '/quotas/999999/journal')).status).toBe(404);
  });

  test('invalid input is a 400 naming each field: fractional, zero or unsafe amounts, missing reason, unknown fields, a forged actor', async () => {
    const { body } = await issue('API-3', 100);
    for (const amountFen of [1.5, 0, -1, Number.MAX_SAFE_INTEGER + 1, '100']) {
      const r = await call('POST', `/quotas/${body.quota.id}/freeze`, { amountFen, ...actor });
      expect(r.status).toBe(400);
      expect(new Set(r.body.error.details.map((d: { field: string }) => d.field))).toEqual(new Set(['body.amountFen']));
    }
    const r = await call('POST', `/quotas/${body.quota.id}/freeze`, { amountFen: 1, extra: true });
    expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body', 'body.reason']);
    // The actor is the session's user: a body that names one is refused, not believed.
    expect((await call('POST', `/quotas/${body.quota.id}/freeze`, { amountFen: 1, reason: 'x', actor: '冒名' })).status).toBe(400);
    expect((await call('POST', `/quotas/${body.quota.id}/freeze`, { amountFen: 1, ...actor, referenceType: 'x' })).status).toBe(400);
    expect((await call('POST', `/quotas/${body.quota.id}/freeze`, { amountFen: 1, ...actor, idempotencyKey: 'a/in' })).status).toBe(400);
    expect((await issue('API-4', 1, { functionalCode: '20502' + '0' })).status).toBe(400);
    expect((await call('GET', '/quotas?pageSize=101')).status).toBe(400);
    expect((await call('GET', '/quotas?sort=quota_no;drop table quotas')).status).toBe(400);
    expect(await db.schema.hasTable('quotas')).toBe(true);
  });

  test('GET /quotas filters by fiscal year and project, sorts by a whitelisted field, pages', async () => {
    for (const [no, amount] of [['L-1', 300], ['L-2', 100], ['L-3', 200]] as const) await issue(no, amount, { projectId: projectB, fiscalYear: 2029 });
    const r = await call('GET', `/quotas?fiscalYear=2029&projectId=${projectB}&sort=amountFen&order=desc&page=1&pageSize=2`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(r.body.items.map((q: { quotaNo: string }) => q.quotaNo)).toEqual(['L-1', 'L-3']);
  });

  test('POST /quota-transfers moves money between two quotas atomically; a refused transfer changes neither', async () => {
    const a = (await issue('TR-A', 50_000)).body.quota.id as number;
    const b = (await issue('TR-B', 0 + 1)).body.quota.id as number;
    const ok = await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: b, amountFen: 20_000, ...actor });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ out: { kind: 'adjust-out', quotaId: a }, in: { kind: 'adjust-in', quotaId: b }, from: { amountFen: 30_000 }, to: { amountFen: 20_001 } });
    const refused = await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: b, amountFen: 30_001, ...actor });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INSUFFICIENT_AVAILABLE');
    expect((await call('GET', `/quotas/${b}`)).body.amountFen).toBe(20_001);
    expect((await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: a, amountFen: 1, ...actor })).body.error.code).toBe('INVALID_TRANSFER');
    expect((await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: 999_999, amountFen: 1, ...actor })).status).toBe(404);
  });

  test('POST /quotas: an unknown project or unit, or a unit other than the project\'s, is a 400 and writes nothing', async () => {
    const before = await db('quotas').count({ n: '*' }).first();
    for (const [extra, code] of [
      [{ projectId: 999999 }, 'PROJECT_NOT_FOUND'],
      [{ unitOrgId: 999999 }, 'UNIT_NOT_FOUND'],
      [{ projectId: projectA, unitOrgId: 999999 }, 'UNIT_NOT_FOUND'],
    ] as const) {
      const r = await issue(`BAD-${code}`, 100, extra);
      expect([r.status, r.body.error.code]).toEqual([400, code]);
    }
    expect(await db('quotas').count({ n: '*' }).first()).toEqual(before);
  });
});
