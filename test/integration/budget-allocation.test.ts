import { seedDemoUsers } from '../../server/auth/demo-users';
import { issueAllocation } from '../../server/allocation/service';
import { namespaced } from '../../server/engine/namespace';
import { seedReferenceData } from '../../server/reference';
import { handleTask } from '../../workers/runtime';
import { allocationIssue } from '../../workers/allocation-issue';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 预算编制/分配 → 审批 → 批复/指标下达 on the real engine and database, through the HTTP API:
 * 刘洋 (nm_ysk, 预算科) builds the 2026 allocation of 呼和浩特市财政局 from reserved and scored
 * projects of 第一中学 (教育局, 205; last year 优) and of 农牧业技术推广中心 (农牧局, 213; last year 差),
 * within control totals; 郑国华 (nm_director) approves as 分管局长 and in the 局长办公会.
 */
jest.setTimeout(300_000);

const PASSWORD = 'Budget@2026';
const PIN = '135792';
const YUAN = 100;

describe('budget allocation on the engine', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  let education: number;
  let agriculture: number;
  const schoolProjects: number[] = [];
  let farmProject: number;

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const allocationOf = async (id: number) => (await call('nm_ysk', 'GET', `/allocations/${id}`)).body;
  const waitFor = (id: number, pred: (a: any) => boolean, what: string) =>
    until(what, async () => {
      const a = await allocationOf(id);
      return pred(a) ? a : undefined;
    });
  const counts = async () => {
    const db = t.system.db;
    const n = async (table: string) => Number(((await db(table).count({ n: '*' }))[0] as { n: number }).n);
    return {
      quotas: await n('quotas'),
      journal: await n('quota_journal'),
      audit: await n('audit_records'),
      lines: await n('allocation_lines'),
      decisions: await n('allocation_decisions'),
    };
  };

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    for (const u of ['nm_ysk', 'nm_director', 'nm_clerk_yz', 'nm_clerk_ny', 'nm_compliance'])
      cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    const org = async (code: string) => Number(((await db('organisations').where({ code }).first('id')) as { id: number }).id);
    education = await org('150100-JY');
    agriculture = await org('150100-NY');
    // Setup only: projects stand in the library as intake and expert review leave them.
    const bands = [
      ['support', 9000],
      ['support', 8200],
      ['adjust', 7000],
      [null, null],
    ] as const;
    for (const [i, [band, score]] of bands.entries()) {
      const r = await call('nm_clerk_yz', 'POST', '/projects', {
        ...demoApplication(`预算分配测试项目${i + 1}号`, `第${i + 1}个分配测试项目`),
        amounts: [
          { economicCode: '30213', amountFen: 70_000 * YUAN },
          { economicCode: '30211', amountFen: 30_000 * YUAN },
        ],
      });
      expect(r.status).toBe(201);
      await db('projects')
        .where('id', r.body.id)
        .update({ status: band ? 'scored' : 'reserved', expert_band: band, expert_score_centi: score });
      schoolProjects.push(Number(r.body.id));
    }
    const farm = await call('nm_clerk_ny', 'POST', '/projects', {
      ...demoApplication('农技推广分配测试项目', '农技推广'),
      functionalCode: '2130504',
    });
    expect(farm.status).toBe(201);
    farmProject = Number(farm.body.id);
    await db('projects').where('id', farmProject).update({ status: 'reserved' });
    const yz = await org('150100-JY-001');
    const ny = await org('150100-NY-001');
    await db('performance_grades').insert([
      { fiscal_year: 2025, unit_org_id: yz, grade: 'excellent', score_centi: 9300, source: 'test', recorded_at: new Date() },
      { fiscal_year: 2025, unit_org_id: ny, grade: 'poor', score_centi: 5500, source: 'test', recorded_at: new Date() },
    ]);
    for (const u of ['nm_ysk', 'nm_director']) expect((await call(u, 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
  });

  test('a malformed allocation id (abc, 0x5, 5.0) is a 404 named for the allocation', async () => {
    for (const bad of ['abc', '0x5', '5.0']) {
      for (const [method, path, body] of [
        ['GET', `/allocations/${bad}`, undefined],
        ['PUT', `/allocations/${bad}/lines`, { version: 1, lines: [{ projectId: 1, proposedFen: 0 }] }],
        ['POST', `/allocations/${bad}/submit`, { version: 1 }],
      ] as const) {
        const r = await call('nm_ysk', method, path, body);
        expect([path, r.status, r.body.error]).toEqual([
          path,
          404,
          expect.objectContaining({ code: 'NOT_FOUND', message: '预算分配方案不存在' }),
        ]);
      }
    }
  });

  test('the approval-chain decision table follows the thresholds (fen) and 三重一大', async () => {
    const chain = async (totalFen: number, majorDecision: boolean) =>
      (
        await t.system.engine.request<Array<Record<string, { value: unknown }>>>(
          'POST',
          `/decision-definition/key/${encodeURIComponent(namespaced(t.config.engine.namespace, 'allocation-approval-chain'))}/evaluate`,
          {
            body: { variables: { totalFen: { value: totalFen, type: 'Long' }, majorDecision: { value: majorDecision, type: 'Boolean' } } },
          },
        )
      )[0]?.approvalChain?.value;
    expect(await chain(4_999_99, false)).toBe('section');
    expect(await chain(5_000_00, false)).toBe('deputy');
    expect(await chain(20_000_00, false)).toBe('deputy');
    expect(await chain(20_000_01, false)).toBe('director');
    expect(await chain(499_999_99, false)).toBe('director');
    expect(await chain(500_000_00, false)).toBe('meeting');
    expect(await chain(1_00, true)).toBe('meeting');
  });

  let smallId: number;

  test('the allocation is built: 优 ranked by band and score, 差 excluded, suggestions within the control total', async () => {
    const r = await call('nm_ysk', 'POST', '/allocations', {
      fiscalYear: 2026,
      name: '2026 年市本级项目预算分配（第一批）',
      controlTotals: [
        { departmentOrgId: education, sector: '205', amountFen: 250_000 * YUAN },
        { departmentOrgId: agriculture, sector: '213', amountFen: 100_000 * YUAN },
      ],
    });
    expect(r.status).toBe(201);
    smallId = r.body.id;
    const ids = r.body.lines.map((l: { projectId: number }) => l.projectId);
    expect(ids).toEqual([schoolProjects[0], schoolProjects[1], schoolProjects[2], schoolProjects[3], farmProject]);
    expect(r.body.lines.map((l: { suggestedFen: number }) => l.suggestedFen)).toEqual([
      100_000 * YUAN,
      100_000 * YUAN,
      50_000 * YUAN,
      0,
      0,
    ]);
    const farm = r.body.lines[4];
    expect(farm).toMatchObject({ excluded: true, grade: 'poor' });
    expect(farm.reason).toContain('差');
    expect(r.body.controlTotals.find((c: { sector: string }) => c.sector === '205').proposedFen).toBe(250_000 * YUAN);
    // What each person may do comes with the allocation (domain/allocation.ts): 预算处 edits and
    // submits its draft; the director reads it and may do nothing with it yet.
    expect(r.body.can).toEqual({ edit: true, submit: true, decide: false });
    const directorView = await call('nm_director', 'GET', `/allocations/${smallId}`);
    expect(directorView.status).toBe(200);
    expect(directorView.body.can).toEqual({ edit: false, submit: false, decide: false });
    expect((await call('nm_ysk', 'GET', '/allocations')).body.can).toEqual({ create: true });
    expect((await call('nm_director', 'GET', '/allocations')).body.can).toEqual({ create: false });
    expect((await call('nm_ysk', 'POST', '/allocations', { fiscalYear: 2026, name: '重复', controlTotals: [] })).body.error.code).toBe(
      'ALLOCATION_EXISTS',
    );
  });

  test('an allocation above the control total is refused with a clear message and writes nothing', async () => {
    const before = await allocationOf(smallId);
    const c0 = await counts();
    const over = await call('nm_ysk', 'PUT', `/allocations/${smallId}/lines`, {
      version: before.version,
      lines: [{ projectId: schoolProjects[3], proposedFen: 1 }],
    });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('ALLOCATION_OVER_CONTROL_TOTAL');
    expect(over.body.error.message).toContain('超出控制数');
    expect(over.body.error.message).toContain('¥0.01');
    expect(over.body.error.message).toContain('呼和浩特市教育局');
    const more = await call('nm_ysk', 'PUT', `/allocations/${smallId}/lines`, {
      version: before.version,
      lines: [
        { projectId: schoolProjects[2], proposedFen: 0 },
        { projectId: schoolProjects[0], proposedFen: 100_000 * YUAN + 1 },
      ],
    });
    expect(more.status).toBe(400);
    expect(more.body.error.code).toBe('ALLOCATION_INVALID');
    const excluded = await call('nm_ysk', 'PUT', `/allocations/${smallId}/lines`, {
      version: before.version,
      lines: [{ projectId: farmProject, proposedFen: 1_00 }],
    });
    expect(excluded.status).toBe(400);
    expect(JSON.stringify(excluded.body.error.details)).toContain('差');
    const lower = await call('nm_ysk', 'PUT', `/allocations/${smallId}/control-totals`, {
      version: before.version,
      controlTotals: [{ departmentOrgId: education, sector: '205', amountFen: 100_000 * YUAN }],
    });
    expect(lower.status).toBe(409);
    const after = await allocationOf(smallId);
    expect(after.version).toBe(before.version);
    expect(after.lines).toEqual(before.lines);
    expect(after.controlTotals).toEqual(before.controlTotals);
    expect(await counts()).toEqual(c0);
  });

  test('below ¥5,000 the 科室负责人 alone approves; quotas equal the approved amounts, sealed, and a redelivered issuance issues nothing twice', async () => {
    const a = await allocationOf(smallId);
    // What-if: 第一批 funds two projects with ¥1,000.00 and ¥3,000.00 − ¥0.01 (total ¥3,999.99).
    const edit = await call('nm_ysk', 'PUT', `/allocations/${smallId}/lines`, {
      version: a.version,
      lines: [
        { projectId: schoolProjects[0], proposedFen: 1_000 * YUAN },
        { projectId: schoolProjects[1], proposedFen: 2_999_99 },
        { projectId: schoolProjects[2], proposedFen: 0 },
      ],
    });
    expect(edit.status).toBe(200);
    expect(edit.body.totalFen).toBe(3_999_99);
    expect((await call('nm_ysk', 'POST', `/allocations/${smallId}/submit`, { version: edit.body.version })).body.error.code).toBe(
      'SIGNING_PIN_REQUIRED',
    );
    const submitted = await call('nm_ysk', 'POST', `/allocations/${smallId}/submit`, { version: edit.body.version, signingPin: PIN });
    expect(submitted.status).toBe(200);
    const approving = await waitFor(smallId, (x) => x.approvalChain === 'section' && x.pending.length === 1, 'the section review');
    expect(approving.pending[0].elementId).toBe('SectionReview');
    expect(approving.chainSteps).toEqual(['科室负责人审核']);
    // Submitted: nobody edits it any more; the 科室负责人 step is 预算处's to decide, not the director's.
    expect(approving.can).toEqual({ edit: false, submit: false, decide: true });
    expect((await call('nm_director', 'GET', `/allocations/${smallId}`)).body.can).toEqual({ edit: false, submit: false, decide: false });
    // Nobody edits a submitted allocation; the director has no step here.
    expect(
      (
        await call('nm_ysk', 'PUT', `/allocations/${smallId}/lines`, {
          version: approving.version,
          lines: [{ projectId: schoolProjects[2], proposedFen: 1 }],
        })
      ).body.error.code,
    ).toBe('ALLOCATION_NOT_DRAFT');
    expect(
      (await call('nm_director', 'POST', `/allocations/${smallId}/decision`, { decision: 'approve', signingPin: PIN })).body.error.code,
    ).toBe('NO_TASK_FOR_YOU');
    expect(
      (await call('nm_ysk', 'POST', `/allocations/${smallId}/decision`, { decision: 'approve', comment: '同意', signingPin: PIN })).status,
    ).toBe(200);

    const issued = await waitFor(smallId, (x) => x.status === 'issued', 'the issuance');
    expect(issued.documentNo).toBe(`财预指〔2026〕${String(smallId).padStart(4, '0')}号`);
    const db = t.system.db;
    const quotas = (await db('quotas').where('document_no', issued.documentNo).select('*')) as Array<{
      id: number;
      project_id: number;
      amount_fen: number;
      economic_code: string;
      quota_no: string;
    }>;
    const byProject = (pid: number) => quotas.filter((q) => Number(q.project_id) === pid).reduce((s, q) => s + Number(q.amount_fen), 0);
    expect(byProject(schoolProjects[0]!)).toBe(1_000 * YUAN);
    expect(byProject(schoolProjects[1]!)).toBe(2_999_99);
    expect(
      quotas
        .filter((q) => Number(q.project_id) === schoolProjects[1])
        .map((q) => [q.economic_code, Number(q.amount_fen)])
        .sort(),
    ).toEqual([
      ['30211', 900_00],
      ['30213', 2_099_99],
    ]);
    expect(quotas).toHaveLength(4);
    expect(issued.quotas).toHaveLength(4);
    // Every issue is in the journal and the audit chain; submission and approval carry SM2 seals; the chain verifies.
    const journal = (await db('quota_journal')
      .whereIn(
        'quota_id',
        quotas.map((q) => q.id),
      )
      .select('kind', 'amount_fen', 'idempotency_key')) as Array<{ kind: string; amount_fen: number; idempotency_key: string }>;
    expect(journal.every((j) => j.kind === 'issue' && j.idempotency_key.startsWith(`alloc-${smallId}-`))).toBe(true);
    expect(
      await db('audit_records')
        .where('kind', 'quota.issue')
        .whereIn(
          'subject_id',
          quotas.map((q) => String(q.id)),
        )
        .count({ n: '*' })
        .then((r) => Number((r[0] as { n: number }).n)),
    ).toBe(4);
    expect(issued.decisions.map((d: { decision: string; sealed: boolean }) => [d.decision, d.sealed])).toEqual([
      ['submit', true],
      ['approve', true],
    ]);
    const verify = await call('nm_compliance', 'GET', '/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, firstBroken: null });
    // Statuses, the reserve, the unit's notices.
    const status = async (id: number) => ((await db('projects').where('id', id).first('status')) as { status: string }).status;
    expect(await status(schoolProjects[0]!)).toBe('funded');
    expect(await status(schoolProjects[2]!)).toBe('reserved');
    expect(await status(farmProject)).toBe('reserved');
    const events = (await db('project_events').where('project_id', farmProject).orderBy('id', 'desc').first('note')) as { note: string };
    expect(events.note).toContain('差');
    const notices = (await call('nm_clerk_yz', 'GET', '/notifications?pageSize=50')).body.items.map((n: { title: string }) => n.title);
    expect(notices).toContain('指标已下达：预算分配测试项目1号');
    expect(notices).toContain('未安排预算：预算分配测试项目3号');

    // Redelivery: the same external task again is answered from its stored outcome; the issuance run
    // again (a lock that ran out, another node) finds every quota by its idempotency key.
    const c0 = await counts();
    const outcome = (await db('job_outcomes')
      .where('topic', 'like', '%allocation.issue')
      .where('process_instance_key', submitted.body.processInstanceId)
      .first()) as { external_task_id: string };
    expect(outcome).toBeDefined();
    const again = await handleTask(
      allocationIssue,
      {
        id: outcome.external_task_id,
        topicName: namespaced(t.config.engine.namespace, 'allocation.issue'),
        processInstanceId: submitted.body.processInstanceId,
        activityId: 'Issue',
        businessKey: null,
        retries: null,
        variables: { allocationId: { value: smallId, type: 'Long' } },
      } as never,
      'test#1',
      { client: t.system.engine, db, log: t.system.log, config: t.config },
    );
    expect(['completed', 'lost']).toContain(again);
    const rerun = await db.transaction((trx) => issueAllocation(trx, smallId, submitted.body.processInstanceId));
    expect(rerun).toMatchObject({ issued: 0, replayed: 4 });
    expect(await counts()).toEqual(c0);
  });

  test('三重一大 goes 科室负责人 → 分管局长 → 局长办公会 会签; a 不同意 sends it back, resubmitted it is issued', async () => {
    const r = await call('nm_ysk', 'POST', '/allocations', {
      fiscalYear: 2026,
      name: '2026 年市本级项目预算分配（第二批）',
      majorDecision: true,
      controlTotals: [{ departmentOrgId: education, sector: '205', amountFen: 150_000 * YUAN }],
    });
    expect(r.status).toBe(201);
    const id = r.body.id;
    expect(r.body.lines.map((l: { projectId: number }) => l.projectId)).toEqual([schoolProjects[2], schoolProjects[3], farmProject]);
    const sub = await call('nm_ysk', 'POST', `/allocations/${id}/submit`, { version: r.body.version, signingPin: PIN });
    expect(sub.status).toBe(200);
    await waitFor(id, (x) => x.approvalChain === 'meeting' && x.pending[0]?.elementId === 'SectionReview', 'the section review');
    expect((await call('nm_ysk', 'POST', `/allocations/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    await waitFor(id, (x) => x.pending[0]?.elementId === 'DeputyReview', 'the deputy review');
    expect((await call('nm_director', 'POST', `/allocations/${id}/decision`, { decision: 'reject' })).status).toBe(400); // a reason is required
    expect(
      (
        await call('nm_director', 'POST', `/allocations/${id}/decision`, {
          decision: 'reject',
          comment: '请压减第4号项目',
          signingPin: PIN,
        })
      ).status,
    ).toBe(200);
    const back = await waitFor(id, (x) => x.status === 'draft', 'the return');
    expect(back.returnComment).toBe('请压减第4号项目');
    const edit = await call('nm_ysk', 'PUT', `/allocations/${id}/lines`, {
      version: back.version,
      lines: [{ projectId: schoolProjects[3], proposedFen: 40_000 * YUAN }],
    });
    expect(edit.status).toBe(200);
    const sub2 = await call('nm_ysk', 'POST', `/allocations/${id}/submit`, { version: edit.body.version, signingPin: PIN });
    expect(sub2.status).toBe(200);
    await waitFor(id, (x) => x.pending[0]?.elementId === 'SectionReview' && x.approvalChain === 'meeting', 'the second section review');
    expect((await call('nm_ysk', 'POST', `/allocations/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    await waitFor(id, (x) => x.pending[0]?.elementId === 'DeputyReview', 'the second deputy review');
    expect((await call('nm_director', 'POST', `/allocations/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    const meeting = await waitFor(id, (x) => x.pending[0]?.elementId === 'Countersign', 'the meeting');
    expect(meeting.can.decide).toBe(false); // 刘洋 reads it but sits in no meeting
    expect((await call('nm_director', 'POST', `/allocations/${id}/decision`, { decision: 'approve', signingPin: PIN })).status).toBe(200);
    const done = await waitFor(id, (x) => x.status === 'issued', 'the issuance');
    expect(done.decisions.map((d: { elementId: string }) => d.elementId)).toEqual([
      'AllocationSubmitted',
      'SectionReview',
      'DeputyReview',
      'AllocationSubmitted',
      'SectionReview',
      'DeputyReview',
      'Countersign',
    ]);
    const total = done.quotas.reduce((s: number, q: { amountFen: number }) => s + q.amountFen, 0);
    expect(total).toBe(100_000 * YUAN + 40_000 * YUAN); // 第3号 as suggested, 第4号 cut to ¥40,000 after the return
    expect(total).toBe(done.totalFen);
  });
});
