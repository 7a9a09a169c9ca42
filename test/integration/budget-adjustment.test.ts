import { seedDemoUsers } from '../../server/auth/demo-users';
import { postAdjustment } from '../../server/adjustments/service';
import { namespaced } from '../../server/engine/namespace';
import { seedReferenceData } from '../../server/reference';
import { handleTask } from '../../workers/runtime';
import { adjustmentPost } from '../../workers/adjustment-post';
import { loginCookie } from '../support/accounts';
import { apiAs, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 预算调整 (调剂 / 追加 / 调减) on the real engine and database, through the HTTP API: 刘洋 (nm_ysk,
 * 预算科) issues two quotas to 呼和浩特市第一中学; its clerk 王芳 (nm_clerk_yz) and 教育局's 李娜
 * (nm_dept_jy) file adjustments; 刘洋 decides as 科室负责人, 郑国华 (nm_director) as 分管局长 and 局长.
 * The chain comes from processes/budget-adjustment-chain.dmn; the posting is the ledger's own
 * transfer / adjustIn / adjustOut under the adjustment's idempotency key.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '246813';
const YUAN = 100;

describe('budget adjustments on the engine', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  let quotaA: number;
  let quotaB: number;

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const adjustmentOf = async (id: number) => (await call('nm_ysk', 'GET', `/adjustments/${id}`)).body;
  const waitFor = (id: number, pred: (a: any) => boolean, what: string) =>
    until(what, async () => {
      const a = await adjustmentOf(id);
      return pred(a) ? a : undefined;
    });
  const balance = async (quotaId: number) => {
    const q = (await t.system.db('quotas').where('id', quotaId).first('amount_fen', 'used_fen', 'frozen_fen')) as {
      amount_fen: number;
      used_fen: number;
      frozen_fen: number;
    };
    return { amountFen: Number(q.amount_fen), availableFen: Number(q.amount_fen) - Number(q.used_fen) - Number(q.frozen_fen) };
  };
  const counts = async () => {
    const db = t.system.db;
    const n = async (table: string) => Number(((await db(table).count({ n: '*' }))[0] as { n: number }).n);
    return {
      journal: await n('quota_journal'),
      adjustments: await n('budget_adjustments'),
      decisions: await n('adjustment_decisions'),
      audit: await n('audit_records'),
      a: await balance(quotaA),
      b: await balance(quotaB),
    };
  };
  const chainOf = async (kind: string, amountFen: number) =>
    (
      await t.system.engine.request<Array<Record<string, { value: unknown }>>>(
        'POST',
        `/decision-definition/key/${encodeURIComponent(namespaced(t.config.engine.namespace, 'budget-adjustment-chain'))}/evaluate`,
        { body: { variables: { kind: { value: kind, type: 'String' }, amountFen: { value: amountFen, type: 'Long' } } } },
      )
    )[0]?.approvalChain?.value;

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of ['nm_ysk', 'nm_director', 'nm_clerk_yz', 'nm_dept_jy', 'nm_compliance', 'nm_clerk_ny'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    school = Number(((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id);
    quotaA = await issue(100_000 * YUAN, '呼财预〔2026〕1号');
    quotaB = await issue(20_000 * YUAN, '呼财预〔2026〕2号');
    for (const u of ['nm_ysk', 'nm_director']) expect((await call(u, 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
    sealed = true; // 刘洋 has a seal now: his issuances carry his PIN
  });
  let sealed = false;
  let school: number;
  const issue = async (amountFen: number, documentNo: string) => {
    const r = await call('nm_ysk', 'POST', '/quotas', {
      fiscalYear: 2026,
      unitOrgId: school,
      functionalCode: '2050203',
      economicCode: '30211',
      fundSource: '一般公共预算',
      documentNo,
      amountFen,
      reason: '年初预算下达',
      ...(sealed ? { signingPin: PIN } : {}),
    });
    if (r.status !== 201) throw new Error(`issuing a quota: ${r.status} ${JSON.stringify(r.body)}`);
    return Number(r.body.quota.id);
  };

  afterAll(async () => {
    await t?.close();
  });

  test('the chain decision table: 调剂 by its amount, 追加/调减 (预算调整) at least to the 分管局长', async () => {
    expect(await chainOf('transfer', 4_999_99)).toBe('section');
    expect(await chainOf('transfer', 5_000_00)).toBe('deputy');
    expect(await chainOf('transfer', 20_000_00)).toBe('deputy');
    expect(await chainOf('transfer', 20_000_01)).toBe('director');
    for (const kind of ['increase', 'decrease']) {
      expect(await chainOf(kind, 1_00)).toBe('deputy');
      expect(await chainOf(kind, 20_000_00)).toBe('deputy');
      expect(await chainOf(kind, 20_000_01)).toBe('director');
    }
  });

  test('a 调剂 or 调减 above the source quota’s available amount is refused with that amount, and nothing is written', async () => {
    const c0 = await counts();
    const r = await call('nm_clerk_yz', 'POST', '/adjustments', {
      kind: 'transfer',
      fromQuotaId: quotaB,
      toQuotaId: quotaA,
      amountFen: 20_000 * YUAN + 1,
      reason: '调剂到教学设备',
    });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('ADJUSTMENT_INSUFFICIENT_AVAILABLE');
    expect(r.body.error.message).toContain('可用 ¥20,000.00');
    expect(r.body.error.message).toContain('¥20,000.01');
    const d = await call('nm_clerk_yz', 'POST', '/adjustments', {
      kind: 'decrease',
      fromQuotaId: quotaB,
      amountFen: 30_000 * YUAN,
      reason: '压减',
      document: { documentNo: '呼财预调〔2026〕9号' },
    });
    expect(d.status).toBe(409);
    // Shape: a 调剂 needs both quotas, a 追加 no source.
    expect(
      (await call('nm_clerk_yz', 'POST', '/adjustments', { kind: 'transfer', fromQuotaId: quotaB, amountFen: 1_00, reason: '缺调入' })).body
        .error.code,
    ).toBe('ADJUSTMENT_INVALID');
    expect(
      (
        await call('nm_clerk_yz', 'POST', '/adjustments', {
          kind: 'increase',
          fromQuotaId: quotaB,
          toQuotaId: quotaA,
          amountFen: 1_00,
          reason: '多余调出',
        })
      ).body.error.code,
    ).toBe('ADJUSTMENT_INVALID');
    expect(await counts()).toEqual(c0);
  });

  test('a small 调剂 takes the 科室负责人 alone, sealed, and moves the money exactly once — even when its posting job is redelivered', async () => {
    const filed = await call('nm_clerk_yz', 'POST', '/adjustments', {
      kind: 'transfer',
      fromQuotaId: quotaA,
      toQuotaId: quotaB,
      amountFen: 1_234_56,
      reason: '教学设备采购调剂至差旅费',
    });
    expect(filed.status).toBe(201);
    const id = Number(filed.body.id);
    expect(filed.body).toMatchObject({ kindLabel: '调剂', formal: false, status: 'approving' });
    const a = await waitFor(id, (x) => x.approvalChain === 'section' && x.pending[0]?.elementId === 'SectionReview', 'the section review');
    expect(a.whereItIs).toBe('科室负责人审核');
    // What each may do comes with the request (can, domain/adjustments.ts): 预算处 holds the step and may record
    // the document; the requester records but does not decide; 局长 does neither.
    expect(a.can).toEqual({ decide: true, recordDocument: true, withdraw: false });
    // The requester may still withdraw it: no approver has decided yet.
    expect((await call('nm_clerk_yz', 'GET', `/adjustments/${id}`)).body.can).toEqual({
      decide: false,
      recordDocument: true,
      withdraw: true,
    });
    expect((await call('nm_director', 'GET', `/adjustments/${id}`)).body.can).toEqual({
      decide: false,
      recordDocument: false,
      withdraw: false,
    });
    // The approver's view: both quotas with their balances now — what the 调剂 takes out is frozen on the source since filing.
    expect(a.frozenFen).toBe(1_234_56);
    expect(a.fromQuota).toMatchObject({ id: quotaA, availableFen: 100_000 * YUAN - 1_234_56, frozenFen: 1_234_56 });
    expect(a.toQuota).toMatchObject({ id: quotaB, availableFen: 20_000 * YUAN });
    expect(
      (await call('nm_director', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).body.error.code,
    ).toBe('NO_TASK_FOR_YOU');
    expect((await call('nm_clerk_yz', 'POST', `/adjustments/${id}/decision`, { decision: 'approve' })).status).toBe(403);
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve' })).body.error.code).toBe(
      'SIGNING_PIN_REQUIRED',
    );
    const ok = await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', comment: '同意调剂', signingPin: PIN });
    expect(ok.status).toBe(200);
    expect(ok.body.next).toBeNull();
    const done = await waitFor(id, (x) => x.status === 'posted', 'the posting');
    expect(done.statusLabel).toBe('已批准并记账');
    // Posted: nobody may do anything with it any more.
    expect(done.can).toEqual({ decide: false, recordDocument: false, withdraw: false });
    expect((await call('nm_clerk_yz', 'GET', `/adjustments/${id}`)).body.can).toEqual({
      decide: false,
      recordDocument: false,
      withdraw: false,
    });
    expect(done.frozenFen).toBe(0);
    expect(await balance(quotaA)).toEqual({ amountFen: 100_000 * YUAN - 1_234_56, availableFen: 100_000 * YUAN - 1_234_56 });
    expect(await balance(quotaB)).toEqual({ amountFen: 20_000 * YUAN + 1_234_56, availableFen: 20_000 * YUAN + 1_234_56 });
    expect(
      done.journal.map((j: { kind: string; quotaId: number; idempotencyKey: string }) => [j.kind, j.quotaId, j.idempotencyKey]),
    ).toEqual([
      ['adjust-out', quotaA, `adj-${id}`],
      ['adjust-in', quotaB, `adj-${id}/in`],
    ]);
    expect(done.decisions.map((d: { decision: string; sealed: boolean }) => [d.decision, d.sealed])).toEqual([
      ['submit', false],
      ['approve', true],
    ]);
    // The journal names the approver who made it final.
    const out = (await t.system
      .db('quota_journal')
      .where('idempotency_key', `adj-${id}`)
      .first('actor', 'reference_type', 'reference_id')) as { actor: string; reference_type: string; reference_id: string };
    expect(out).toEqual({ actor: 'nm_ysk', reference_type: 'budget-adjustment', reference_id: String(id) });

    const db = t.system.db;
    const c0 = await counts();
    const instance = (await db('budget_adjustments').where('id', id).first('process_instance_key')) as { process_instance_key: string };
    const outcome = (await db('job_outcomes')
      .where('topic', 'like', '%adjustment.post')
      .where('process_instance_key', instance.process_instance_key)
      .first()) as { external_task_id: string };
    expect(outcome).toBeDefined();
    const job = (externalTaskId: string) =>
      ({
        id: externalTaskId,
        topicName: namespaced(t.config.engine.namespace, 'adjustment.post'),
        processInstanceId: instance.process_instance_key,
        activityId: 'Post',
        businessKey: null,
        retries: null,
        variables: { adjustmentId: { value: id, type: 'Long' } },
      }) as never;
    const workerDeps = { client: t.system.engine, db, log: t.system.log, config: t.config };
    // 1. The engine delivers the same external task again: answered from its stored outcome.
    expect(['completed', 'lost']).toContain(await handleTask(adjustmentPost, job(outcome.external_task_id), 'test#1', workerDeps));
    // 2. The handler runs again with no stored outcome to answer from (another node, a lost row): the ledger's key answers.
    expect(['completed', 'lost']).toContain(await handleTask(adjustmentPost, job('redelivered-without-outcome'), 'test#2', workerDeps));
    expect(await db.transaction((trx) => postAdjustment(trx, id, instance.process_instance_key))).toMatchObject({
      outcome: 'posted',
      replayed: true,
    });
    // 3. A posting that fails after writing (the worker dies before its transaction commits) leaves nothing behind.
    await expect(
      db.transaction(async (trx) => {
        await postAdjustment(trx, id, instance.process_instance_key);
        throw new Error('the node died after posting');
      }),
    ).rejects.toThrow('the node died');
    expect({ ...(await counts()) }).toEqual(c0);
    expect(await balance(quotaB)).toEqual({ amountFen: 20_000 * YUAN + 1_234_56, availableFen: 20_000 * YUAN + 1_234_56 });
    const verify = await call('nm_compliance', 'GET', '/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, firstBroken: null });
  });

  test('a fresh posting that dies before committing posts nothing; run again it posts once', async () => {
    // The same shape without the engine's help: a 调剂 whose process is at 记账, its worker transaction rolled back.
    const filed = await call('nm_clerk_yz', 'POST', '/adjustments', {
      kind: 'transfer',
      fromQuotaId: quotaA,
      toQuotaId: quotaB,
      amountFen: 10_00,
      reason: '小额调剂',
    });
    const id = Number(filed.body.id);
    await waitFor(id, (x) => x.pending[0]?.elementId === 'SectionReview', 'the section review');
    const instance = (
      (await t.system.db('budget_adjustments').where('id', id).first('process_instance_key')) as { process_instance_key: string }
    ).process_instance_key;
    const before = { a: await balance(quotaA), b: await balance(quotaB) };
    await expect(
      t.system.db.transaction(async (trx) => {
        await postAdjustment(trx, id, instance);
        throw new Error('crash');
      }),
    ).rejects.toThrow('crash');
    expect({ a: await balance(quotaA), b: await balance(quotaB) }).toEqual(before);
    // Approved for real: the engine's posting is the only one that counts.
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    await waitFor(id, (x) => x.status === 'posted', 'the posting');
    // Frozen at filing, the amount had left the source's available already; the posting takes it from the frozen part.
    expect(await balance(quotaA)).toEqual({ amountFen: before.a.amountFen - 10_00, availableFen: before.a.availableFen });
    expect(await balance(quotaB)).toEqual({ amountFen: before.b.amountFen + 10_00, availableFen: before.b.availableFen + 10_00 });
    expect(
      Number(
        (
          (
            await t.system
              .db('quota_journal')
              .where('reference_id', String(id))
              .where('reference_type', 'budget-adjustment')
              .count({ n: '*' })
          )[0] as { n: number }
        ).n,
      ),
    ).toBe(4); // freeze at filing, its release, adjust-out, adjust-in
  });

  test('a large 追加 is a 预算调整: refused without its approval document, then 科室负责人 → 分管局长 → 局长, sealed, and the quota grows', async () => {
    const filed = await call('nm_dept_jy', 'POST', '/adjustments', {
      kind: 'increase',
      toQuotaId: quotaB,
      amountFen: 30_000 * YUAN,
      reason: '新增学生资助，申请追加',
    });
    expect(filed.status).toBe(201);
    const id = Number(filed.body.id);
    expect(filed.body).toMatchObject({ formal: true, documentMissing: true, orgName: '呼和浩特市教育局' });
    await waitFor(id, (x) => x.approvalChain === 'director' && x.pending[0]?.elementId === 'SectionReview', 'the section review');
    const c0 = await counts();
    const refused = await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ADJUSTMENT_DOCUMENT_REQUIRED');
    expect(refused.body.error.message).toContain('批复文件');
    expect(await counts()).toEqual(c0);
    expect((await adjustmentOf(id)).pending[0].elementId).toBe('SectionReview');
    // The unit whose quota it is reads it, but records nothing: only the requester or the budget division.
    expect((await call('nm_clerk_yz', 'GET', `/adjustments/${id}`)).body.can).toEqual({
      decide: false,
      recordDocument: false,
      withdraw: false,
    });
    expect((await call('nm_dept_jy', 'GET', `/adjustments/${id}`)).body.can).toEqual({
      decide: false,
      recordDocument: true,
      withdraw: true,
    });
    expect(filed.body.frozenFen).toBe(0); // a 追加 takes nothing out of a quota
    expect((await call('nm_clerk_yz', 'POST', `/adjustments/${id}/document`, { documentNo: '单位自拟' })).body.error.code).toBe(
      'ADJUSTMENT_DOCUMENT_NOT_ALLOWED',
    );
    const doc = await call('nm_dept_jy', 'POST', `/adjustments/${id}/document`, {
      documentNo: '呼政办〔2026〕15号',
      title: '关于追加学生资助资金的批复',
      fileName: 'pifu.pdf',
      contentBase64: Buffer.from('%PDF-1.4 批复').toString('base64'),
    });
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({ documentNo: '呼政办〔2026〕15号', documentMissing: false, documentFileName: 'pifu.pdf' });
    expect(doc.body.documentSm3).toMatch(/^[0-9a-f]{64}$/);
    // The recorded scan downloads for those who read the adjustment, checked against its SM3; another unit gets 404.
    const download = (user: string) => fetch(`${t.system.url}/api/adjustments/${id}/document`, { headers: { cookie: cookies[user]! } });
    for (const u of ['nm_director', 'nm_clerk_yz']) {
      const dl = await download(u);
      expect(dl.status).toBe(200);
      expect(dl.headers.get('x-content-sm3')).toBe(doc.body.documentSm3);
      expect(dl.headers.get('content-disposition')).toContain("filename*=UTF-8''pifu.pdf");
      expect(Buffer.from(await dl.arrayBuffer()).toString()).toBe('%PDF-1.4 批复');
    }
    expect((await download('nm_clerk_ny')).status).toBe(404);
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).body.next).toBe(
      '分管局长审批',
    );
    await waitFor(id, (x) => x.pending[0]?.elementId === 'DeputyReview', 'the deputy review');
    expect((await call('nm_director', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).body.next).toBe(
      '局长审批',
    );
    await waitFor(id, (x) => x.pending[0]?.elementId === 'DirectorReview', 'the director review');
    expect(
      (await call('nm_director', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', comment: '同意追加', signingPin: PIN }))
        .status,
    ).toBe(200);
    const done = await waitFor(id, (x) => x.status === 'posted', 'the posting');
    expect(done.decisions.map((d: { elementId: string; sealed: boolean }) => [d.elementId, d.sealed])).toEqual([
      ['AdjustmentFiled', false],
      ['SectionReview', true],
      ['DeputyReview', true],
      ['DirectorReview', true],
    ]);
    expect(done.journal).toEqual([
      expect.objectContaining({ kind: 'adjust-in', quotaId: quotaB, amountFen: 30_000 * YUAN, idempotencyKey: `adj-${id}` }),
    ]);
    expect((await balance(quotaB)).amountFen).toBe(c0.b.amountFen + 30_000 * YUAN);
    expect(await balance(quotaA)).toEqual(c0.a);
    const notices = (await call('nm_dept_jy', 'GET', '/notifications?pageSize=50')).body.items.map((n: { title: string }) => n.title);
    expect(notices).toContain('预算追加已批准并记账');
    // Each approver was told when the request reached their step.
    const told = (await call('nm_director', 'GET', '/notifications?pageSize=50')).body.items
      .filter((n: { link: string }) => n.link === `/adjustments/${id}`)
      .map((n: { title: string }) => n.title);
    expect(told.sort()).toEqual(['待审批：预算追加申请（分管局长审批）', '待审批：预算追加申请（局长审批）']);
  });

  test('a small 调减 goes to the 分管局长; a 不同意 there ends it and the ledger is untouched', async () => {
    const filed = await call('nm_clerk_yz', 'POST', '/adjustments', {
      kind: 'decrease',
      fromQuotaId: quotaA,
      amountFen: 3_000 * YUAN,
      reason: '项目结余，申请调减',
      document: { documentNo: '呼财预调〔2026〕3号' },
    });
    expect(filed.status).toBe(201);
    const id = Number(filed.body.id);
    await waitFor(id, (x) => x.approvalChain === 'deputy' && x.pending[0]?.elementId === 'SectionReview', 'the section review');
    const c0 = await counts();
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    await waitFor(id, (x) => x.pending[0]?.elementId === 'DeputyReview', 'the deputy review');
    expect((await call('nm_director', 'POST', `/adjustments/${id}/decision`, { decision: 'reject' })).status).toBe(400); // a reason is required
    expect(
      (
        await call('nm_director', 'POST', `/adjustments/${id}/decision`, {
          decision: 'reject',
          comment: '结余资金统筹使用，暂不调减',
          signingPin: PIN,
        })
      ).status,
    ).toBe(200);
    const done = await waitFor(id, (x) => x.status === 'rejected', 'the rejection');
    expect(done.outcomeComment).toBe('结余资金统筹使用，暂不调减');
    expect(done.journal).toEqual([]);
    // The rejection released what the filing froze (one unfreeze entry), and nothing else moved.
    const after = await counts();
    expect({ journal: after.journal, a: after.a, b: after.b }).toEqual({
      journal: c0.journal + 1,
      a: { amountFen: c0.a.amountFen, availableFen: c0.a.availableFen + 3_000 * YUAN },
      b: c0.b,
    });
    expect(done.frozenFen).toBe(0);
    expect(
      await t.system.db('quota_journal').where('idempotency_key', `adj-${id}-release`).first('kind', 'amount_fen', 'quota_id'),
    ).toMatchObject({ kind: 'unfreeze', quota_id: quotaA });
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).body.error.code).toBe(
      'ADJUSTMENT_NOT_APPROVING',
    );
    const list = await call('nm_clerk_yz', 'GET', '/adjustments?status=rejected');
    expect(list.body.items.map((x: { id: number }) => x.id)).toEqual([id]);
    expect((await call('nm_director', 'GET', '/adjustments?todo=true')).body.items).toEqual([]);
    // On the list: the filing roles file, approvers filter their own (can, domain/adjustments.ts).
    expect(list.body.can).toEqual({ file: true, review: false });
    expect((await call('nm_director', 'GET', '/adjustments')).body.can).toEqual({ file: false, review: true });
    expect((await call('nm_ysk', 'GET', '/adjustments')).body.can).toEqual({ file: true, review: true });
  });

  const frozenOf = async (quotaId: number) =>
    Number(((await t.system.db('quotas').where('id', quotaId).first('frozen_fen')) as { frozen_fen: number }).frozen_fen);
  const instanceOf = async (id: number) =>
    String(
      ((await t.system.db('budget_adjustments').where('id', id).first('process_instance_key')) as { process_instance_key: string })
        .process_instance_key,
    );
  const transfer = (from: number, to: number, amountFen: number, reason: string) =>
    call('nm_clerk_yz', 'POST', '/adjustments', { kind: 'transfer', fromQuotaId: from, toQuotaId: to, amountFen, reason });

  test('a 调剂 freezes its amount on the source at filing: a payment cannot spend it, a second 调剂 is refused with the available amount', async () => {
    const src = await issue(10_000 * YUAN, '呼财预〔2026〕21号');
    const dst = await issue(1_000 * YUAN, '呼财预〔2026〕22号');
    const filed = await transfer(src, dst, 8_000 * YUAN, '调剂至差旅费（冻结）');
    expect(filed.status).toBe(201);
    const id = Number(filed.body.id);
    expect(filed.body.frozenFen).toBe(8_000 * YUAN);
    expect(await balance(src)).toEqual({ amountFen: 10_000 * YUAN, availableFen: 2_000 * YUAN });
    expect(
      await t.system.db('quota_journal').where('idempotency_key', `adj-${id}-freeze`).first('kind', 'quota_id', 'amount_fen'),
    ).toMatchObject({
      kind: 'freeze',
      quota_id: src,
    });
    // A payment request for more than what is left is refused with the available amount, and nothing is written.
    const c0 = await counts();
    const pay = await call('nm_clerk_yz', 'POST', '/payments', {
      quotaId: src,
      amountFen: 3_000 * YUAN,
      payeeName: '呼和浩特市新华书店',
      payeeKind: 'organisation',
      payeeAccount: '6222 0212 3456 7890 123',
      payeeBank: '中国工商银行呼和浩特新华支行',
      purpose: '购置教学用书',
      economicCode: '30211',
      paymentType: 'direct',
    });
    expect(pay.status).toBe(409);
    expect(pay.body.error.code).toBe('QUOTA_INSUFFICIENT');
    expect(pay.body.error.message).toContain('可用 ¥2,000.00');
    // So is a second 调剂 or 调减 on the same source.
    const second = await transfer(src, dst, 2_000 * YUAN + 1, '再次调剂');
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('ADJUSTMENT_INSUFFICIENT_AVAILABLE');
    expect(second.body.error.message).toContain('可用 ¥2,000.00');
    expect(await counts()).toEqual(c0);
    // Approved, it posts from the frozen amount: nothing left frozen, the money moved once.
    await waitFor(id, (x) => x.pending[0]?.elementId === 'SectionReview', 'the section review');
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    await waitFor(id, (x) => x.pending[0]?.elementId === 'DeputyReview', 'the deputy review');
    expect((await call('nm_director', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    const done = await waitFor(id, (x) => x.status === 'posted', 'the posting');
    expect(done.frozenFen).toBe(0);
    expect(await frozenOf(src)).toBe(0);
    expect(await balance(src)).toEqual({ amountFen: 2_000 * YUAN, availableFen: 2_000 * YUAN });
    expect(await balance(dst)).toEqual({ amountFen: 9_000 * YUAN, availableFen: 9_000 * YUAN });
    const kinds = (await t.system
      .db('quota_journal')
      .where({ reference_type: 'budget-adjustment', reference_id: String(id) })
      .orderBy('id')
      .select('kind', 'idempotency_key')) as Array<{ kind: string; idempotency_key: string }>;
    expect(kinds.map((k) => [k.kind, k.idempotency_key])).toEqual([
      ['freeze', `adj-${id}-freeze`],
      ['unfreeze', `adj-${id}-release`],
      ['adjust-out', `adj-${id}`],
      ['adjust-in', `adj-${id}/in`],
    ]);
    // The posting run again (a redelivered job on another node): the ledger answers from the keys, nothing moves.
    const c1 = await counts();
    const instance = await instanceOf(id);
    expect(await t.system.db.transaction((trx) => postAdjustment(trx, id, instance))).toMatchObject({
      outcome: 'posted',
      replayed: true,
    });
    expect(await counts()).toEqual(c1);
    expect(await balance(src)).toEqual({ amountFen: 2_000 * YUAN, availableFen: 2_000 * YUAN });
  });

  test('撤回 before any decision releases the freeze and ends the engine instance; after a decision it is refused', async () => {
    const src = await issue(5_000 * YUAN, '呼财预〔2026〕31号');
    const dst = await issue(1_000 * YUAN, '呼财预〔2026〕32号');
    const filed = await transfer(src, dst, 1_000 * YUAN, '调剂（撤回）');
    const id = Number(filed.body.id);
    await waitFor(id, (x) => x.pending[0]?.elementId === 'SectionReview', 'the section review');
    expect(await balance(src)).toEqual({ amountFen: 5_000 * YUAN, availableFen: 4_000 * YUAN });
    const instance = await instanceOf(id);
    // Only the requester: 预算处 (who may read and decide it) gets 403, and nothing changes.
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/withdraw`, {})).body.error.code).toBe('ADJUSTMENT_WITHDRAW_NOT_ALLOWED');
    const w = await call('nm_clerk_yz', 'POST', `/adjustments/${id}/withdraw`, { reason: '金额有误' });
    expect(w.status).toBe(200);
    expect(w.body).toMatchObject({ status: 'withdrawn', statusLabel: '已撤回', frozenFen: 0, outcomeComment: '申请人撤回：金额有误' });
    expect(w.body.can).toEqual({ decide: false, recordDocument: false, withdraw: false });
    expect(w.body.decisions.at(-1)).toMatchObject({ decision: 'withdraw', comment: '金额有误' });
    expect(await balance(src)).toEqual({ amountFen: 5_000 * YUAN, availableFen: 5_000 * YUAN });
    expect(await frozenOf(src)).toBe(0);
    expect(await t.system.engine.processInstance(instance)).toBeNull();
    expect(
      Number(
        (
          (
            await t.system
              .db('audit_records')
              .where({ kind: 'adjustment.withdraw', subject_id: String(id) })
              .count({ n: '*' })
          )[0] as { n: number }
        ).n,
      ),
    ).toBe(1);
    expect((await call('nm_clerk_yz', 'POST', `/adjustments/${id}/withdraw`, {})).body.error.code).toBe('ADJUSTMENT_NOT_APPROVING');
    expect((await call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(409);
    expect(await balance(src)).toEqual({ amountFen: 5_000 * YUAN, availableFen: 5_000 * YUAN });

    // 科室负责人 agreed (the chain goes on to 分管局长): no longer the requester's to take back.
    const big = await transfer(src, dst, 5_000 * YUAN, '调剂（已审）'); // from ¥5,000 a 调剂 goes on to the 分管局长
    const bigId = Number(big.body.id);
    await waitFor(bigId, (x) => x.pending[0]?.elementId === 'SectionReview', 'the section review');
    expect((await call('nm_ysk', 'POST', `/adjustments/${bigId}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    await waitFor(bigId, (x) => x.pending[0]?.elementId === 'DeputyReview', 'the deputy review');
    expect((await call('nm_clerk_yz', 'GET', `/adjustments/${bigId}`)).body.can.withdraw).toBe(false);
    const refused = await call('nm_clerk_yz', 'POST', `/adjustments/${bigId}/withdraw`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ADJUSTMENT_ALREADY_DECIDED');
    expect((await adjustmentOf(bigId)).status).toBe('approving');
    expect(await frozenOf(src)).toBe(5_000 * YUAN);
    // 不同意 there releases the freeze once.
    expect(
      (await call('nm_director', 'POST', `/adjustments/${bigId}/decision`, { decision: 'reject', comment: '不予调剂', signingPin: PIN }))
        .status,
    ).toBe(200);
    await waitFor(bigId, (x) => x.status === 'rejected', 'the rejection');
    expect(await balance(src)).toEqual({ amountFen: 5_000 * YUAN, availableFen: 5_000 * YUAN });
  });

  test('撤回 and an approval at the same moment: one wins, the other is a 409, and no freeze is left behind', async () => {
    for (let i = 0; i < 2; i++) {
      const src = await issue(1_000 * YUAN, `呼财预〔2026〕4${i}号`);
      const dst = await issue(1_000 * YUAN, `呼财预〔2026〕5${i}号`);
      const filed = await transfer(src, dst, 100 * YUAN, `竞争撤回 ${i}`);
      const id = Number(filed.body.id);
      await waitFor(id, (x) => x.pending[0]?.elementId === 'SectionReview', 'the section review');
      const instance = await instanceOf(id);
      const [w, d] = await Promise.all([
        call('nm_clerk_yz', 'POST', `/adjustments/${id}/withdraw`, {}),
        call('nm_ysk', 'POST', `/adjustments/${id}/decision`, { decision: 'approve', signingPin: PIN }),
      ]);
      expect([w.status, d.status].sort()).toEqual([200, 409]);
      if (w.status === 200) {
        expect(['ADJUSTMENT_NOT_APPROVING', 'TASK_GONE', 'NO_TASK_FOR_YOU']).toContain(d.body.error.code);
        expect((await adjustmentOf(id)).status).toBe('withdrawn');
        expect(await t.system.engine.processInstance(instance)).toBeNull();
        expect(await balance(src)).toEqual({ amountFen: 1_000 * YUAN, availableFen: 1_000 * YUAN });
        expect(await balance(dst)).toEqual({ amountFen: 1_000 * YUAN, availableFen: 1_000 * YUAN });
      } else {
        expect(['ADJUSTMENT_ALREADY_DECIDED', 'ADJUSTMENT_CHANGED']).toContain(w.body.error.code);
        await waitFor(id, (x) => x.status === 'posted', 'the posting');
        expect(await balance(src)).toEqual({ amountFen: 900 * YUAN, availableFen: 900 * YUAN });
        expect(await balance(dst)).toEqual({ amountFen: 1_100 * YUAN, availableFen: 1_100 * YUAN });
      }
      expect(await frozenOf(src)).toBe(0);
    }
  });
});
