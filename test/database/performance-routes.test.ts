import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { scoreEvaluation } from '../../domain/performance-scoring';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { insertProjectRow } from '../support/projects';
import { openFreshDatabase } from '../support/system';

/**
 * The 绩效评价 and 绩效监控 routes declared with route.ts, over real HTTP without an engine: a path
 * id is decimal digits only — `5.0`, `0x5` and `abc` are a 404 naming the object, like an id that
 * does not exist, where a bare coercion took the first two for 5 — and the answers of the reading
 * routes hold to their contracts (contracts/performance.ts, contracts/monitoring.ts; checked on
 * every answer under tests) for rows as the processes' workers leave them.
 */
describe('performance and monitoring routes', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let division: string; // 内蒙古 绩效处
  let evaluationId: number;
  let reportId: number;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database);
    const school = (await getOrganisationByCode(db, '150100-JY-001'))!.id;
    const bureau = (await getOrganisationByCode(db, '150000-CZ-JX'))!.id;
    await createUser(db, {
      username: 'pr_jxc',
      displayName: '周强',
      orgId: bureau,
      password: TEST_PASSWORD,
      roles: ['performance_division'],
    });
    division = await loginCookie(api.base, 'pr_jxc');
    const starter = Number(((await db('users').where({ username: 'pr_jxc' }).first('id')) as { id: number }).id);
    const now = new Date();

    const breakdown = scoreEvaluation(
      [{ level1: '产出指标', direction: '>=', targetValue: '1000', actualValue: '900', band: null, percent: null }],
      { issuedFen: 200_000_50, paidFen: 135_060_47 },
    );
    const projectId = await insertProjectRow(db, { unitOrgId: school, fiscalYear: 2025, name: '校舍维修' });
    const [ev] = await db('performance_evaluations').insert({
      project_id: projectId,
      fiscal_year: 2025,
      unit_org_id: school,
      status: 'graded',
      started_by: starter,
      started_at: now,
      issued_fen: 200_000_50,
      paid_fen: 135_060_47,
      self_score_centi: 9113,
      reviewed_score_centi: 7426,
      final_score_centi: 7426,
      grade: 'fair',
      breakdown: JSON.stringify(breakdown),
      graded_at: now,
    });
    evaluationId = Number(ev);
    const [round] = await db('monitoring_rounds').insert({
      fiscal_year: 2026,
      quarter: 4,
      scope_key: '15',
      organiser_org_id: bureau,
      started_by: starter,
      process_instance_key: 'pr-mon-round',
      report_count: 1,
      started_at: now,
    });
    const [report] = await db('monitoring_reports').insert({
      round_id: Number(round),
      project_id: projectId,
      unit_org_id: school,
      fiscal_year: 2026,
      quarter: 4,
      status: 'warned',
      process_instance_key: 'pr-mon-1',
      as_of: '2026-12-01',
      budget_fen: 1_000_000,
      frozen_fen: 100,
      paid_fen: 0,
      time_elapsed_days: 335,
      time_year_days: 365,
      deviation_level: 'severe',
      deviation_reasons: JSON.stringify(['执行滞后']),
      submitted_at: now,
      created_at: now,
      updated_at: now,
    });
    reportId = Number(report);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  const get = async (path: string) => {
    const res = await fetch(`${api.base}${path}`, { headers: { cookie: division } });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
  };
  const malformed = (id: number) => [`${id}.0`, `0x${id.toString(16)}`, `${id}e0`, 'abc'];

  test('an evaluation answers under its contract; a malformed id is a 404 绩效评价不存在', async () => {
    const ok = await get(`/api/performance/evaluations/${evaluationId}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: evaluationId, status: 'graded', grade: 'fair', scores: { finalCenti: 7426 } });
    for (const id of malformed(evaluationId)) {
      const r = await get(`/api/performance/evaluations/${id}`);
      expect([id, r.status, r.body.error]).toEqual([id, 404, { code: 'NOT_FOUND', message: '绩效评价不存在' }]);
    }
    const evidence = await get(`/api/performance/evaluations/${evaluationId}/evidence/1.0`);
    expect([evidence.status, evidence.body.error?.message]).toEqual([404, '佐证材料不存在']);
    const ofMalformed = await get(`/api/performance/evaluations/${evaluationId}.0/evidence/1`);
    expect([ofMalformed.status, ofMalformed.body.error?.message]).toEqual([404, '绩效评价不存在']);
  });

  test('a monitoring report answers under its contract; a malformed id is a 404 绩效监控报告不存在', async () => {
    const ok = await get(`/api/monitoring/reports/${reportId}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      id: reportId,
      status: 'warned',
      deviationLevel: 'severe',
      figures: { budgetFen: 1_000_000, paidFen: 0 },
    });
    expect(typeof ok.body.submittedAt).toBe('string');
    for (const id of malformed(reportId)) {
      const r = await get(`/api/monitoring/reports/${id}`);
      expect([id, r.status, r.body.error]).toEqual([id, 404, { code: 'NOT_FOUND', message: '绩效监控报告不存在' }]);
    }
    const list = await get('/api/monitoring/reports?deviation=true');
    expect([list.status, list.body.total]).toEqual([200, 1]);
  });
});
