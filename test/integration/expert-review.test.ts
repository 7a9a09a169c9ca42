import { seedDemoUsers } from '../../server/auth/demo-users';
import { createUser } from '../../server/auth/service';
import { drawExperts } from '../../domain/expert-review';
import { namespaced } from '../../server/engine/namespace';
import { loadPool } from '../../server/expert-review/pool';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * 专家评审 end to end on the real engine and database, through the HTTP API: 周强 (nm_jxc, 绩效处)
 * keeps the pool and opens a batch of six reserved projects of 第一中学; twelve experts of 教育
 * (205), one of whom once worked for 第一中学 and must never be drawn for its projects. A decline
 * and a timeout each bring a replacement; scoring is blind; the band comes from the engine's DMN;
 * the confirmed score and band land on the project.
 */
jest.setTimeout(240_000);

const PASSWORD = 'Budget@2026';
const EXPERTS = Array.from({ length: 12 }, (_, i) => `zj_${String(i + 1).padStart(2, '0')}`);
const TIED = 'zj_12';

/** Criteria scores adding up to `total` (hundredths exact). */
function sheet(total: number): Record<string, number> {
  const centi = Math.round(total * 100);
  const each = Math.floor(centi / 5);
  const rest = centi - each * 4;
  return { necessity: each / 100, economy: each / 100, targets: each / 100, feasibility: each / 100, compliance: rest / 100 };
}

describe('expert review on the engine', () => {
  let t: TestSystem;
  let call: ApiCall;
  const cookies: Record<string, string> = {};
  const userIds: Record<string, number> = {};
  const projectIds: number[] = [];
  let extraProjectId: number;
  let schoolId: number;

  const until = async <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    t = await startTestSystem();
    await t.system.ready;
    const db = t.system.db;
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    const pool = (await db('organisations').where({ code: '150000-ZJK' }).first('id')) as { id: number };
    for (const u of EXPERTS)
      userIds[u] = await createUser(db, {
        username: u,
        displayName: `专家${u.slice(-2)}`,
        orgId: pool.id,
        password: PASSWORD,
        roles: ['expert'],
      });
    for (const u of ['nm_jxc', 'nm_clerk_yz', ...EXPERTS]) cookies[u] = await loginCookie(t.system.url, u, PASSWORD);
    call = apiAs(`${t.system.url}/api`, cookies);
    schoolId = ((await db('organisations').where({ code: '150100-JY-001' }).first('id')) as { id: number }).id;

    for (let i = 0; i < 7; i++) {
      const r = await call(
        'nm_clerk_yz',
        'POST',
        '/projects',
        demoApplication(`专家评审测试项目${i + 1}号`, `第${i + 1}个评审测试项目的实施内容`),
      );
      expect(r.status).toBe(201);
      // Setup only: the projects stand in the library (入库) as the intake review leaves them.
      await db('projects').where('id', r.body.id).update({ status: 'reserved' });
      projectIds.push(Number(r.body.id));
    }
    extraProjectId = projectIds.pop()!;

    for (const [i, u] of EXPERTS.entries()) {
      const r = await call('nm_jxc', 'POST', '/experts', {
        code: `ZJ${String(i + 1).padStart(4, '0')}`,
        name: `专家${u.slice(-2)}`,
        organisationName: '内蒙古师范大学',
        title: '教授',
        phone: `1380000${String(i).padStart(4, '0')}`,
        email: `${u}@example.cn`,
        available: true,
        specialties: ['205'],
        username: u,
      });
      expect(r.status).toBe(201);
    }
    const tied = (await db('experts').where('user_id', userIds[TIED]).first('id')) as { id: number };
    const tie = await call('nm_jxc', 'POST', `/experts/${tied.id}/ties`, {
      kind: 'employment',
      orgId: schoolId,
      relative: false,
      startedOn: '2018-09-01',
      endedOn: '2025-07-01',
    });
    expect(tie.status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
  });

  test('the pool list masks contact data; the detail shows it in full', async () => {
    const list = await call('nm_jxc', 'GET', '/experts?specialty=205&pageSize=50');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(12);
    expect(list.body.items[0].phone).toMatch(/^138\*{4}\d{4}$/);
    expect(list.body.items[0].email).toMatch(/^z\*\*\*@example\.cn$/);
    const detail = await call('nm_jxc', 'GET', `/experts/${list.body.items[0].id}`);
    expect(detail.body.phone).toMatch(/^1380000\d{4}$/);
    expect((await call('zj_01', 'GET', '/experts')).status).toBe(403);
  });

  test('the band and aggregation decision tables, evaluated by the engine, at the boundaries', async () => {
    const evaluate = async (key: string, variables: Record<string, { value: unknown; type: string }>) =>
      (
        await t.system.engine.request<Array<Record<string, { value: unknown }>>>(
          'POST',
          `/decision-definition/key/${encodeURIComponent(namespaced(t.config.engine.namespace, key))}/evaluate`,
          { body: { variables } },
        )
      )[0];
    const band = async (score: number) =>
      (await evaluate('expert-review-band', { aggregateScore: { value: score, type: 'Double' } }))?.band?.value;
    expect(await band(59.99)).toBe('reject');
    expect(await band(60)).toBe('adjust');
    expect(await band(79.99)).toBe('adjust');
    expect(await band(80)).toBe('support');
    const method = async (n: number) =>
      (await evaluate('expert-review-aggregation', { scoreCount: { value: n, type: 'Integer' } }))?.aggregationMethod?.value;
    expect([await method(0), await method(4), await method(5), await method(7)]).toEqual(['none', 'mean', 'trimmed_mean', 'trimmed_mean']);
  });

  test('a batch of six projects: draw with recusal, a decline brings a replacement, blind scoring, DMN band, confirmation lands on the projects', async () => {
    const db = t.system.db;
    const opened = await call('nm_jxc', 'POST', '/expert-batches', {
      name: '2026年教育项目第一批评审',
      fiscalYear: 2026,
      sector: '205',
      projectIds,
    });
    expect(opened.status).toBe(201);
    const batchId = opened.body.id as number;
    expect(opened.body.seed).toMatch(/^[0-9a-f]{32}$/);
    expect(opened.body.batch.projects).toHaveLength(6);

    // Five experts per project, never the one with a tie to 第一中学.
    const firstDraw = (await db('expert_assignments').where({ batch_id: batchId, round: 0 })) as Array<{
      id: number;
      project_id: number;
      expert_id: number;
      expert_user_id: number;
      slot: number;
      review_id: number;
    }>;
    expect(firstDraw).toHaveLength(30);
    expect(firstDraw.map((a) => Number(a.expert_user_id))).not.toContain(userIds[TIED]);
    // The draw is the seed's: recomputed from the recorded seed and the pool, it is the same.
    const pool = await loadPool(db, ['205']);
    for (const pid of projectIds) {
      const recorded = firstDraw
        .filter((a) => Number(a.project_id) === pid)
        .sort((a, b) => a.slot - b.slot)
        .map((a) => Number(a.expert_id));
      const again = drawExperts({
        seed: opened.body.seed,
        project: {
          id: pid,
          functionalCode: '2050204',
          applicantOrgIds: [schoolId, ((await db('organisations').where({ code: '150100-JY' }).first('id')) as { id: number }).id],
        },
        pool,
        n: 5,
        reviewDate: (await db('audit_records').where('kind', 'expert-review.draw').first('body')).body.match(/"reviewDate":"([^"]+)"/)[1],
      });
      expect(again.drawn).toEqual(recorded);
    }
    // Each draw is a record in the audit chain; the applicant's timeline says a review began, without names.
    const count = async (kind: string) =>
      Number(((await db('audit_records').where({ kind }).count({ n: '*' }).first()) as { n: number | string }).n);
    expect(await count('expert-review.draw')).toBe(6);
    const events = await call('nm_clerk_yz', 'GET', `/projects/${projectIds[0]}/events`);
    const started = events.body.items ?? events.body;
    expect(JSON.stringify(started)).toContain('已随机抽取 5 位评审专家');
    expect(JSON.stringify(started)).not.toContain('专家0');

    const userOf = new Map(Object.entries(userIds).map(([u, id]) => [id, u]));
    // The engine has made the Respond tasks once the panel was loaded.
    await until(
      'every project loaded into the engine',
      async () =>
        Number(
          (
            (await db('expert_review_projects').where('batch_id', batchId).whereNull('process_instance_key').count({ n: '*' }).first()) as {
              n: number;
            }
          ).n,
        ) === 0,
    );

    // A decline: the seat is drawn again, from those not drawn for the project before, recusal applied.
    const declined = firstDraw.find((a) => Number(a.project_id) === projectIds[1])!;
    const declinedUser = userOf.get(Number(declined.expert_user_id))!;
    const noReason = await call(declinedUser, 'POST', `/my-reviews/${declined.id}/respond`, { decision: 'decline' });
    expect(noReason.status).toBe(400);
    const d = await until('the decline to reach the engine', async () => {
      const r = await call(declinedUser, 'POST', `/my-reviews/${declined.id}/respond`, {
        decision: 'decline',
        reason: '近期有出差安排，无法按期评审',
      });
      return r.status === 409 && r.body.error.code === 'ASSIGNMENT_NOT_READY' ? undefined : r;
    });
    expect(d.status).toBe(200);
    expect(d.body.status).toBe('declined');
    const replacement = await until(
      'a replacement for the declined seat',
      async () =>
        (await db('expert_assignments').where({ review_id: declined.review_id, slot: declined.slot, round: 1 }).first()) as
          { id: number; expert_id: number; expert_user_id: number } | undefined,
    );
    const drawnForProject = firstDraw.filter((a) => Number(a.project_id) === projectIds[1]).map((a) => Number(a.expert_id));
    expect(drawnForProject).not.toContain(Number(replacement.expert_id));
    expect(Number(replacement.expert_user_id)).not.toBe(userIds[TIED]);
    expect(await count('expert-review.replacement')).toBe(1);

    // Targets per project: 80, 79.99, 60, 59.99 (each expert the same), then two spread ones.
    const targets = [
      [80, 80, 80, 80, 80],
      [79.99, 79.99, 79.99, 79.99, 79.99],
      [60, 60, 60, 60, 60],
      [59.99, 59.99, 59.99, 59.99, 59.99],
      [95, 40, 70, 72, 74],
      [90, 85],
    ];
    const open = (await db('expert_assignments').where('batch_id', batchId).whereIn('status', ['invited']).orderBy('id')) as Array<{
      id: number;
      project_id: number;
      expert_user_id: number;
      slot: number;
    }>;

    // One expert enrols a seal: their sheets must carry the PIN and are sealed with their SM2 key.
    const sealedExpert = userOf.get(Number(open[0]!.expert_user_id))!;
    expect((await call(sealedExpert, 'POST', '/seals/enrol', { pin: '246810' })).status).toBe(201);

    let blindChecked = false;
    let pinChecked = false;
    const seatIndex = new Map<number, number>();
    for (const a of open) {
      const user = userOf.get(Number(a.expert_user_id))!;
      const r = await until(`accept ${a.id}`, async () => {
        const res = await call(user, 'POST', `/my-reviews/${a.id}/respond`, { decision: 'accept' });
        return res.status === 409 && res.body.error.code === 'ASSIGNMENT_NOT_READY' ? undefined : res;
      });
      expect([a.id, r.status]).toEqual([a.id, 200]);
    }
    const accepted = (await db('expert_assignments').where({ batch_id: batchId, status: 'accepted' }).orderBy('id')) as Array<{
      id: number;
      project_id: number;
      expert_user_id: number;
    }>;
    expect(accepted).toHaveLength(30);
    for (const a of accepted) {
      const user = userOf.get(Number(a.expert_user_id))!;
      const pIndex = projectIds.indexOf(Number(a.project_id));
      const k = seatIndex.get(pIndex) ?? 0;
      seatIndex.set(pIndex, k + 1);
      const total = targets[pIndex]![k % targets[pIndex]!.length]!;

      // Blind: before submitting, another expert's submitted sheet on the same project is out of reach.
      const submittedHere = (await db('expert_assignments')
        .where({ project_id: a.project_id, status: 'submitted' })
        .first('id', 'expert_user_id')) as { id: number; expert_user_id: number } | undefined;
      if (submittedHere && !blindChecked) {
        expect((await call(user, 'GET', `/my-reviews/${submittedHere.id}`)).status).toBe(404);
        expect((await call(user, 'GET', `/expert-batches/${batchId}`)).status).toBe(403);
        expect((await call(user, 'GET', `/projects/${a.project_id}`)).status).toBe(403);
        expect((await call(user, 'GET', `/projects/${a.project_id}/events`)).status).toBe(403);
        expect((await call(user, 'GET', `/audit/records?projectId=${a.project_id}`)).status).toBe(403);
        const mine = await call(user, 'GET', `/my-reviews/${a.id}`);
        expect(mine.status).toBe(200);
        expect(mine.body.mySheet).toBeNull();
        expect(JSON.stringify(mine.body)).not.toContain('评审意见：第');
        blindChecked = true;
      }

      const body = { scores: sheet(total), comment: `评审意见：第${a.id}份，项目论证较充分` };
      if (user === sealedExpert && !pinChecked) {
        pinChecked = true;
        expect((await call(user, 'POST', `/my-reviews/${a.id}/score`, body)).body.error.code).toBe('SIGNING_PIN_REQUIRED');
        const wrong = await call(user, 'POST', `/my-reviews/${a.id}/score`, { ...body, signingPin: '000000' });
        expect(wrong.body.error.code).toBe('SEAL_PIN_WRONG');
        const ok = await call(user, 'POST', `/my-reviews/${a.id}/score`, { ...body, signingPin: '246810' });
        expect([ok.status, ok.body.sealed]).toEqual([200, true]);
      } else if (user === sealedExpert) {
        const ok = await call(user, 'POST', `/my-reviews/${a.id}/score`, { ...body, signingPin: '246810' });
        expect([ok.status, ok.body.sealed]).toEqual([200, true]);
      } else {
        const ok = await call(user, 'POST', `/my-reviews/${a.id}/score`, body);
        expect([a.id, ok.status, ok.body.sealed]).toEqual([a.id, 200, false]);
        expect(ok.body.assignment.mySheet.total).toBeCloseTo(total, 2);
      }
    }
    expect(blindChecked).toBe(true);
    // Out of range and a second submission are refused, nothing changes.
    const again = await call(userOf.get(Number(accepted[0]!.expert_user_id))!, 'POST', `/my-reviews/${accepted[0]!.id}/score`, {
      scores: sheet(50),
      comment: '再次提交的评审意见',
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'SCORE_ALREADY_SUBMITTED']);

    const batch = await until('the batch to await confirmation', async () => {
      const b = await call('nm_jxc', 'GET', `/expert-batches/${batchId}`);
      return b.body.status === 'awaiting_confirmation' ? b.body : undefined;
    });
    const byProject = new Map<number, { score: number; band: string; aggregationMethod: string; scoreCount: number }>(
      batch.projects.map((p: { projectId: number }) => [p.projectId, p]),
    );
    expect([0, 1, 2, 3].map((i) => [byProject.get(projectIds[i]!)!.score, byProject.get(projectIds[i]!)!.band])).toEqual([
      [80, 'support'],
      [79.99, 'adjust'],
      [60, 'adjust'],
      [59.99, 'reject'],
    ]);
    // 95, 40, 70, 72, 74: trimmed (five sheets) → mean of 70, 72, 74 = 72.
    expect(byProject.get(projectIds[4]!)).toMatchObject({ score: 72, band: 'adjust', aggregationMethod: 'trimmed_mean', scoreCount: 5 });

    // The batch's confirmation step appears once every project's instance has ended in the engine.
    const confirmed = await until('the confirmation step', async () => {
      const r = await call('nm_jxc', 'POST', `/expert-batches/${batchId}/confirm`, { comment: '同意专家组意见' });
      return r.status === 409 && r.body.error.code === 'BATCH_NOT_READY' ? undefined : r;
    });
    expect(confirmed.status).toBe(200);
    expect((await call('nm_jxc', 'POST', `/expert-batches/${batchId}/confirm`, {})).body.error.code).toBe('BATCH_ALREADY_CONFIRMED');

    // The confirmed band lands on the project, where an allocation reads it, and on its timeline.
    const landed = await until('the results on the projects', async () => {
      const rows = (await db('projects')
        .whereIn('id', projectIds)
        .orderBy('id')
        .select('id', 'status', 'expert_score_centi', 'expert_band', 'expert_batch_id')) as Array<{
        status: string;
        expert_score_centi: number;
        expert_band: string;
        expert_batch_id: number;
      }>;
      return rows.every((r) => r.status === 'scored') ? rows : undefined;
    });
    expect(landed.slice(0, 4).map((r) => [Number(r.expert_score_centi), r.expert_band, Number(r.expert_batch_id)])).toEqual([
      [8000, 'support', batchId],
      [7999, 'adjust', batchId],
      [6000, 'adjust', batchId],
      [5999, 'reject', batchId],
    ]);
    const timeline = await call('nm_clerk_yz', 'GET', `/projects/${projectIds[3]}/events`);
    expect(JSON.stringify(timeline.body)).toContain('专家评审得分 59.99 分，结论：不予支持');
    const detail = await call('nm_clerk_yz', 'GET', `/projects/${projectIds[3]}`);
    expect(detail.body.status).toBe('scored');
    expect(detail.body.expertReview).toMatchObject({ score: 59.99, band: 'reject', bandLabel: '不予支持', batchId });
    // The engine's history holds the decisions it evaluated.
    const review = (await db('expert_review_projects')
      .where({ batch_id: batchId, project_id: projectIds[0] })
      .first('process_instance_key')) as { process_instance_key: string };
    const decisions = await t.system.engine.historicDecisions(review.process_instance_key);
    expect(decisions.map((d) => d.activityId).sort()).toEqual(['AggregationRule', 'BandRule']);
    // The experts' tasks never reach the inbox (whose task page shows an instance's history): blind.
    await t.system.reconciler()?.runOnce();
    expect(Number(((await db('inbox_tasks').count({ n: '*' }).first()) as { n: number | string }).n)).toBe(0);
    expect((await call(declinedUser, 'GET', '/tasks?box=todo')).body.total).toBe(0);
  });

  test('a timeout brings a replacement; the late expert can no longer answer', async () => {
    const db = t.system.db;
    const opened = await call('nm_jxc', 'POST', '/expert-batches', {
      name: '超时补抽测试批次',
      fiscalYear: 2026,
      projectIds: [extraProjectId],
      panelSize: 1,
      respondWithin: 'PT2S',
    });
    expect(opened.status).toBe(201);
    const first = (await db('expert_assignments').where({ batch_id: opened.body.id, round: 0 }).first()) as {
      id: number;
      review_id: number;
      expert_id: number;
      expert_user_id: number;
    };
    try {
      const replacement = await until(
        'a replacement after the timeout',
        async () =>
          (await db('expert_assignments').where({ review_id: first.review_id, round: 1 }).first()) as
            { expert_id: number; expert_user_id: number } | undefined,
        90_000,
      );
      expect(Number(replacement.expert_id)).not.toBe(Number(first.expert_id));
      expect(Number(replacement.expert_user_id)).not.toBe(userIds[TIED]);
      expect(((await db('expert_assignments').where('id', first.id).first('status')) as { status: string }).status).toBe('timed_out');
      const late = await call(
        Object.entries(userIds).find(([, id]) => id === Number(first.expert_user_id))![0],
        'POST',
        `/my-reviews/${first.id}/respond`,
        { decision: 'accept' },
      );
      expect([late.status, late.body.error.code]).toEqual([409, 'ASSIGNMENT_ANSWERED']);
    } finally {
      // A worker may be answering one of its external tasks at that moment (OptimisticLocking): retried.
      await t.system.engine.retrying(() => t.system.engine.cancelProcessInstance(opened.body.processInstanceId, 'test done'));
    }
  });

  test('bad input is refused with a clear message and changes nothing', async () => {
    const before = await t.system.db('expert_review_batches').count({ n: '*' }).first();
    const r = await call('nm_jxc', 'POST', '/expert-batches', { name: '无效批次', fiscalYear: 2026, projectIds: [projectIds[0], 99999] });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BATCH_PROJECTS_INVALID');
    expect(r.body.error.details.map((x: { message: string }) => x.message).join('；')).toMatch(/不存在或不在您的数据范围内/);
    expect(await t.system.db('expert_review_batches').count({ n: '*' }).first()).toEqual(before);
    expect(
      (await call('nm_jxc', 'POST', '/expert-batches', { name: 'x', fiscalYear: 2026, projectIds: [extraProjectId], respondWithin: 'P1Y' }))
        .body.error.code,
    ).toMatch(/VALIDATION_FAILED|INVALID_DURATION/);
  });
});
