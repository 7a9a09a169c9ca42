import type { Db } from '../../server/db';
import * as ledger from '../../server/ledger/service';
import { createOrganisation } from '../../server/reference/organisations';
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
  let orgId: number;
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
    orgId = account.orgId;
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

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', cookie },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  const actor = { reason: '2026 年第一批指标下达' };
  /** 下达: the ledger numbers the quota itself (ZB<year>-<id>), the request names no number. */
  const issue = (amountFen: number, extra: object = {}) =>
    call('POST', '/quotas', {
      fiscalYear: 2026,
      functionalCode: '2050201',
      economicCode: '30201',
      fundSource: '一般公共预算',
      documentNo: '财教〔2026〕1号',
      amountFen,
      ...actor,
      ...extra,
    });

  test('POST /quotas issues a quota; GET answers it with amountFen/usedFen/frozenFen/availableFen', async () => {
    const r = await issue(1_000_000, { projectId: projectA, idempotencyKey: 'issue-API-1' });
    expect(r.status).toBe(201);
    expect(r.body.quota.quotaNo).toBe(`ZB2026-${String(r.body.quota.id).padStart(6, '0')}`);
    expect(r.body.quota.quotaNo).toBe(ledger.quotaNumber(2026, r.body.quota.id));
    expect(r.body.quota).toMatchObject({
      projectId: projectA,
      unitOrgId: otherUnit,
      amountFen: 1_000_000,
      usedFen: 0,
      frozenFen: 0,
      availableFen: 1_000_000,
    });
    expect(r.body.quota.createdAt).toMatch(/\+08:00$/);
    expect(r.body.entry).toMatchObject({ kind: 'issue', kindLabel: '下达', actor: username });
    const again = await issue(1_000_000, { projectId: projectA, idempotencyKey: 'issue-API-1' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ replayed: true, entry: { id: r.body.entry.id }, quota: { quotaNo: r.body.quota.quotaNo } });
    // A number is the ledger's: a request that brings one is refused, whatever it says.
    const typed = await issue(1_000, { quotaNo: 'ZB2026-999999' });
    expect([typed.status, typed.body.error.details]).toEqual([400, [{ field: 'body', message: expect.stringContaining('quotaNo') }]]);

    const got = await call('GET', `/quotas/${r.body.quota.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: r.body.quota.id, availableFen: 1_000_000 });
    expect((await call('GET', '/quotas/999999')).status).toBe(404);
    expect((await call('GET', '/quotas/abc')).status).toBe(404);
  });

  test('a malformed quota id (abc, 0x5, 5.0, 007) is a 404 named for the quota, before the body is read', async () => {
    const { body } = await issue(1_000);
    const id = body.quota.id as number;
    expect((await call('GET', `/quotas/${id}`)).status).toBe(200);
    for (const bad of ['abc', '0x5', `${id}.0`, `00${id}`, '99999999999']) {
      for (const [method, path] of [
        ['GET', `/quotas/${bad}`],
        ['GET', `/quotas/${bad}/journal`],
        ['POST', `/quotas/${bad}/freeze`],
        ['POST', `/quotas/${bad}/carry-over`],
      ] as const) {
        const r = await call(method, path, method === 'POST' ? { amountFen: 1, reason: 'x' } : undefined);
        expect([path, r.status, r.body.error]).toEqual([path, 404, expect.objectContaining({ code: 'NOT_FOUND', message: '指标不存在' })]);
      }
    }
    // A well-formed id of no quota keeps naming the id.
    expect((await call('GET', '/quotas/999999')).body.error.message).toBe('指标 #999999 不存在');
  });

  test('freeze, consume, unfreeze, adjust-in, adjust-out; a refusal is a 409 with the stable code and a Chinese message', async () => {
    const { body } = await issue(100_000);
    const id = body.quota.id as number;
    const post = (op: string, amountFen: number, extra: object = {}) =>
      call('POST', `/quotas/${id}/${op}`, { amountFen, ...actor, ...extra });

    expect((await post('freeze', 60_000, { referenceType: 'payment-request', referenceId: '7' })).body.quota).toMatchObject({
      frozenFen: 60_000,
      availableFen: 40_000,
    });
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
    // 流水 names people: the user name that acted and the person's name beside it.
    const person = (await db('users').where({ username }).first('display_name')) as { display_name: string };
    expect(journal.body.items.map((e: { actor: string; actorName: string }) => [e.actor, e.actorName])).toEqual([
      [username, person.display_name],
      [username, person.display_name],
    ]);
    expect((await call('GET', '/quotas/999999/journal')).status).toBe(404);
  });

  test('invalid input is a 400 naming each field: fractional, zero or unsafe amounts, missing reason, unknown fields, a forged actor', async () => {
    const { body } = await issue(100);
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
    expect((await issue(1, { functionalCode: '20502' + '0' })).status).toBe(400);
    expect((await call('GET', '/quotas?pageSize=101')).status).toBe(400);
    expect((await call('GET', '/quotas?sort=quota_no;drop table quotas')).status).toBe(400);
    expect(await db.schema.hasTable('quotas')).toBe(true);
  });

  test('GET /quotas filters by fiscal year and project, sorts by a whitelisted field, pages', async () => {
    const ids: number[] = [];
    for (const amount of [300, 100, 200]) ids.push((await issue(amount, { projectId: projectB, fiscalYear: 2029 })).body.quota.id);
    const r = await call('GET', `/quotas?fiscalYear=2029&projectId=${projectB}&sort=amountFen&order=desc&page=1&pageSize=2`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect(r.body.items.map((q: { id: number }) => q.id)).toEqual([ids[0], ids[2]]);
    expect(r.body.items.map((q: { quotaNo: string }) => q.quotaNo)).toEqual([
      ledger.quotaNumber(2029, ids[0]!),
      ledger.quotaNumber(2029, ids[2]!),
    ]);
  });

  test('GET /quotas says what the reader may do with the quotas (can, domain/ledger.ts): the finance officer everything, a unit clerk freeze / unfreeze / pay, a director nothing', async () => {
    const all = await call('GET', '/quotas');
    expect(all.status).toBe(200);
    expect(all.body.can).toEqual({
      issue: true,
      freeze: true,
      unfreeze: true,
      consume: true,
      adjustIn: true,
      adjustOut: true,
      transfer: true,
      carryOver: true,
    });
    const as = async (roles: string[]) => {
      const other = await createAccount(db, roles);
      const res = await fetch(`${base}/quotas`, { headers: { cookie: await loginCookie(api.base, other.username) } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { can: Record<string, boolean> }).can;
    };
    expect(await as(['unit_clerk'])).toEqual({
      issue: false,
      freeze: true,
      unfreeze: true,
      consume: true,
      adjustIn: false,
      adjustOut: false,
      transfer: false,
      carryOver: false,
    });
    expect(Object.values(await as(['director'])).some(Boolean)).toBe(false);
  });

  test('POST /quota-transfers moves money between two quotas atomically; a refused transfer changes neither', async () => {
    const a = (await issue(50_000)).body.quota.id as number;
    const b = (await issue(0 + 1)).body.quota.id as number;
    const ok = await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: b, amountFen: 20_000, ...actor });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      out: { kind: 'adjust-out', quotaId: a },
      in: { kind: 'adjust-in', quotaId: b },
      from: { amountFen: 30_000 },
      to: { amountFen: 20_001 },
    });
    const refused = await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: b, amountFen: 30_001, ...actor });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INSUFFICIENT_AVAILABLE');
    expect((await call('GET', `/quotas/${b}`)).body.amountFen).toBe(20_001);
    expect((await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: a, amountFen: 1, ...actor })).body.error.code).toBe(
      'INVALID_TRANSFER',
    );
    expect((await call('POST', '/quota-transfers', { fromQuotaId: a, toQuotaId: 999_999, amountFen: 1, ...actor })).status).toBe(404);
  });

  test("POST /quotas: an unknown project or unit, or a unit other than the project's, is a 400 and writes nothing", async () => {
    const before = await db('quotas').count({ n: '*' }).first();
    for (const [extra, code] of [
      [{ projectId: 999999 }, 'PROJECT_NOT_FOUND'],
      [{ unitOrgId: 999999 }, 'UNIT_NOT_FOUND'],
      [{ projectId: projectA, unitOrgId: 999999 }, 'UNIT_NOT_FOUND'],
    ] as const) {
      const r = await issue(100, extra);
      expect([r.status, r.body.error.code]).toEqual([400, code]);
    }
    expect(await db('quotas').count({ n: '*' }).first()).toEqual(before);
  });

  /** Balances of the given quotas and the whole journal's row count: what a refusal must leave alone. */
  async function snapshot(...ids: number[]) {
    const quotas = await db('quotas').whereIn('id', ids).orderBy('id').select('id', 'amount_fen', 'used_fen', 'frozen_fen', 'version');
    const [journal] = await db('quota_journal').count({ n: '*' });
    const [count] = await db('quotas').count({ n: '*' });
    return { quotas, journalRows: Number(journal?.n), quotaRows: Number(count?.n) };
  }

  describe('POST /quotas/:id/carry-over', () => {
    test('into a new quota of the next year: source keeps the rest, the new quota names its source and inherits what was not given; a repeated key replays', async () => {
      const src = (await issue(200_000, { projectId: projectA, idempotencyKey: 'co-src-1' })).body.quota;
      const body = { amountFen: 150_000, reason: '年末结转', idempotencyKey: 'co-api-1', into: { documentNo: '财教〔2027〕1号' } };
      const r = await call('POST', `/quotas/${src.id}/carry-over`, body);
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        replayed: false,
        out: { kind: 'carry-over', kindLabel: '结转', quotaId: src.id, amountFen: 150_000, actor: username },
        in: { kind: 'issue', amountFen: 150_000, counterpartQuotaId: src.id },
        from: { id: src.id, amountFen: 50_000, availableFen: 50_000 },
        to: {
          fiscalYear: 2027,
          projectId: projectA,
          sourceQuotaId: src.id,
          documentNo: '财教〔2027〕1号',
          functionalCode: '2050201',
          fundSource: '一般公共预算',
          amountFen: 150_000,
        },
      });
      expect(r.body.out.counterpartQuotaId).toBe(r.body.to.id);
      expect(r.body.to.quotaNo).toBe(ledger.quotaNumber(2027, r.body.to.id));

      const before = await snapshot(src.id, r.body.to.id);
      const again = await call('POST', `/quotas/${src.id}/carry-over`, body);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ replayed: true, out: { id: r.body.out.id }, in: { id: r.body.in.id } });
      expect(await snapshot(src.id, r.body.to.id)).toEqual(before);

      // The journal names the counterpart quota on both sides.
      const journal = await call('GET', `/quotas/${src.id}/journal`);
      expect(journal.body.items.at(-1)).toMatchObject({
        kind: 'carry-over',
        counterpartQuotaId: r.body.to.id,
        counterpartQuotaNo: r.body.to.quotaNo,
      });
      expect((await call('GET', `/quotas/${src.id}/journal`)).body.items[0]).toMatchObject({ kind: 'issue', counterpartQuotaNo: null });
    });

    test('into an existing quota of a later year: adjust-in on it', async () => {
      const src = (await issue(80_000)).body.quota;
      const later = (await issue(1_000, { fiscalYear: 2028 })).body.quota;
      const r = await call('POST', `/quotas/${src.id}/carry-over`, {
        amountFen: 30_000,
        reason: '结转到 2028 年',
        into: { quotaId: later.id },
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        out: { kind: 'carry-over', quotaId: src.id },
        in: { kind: 'adjust-in', quotaId: later.id },
        from: { availableFen: 50_000 },
        to: { id: later.id, amountFen: 31_000 },
      });
      const journal = await call('GET', `/quotas/${later.id}/journal`);
      expect(journal.body.items.at(-1)).toMatchObject({ kind: 'adjust-in', counterpartQuotaId: src.id, counterpartQuotaNo: src.quotaNo });
    });

    test("a refusal (409 with the ledger's code) leaves both quotas and the journal unchanged", async () => {
      const src = (await issue(10_000)).body.quota;
      const later = (await issue(5_000, { fiscalYear: 2027 })).body.quota;
      const sameYear = (await issue(5_000)).body.quota;
      const before = await snapshot(src.id, later.id, sameYear.id);
      const refusals: Array<[object, string]> = [
        [{ amountFen: 10_001, into: { quotaId: later.id } }, 'INSUFFICIENT_AVAILABLE'],
        [{ amountFen: 10_001, into: {} }, 'INSUFFICIENT_AVAILABLE'],
        [{ amountFen: 1, into: { quotaId: sameYear.id } }, 'INVALID_CARRY_OVER'],
        [{ amountFen: 1, into: { fiscalYear: 2026 } }, 'INVALID_CARRY_OVER'],
      ];
      for (const [body, code] of refusals) {
        const r = await call('POST', `/quotas/${src.id}/carry-over`, { reason: '结转', ...body });
        expect([r.status, r.body.error.code]).toEqual([409, code]);
        expect(r.body.error.message).toMatch(/[\u4e00-\u9fa5]/);
      }
      expect(await snapshot(src.id, later.id, sameYear.id)).toEqual(before);
    });

    test("a source or target outside the person's scope, or unknown, is a 404 and nothing is written", async () => {
      // A quota of a unit in another province: a finance officer of 内蒙古 does not see it.
      if (!(await db('regions').where({ code: '320000' }).first('code')))
        await db('regions').insert({ code: '320000', name: '江苏省', level: 'province', parent_code: null });
      const unit = await createOrganisation(db, {
        code: 'TEST-JS-UNIT',
        name: '江苏测试单位',
        kind: 'budget_unit',
        regionCode: '320000',
        parentId: null,
      });
      const foreign = (
        await ledger.issueQuota(db, {
          quotaNo: 'CO-JS',
          fiscalYear: 2027,
          unitOrgId: unit.id,
          functionalCode: '2050201',
          economicCode: '30201',
          fundSource: '一般公共预算',
          documentNo: '苏财〔2027〕1号',
          amountFen: 9_000,
          actor: 'seed',
          reason: '江苏',
        })
      ).quota;
      const src = (await issue(10_000)).body.quota;
      const before = await snapshot(src.id, foreign.id);

      const intoForeign = await call('POST', `/quotas/${src.id}/carry-over`, {
        amountFen: 1,
        reason: '结转',
        into: { quotaId: foreign.id },
      });
      expect([intoForeign.status, intoForeign.body.error.code]).toEqual([404, 'NOT_FOUND']);
      const fromForeign = await call('POST', `/quotas/${foreign.id}/carry-over`, { amountFen: 1, reason: '结转', into: {} });
      expect(fromForeign.status).toBe(404);
      expect(
        (await call('POST', `/quotas/${src.id}/carry-over`, { amountFen: 1, reason: '结转', into: { quotaId: 999_999 } })).status,
      ).toBe(404);
      expect((await call('POST', '/quotas/999999/carry-over', { amountFen: 1, reason: '结转', into: {} })).status).toBe(404);
      expect(await snapshot(src.id, foreign.id)).toEqual(before);
    });

    test('a bad body is a 400 naming the field, and nothing is written', async () => {
      const src = (await issue(10_000)).body.quota;
      const before = await snapshot(src.id);
      const bad: Array<[object, string[]]> = [
        [{ amountFen: 0.5, reason: '结转', into: {} }, ['body.amountFen']],
        [{ amountFen: 1, into: {} }, ['body.reason']],
        [{ amountFen: 1, reason: '结转' }, ['body.into']],
        [{ amountFen: 1, reason: '结转', into: { quotaId: 1, documentNo: 'X' } }, ['body.into']],
        // The ledger numbers the new quota: a typed number is refused.
        [{ amountFen: 1, reason: '结转', into: { quotaNo: 'CO-NEW-5' } }, ['body.into']],
        // The new quota keeps the source's unit: moving it elsewhere is not a carry-over.
        [{ amountFen: 1, reason: '结转', into: { unitOrgId: 1 } }, ['body.into']],
        [{ amountFen: 1, reason: '结转', into: { quotaId: 'abc' } }, ['body.into']],
        [{ amountFen: 1, reason: '结转', into: {}, actor: '冒名' }, ['body']],
      ];
      for (const [body, fields] of bad) {
        const r = await call('POST', `/quotas/${src.id}/carry-over`, body);
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('VALIDATION_FAILED');
        expect(r.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(fields);
      }
      expect(await snapshot(src.id)).toEqual(before);
    });
  });

  test('GET /quotas?quotaNo= finds quotas whose number contains the text, wildcards taken literally', async () => {
    // Numbers from an older ledger (the service takes them; the API never does) may hold LIKE characters.
    for (const quotaNo of ['FIND-A_1', 'FIND-AB1', 'FIND-B%2']) {
      await ledger.issueQuota(db, {
        quotaNo,
        fiscalYear: 2030,
        functionalCode: '2050201',
        economicCode: '30201',
        fundSource: '一般公共预算',
        documentNo: '财教〔2030〕1号',
        amountFen: 1,
        actor: username,
        reason: '迁移',
        issuerOrgId: orgId,
      });
    }
    const numbers = async (q: string) =>
      (await call('GET', `/quotas?fiscalYear=2030&quotaNo=${encodeURIComponent(q)}`)).body.items
        .map((x: { quotaNo: string }) => x.quotaNo)
        .sort();
    expect(await numbers('FIND-A')).toEqual(['FIND-AB1', 'FIND-A_1']);
    expect(await numbers('A_1')).toEqual(['FIND-A_1']);
    expect(await numbers('%')).toEqual(['FIND-B%2']);
  });
});
