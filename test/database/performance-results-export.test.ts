import ExcelJS from 'exceljs';
import { createUser } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { scoreEvaluation } from '../../domain/performance-scoring';
import { getOrganisationByCode, seedReferenceData } from '../../server/reference';
import { loginCookie, TEST_PASSWORD } from '../support/accounts';
import { startApi } from '../support/api';
import { insertProjectRow } from '../support/projects';
import { openFreshDatabase } from '../support/system';

/**
 * Excel export of 评价结果 over real HTTP: the workbook is opened with exceljs and holds the list's
 * rows under the person's data scope — project, unit, the score of each part, the grade — and no
 * row of another province (江苏). Evaluations stand as the evaluation process leaves them (its
 * integration test drives that); pages of 2 rows make the export read several SQL pages.
 */
describe('评价结果 Excel export', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let division: string; // 内蒙古 绩效处
  let clerk: string; // 第一中学
  let otherDivision: string; // 江苏 绩效处

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    api = await startApi(db, fresh.database, { exportLimits: { maxRows: 50_000, pageSize: 2 } });
    const org = async (code: string) => (await getOrganisationByCode(db, code))!.id;
    const school = await org('150100-JY-001');
    const otherSchool = await org('150100-JY-002');
    const jiangsu = await org('320100-JY-002');
    await createUser(db, {
      username: 'ex_jxc',
      displayName: '周强',
      orgId: await org('150000-CZ-JX'),
      password: TEST_PASSWORD,
      roles: ['performance_division'],
    });
    await createUser(db, { username: 'ex_clerk', displayName: '王芳', orgId: school, password: TEST_PASSWORD, roles: ['unit_clerk'] });
    await createUser(db, {
      username: 'js_jxc',
      displayName: '江苏绩效处',
      orgId: await org('320000-CZ-JX'),
      password: TEST_PASSWORD,
      roles: ['performance_division'],
    });
    division = await loginCookie(api.base, 'ex_jxc');
    clerk = await loginCookie(api.base, 'ex_clerk');
    otherDivision = await loginCookie(api.base, 'js_jxc');
    const starter = Number(((await db('users').where({ username: 'ex_jxc' }).first('id')) as { id: number }).id);

    // 产出 900/1000 and 效益 400/800 after review, 67.53 % executed: 74.26 (as the whole-year test).
    const breakdown = scoreEvaluation(
      [
        { level1: '产出指标', direction: '>=', targetValue: '1000', actualValue: '900', band: null, percent: null },
        { level1: '效益指标', direction: '>=', targetValue: '800', actualValue: '400', band: null, percent: null },
      ],
      { issuedFen: 200_000_50, paidFen: 135_060_47 },
    );
    expect(breakdown.totalCenti).toBe(7426);
    const evaluation = async (unitOrgId: number, name: string, fields: Record<string, unknown>) => {
      const projectId = await insertProjectRow(db, { unitOrgId, fiscalYear: 2025, name });
      await db('performance_evaluations').insert({
        project_id: projectId,
        fiscal_year: 2025,
        unit_org_id: unitOrgId,
        started_by: starter,
        started_at: new Date('2026-01-20T09:00:00+08:00'),
        ...fields,
      });
    };
    await evaluation(school, '校舍维修（已评定）', {
      status: 'graded',
      issued_fen: 200_000_50,
      paid_fen: 135_060_47,
      self_score_centi: 9113,
      reviewed_score_centi: 7426,
      final_score_centi: 7426,
      grade: 'fair',
      breakdown: JSON.stringify(breakdown),
      graded_at: new Date('2026-03-02T10:30:00+08:00'),
    });
    await evaluation(school, '操场改造（自评中）', { status: 'self_evaluation' });
    await evaluation(otherSchool, '第二中学食堂（审核中）', {
      status: 'review',
      self_score_centi: 8800,
      breakdown: JSON.stringify(breakdown),
    });
    await evaluation(jiangsu, '江苏项目（已评定）', {
      status: 'graded',
      final_score_centi: 9500,
      grade: 'excellent',
      graded_at: new Date(),
    });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  const workbook = async (cookie: string, query = '') => {
    const res = await fetch(`${api.base}/api/performance/evaluations/export${query}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    expect(decodeURIComponent(res.headers.get('content-disposition') ?? '')).toContain('绩效评价结果-');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
    const sheet = wb.getWorksheet('评价结果')!;
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return rows;
  };

  test('绩效处 exports its province: each part’s score and the grade, the list’s order; 江苏’s row is absent', async () => {
    const rows = await workbook(division);
    expect(rows[0]).toEqual([
      '评价年度',
      '项目编号',
      '项目名称',
      '预算单位',
      '评价状态',
      '预算执行率（%）',
      '预算执行率得分',
      '产出指标得分',
      '效益指标得分',
      '满意度指标得分',
      '自评得分',
      '审核得分',
      '专家评价得分',
      '最终得分',
      '评价等级',
      '评定时间',
    ]);
    const body = rows.slice(1);
    expect(body.map((r) => r[2])).toEqual(['第二中学食堂（审核中）', '操场改造（自评中）', '校舍维修（已评定）']);
    const graded = body[2]!;
    expect(graded[0]).toBe(2025);
    expect(graded[1]).toMatch(/^XM2025-/);
    expect(graded[3]).toBe('呼和浩特市第一中学');
    expect(graded.slice(4, 16)).toEqual([
      '已评定',
      67.53,
      6.75,
      50.63,
      16.88,
      undefined,
      91.13,
      74.26,
      undefined,
      74.26,
      '中',
      '2026-03-02 10:30:00',
    ]);
    // An evaluation not scored yet has its status and no scores.
    expect(body[1]!.slice(4)).toEqual(['单位自评']);
    expect(rows.flat().join('|')).not.toContain('江苏');
    // The list's filters apply.
    expect((await workbook(division, '?status=graded')).slice(1).map((r) => r[2])).toEqual(['校舍维修（已评定）']);
  });

  test('a unit’s clerk exports its own unit only; 江苏’s 绩效处 sees only 江苏; bad filters are a 400', async () => {
    expect((await workbook(clerk)).slice(1).map((r) => r[2])).toEqual(['操场改造（自评中）', '校舍维修（已评定）']);
    expect((await workbook(otherDivision)).slice(1).map((r) => r[2])).toEqual(['江苏项目（已评定）']);
    const bad = await fetch(`${api.base}/api/performance/evaluations/export?status=nope`, { headers: { cookie: division } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });
});
