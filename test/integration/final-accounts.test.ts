import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { replay, type EntryKind } from '../../domain/ledger';
import type { Fen } from '../../domain/money';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { namespaced } from '../../server/engine/namespace';
import { closeFinalAccount } from '../../server/final-accounts/service';
import * as ledger from '../../server/ledger/service';
import { seedReferenceData } from '../../server/reference';
import { finalAccountsClose } from '../../workers/final-accounts-close';
import { handleTask } from '../../workers/runtime';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 决算 on the real engine and database, through the HTTP API: 第一中学 (nm_clerk_yz) has 2026 quotas
 * on two projects and one without a project, with entries of every kind the ledger knows; it
 * opens its final accounts, a freeze blocks it, it explains each balance and chooses 结转 for one
 * project and 结余收回 for the rest; 教育局 (nm_dept_jy) returns it once, then 教育局, 国库科 (nm_gkk)
 * and 预算科 (nm_ysk) approve, sealed; closing posts each balance once, even when redelivered.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '135792';
const actor = { actor: 'test-setup', reason: '测试准备' };

describe('final accounts on the engine', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  let unit: number;
  let projectA: number;
  let projectB: number;
  const q: Record<string, number> = {};
  let accountId: number;

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const account = async (user = 'nm_clerk_yz') => (await call(user, 'GET', `/final-accounts/${accountId}`)).body;
  const counts = async () => {
    const db = t.system.db;
    const n = async (table: string) => Number(((await db(table).count({ n: '*' }))[0] as { n: number }).n);
    return {
      quotas: await n('quotas'),
      journal: await n('quota_journal'),
      audit: await n('audit_records'),
      decisions: await n('final_account_decisions'),
    };
  };

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of ['nm_clerk_yz', 'nm_clerk_ny', 'nm_dept_jy', 'nm_gkk', 'nm_ysk'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    const org = async (code: string) => Number(((await db('organisations').where({ code }).first('id')) as { id: number }).id);
    unit = await org('150100-JY-001');
    const other = await org('150100-NY-001');
    const project = async (name: string) => {
      const r = await call('nm_clerk_yz', 'POST', '/projects', demoApplication(name));
      expect(r.status).toBe(201);
      await db('projects').where('id', r.body.id).update({ status: 'funded' });
      return Number(r.body.id);
    };
    projectA = await project('决算测试项目甲');
    projectB = await project('决算测试项目乙');
    const issue = async (
      key: string,
      fiscalYear: number,
      projectId: number | null,
      economicCode: string,
      amountFen: number,
      unitOrgId = unit,
    ) => {
      q[key] = (
        await ledger.issueQuota(db, {
          ...actor,
          fiscalYear,
          projectId,
          unitOrgId,
          functionalCode: '2050204',
          economicCode,
          fundSource: '一般公共预算',
          documentNo: '财教〔2026〕9号',
          amountFen,
        })
      ).quota.id;
    };
    await issue('a1', 2026, projectA, '30213', 100_000_00);
    await issue('a2', 2026, projectA, '30211', 20_000_00);
    await issue('b1', 2026, projectB, '30213', 50_000_00);
    await issue('n', 2026, null, '30201', 3_333_33);
    await issue('old', 2025, projectB, '30213', 8_000_00);
    await issue('other', 2026, null, '30201', 1_000_00, other);
    // Entries of every kind: freeze, consume, unfreeze, adjust-in, adjust-out, a transfer, carry-overs in and out.
    await ledger.freeze(db, { ...actor, quotaId: q.a1!, amountFen: 30_000_01, reference: { type: 'payment-request', id: '7' } });
    await ledger.consume(db, { ...actor, quotaId: q.a1!, amountFen: 30_000_01, reference: { type: 'payment-request', id: '7' } });
    await ledger.freeze(db, { ...actor, quotaId: q.a1!, amountFen: 5_000_00 });
    await ledger.unfreeze(db, { ...actor, quotaId: q.a1!, amountFen: 5_000_00 });
    await ledger.adjustIn(db, { ...actor, quotaId: q.a1!, amountFen: 1_234_56 });
    await ledger.adjustOut(db, { ...actor, quotaId: q.a2!, amountFen: 999_99 });
    await ledger.freeze(db, { ...actor, quotaId: q.a2!, amountFen: 100_00 });
    await ledger.consume(db, { ...actor, quotaId: q.a2!, amountFen: 100_00 });
    await ledger.transfer(db, { ...actor, fromQuotaId: q.b1!, toQuotaId: q.a2!, amountFen: 10_000_00 });
    await ledger.carryOver(db, { ...actor, quotaId: q.b1!, amountFen: 1_000_00, into: { fiscalYear: 2027 } });
    const carried = await ledger.carryOver(db, { ...actor, quotaId: q.old!, amountFen: 7_500_00, into: { fiscalYear: 2026 } });
    q.b2 = carried.to.id;
    await ledger.freeze(db, { ...actor, quotaId: q.b2, amountFen: 2_500_00 });
    await ledger.consume(db, { ...actor, quotaId: q.b2, amountFen: 2_500_00 });
    for (const u of ['nm_dept_jy', 'nm_gkk', 'nm_ysk']) expect((await call(u, 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
  });

  test('the 决算 figures equal the ledger to the fen: per quota, per project, by code and in total', async () => {
    // On the list (can, domain/final-accounts.ts): the unit may generate the year until it has; a department never.
    expect((await call('nm_clerk_yz', 'GET', '/final-accounts?fiscalYear=2026')).body.can).toEqual({ open: true, openAll: false });
    expect((await call('nm_dept_jy', 'GET', '/final-accounts?fiscalYear=2026')).body.can).toEqual({ open: false, openAll: false });
    const r = await call('nm_clerk_yz', 'POST', '/final-accounts', { fiscalYear: 2026 });
    expect(r.status).toBe(201);
    expect((await call('nm_clerk_yz', 'GET', '/final-accounts?fiscalYear=2026')).body.can).toEqual({ open: false, openAll: false });
    // The draft: the unit edits it at 单位确认决算; the department reads it and may do nothing yet.
    expect((await call('nm_dept_jy', 'GET', `/final-accounts/${r.body.id}`)).body.can).toEqual({ edit: false, decide: false });
    accountId = r.body.id;
    expect(r.body).toMatchObject({
      status: 'draft',
      currentStep: 'UnitConfirm',
      unitName: '呼和浩特市第一中学',
      departmentName: '呼和浩特市教育局',
      can: { edit: true, decide: false },
    });
    expect((await call('nm_clerk_yz', 'POST', '/final-accounts', { fiscalYear: 2026 })).body.error.code).toBe('FINAL_ACCOUNT_EXISTS');

    const db = t.system.db;
    const lines = r.body.items.flatMap((i: { lines: unknown[] }) => i.lines) as Array<Record<string, number | string>>;
    const mine = [q.a1, q.a2, q.b1, q.b2, q.n].map(Number).sort((x, y) => x - y);
    expect(lines.map((l) => Number(l.quotaId)).sort((x, y) => x - y)).toEqual(mine); // not the 2025 or 2027 quotas, not another unit's
    for (const l of lines) {
      const journal = (await db('quota_journal').where('quota_id', l.quotaId).orderBy('id').select('kind', 'amount_fen')) as Array<{
        kind: EntryKind;
        amount_fen: number | string;
      }>;
      const sum = (kind: EntryKind) => journal.filter((j) => j.kind === kind).reduce((s, j) => s + Number(j.amount_fen), 0);
      const b = replay(journal.map((j) => ({ kind: j.kind, amount: Number(j.amount_fen) as Fen })));
      const quota = (await ledger.getQuota(db, Number(l.quotaId)))!;
      expect(l).toMatchObject({
        issuedFen: sum('issue'),
        adjustedInFen: sum('adjust-in'),
        adjustedOutFen: sum('adjust-out'),
        carriedOutFen: sum('carry-over'),
        paidFen: sum('consume'),
        budgetFen: b.amount,
        frozenFen: b.frozen,
        balanceFen: b.amount - b.used - b.frozen,
      });
      expect([l.budgetFen, l.paidFen, l.frozenFen, l.balanceFen]).toEqual([
        quota.amountFen,
        quota.usedFen,
        quota.frozenFen,
        quota.availableFen,
      ]);
    }
    // Worked by hand: a1 100,000.00 + 1,234.56 − 30,000.01 paid = 71,234.55; a2 20,000 − 999.99 + 10,000 − 100 = 28,900.01;
    // b1 50,000 − 10,000 − 1,000 = 39,000.00; b2 7,500 − 2,500 = 5,000.00; n 3,333.33.
    const byProject = (pid: number | null) => r.body.items.find((i: { projectId: number | null }) => i.projectId === pid);
    expect(byProject(projectA)).toMatchObject({ balanceFen: 71_234_55 + 28_900_01, paidFen: 30_100_01 });
    expect(byProject(projectB)).toMatchObject({ balanceFen: 44_000_00, carriedOutFen: 1_000_00, issuedFen: 57_500_00 });
    expect(byProject(null)).toMatchObject({ balanceFen: 3_333_33, label: expect.stringContaining('ZB2026-') });
    expect(r.body.totals).toMatchObject({
      balanceFen: 71_234_55 + 28_900_01 + 44_000_00 + 3_333_33,
      frozenFen: 0,
      paidFen: 30_100_01 + 2_500_00,
    });
    expect(r.body.byEconomic.map((e: { key: string }) => e.key)).toEqual(['30201', '30211', '30213']);
    expect(r.body.byEconomic.find((e: { key: string }) => e.key === '30213').balanceFen).toBe(71_234_55 + 39_000_00 + 5_000_00);
    // The department's roll-up shows the unit with the same totals; another unit does not see it.
    const list = await call('nm_dept_jy', 'GET', '/final-accounts?fiscalYear=2026');
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: accountId, unitName: '呼和浩特市第一中学', balanceFen: r.body.totals.balanceFen }),
    ]);
    expect(list.body.totals.balanceFen).toBe(r.body.totals.balanceFen);
    expect((await call('nm_clerk_ny', 'GET', `/final-accounts/${accountId}`)).status).toBe(404);
  });

  test('an open freeze blocks submitting, with the freeze named; a balance left unexplained is refused; nothing is written', async () => {
    await ledger.freeze(t.system.db, { ...actor, quotaId: q.a1!, amountFen: 777_77, reference: { type: 'payment-request', id: '42' } });
    let a = await account();
    expect((await call('nm_clerk_yz', 'POST', `/final-accounts/${accountId}/regenerate`, { version: a.version })).status).toBe(200);
    a = await account();
    expect(a.freezes).toEqual([expect.objectContaining({ frozenFen: 777_77, reference: '支付申请 #42', projectName: '决算测试项目甲' })]);
    const c0 = await counts();
    const refused = await call('nm_clerk_yz', 'POST', `/final-accounts/${accountId}/submit`, { version: a.version });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('FINAL_ACCOUNT_OPEN_FREEZES');
    const quotaNo = a.items
      .flatMap((i: { lines: Array<{ quotaId: number; quotaNo: string }> }) => i.lines)
      .find((l: { quotaId: number }) => l.quotaId === q.a1).quotaNo;
    expect(refused.body.error.message).toContain(quotaNo);
    expect(refused.body.error.message).toContain('¥777.77');
    expect(refused.body.error.message).toContain('支付申请 #42');
    expect(refused.body.error.details).toHaveLength(1);
    expect(await counts()).toEqual(c0);

    // Released: the figures changed since generation, so the unit regenerates; then the explanations are missing.
    await ledger.unfreeze(t.system.db, { ...actor, quotaId: q.a1!, amountFen: 777_77, reference: { type: 'payment-request', id: '42' } });
    expect((await call('nm_clerk_yz', 'POST', `/final-accounts/${accountId}/submit`, { version: a.version })).body.error.code).toBe(
      'FINAL_ACCOUNT_STALE',
    );
    expect((await call('nm_clerk_yz', 'POST', `/final-accounts/${accountId}/regenerate`, { version: a.version })).status).toBe(200);
    a = await account();
    expect(a.freezes).toEqual([]);
    const c1 = await counts();
    const incomplete = await call('nm_clerk_yz', 'POST', `/final-accounts/${accountId}/submit`, { version: a.version });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.error.code).toBe('FINAL_ACCOUNT_INCOMPLETE');
    expect(incomplete.body.error.details.length).toBe(6); // three items, each without explanation and choice
    expect(await counts()).toEqual(c1);
  });

  test('explained, chosen and submitted; the department returns it once; then 教育局, 国库科 and 预算科 approve, sealed', async () => {
    let a = await account();
    const itemOf = (pid: number | null) => a.items.find((i: { projectId: number | null }) => i.projectId === pid).id as number;
    const items = [
      { itemId: itemOf(projectA), explanation: '校舍维修工程跨年度实施，尾款次年支付', choice: 'carry-over' },
      { itemId: itemOf(projectB), explanation: '采购节约', choice: 'recover' },
      { itemId: itemOf(null), explanation: '公用经费结余', choice: 'recover' },
    ];
    const saved = await call('nm_clerk_yz', 'PUT', `/final-accounts/${accountId}/items`, { version: a.version, items });
    expect(saved.status).toBe(200);
    expect(
      (await call('nm_dept_jy', 'POST', `/final-accounts/${accountId}/decision`, { decision: 'approve', signingPin: PIN })).body.error.code,
    ).toBe('FINAL_ACCOUNT_NOT_REVIEWING');
    const sub = await call('nm_clerk_yz', 'POST', `/final-accounts/${accountId}/submit`, { version: saved.body.version });
    expect(sub.status).toBe(200);
    expect(sub.body.step).toBe('DepartmentReview');
    a = await account('nm_dept_jy');
    expect(a).toMatchObject({ status: 'reviewing', currentStep: 'DepartmentReview', can: { edit: false, decide: true } });
    // In review the unit may no longer edit, and 国库处 may not decide the department's step.
    expect((await account()).can).toEqual({ edit: false, decide: false });
    expect((await account('nm_gkk')).can).toEqual({ edit: false, decide: false });
    expect(a.items.find((i: { projectId: number | null }) => i.projectId === projectA)).toMatchObject({
      choice: 'carry-over',
      choiceLabel: '结转下年',
      explanation: items[0]!.explanation,
    });
    expect(
      (await call('nm_gkk', 'POST', `/final-accounts/${accountId}/decision`, { decision: 'approve', signingPin: PIN })).body.error.code,
    ).toBe('NO_TASK_FOR_YOU');
    expect((await call('nm_dept_jy', 'POST', `/final-accounts/${accountId}/decision`, { decision: 'reject' })).status).toBe(400);
    expect(
      (
        await call('nm_dept_jy', 'POST', `/final-accounts/${accountId}/decision`, {
          decision: 'reject',
          comment: '请补充乙项目结余原因',
          signingPin: PIN,
        })
      ).status,
    ).toBe(200);
    a = await account();
    expect(a).toMatchObject({
      status: 'draft',
      currentStep: 'UnitConfirm',
      returnComment: '请补充乙项目结余原因',
      can: { edit: true, decide: false },
    });
    const again = await call('nm_clerk_yz', 'POST', `/final-accounts/${accountId}/submit`, {
      version: a.version,
      items: [{ itemId: itemOf(projectB), explanation: '政府采购节约资金，按规定收回' }],
    });
    expect(again.status).toBe(200);
    expect(
      (await call('nm_dept_jy', 'POST', `/final-accounts/${accountId}/decision`, { decision: 'approve', comment: '同意', signingPin: PIN }))
        .body.step,
    ).toBe('TreasuryReview');
    expect(
      (await call('nm_gkk', 'POST', `/final-accounts/${accountId}/decision`, { decision: 'approve', signingPin: PIN })).body.step,
    ).toBe('BudgetReview');
    a = await account('nm_ysk');
    expect(a).toMatchObject({ currentStep: 'BudgetReview', can: { edit: false, decide: true } });
    expect(a.decisions.map((d: { elementId: string; decision: string; sealed: boolean }) => [d.elementId, d.decision, d.sealed])).toEqual([
      ['UnitConfirm', 'submit', false],
      ['DepartmentReview', 'reject', true],
      ['UnitConfirm', 'submit', false],
      ['DepartmentReview', 'approve', true],
      ['TreasuryReview', 'approve', true],
    ]);
  });

  test('closing is refused while a freeze is open, the list names it; then carry-over and recovery post once, even redelivered', async () => {
    const db = t.system.db;
    await ledger.freeze(db, { ...actor, quotaId: q.n!, amountFen: 33_33, reference: { type: 'payment-request', id: '99' } });
    const c0 = await counts();
    const refused = await call('nm_ysk', 'POST', `/final-accounts/${accountId}/decision`, { decision: 'approve', signingPin: PIN });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('FINAL_ACCOUNT_OPEN_FREEZES');
    expect(refused.body.error.message).toContain('支付申请 #99');
    expect(refused.body.error.message).toContain('¥33.33');
    expect(await counts()).toEqual(c0);
    expect((await account('nm_ysk')).currentStep).toBe('BudgetReview');
    await ledger.unfreeze(db, { ...actor, quotaId: q.n!, amountFen: 33_33, reference: { type: 'payment-request', id: '99' } });

    const before = new Map<number, number>();
    for (const k of ['a1', 'a2', 'b1', 'b2', 'n']) before.set(q[k]!, (await ledger.getQuota(db, q[k]!))!.availableFen);
    const ok = await call('nm_ysk', 'POST', `/final-accounts/${accountId}/decision`, {
      decision: 'approve',
      comment: '同意办结',
      signingPin: PIN,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('closing');
    const closed = await until('closing', async () => {
      const a = await account();
      return a.status === 'closed' ? a : undefined;
    });
    // Every balance is gone from the unit's 2026 quotas.
    for (const k of ['a1', 'a2', 'b1', 'b2', 'n']) expect((await ledger.getQuota(db, q[k]!))!.availableFen).toBe(0);
    // 结转: project 甲's two balances became 2027 quotas, sourced from the 2026 ones, each exactly the balance.
    for (const k of ['a1', 'a2']) {
      const next = (await db('quotas')
        .where({ source_quota_id: q[k], fiscal_year: 2027 })
        .select('id', 'amount_fen', 'project_id', 'unit_org_id')) as Array<{
        id: number;
        amount_fen: number;
        project_id: number;
        unit_org_id: number;
      }>;
      expect(next).toHaveLength(1);
      expect([Number(next[0]!.amount_fen), Number(next[0]!.project_id), Number(next[0]!.unit_org_id)]).toEqual([
        before.get(q[k]!),
        projectA,
        unit,
      ]);
      const line = closed.items
        .flatMap((i: { lines: Array<{ quotaId: number }> }) => i.lines)
        .find((l: { quotaId: number }) => l.quotaId === q[k]);
      expect(line).toMatchObject({ postedKind: 'carry-over', postedQuotaId: Number(next[0]!.id) });
    }
    // 结余收回: adjust-outs for the rest, none carried into 2027.
    const recovered = (await db('quota_journal')
      .where({ reference_type: 'final-account', reference_id: String(accountId), kind: 'adjust-out' })
      .select('quota_id', 'amount_fen')) as Array<{ quota_id: number; amount_fen: number }>;
    expect(recovered.map((r) => [Number(r.quota_id), Number(r.amount_fen)]).sort((x, y) => x[0]! - y[0]!)).toEqual(
      [q.b1, q.b2, q.n].map((id) => [id!, before.get(id!)!]).sort((x, y) => x[0]! - y[0]!),
    );
    expect(
      await db('quotas')
        .where({ fiscal_year: 2027 })
        .whereIn('source_quota_id', [q.b1!, q.b2!, q.n!])
        .whereNot('amount_fen', 1_000_00)
        .count({ n: '*' })
        .then((r) => Number((r[0] as { n: number }).n)),
    ).toBe(0);
    expect(closed.decisions.at(-1)).toMatchObject({ elementId: 'BudgetReview', decision: 'approve', sealed: true });

    // Redelivery: the same external task again is answered from its stored outcome; the closing run
    // again (a lock that ran out, another node) finds every posting by its idempotency key.
    const c1 = await counts();
    const instance = ((await db('final_accounts').where('id', accountId).first('process_instance_key')) as { process_instance_key: string })
      .process_instance_key;
    const outcome = (await db('job_outcomes')
      .where('topic', 'like', '%final-accounts.close')
      .where('process_instance_key', instance)
      .first()) as { external_task_id: string };
    expect(outcome).toBeDefined();
    const redelivered = await handleTask(
      finalAccountsClose,
      {
        id: outcome.external_task_id,
        topicName: namespaced(t.config.engine.namespace, 'final-accounts.close'),
        processInstanceId: instance,
        activityId: 'Close',
        businessKey: null,
        retries: null,
        variables: { finalAccountId: { value: accountId, type: 'Long' } },
      } as never,
      'test#1',
      { client: t.system.engine, db, log: t.system.log, config: t.config },
    );
    expect(['completed', 'lost']).toContain(redelivered);
    const rerun = await db.transaction((trx) => closeFinalAccount(trx, accountId, instance));
    expect(rerun).toMatchObject({ posted: 0, replayed: 5 });
    expect(await counts()).toEqual(c1);
    const carryOvers = await db('quota_journal')
      .where({ reference_type: 'final-account', reference_id: String(accountId), kind: 'carry-over' })
      .count({ n: '*' });
    expect(Number((carryOvers[0] as { n: number }).n)).toBe(2);
  });

  test('the Excel workbook and the sealed PDF carry the figures', async () => {
    const a = await account();
    const res = await fetch(`${t.system.url}/api/final-accounts/${accountId}/export`, { headers: { cookie: cookies.nm_dept_jy! } });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
    expect(wb.worksheets.map((s) => s.name)).toEqual(['决算汇总', '项目明细', '按功能科目', '按经济科目']);
    const summary = wb.getWorksheet('决算汇总')!;
    expect(summary.getRow(2).getCell(3).value).toBe('呼和浩特市第一中学');
    expect(Math.round(Number(summary.getRow(2).getCell(5).value) * 100)).toBe(a.totals.budgetFen);
    const detail = wb.getWorksheet('项目明细')!;
    const rows: Array<Array<unknown>> = [];
    detail.eachRow((r, n) => {
      if (n > 1) rows.push(r.values as unknown[]);
    });
    expect(rows).toHaveLength(5);
    const a1 = rows.find(
      (r) =>
        r[4] ===
        a.items
          .flatMap((i: { lines: Array<{ quotaId: number; quotaNo: string }> }) => i.lines)
          .find((l: { quotaId: number }) => l.quotaId === q.a1).quotaNo,
    )!;
    expect(a1[3]).toBe('决算测试项目甲');
    expect(Math.round(Number(a1[12]) * 100)).toBe(30_000_01); // 已支付
    expect(a1[15]).toBe('结转下年');

    const pdf = await fetch(`${t.system.url}/api/final-accounts/${accountId}/report.pdf`, { headers: { cookie: cookies.nm_ysk! } });
    expect(pdf.status).toBe(200);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fa-pdf-')), 'fa.pdf');
    fs.writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    expect(text).toContain('2026年度部门决算表');
    expect(text).toContain('呼和浩特市第一中学');
    expect(text).toContain('已决算');
    expect(text).toContain('结转下年¥100,134.56'); // 甲's balances 71,234.55 + 28,900.01, carried over
    expect(text).toContain('结余收回¥47,333.33'); // 乙 44,000.00 + the quota without project 3,333.33
    expect(text).toContain('30,100.01'); // 甲 paid, in the project table
    expect(text).toContain('政府采购节约资金，按规定收回');
    expect(text).toContain('预算处审核');
    expect(text.match(/核验码[0-9A-F]{16}/g)).toHaveLength(4); // the four sealed review decisions
    expect(
      (await fetch(`${t.system.url}/api/final-accounts/${accountId}/report.pdf`, { headers: { cookie: cookies.nm_clerk_ny! } })).status,
    ).toBe(404);
  });
});
