import ExcelJS from 'exceljs';
import { seedDemoUsers } from '../../server/auth/demo-users';
import type { Db } from '../../server/db';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';

/**
 * 项目批量导入 over real HTTP on the real database: workbooks are built from the template the API
 * hands out, filled in the way a clerk would (amounts as "1,234.56" text and as number cells,
 * categories by code or name), and imported by 王芳 (nm_clerk_yz, 呼和浩特市第一中学). A file is
 * imported whole or not at all.
 */
describe('project import from the Excel template', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const cookies: Record<string, string> = {};
  let template: Buffer;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    api = await startApi(db, fresh.database);
    for (const u of ['nm_clerk_yz', 'nm_ysk']) cookies[u] = await loginCookie(api.base, u, 'Budget@2026');
    const res = await fetch(`${api.base}/api/projects/import-template`, { headers: { cookie: cookies.nm_clerk_yz! } });
    expect(res.status).toBe(200);
    template = Buffer.from(await res.arrayBuffer());
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  async function call(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${api.base}/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', cookie: cookies[user]! },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  const importFile = (bytes: Buffer | Uint8Array, fileName = '2026年项目申报.xlsx', user = 'nm_clerk_yz') =>
    call(user, 'POST', '/projects/import', { format: 'xlsx', base64: Buffer.from(bytes).toString('base64'), fileName });

  type Row = Record<string, ExcelJS.CellValue>;

  /** The downloaded template with rows written under the named headers, from row 2. */
  async function workbook(
    sheets: { 项目?: Row[]; 金额明细?: Row[]; 绩效目标?: Row[] },
    edit?: (wb: ExcelJS.Workbook) => void,
  ): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(new Uint8Array(template).buffer);
    for (const [name, rows] of Object.entries(sheets)) {
      const ws = wb.getWorksheet(name)!;
      const column = new Map<string, number>();
      ws.getRow(1).eachCell((cell, col) => column.set(String(cell.value), col));
      rows.forEach((record, i) => {
        for (const [header, value] of Object.entries(record)) {
          if (!column.has(header)) throw new Error(`the template has no column ${header} in ${name}`);
          ws.getRow(i + 2).getCell(column.get(header)!).value = value;
        }
      });
    }
    edit?.(wb);
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  const project = (seq: number | string, name: string, extra: Row = {}): Row => ({
    序号: seq,
    项目名称: name,
    预算年度: 2026,
    项目类别: '其他特定目标类项目',
    功能分类科目: '2050204',
    项目概述: `${name}：详见可行性研究报告`,
    ...extra,
  });
  const amount = (seq: number | string, economicCode: string, value: ExcelJS.CellValue, note?: string): Row => ({
    序号: seq,
    经济分类科目: economicCode,
    '金额（元）': value,
    ...(note ? { 备注: note } : {}),
  });
  const target = (
    seq: number | string,
    level1: string,
    level2: string,
    name: string,
    direction: string,
    value: ExcelJS.CellValue,
    unit: string,
  ): Row => ({
    序号: seq,
    一级指标: level1,
    二级指标: level2,
    三级指标: name,
    指标方向: direction,
    目标值: value,
    计量单位: unit,
  });

  const counts = async () => ({
    projects: Number(((await db('projects').count({ n: '*' }).first()) as { n: number }).n),
    amounts: Number(((await db('project_amounts').count({ n: '*' }).first()) as { n: number }).n),
    events: Number(((await db('project_events').count({ n: '*' }).first()) as { n: number }).n),
  });

  test('the template: 说明 first, then 项目 / 金额明细 / 绩效目标 with headers only, drop-downs, a Chinese file name', async () => {
    const res = await fetch(`${api.base}/api/projects/import-template`, { headers: { cookie: cookies.nm_clerk_yz! } });
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    expect(res.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('项目导入模板.xlsx')}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    expect(wb.worksheets.map((w) => w.name)).toEqual(['说明', '项目', '金额明细', '绩效目标']);
    const headers = (name: string) => (wb.getWorksheet(name)!.getRow(1).values as unknown[]).slice(1);
    expect(headers('项目')).toEqual([
      '序号',
      '项目名称',
      '预算年度',
      '项目类别',
      '子类型',
      '功能分类科目',
      '实施开始日期',
      '实施结束日期',
      '项目概述',
      '立项依据',
      '申报单位编码',
    ]);
    expect(headers('金额明细')).toEqual(['序号', '经济分类科目', '金额（元）', '备注']);
    expect(headers('绩效目标')).toEqual(['序号', '一级指标', '二级指标', '三级指标', '指标方向', '目标值', '计量单位']);
    for (const name of ['项目', '金额明细', '绩效目标']) expect(wb.getWorksheet(name)!.actualRowCount).toBe(1);
    expect(wb.getWorksheet('项目')!.getCell('D2').dataValidation).toMatchObject({
      type: 'list',
      formulae: ['"人员类,公用经费,其他运转类,专项资金项目,其他特定目标类项目"'],
    });
    expect(wb.getWorksheet('绩效目标')!.getCell('E100').dataValidation).toMatchObject({ type: 'list', formulae: ['"≥,≤,=,定性"'] });
  });

  test('a good file of 3 projects creates 3 drafts with exact fen, targets, and an imported event naming the file', async () => {
    const before = await counts();
    const file = await workbook({
      项目: [
        project(1, '第一中学教学楼维修改造项目', {
          实施开始日期: new Date(Date.UTC(2026, 2, 1)),
          实施结束日期: '2026/8/31',
          立项依据: '《中小学校舍安全保障长效机制实施方案》',
        }),
        project(2, '第一中学牧区学生资助项目', { 项目类别: 33, 子类型: '牧区', 功能分类科目: '2050203 初中教育' }),
        project('3', '第一中学办公设备购置', { 项目类别: '21 公用经费', 功能分类科目: 2050204, 申报单位编码: '150100-JY-001' }),
      ],
      金额明细: [
        amount(1, '30213', '1,234.56'),
        amount(1, '30201', 1234.56, '资料印制'),
        amount(2, '30211', { formula: '0.1+0.2', result: 0.1 + 0.2 }), // Excel's own artefact: 0.30000000000000004
        amount(3, '30201', '¥12,000'),
      ],
      绩效目标: [
        target(1, '产出指标', '数量指标', '维修校舍面积', '≥', 3200, '平方米'),
        target(1, '效益指标', '社会效益指标', '受益学生人数', '>=', '1800', '人'),
        target(1, '满意度指标', '服务对象满意度指标', '师生满意度', '≥', 0.95, '%'),
        target(2, '产出指标', '质量指标', '资助政策知晓率', '定性', '全部知晓', ''),
      ],
    });
    const r = await importFile(file);
    expect(r.status).toBe(201);
    expect(r.body.created.map((c: { row: number; name: string; totalAmountFen: number }) => [c.row, c.name, c.totalAmountFen])).toEqual([
      [2, '第一中学教学楼维修改造项目', 123456 + 123456],
      [3, '第一中学牧区学生资助项目', 30],
      [4, '第一中学办公设备购置', 1_200_000],
    ]);
    expect(await counts()).toMatchObject({ projects: before.projects + 3, amounts: before.amounts + 4 });

    const first = (await call('nm_clerk_yz', 'GET', `/projects/${r.body.created[0].id}`)).body;
    expect(first.projectNo).toBe(r.body.created[0].projectNo);
    expect(first).toMatchObject({
      unitName: '呼和浩特市第一中学',
      status: 'draft',
      category: '33',
      startDate: '2026-03-01',
      endDate: '2026-08-31',
      basis: '《中小学校舍安全保障长效机制实施方案》',
    });
    expect(
      first.amounts.map((a: { economicCode: string; amountFen: number; note: string | null }) => [a.economicCode, a.amountFen, a.note]),
    ).toEqual([
      ['30213', 123456, null],
      ['30201', 123456, '资料印制'],
    ]);
    expect(first.targets.map((t: { direction: string; targetValue: string }) => [t.direction, t.targetValue])).toEqual([
      ['>=', '3200'],
      ['>=', '1800'],
      ['>=', '0.95'],
    ]);
    expect(first.smartProblems).toEqual([]);
    const second = (await call('nm_clerk_yz', 'GET', `/projects/${r.body.created[1].id}`)).body;
    expect(second).toMatchObject({ category: '33', subType: 'pastoral', functionalCode: '2050203' });
    expect(second.targets[0]).toMatchObject({ direction: 'qualitative', targetValue: '全部知晓', unit: '' });
    expect((await call('nm_clerk_yz', 'GET', `/projects/${r.body.created[2].id}`)).body).toMatchObject({
      category: '21',
      functionalCode: '2050204',
    });

    const events = (await call('nm_clerk_yz', 'GET', `/projects/${r.body.created[0].id}/events`)).body.items;
    expect(events[0]).toMatchObject({ kind: 'imported', toStatus: 'draft', actor: 'nm_clerk_yz' });
    expect(events[0].note).toContain('2026年项目申报.xlsx');
    expect(events[0].note).toContain('第 2 行');
  });

  test('one file with bad rows among good ones: every issue by sheet, row and column, and nothing written', async () => {
    const before = await counts();
    const file = await workbook({
      项目: [
        project(1, '校园安防监控系统升级'), // row 2: good
        project(2, '校园绿化提升工程', { 功能分类科目: '2059999' }), // row 3: no such code in 2026
        project(3, '名'.repeat(201)), // row 4: name too long
        project(4, '农牧业技术培训', { 申报单位编码: '150100-NY-001' }), // row 5: another unit, outside a clerk's scope
        project(5, '体育器材更新'), // row 6: negative amount
        project(6, '实验室耗材补充'), // row 7: amount with three decimals
        project(7, '图书馆书架更换'), // row 8: no amount line
      ],
      金额明细: [
        amount(1, '30213', '50,000.00'), // row 2
        amount(2, '30213', 8000), // row 3
        amount(3, '30201', 100), // row 4
        amount(4, '30216', 2000), // row 5
        amount(5, '30201', -100), // row 6
        amount(6, '30201', 1.234), // row 7
        amount(99, '30201', 100), // row 8: orphan
      ],
    });
    const r = await importFile(file);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('IMPORT_FAILED');
    expect(r.body.error.message).toContain('7 处错误');
    const where = r.body.error.details.map((d: { sheet: string; row: number; column: string }) => `${d.sheet}!${d.row}!${d.column}`);
    expect(where).toEqual([
      '项目!3!功能分类科目',
      '项目!4!项目名称',
      '项目!5!申报单位编码',
      '项目!8!序号',
      '金额明细!6!金额（元）',
      '金额明细!7!金额（元）',
      '金额明细!8!序号',
    ]);
    const message = (at: string) => r.body.error.details[where.indexOf(at)].message as string;
    expect(message('项目!3!功能分类科目')).toBe('2026 年度没有功能分类科目 2059999');
    expect(message('项目!4!项目名称')).toBe('不能超过 200 个字符');
    expect(message('项目!5!申报单位编码')).toContain('150100-NY-001 不存在或不在您的数据范围内');
    expect(message('项目!8!序号')).toBe('至少填写一条预算金额（「金额明细」表中序号为 7 的行）');
    expect(message('金额明细!6!金额（元）')).toBe('金额须大于 0'); // the schema's words, as the API says them
    expect(message('金额明细!7!金额（元）')).toContain('1.234');
    expect(message('金额明细!8!序号')).toContain('没有序号为 99 的项目');
    expect(await counts()).toEqual(before);
  });

  test('the same project twice in one file, a duplicated 序号 and a target outside the framework are refused', async () => {
    const before = await counts();
    const file = await workbook({
      项目: [project(1, '食堂设备更新'), project(2, '食堂设备更新'), project(2, '宿舍热水改造')],
      金额明细: [amount(1, '30201', 100), amount(2, '30201', 100)],
      绩效目标: [
        target(1, '产出指标', '社会效益指标', '更新设备数量', '≥', 10, '台'),
        target(2, '产出指标', '数量指标', '更新设备数量', '大于', 10, '台'),
      ],
    });
    const r = await importFile(file);
    expect(r.status).toBe(400);
    const issues = r.body.error.details.map((d: { sheet: string; row: number; column: string; message: string }) => [
      d.sheet,
      d.row,
      d.column,
      d.message,
    ]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['项目', 3, '项目名称', '与第 2 行的项目重名（同一申报单位、同一年度）'],
        ['项目', 4, '序号', '与第 3 行的序号重复'],
        ['绩效目标', 2, '二级指标', '产出指标 的二级指标应为 数量指标、质量指标、时效指标、成本指标 之一'],
        ['绩效目标', 3, '指标方向', '应为 ≥、≤、= 或 定性'],
      ]),
    );
    expect(await counts()).toEqual(before);
  });

  test('a file with hundreds of problems reports the first 200 and says how many more', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({
      序号: i + 1,
      预算年度: 2026,
      项目类别: '33',
      功能分类科目: '2050204',
      项目概述: '概述',
    }));
    const r = await importFile(await workbook({ 项目: rows }));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('IMPORT_FAILED');
    expect(r.body.error.details).toHaveLength(200);
    expect(r.body.error.message).toContain('500 处错误');
    expect(r.body.error.message).toContain('另有 300 处未列出');
    // Sorted as the clerk reads the file: sheet, row, then column order.
    expect(
      r.body.error.details.slice(0, 3).map((d: { row: number; column: string; message: string }) => [d.row, d.column, d.message]),
    ).toEqual([
      [2, '序号', '至少填写一条预算金额（「金额明细」表中序号为 1 的行）'],
      [2, '项目名称', '必填项'],
      [3, '序号', '至少填写一条预算金额（「金额明细」表中序号为 2 的行）'],
    ]);
  });

  test('malformed workbooks: not xlsx, a missing sheet, a missing column, no data — each its own code, nothing written', async () => {
    const before = await counts();
    const notXlsx = await importFile(Buffer.from('序号,项目名称\n1,某项目\n'), 'projects.csv');
    expect(notXlsx.status).toBe(400);
    expect(notXlsx.body.error.code).toBe('INVALID_FILE');

    const noTargets = await importFile(
      await workbook({ 项目: [project(1, '某项目')] }, (wb) => wb.removeWorksheet(wb.getWorksheet('绩效目标')!.id)),
    );
    expect(noTargets.status).toBe(400);
    expect(noTargets.body.error.code).toBe('MISSING_SHEET');
    expect(noTargets.body.error.details).toEqual([expect.objectContaining({ sheet: '绩效目标', row: 0 })]);

    const noAmountColumn = await importFile(
      await workbook({ 项目: [project(1, '某项目')] }, (wb) => (wb.getWorksheet('金额明细')!.getCell('C1').value = '金额')),
    );
    expect(noAmountColumn.status).toBe(400);
    expect(noAmountColumn.body.error.code).toBe('MISSING_COLUMN');
    expect(noAmountColumn.body.error.details).toEqual([expect.objectContaining({ sheet: '金额明细', row: 1, column: '金额（元）' })]);

    const empty = await importFile(template);
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('EMPTY_IMPORT');

    const csv = await call('nm_clerk_yz', 'POST', '/projects/import', { format: 'csv', content: 'x' });
    expect(csv.status).toBe(400);
    expect(csv.body.error.code).toBe('VALIDATION_FAILED');
    expect(await counts()).toEqual(before);
  });

  test('only those who file applications may import: the budget division gets 403', async () => {
    expect((await importFile(template, 'x.xlsx', 'nm_ysk')).status).toBe(403);
    expect((await call('nm_ysk', 'GET', '/projects/import-template')).status).toBe(403);
  });
});
