import { seedDemoUsers } from '../../server/auth/demo-users';
import type { Db } from '../../server/db';
import { seedReferenceData } from '../../server/reference';
import ExcelJS from 'exceljs';
import { sm3Hex } from '../../domain/digest';
import { loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { openFreshDatabase } from '../support/system';
import { changeStatus } from '../../server/projects/service';

/**
 * The project library over real HTTP on the real database, with the demo organisations and
 * accounts: 王芳 (nm_clerk_yz) files for 呼和浩特市第一中学, 赵磊 (nm_clerk_ny) for the 农牧业技术推广中心,
 * 李娜 (nm_dept_jy) reviews for 教育局, 刘洋 (nm_ysk) is the city's budget section, 徐晨 (js_clerk_jl)
 * is a clerk in Nanjing.
 */
describe('projects API', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const cookies: Record<string, string> = {};

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    api = await startApi(db, fresh.database);
    for (const u of ['nm_clerk_yz', 'nm_clerk_ny', 'nm_dept_jy', 'nm_ysk', 'js_clerk_jl', 'nm_expert'])
      cookies[u] = await loginCookie(api.base, u, 'Budget@2026');
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

  const application = (extra: object = {}) => ({
    fiscalYear: 2026,
    name: '呼和浩特市第一中学教学楼维修改造项目',
    category: '33',
    functionalCode: '2050204',
    description: '详见可行性研究报告', // short: only names are compared unless a test sets a real description
    basis: '《呼和浩特市中小学校舍安全保障长效机制实施方案》',
    startDate: '2026-03-01',
    endDate: '2026-08-31',
    amounts: [
      { economicCode: '30213', amountFen: 1_250_000_00 },
      { economicCode: '30201', amountFen: 3_000_00, note: '资料印制' },
    ],
    targets: [
      { level1: '产出指标', level2: '数量指标', name: '维修校舍面积', direction: '>=', targetValue: '3200', unit: '平方米' },
      { level1: '效益指标', level2: '社会效益指标', name: '受益学生人数', direction: '>=', targetValue: '1800', unit: '人' },
      { level1: '满意度指标', level2: '服务对象满意度指标', name: '师生满意度', direction: '>=', targetValue: '90', unit: '%' },
    ],
    ...extra,
  });

  /** 送审 as the intake process does it (no engine here): the application leaves the unit's drafts. */
  const submit = (id: number) => changeStatus(db, { userId: null, username: 'system', displayName: '系统自动' }, id, 'submitted');

  const counts = async () => ({
    projects: Number(((await db('projects').count({ n: '*' }).first()) as { n: number }).n),
    amounts: Number(((await db('project_amounts').count({ n: '*' }).first()) as { n: number }).n),
    events: Number(((await db('project_events').count({ n: '*' }).first()) as { n: number }).n),
  });

  test('a clerk files a draft for their unit: number, total, codes named, SMART passes, one created event', async () => {
    const r = await call('nm_clerk_yz', 'POST', '/projects', application());
    expect(r.status).toBe(201);
    const p = r.body;
    expect(p.projectNo).toBe(`XM2026-${String(p.id).padStart(6, '0')}`);
    expect(p.unitName).toBe('呼和浩特市第一中学');
    expect(p.status).toBe('draft');
    expect(p.statusLabel).toBe('草稿');
    expect(p.categoryLabel).toBe('其他特定目标类项目');
    expect(p.totalAmountFen).toBe(1_250_000_00 + 3_000_00);
    expect(p.functionalName).toBe('高中教育');
    expect(p.amounts.map((a: { economicName: string }) => a.economicName)).toEqual(['维修（护）费', '办公费']);
    expect(p.targets).toHaveLength(3);
    expect(p.smartProblems).toEqual([]);
    expect(p.duplicates).toEqual([]);
    expect(p.createdAt).toMatch(/\+08:00$/);
    const events = await call('nm_clerk_yz', 'GET', `/projects/${p.id}/events`);
    expect(events.body.items.map((e: { kind: string }) => e.kind)).toEqual(['created']);
    expect(events.body.items[0]).toMatchObject({ actor: 'nm_clerk_yz', actorName: '王芳', toStatus: 'draft' });
  });

  test('likely duplicates: a near-identical second application of the same unit and year is flagged on both', async () => {
    const first = (
      await call(
        'nm_clerk_yz',
        'POST',
        '/projects',
        application({
          name: '第一中学实验楼改造项目',
          description: '实验楼水电线路改造，更换老化线路和给排水管道，消除安全隐患，保障实验教学正常开展。',
        }),
      )
    ).body;
    const second = await call(
      'nm_clerk_yz',
      'POST',
      '/projects',
      application({
        name: '第一中学实验楼改造工程',
        description: '实验楼水电线路改造，更换老化线路和给排水管道，消除安全隐患，保障实验教学的正常开展。',
      }),
    );
    expect(second.status).toBe(201);
    expect(second.body.duplicates).toHaveLength(1);
    expect(second.body.duplicates[0]).toMatchObject({ projectId: first.id, basis: ['name', 'content'] });
    const firstNow = (await call('nm_clerk_yz', 'GET', `/projects/${first.id}`)).body;
    expect(firstNow.duplicates.map((d: { projectId: number }) => d.projectId)).toEqual([second.body.id]);
    const flagged = (await call('nm_clerk_yz', 'GET', '/projects?duplicates=true&pageSize=100')).body;
    expect(flagged.items.map((i: { id: number }) => i.id).sort()).toEqual([first.id, second.body.id].sort());
    const events = (await call('nm_clerk_yz', 'GET', `/projects/${second.body.id}/events`)).body.items;
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['created', 'duplicate_flagged']);

    // Another unit's application with the same name is not a duplicate of this unit's.
    const other = await call(
      'nm_clerk_ny',
      'POST',
      '/projects',
      application({ name: '第一中学实验楼改造工程', functionalCode: '2130505' }),
    );
    expect(other.body.duplicates).toEqual([]);

    // An edit that makes it different removes the flag from both.
    const edited = await call('nm_clerk_yz', 'PUT', `/projects/${second.body.id}`, {
      ...application({ name: '校园绿化提升', description: '对校园绿地进行补植和养护，建设生态文化长廊，提升校园环境品质和育人氛围。' }),
      fiscalYear: undefined,
      version: second.body.version,
    });
    expect(edited.status).toBe(200);
    expect(edited.body.duplicates).toEqual([]);
    expect((await call('nm_clerk_yz', 'GET', `/projects/${first.id}`)).body.duplicates).toEqual([]);
  });

  test('edit: optimistic version, changed fields on the timeline, a stale version is 409 and changes nothing', async () => {
    const p = (await call('nm_clerk_yz', 'POST', '/projects', application({ name: '图书馆数字化建设' }))).body;
    const { fiscalYear: _y, ...fields } = application({ name: '图书馆数字化建设（一期）' });
    const r = await call('nm_clerk_yz', 'PUT', `/projects/${p.id}`, { ...fields, version: p.version });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe('图书馆数字化建设（一期）');
    expect(r.body.version).toBe(p.version + 1);
    const stale = await call('nm_clerk_yz', 'PUT', `/projects/${p.id}`, { ...fields, name: '别的名字', version: p.version });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('PROJECT_CHANGED');
    expect((await call('nm_clerk_yz', 'GET', `/projects/${p.id}`)).body.name).toBe('图书馆数字化建设（一期）');
    const events = (await call('nm_clerk_yz', 'GET', `/projects/${p.id}/events`)).body.items;
    expect(events.at(-1)).toMatchObject({ kind: 'updated', data: { changed: ['name'] } });
  });

  test('作废: a draft can be voided with a reason; afterwards it cannot be edited or voided again', async () => {
    const p = (await call('nm_clerk_yz', 'POST', '/projects', application({ name: '操场塑胶跑道翻新' }))).body;
    const voided = await call('nm_clerk_yz', 'POST', `/projects/${p.id}/void`, {
      reason: '与市级统一实施项目重复，撤销申报',
      version: p.version,
    });
    expect(voided.status).toBe(200);
    expect(voided.body.status).toBe('void');
    const again = await call('nm_clerk_yz', 'POST', `/projects/${p.id}/void`, { reason: '再次作废', version: voided.body.version });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATUS_CHANGE');
    const { fiscalYear: _y, ...fields } = application();
    const edit = await call('nm_clerk_yz', 'PUT', `/projects/${p.id}`, { ...fields, version: voided.body.version });
    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe('PROJECT_NOT_EDITABLE');
    const last = (await call('nm_clerk_yz', 'GET', `/projects/${p.id}/events`)).body.items.at(-1);
    expect(last).toMatchObject({ kind: 'voided', fromStatus: 'draft', toStatus: 'void', note: '与市级统一实施项目重复，撤销申报' });
  });

  test('can: each project says what the reader may do with it — the clerk edits, submits and voids a draft; once submitted 撤回, 作废 and the approval sheet; a reviewer without projects:write none of it', async () => {
    const none = { edit: false, submit: false, rework: false, withdraw: false, void: false };
    const draft = (await call('nm_clerk_yz', 'POST', '/projects', application({ name: '图书馆阅览室设备更新' }))).body;
    expect(draft.can).toEqual({ ...none, edit: true, submit: true, void: true, approvalSheet: false });
    const row = (await call('nm_clerk_yz', 'GET', `/projects?keyword=${encodeURIComponent('图书馆阅览室设备更新')}`)).body.items[0];
    expect(row.can).toEqual(draft.can);
    await submit(draft.id);
    expect((await call('nm_clerk_yz', 'GET', `/projects/${draft.id}`)).body.can).toEqual({
      ...none,
      withdraw: true,
      void: true,
      approvalSheet: true,
    });
    expect((await call('nm_dept_jy', 'GET', `/projects/${draft.id}`)).body.can).toEqual({ ...none, approvalSheet: true });
    await changeStatus(db, { userId: null, username: 'system', displayName: '系统自动' }, draft.id, 'returned');
    expect((await call('nm_clerk_yz', 'GET', `/projects/${draft.id}`)).body.can).toEqual({
      ...none,
      edit: true,
      rework: true,
      void: true,
      approvalSheet: true,
    });
  });

  test('bad input: unknown codes, negative or fractional fen, overlong text, bad targets, wrong dates → 400 and nothing written', async () => {
    const before = await counts();
    const cases: Array<[object, string, string]> = [
      [{ functionalCode: '2059999' }, 'UNKNOWN_CODE', 'functionalCode'],
      [{ functionalCode: '20502' }, 'VALIDATION_FAILED', 'body.functionalCode'],
      [{ amounts: [{ economicCode: '39999', amountFen: 100 }] }, 'UNKNOWN_CODE', 'amounts.0.economicCode'],
      [{ amounts: [{ economicCode: '30213', amountFen: -100 }] }, 'VALIDATION_FAILED', 'body.amounts.0.amountFen'],
      [{ amounts: [{ economicCode: '30213', amountFen: 100.5 }] }, 'VALIDATION_FAILED', 'body.amounts.0.amountFen'],
      [{ amounts: [] }, 'VALIDATION_FAILED', 'body.amounts'],
      [
        {
          amounts: [
            { economicCode: '30213', amountFen: 1 },
            { economicCode: '30213', amountFen: 2 },
          ],
        },
        'VALIDATION_FAILED',
        'body.amounts.1.economicCode',
      ],
      [{ name: '长'.repeat(201) }, 'VALIDATION_FAILED', 'body.name'],
      [{ description: '长'.repeat(4001) }, 'VALIDATION_FAILED', 'body.description'],
      [{ category: '4' }, 'VALIDATION_FAILED', 'body.category'],
      [{ endDate: '2026-02-01' }, 'VALIDATION_FAILED', 'body.endDate'],
      [{ startDate: '2026-02-30' }, 'VALIDATION_FAILED', 'body.startDate'],
      [
        { targets: [{ level1: '产出指标', level2: '满意度', name: 'x', direction: '>=', targetValue: '1', unit: '个' }] },
        'VALIDATION_FAILED',
        'body.targets.0.level2',
      ],
      [
        { targets: [{ level1: '产出指标', level2: '数量指标', name: 'x', direction: '>=', targetValue: '很多', unit: '个' }] },
        'VALIDATION_FAILED',
        'body.targets.0.targetValue',
      ],
      [{ unitOrgId: 999999 }, 'NOT_FOUND', ''],
      [{ surprise: 1 }, 'VALIDATION_FAILED', 'body'],
    ];
    for (const [extra, code, field] of cases) {
      const r = await call('nm_clerk_yz', 'POST', '/projects', application(extra));
      expect([r.status, r.body.error.code, extra]).toEqual([code === 'NOT_FOUND' ? 404 : 400, code, extra]);
      if (field) expect(r.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect(await counts()).toEqual(before);
  });

  test('data scope: a clerk sees only their unit, the department its units, the city budget section the city; guessed ids are 404', async () => {
    const mine = (await call('nm_clerk_yz', 'POST', '/projects', application({ name: '食堂设备更新' }))).body;
    const theirs = (
      await call('nm_clerk_ny', 'POST', '/projects', application({ name: '农技推广示范基地建设', functionalCode: '2130505' }))
    ).body;
    const nanjing = (await call('js_clerk_jl', 'POST', '/projects', application({ name: '金陵中学体育馆维修' }))).body;
    expect(nanjing.unitName).toBe('南京市金陵中学');
    for (const p of [mine, theirs, nanjing]) await submit(p.id); // drafts are the unit's alone (see the drafts test)

    const list = async (user: string) =>
      (await call(user, 'GET', '/projects?pageSize=100')).body.items as Array<{ id: number; unitName: string }>;
    expect(new Set((await list('nm_clerk_yz')).map((p) => p.unitName))).toEqual(new Set(['呼和浩特市第一中学']));
    const dept = await list('nm_dept_jy');
    expect(dept.some((p) => p.id === mine.id)).toBe(true);
    expect(dept.some((p) => p.id === theirs.id)).toBe(false); // 农牧局's unit, not 教育局's
    const city = await list('nm_ysk');
    expect(city.some((p) => p.id === theirs.id) && city.some((p) => p.id === mine.id)).toBe(true);
    expect(city.some((p) => p.id === nanjing.id)).toBe(false);

    for (const [user, id] of [
      ['nm_clerk_yz', theirs.id],
      ['nm_clerk_yz', nanjing.id],
      ['js_clerk_jl', mine.id],
      ['nm_dept_jy', theirs.id],
    ] as const) {
      expect((await call(user, 'GET', `/projects/${id}`)).status).toBe(404);
      expect((await call(user, 'GET', `/projects/${id}/events`)).status).toBe(404);
    }
    const { fiscalYear: _y, ...fields } = application();
    const hijack = await call('nm_clerk_yz', 'PUT', `/projects/${theirs.id}`, { ...fields, version: theirs.version + 1 });
    expect(hijack.status).toBe(404);
    expect((await call('nm_clerk_yz', 'POST', `/projects/${theirs.id}/void`, { reason: 'x', version: theirs.version + 1 })).status).toBe(
      404,
    );
    // Filing for another unit by naming it is refused the same way.
    expect((await call('nm_clerk_yz', 'POST', '/projects', application({ unitOrgId: theirs.unitOrgId }))).status).toBe(404);
    // Reviewers read but do not file; an expert does not read the library.
    expect((await call('nm_ysk', 'POST', '/projects', application())).status).toBe(403);
    expect((await call('nm_expert', 'GET', '/projects')).status).toBe(403);
    expect((await call('nm_ysk', 'GET', '/projects/abc')).status).toBe(404);
  });

  test('list: filters, keyword (LIKE characters are literal), sort and pages in SQL', async () => {
    await submit(
      (
        await call(
          'nm_clerk_ny',
          'POST',
          '/projects',
          application({ name: '100%_覆盖 牧区动物防疫', functionalCode: '2130505', category: '32', subType: 'pastoral' }),
        )
      ).body.id,
    );
    const r = (await call('nm_ysk', 'GET', `/projects?keyword=${encodeURIComponent('100%_')}`)).body;
    expect(r.items.map((i: { name: string }) => i.name)).toEqual(['100%_覆盖 牧区动物防疫']);
    expect(r.items[0]).toMatchObject({ subTypeLabel: '牧区', categoryLabel: '专项资金项目' });
    expect((await call('nm_ysk', 'GET', '/projects?keyword=%25')).body.items.every((i: { name: string }) => i.name.includes('%'))).toBe(
      true,
    );
    const agri = (await call('nm_ysk', 'GET', '/projects?functionalCode=213&pageSize=100')).body.items;
    expect(agri.length).toBeGreaterThan(0);
    expect(agri.every((i: { functionalCode: string }) => i.functionalCode.startsWith('213'))).toBe(true);

    const all = (await call('nm_ysk', 'GET', '/projects?pageSize=100&sort=name&order=asc')).body;
    const names = all.items.map((i: { name: string }) => i.name);
    expect(all.total).toBe(names.length);
    const page1 = (await call('nm_ysk', 'GET', '/projects?pageSize=2&page=1&sort=totalAmountFen&order=desc')).body;
    const page2 = (await call('nm_ysk', 'GET', '/projects?pageSize=2&page=2&sort=totalAmountFen&order=desc')).body;
    expect(page1.items).toHaveLength(2);
    expect(new Set([...page1.items, ...page2.items].map((i: { id: number }) => i.id)).size).toBe(page1.items.length + page2.items.length);
    expect((await call('nm_ysk', 'GET', '/projects?status=void')).body.items.every((i: { status: string }) => i.status === 'void')).toBe(
      true,
    );
    for (const bad of ['sort=unit_org_id', 'status=paid', 'pageSize=1000', 'category=9', 'functionalCode=20', 'x=1']) {
      const res = await call('nm_ysk', 'GET', `/projects?${bad}`);
      expect([bad, res.status, res.body.error.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
    }
  });

  test('attachments: stored with their SM3 digest, downloaded intact, removal kept on the timeline; tampering is refused', async () => {
    const p = (await call('nm_clerk_yz', 'POST', '/projects', application({ name: '校园安防监控升级' }))).body;
    const bytes = Buffer.from('%PDF-1.4\n可行性研究报告（示例）\n', 'utf8');
    const upload = await fetch(`${api.base}/api/projects/${p.id}/attachments`, {
      method: 'POST',
      headers: { cookie: cookies.nm_clerk_yz!, 'content-type': 'application/pdf', 'x-file-name': encodeURIComponent('可行性研究报告.pdf') },
      body: bytes,
    });
    expect(upload.status).toBe(201);
    const att = (await upload.json()) as { id: number; sm3: string; sizeBytes: number; fileName: string };
    expect(att).toMatchObject({ fileName: '可行性研究报告.pdf', sizeBytes: bytes.length, sm3: sm3Hex(bytes) });

    const down = await fetch(`${api.base}/api/projects/${p.id}/attachments/${att.id}`, { headers: { cookie: cookies.nm_clerk_yz! } });
    expect(down.status).toBe(200);
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);
    expect(down.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('可行性研究报告.pdf')}`);
    expect(down.headers.get('x-content-sm3')).toBe(att.sm3);
    expect(
      (await fetch(`${api.base}/api/projects/${p.id}/attachments/${att.id}`, { headers: { cookie: cookies.js_clerk_jl! } })).status,
    ).toBe(404);
    // Still a draft: not even the department above reads it yet.
    expect(
      (await fetch(`${api.base}/api/projects/${p.id}/attachments/${att.id}`, { headers: { cookie: cookies.nm_dept_jy! } })).status,
    ).toBe(404);

    const noName = await fetch(`${api.base}/api/projects/${p.id}/attachments`, {
      method: 'POST',
      headers: { cookie: cookies.nm_clerk_yz!, 'content-type': 'application/pdf' },
      body: bytes,
    });
    expect(noName.status).toBe(400);
    const empty = await fetch(`${api.base}/api/projects/${p.id}/attachments`, {
      method: 'POST',
      headers: { cookie: cookies.nm_clerk_yz!, 'content-type': 'text/plain', 'x-file-name': 'a.txt' },
      body: '',
    });
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('EMPTY_FILE');

    // Content altered behind the system no longer matches its digest: refused, not served.
    await db('attachment_blobs')
      .where({ sm3: att.sm3 })
      .update({ content: Buffer.from('altered') });
    const tampered = await fetch(`${api.base}/api/projects/${p.id}/attachments/${att.id}`, { headers: { cookie: cookies.nm_clerk_yz! } });
    expect(tampered.status).toBe(500);
    expect(((await tampered.json()) as { error: { code: string } }).error.code).toBe('ATTACHMENT_CORRUPTED');

    const removed = await fetch(`${api.base}/api/projects/${p.id}/attachments/${att.id}`, {
      method: 'DELETE',
      headers: { cookie: cookies.nm_clerk_yz! },
    });
    expect(removed.status).toBe(204);
    expect((await call('nm_clerk_yz', 'GET', `/projects/${p.id}`)).body.attachments).toEqual([]);
    const kinds = (await call('nm_clerk_yz', 'GET', `/projects/${p.id}/events`)).body.items.map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(['created', 'attachment_added', 'attachment_removed']);
    expect(await db('project_attachments').where({ id: att.id }).first('removed_by')).toEqual({ removed_by: 'nm_clerk_yz' });
  });

  test('drafts are private: the department, the bureau and its director do not see a unit’s draft in the list, the export, the detail or its timeline, until it is submitted; 撤回 makes it private again', async () => {
    const reviewers = ['nm_dept_jy', 'nm_ysk', 'nm_director'];
    for (const u of reviewers) if (!cookies[u]) cookies[u] = await loginCookie(api.base, u, 'Budget@2026');
    const name = `草稿保密测试${Date.now()}`;
    const draft = (
      await call(
        'nm_clerk_yz',
        'POST',
        '/projects',
        application({ name, description: '教学楼外墙保温改造，更换老旧门窗，降低冬季采暖能耗，改善师生学习环境。' }),
      )
    ).body;
    const twinName = `${name}（二期）`;
    const twin = (
      await call(
        'nm_clerk_yz',
        'POST',
        '/projects',
        application({ name: twinName, description: '教学楼外墙保温改造，更换老旧门窗，降低冬季采暖能耗，改善师生的学习环境。' }),
      )
    ).body;
    expect(twin.duplicates.map((d: { projectId: number }) => d.projectId)).toEqual([draft.id]);

    const listed = async (user: string, id: number) =>
      ((await call(user, 'GET', `/projects?keyword=${encodeURIComponent(name)}&pageSize=100`)).body.items as Array<{ id: number }>).some(
        (p) => p.id === id,
      );
    const exported = async (user: string) => {
      const res = await fetch(`${api.base}/api/projects/export?keyword=${encodeURIComponent(name)}`, {
        headers: { cookie: cookies[user]! },
      });
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await res.arrayBuffer());
      const sheet = workbook.getWorksheet('项目库')!;
      return Array.from({ length: sheet.rowCount - 1 }, (_, i) => String(sheet.getRow(i + 2).getCell(1).value));
    };
    expect(await listed('nm_clerk_yz', draft.id)).toBe(true);
    expect(await exported('nm_clerk_yz')).toEqual(expect.arrayContaining([draft.projectNo, twin.projectNo]));
    for (const u of reviewers) {
      expect([u, await listed(u, draft.id)]).toEqual([u, false]);
      expect([u, await exported(u)]).toEqual([u, []]);
      expect([u, (await call(u, 'GET', `/projects/${draft.id}`)).status]).toEqual([u, 404]);
      expect([u, (await call(u, 'GET', `/projects/${draft.id}/events`)).status]).toEqual([u, 404]);
      expect([u, (await call(u, 'GET', `/projects/${draft.id}/processes`)).status]).toEqual([u, 404]);
    }

    // Submitted, the twin is the director's to see; its draft sibling stays out of its duplicate flags and count.
    await submit(twin.id);
    const seen = (await call('nm_director', 'GET', `/projects/${twin.id}`)).body;
    expect(seen).toMatchObject({ id: twin.id, status: 'submitted', duplicateCount: 0, duplicates: [] });
    expect(
      (
        (await call('nm_director', 'GET', `/projects?keyword=${encodeURIComponent(name)}`)).body.items as Array<{
          id: number;
          duplicateCount: number;
        }>
      ).map((p) => [p.id, p.duplicateCount]),
    ).toEqual([[twin.id, 0]]);
    expect((await call('nm_director', 'GET', '/projects?status=draft&pageSize=100')).body.total).toBe(0);
    // The unit still sees both sides of the flag.
    expect((await call('nm_clerk_yz', 'GET', `/projects/${twin.id}`)).body).toMatchObject({
      duplicateCount: 1,
      duplicates: [{ projectId: draft.id }],
    });

    await submit(draft.id);
    for (const u of reviewers) expect([u, await listed(u, draft.id)]).toEqual([u, true]);
    expect(
      (await call('nm_director', 'GET', `/projects/${twin.id}`)).body.duplicates.map((d: { projectId: number }) => d.projectId),
    ).toEqual([draft.id]);
    // 撤回 before anyone acted: the unit's draft again, and private again.
    await changeStatus(db, { userId: null, username: 'system', displayName: '系统自动' }, draft.id, 'draft');
    for (const u of reviewers)
      expect([u, await listed(u, draft.id), (await call(u, 'GET', `/projects/${draft.id}`)).status]).toEqual([u, false, 404]);
  });

  test('export: the list with the same filters and scope as an .xlsx, amounts as yuan numbers', async () => {
    const res = await fetch(`${api.base}/api/projects/export?sort=id&order=asc`, { headers: { cookie: cookies.nm_clerk_ny! } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(encodeURIComponent('项目库'));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const sheet = workbook.getWorksheet('项目库')!;
    expect(sheet.getRow(1).values).toEqual(expect.arrayContaining(['项目编号', '项目名称', '申报单位', '申报金额（元）', '状态']));
    const listed = (await call('nm_clerk_ny', 'GET', '/projects?sort=id&order=asc&pageSize=100')).body;
    expect(sheet.rowCount - 1).toBe(listed.total);
    listed.items.forEach((p: { projectNo: string; totalAmountFen: number; unitName: string }, i: number) => {
      const row = sheet.getRow(i + 2);
      expect([row.getCell(1).value, row.getCell(4).value, row.getCell(8).value]).toEqual([
        p.projectNo,
        '呼和浩特市农牧业技术推广中心',
        p.totalAmountFen / 100,
      ]);
    });
    const bad = await fetch(`${api.base}/api/projects/export?page=2`, { headers: { cookie: cookies.nm_clerk_ny! } });
    expect(bad.status).toBe(400);
  });

  test('concurrency: twenty near-identical applications filed at once by one unit all succeed and flag each other', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(
          'nm_clerk_ny',
          'POST',
          '/projects',
          application({ name: `畜牧兽医技术推广站设备购置项目第${i + 1}批`, functionalCode: '2130505' }),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = results.map((r) => r.body.id as number);
    const pairs = (await db('project_duplicates').whereIn('project_id', ids).whereIn('similar_project_id', ids)) as unknown[];
    expect(pairs).toHaveLength((20 * 19) / 2); // every pair flagged exactly once
  });
});
