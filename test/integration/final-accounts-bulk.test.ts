import { seedDemoUsers } from '../../server/auth/demo-users';
import { createUser } from '../../server/auth/service';
import type { EngineClient } from '../../server/engine/client';
import { namespaced } from '../../server/engine/namespace';
import { FINAL_ACCOUNTS_PROCESS, startAllFinalAccounts } from '../../server/final-accounts/service';
import { loadPrincipal, scopeOrgIds } from '../../server/auth/service';
import * as ledger from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 为全部单位生成决算 on the real engine and database: 刘洋 (预算科, 呼和浩特) starts the 2025 final
 * accounts of every unit of the city with quotas: 第一中学 opened its own before (counted as
 * existing), 农牧业技术推广中心 has a freeze still open (started, its submission refused), 第二中学
 * has no clerk (skipped, with the reason), 第一医院 fails once at the engine start (reported, nothing
 * of it written, the others go on; started on the next click). A second click starts nothing. 胡斌
 * (南京) starts only 南京's unit; a unit clerk and 国库科 may not start at all.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const YEAR = 2025;
const actor = { actor: 'test-setup', reason: '测试准备' };

describe('final accounts of every unit at once', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  const org: Record<string, number> = {};

  const accounts = async () =>
    (await t.system
      .db('final_accounts')
      .where('fiscal_year', YEAR)
      .orderBy('unit_org_id')
      .select('unit_org_id', 'process_instance_key')) as Array<{
      unit_org_id: number;
      process_instance_key: string | null;
    }>;
  const auditCount = async (kind: string) =>
    Number(((await t.system.db('audit_records').where('kind', kind).count({ n: '*' }))[0] as { n: number }).n);

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: YEAR });
    await seedDemoUsers(db);
    for (const code of ['150100-JY-001', '150100-JY-002', '150100-NY-001', '150100-WJ-001', '320100-JY-002'])
      org[code] = Number(((await db('organisations').where({ code }).first('id')) as { id: number }).id);
    await createUser(db, {
      username: 'nm_clerk_wj',
      displayName: '韩梅',
      orgId: org['150100-WJ-001']!,
      password: PASSWORD,
      roles: ['unit_clerk'],
    });
    for (const u of ['nm_ysk', 'js_ysk', 'nm_clerk_yz', 'nm_clerk_ny', 'nm_gkk']) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    const issue = async (code: string, fiscalYear = YEAR) =>
      (
        await ledger.issueQuota(db, {
          ...actor,
          fiscalYear,
          projectId: null,
          unitOrgId: org[code]!,
          functionalCode: '2050204',
          economicCode: '30201',
          fundSource: '一般公共预算',
          documentNo: '财预〔2025〕1号',
          amountFen: 10_000_00,
        })
      ).quota.id;
    await issue('150100-JY-001');
    await issue('150100-JY-002');
    const ny = await issue('150100-NY-001');
    await ledger.freeze(db, { ...actor, quotaId: ny, amountFen: 1_00, reference: { type: 'payment-request', id: '9' } });
    await issue('150100-WJ-001');
    await issue('150100-WJ-001', YEAR - 1); // another year: not this year's business
    await issue('320100-JY-002');
  }, 240_000);

  afterAll(async () => {
    await t?.close();
  });

  test('only 预算处 may start every unit', async () => {
    for (const u of ['nm_clerk_yz', 'nm_gkk']) {
      const r = await call(u, 'POST', '/final-accounts/start-all', { fiscalYear: YEAR });
      expect(r.status).toBe(403);
    }
    expect(await accounts()).toEqual([]);
    const list = await call('nm_ysk', 'GET', `/final-accounts?fiscalYear=${YEAR}`);
    expect(list.body.can).toEqual({ open: false, openAll: true });
    expect((await call('nm_clerk_yz', 'GET', `/final-accounts?fiscalYear=${YEAR}`)).body.can).toEqual({ open: true, openAll: false });
  });

  test('starts each missing unit once; a unit failing at the engine is reported and leaves nothing; a second click starts none', async () => {
    const db = t.system.db;
    expect((await call('nm_clerk_yz', 'POST', '/final-accounts', { fiscalYear: YEAR })).status).toBe(201);

    // Fault injection at the engine boundary: the start of 第一医院's instance is refused once; every other call is the real engine's.
    const real = t.system.engine;
    let refusals = 0;
    const flaky = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'startProcess')
          return async (key: string, input: { businessKey?: string; variables?: Record<string, unknown> }) => {
            if (input.variables?.unitOrgId === org['150100-WJ-001']) {
              refusals++;
              throw new Error('injected: connection reset');
            }
            return target.startProcess(key, input);
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as EngineClient;
    const user = (await db('users').where({ username: 'nm_ysk' }).first('id')) as { id: number };
    const p = await loadPrincipal(db, Number(user.id));
    const deps = { db, engine: flaky, namespace: t.config.engine.namespace, keyStore: undefined as never };
    const first = await startAllFinalAccounts(deps, p!, scopeOrgIds(db, p!), YEAR);
    expect(refusals).toBe(1);
    expect(first.units).toBe(4);
    expect(first.existing).toBe(1);
    expect(first.started.map((s) => [s.unitOrgId, s.openFreezes])).toEqual([[org['150100-NY-001'], 1]]);
    expect(first.skipped.map((s) => [s.unitOrgId, s.code])).toEqual([[org['150100-JY-002'], 'NO_UNIT_CLERK']]);
    expect(first.failed.map((s) => [s.unitOrgId, s.code])).toEqual([[org['150100-WJ-001'], 'INTERNAL']]);
    expect(first.failed[0]!.reason).toMatch(/生成失败/);
    // Nothing of the failed unit was written; the started one runs on the engine at 单位确认.
    expect((await accounts()).map((a) => a.unit_org_id)).toEqual([org['150100-JY-001'], org['150100-NY-001']]);
    expect(
      await db('final_account_lines as l')
        .join('quotas as q', 'q.id', 'l.quota_id')
        .where('q.unit_org_id', org['150100-WJ-001'])
        .first('l.id'),
    ).toBeUndefined();
    expect(await auditCount('final-account.open-bulk')).toBe(1);
    const ny = (await accounts()).find((a) => a.unit_org_id === org['150100-NY-001'])!;
    const tasks = await real.tasks({ processInstanceId: ny.process_instance_key! });
    expect(tasks.map((x) => x.taskDefinitionKey)).toEqual(['UnitConfirm']);

    // Through the API as the page calls it: the failed unit now starts, the rest are left alone.
    const second = await call('nm_ysk', 'POST', '/final-accounts/start-all', { fiscalYear: YEAR });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ fiscalYear: YEAR, units: 4, existing: 2, failed: [] });
    expect(second.body.started.map((s: { unitName: string }) => s.unitName)).toEqual(['呼和浩特市第一医院']);
    expect(second.body.skipped.map((s: { unitName: string; reason: string }) => s.unitName)).toEqual(['呼和浩特市第二中学']);

    const before = await accounts();
    const audits = await auditCount('final-account.open-bulk');
    const running = async () =>
      (await real.processInstances({ processDefinitionKey: namespaced(t.config.engine.namespace, FINAL_ACCOUNTS_PROCESS) })).length;
    const instances = await running();
    expect(instances).toBeGreaterThanOrEqual(3);
    const third = await call('nm_ysk', 'POST', '/final-accounts/start-all', { fiscalYear: YEAR });
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ units: 4, started: [], existing: 3, failed: [] });
    expect(await accounts()).toEqual(before);
    expect(await auditCount('final-account.open-bulk')).toBe(audits);
    expect(await running()).toBe(instances);
    expect(before.every((a) => a.process_instance_key)).toBe(true);

    // The unit with the open freeze has its draft to confirm, and its submission is refused until the freeze is released.
    const nyAccount = await call(
      'nm_clerk_ny',
      'GET',
      `/final-accounts/${String((await db('final_accounts').where({ unit_org_id: org['150100-NY-001'] }).first('id'))!.id)}`,
    );
    expect(nyAccount.body.can.edit).toBe(true);
    expect(nyAccount.body.freezes).toHaveLength(1);
    const submitted = await call('nm_clerk_ny', 'POST', `/final-accounts/${String(nyAccount.body.id)}/submit`, {
      version: nyAccount.body.version,
    });
    expect(submitted.status).toBe(409);
    expect(submitted.body.error.code).toBe('FINAL_ACCOUNT_OPEN_FREEZES');
  });

  test("another province's 预算处 starts only its own units", async () => {
    const before = await accounts();
    const r = await call('js_ysk', 'POST', '/final-accounts/start-all', { fiscalYear: YEAR });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ units: 1, existing: 0, skipped: [], failed: [] });
    expect(r.body.started.map((s: { unitOrgId: number }) => s.unitOrgId)).toEqual([org['320100-JY-002']]);
    const after = await accounts();
    expect(after.filter((a) => a.unit_org_id !== org['320100-JY-002'])).toEqual(before);
    const list = await call('js_ysk', 'GET', `/final-accounts?fiscalYear=${YEAR}`);
    expect(list.body.items.map((i: { unitName: string }) => i.unitName)).toEqual(['南京市金陵中学']);
    expect(list.body.total).toBe(1);
  });

  test('bad input is a 400 and writes nothing', async () => {
    const before = await accounts();
    for (const body of [{}, { fiscalYear: 1999 }, { fiscalYear: '2025x' }, { fiscalYear: YEAR, extra: 1 }]) {
      const r = await call('nm_ysk', 'POST', '/final-accounts/start-all', body);
      expect(r.status).toBe(400);
    }
    expect(await accounts()).toEqual(before);
  });
});
