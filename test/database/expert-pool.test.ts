import ExcelJS from 'exceljs';
import { seedDemoUsers } from '../../server/auth/demo-users';
import type { Db } from '../../server/db';
import { seedDemoExperts } from '../../server/expert-review/demo';
import { seedReferenceData } from '../../server/reference';
import { loginCookie } from '../support/accounts';
import { startApi } from '../support/api';
import { apiAs, type ApiCall } from '../support/intake';
import { openFreshDatabase } from '../support/system';

/**
 * 专家库 over real HTTP on the real database, as 周强 (nm_jxc, 绩效处) keeps it: the export is masked
 * and imports back unchanged (masked cells keep what is stored), an import with any problem writes
 * nothing and names row and column, ties are declared and removed, and an expert holds no key to it.
 */
describe('expert pool: list, ties, Excel export and import', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let api: Awaited<ReturnType<typeof startApi>>;
  let call: ApiCall;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    await seedDemoExperts(db);
    api = await startApi(db, fresh.database);
    const cookies: Record<string, string> = {};
    for (const u of ['nm_jxc', 'nm_expert', 'nm_ysk']) cookies[u] = await loginCookie(api.base, u, 'Budget@2026');
    call = apiAs(`${api.base}/api`, cookies);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await drop?.();
  });

  async function exported(): Promise<ExcelJS.Workbook> {
    const res = await fetch(`${api.base}/api/experts/export`, { headers: { cookie: (await loginCookie(api.base, 'nm_jxc', 'Budget@2026')) } });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    return wb;
  }
  const upload = async (wb: ExcelJS.Workbook) => call('nm_jxc', 'POST', '/experts/import', { format: 'xlsx', base64: Buffer.from(await wb.xlsx.writeBuffer()).toString('base64') });

  test('only the pool keepers reach it', async () => {
    expect((await call('nm_expert', 'GET', '/experts')).status).toBe(403);
    expect((await call('nm_ysk', 'GET', '/experts')).status).toBe(403);
    expect((await call('nm_jxc', 'GET', '/experts')).body.total).toBe(7);
  });

  test('the export masks contact data and imports back unchanged', async () => {
    const before = await db('experts').orderBy('code').select('code', 'phone', 'email', 'org_id', 'user_id');
    const wb = await exported();
    const sheet = wb.worksheets[0]!;
    expect(sheet.getRow(1).getCell(7).value).toBe('联系电话');
    expect(String(sheet.getRow(2).getCell(7).value)).toMatch(/^139\*{4}\d{4}$/);
    expect(String(sheet.getRow(5).getCell(4).value)).toBe('150100-JY-001'); // ZJ0004 works at 第一中学
    const r = await upload(wb);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ created: 0, updated: 7 });
    expect(await db('experts').orderBy('code').select('code', 'phone', 'email', 'org_id', 'user_id')).toEqual(before);
  });

  test('a new row is added; an edited phone replaces the stored one', async () => {
    const wb = await exported();
    const sheet = wb.worksheets[0]!;
    sheet.getRow(2).getCell(7).value = '13900000000';
    sheet.addRow(['ZJ0100', '新专家', '内蒙古财经大学', '', '教授', '205、213', '13811112222', 'new@example.cn', '否', '', '']);
    const r = await upload(wb);
    expect(r.body).toEqual({ created: 1, updated: 7 });
    expect(await db('experts').where({ code: 'ZJ0001' }).first('phone')).toEqual({ phone: '13900000000' });
    const added = (await call('nm_jxc', 'GET', '/experts?keyword=ZJ0100')).body.items[0];
    expect(added).toMatchObject({ name: '新专家', specialties: ['205', '213'], available: false, phone: '138****2222' });
  });

  test('an import with problems writes nothing and says where they are', async () => {
    const wb = await exported();
    const sheet = wb.worksheets[0]!;
    sheet.getRow(2).getCell(2).value = '改了名字';
    sheet.addRow(['ZJ0200', '', '某单位', 'NO-SUCH-ORG', '教授', '20', '', 'not-an-email', '也许', 'nobody', '']);
    const r = await upload(wb);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('IMPORT_FAILED');
    const where = r.body.error.details.map((d: { row: number; column: string }) => `${d.row}:${d.column}`);
    expect(where).toEqual(expect.arrayContaining([`${sheet.rowCount}:姓名`, `${sheet.rowCount}:专业领域（功能分类类编码）`, `${sheet.rowCount}:电子邮箱`, `${sheet.rowCount}:可参评`, `${sheet.rowCount}:单位机构编码`]));
    expect(await db('experts').where({ code: 'ZJ0001' }).first('name')).toEqual({ name: '吴建国' });
    expect(await db('experts').where({ code: 'ZJ0200' }).first('id')).toBeUndefined();
  });

  test('ties are declared and removed; a tie needs a real organisation; the audit chain records both', async () => {
    const expert = (await call('nm_jxc', 'GET', '/experts?keyword=ZJ0001')).body.items[0];
    const org = (await db('organisations').where({ code: '150100-JY-003' }).first('id')) as { id: number };
    const added = await call('nm_jxc', 'POST', `/experts/${expert.id}/ties`, { kind: 'dispute', orgId: org.id, relative: true, startedOn: '2025-01-01', endedOn: '2025-06-30', note: '合同纠纷' });
    expect(added.status).toBe(201);
    expect(added.body.ties).toEqual([expect.objectContaining({ kind: 'dispute', kindLabel: '法律纠纷（近三年）', orgName: '呼和浩特市回民中学', relative: true })]);
    expect((await call('nm_jxc', 'POST', `/experts/${expert.id}/ties`, { kind: 'dispute', orgId: 999999 })).body.error.code).toBe('UNKNOWN_ORGANISATION');
    expect((await call('nm_jxc', 'POST', `/experts/${expert.id}/ties`, { kind: 'advice', orgId: org.id, startedOn: '2025-06-01', endedOn: '2025-01-01' })).body.error.code).toBe('TIE_DATES');
    expect((await call('nm_jxc', 'DELETE', `/experts/${expert.id}/ties/${added.body.ties[0].id}`)).status).toBe(204);
    expect((await call('nm_jxc', 'GET', `/experts/${expert.id}`)).body.ties).toEqual([]);
    expect((await db('audit_records').where({ subject_type: 'expert', subject_id: String(expert.id) }).whereIn('kind', ['expert.tie_declared', 'expert.tie_removed']).select('kind')).map((r: { kind: string }) => r.kind).sort()).toEqual(['expert.tie_declared', 'expert.tie_removed']);
  });

  test('an account without the expert role cannot be linked; a code is unique', async () => {
    const base = { code: 'ZJ0300', name: '测试', organisationName: '某单位', title: '教授', available: true, specialties: ['205'] };
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, username: 'nm_ysk' })).body.error.code).toBe('EXPERT_ACCOUNT_NOT_EXPERT');
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, username: 'nm_expert' })).body.error.code).toBe('EXPERT_ACCOUNT_TAKEN');
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, code: 'ZJ0001' })).status).toBe(409);
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, specialties: [] })).status).toBe(400);
  });
});
