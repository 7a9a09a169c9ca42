import ExcelJS from 'exceljs';
import { seedDemoUsers } from '../../server/auth/demo-users';
import type { Db } from '../../server/db';
import { seedDemoExperts } from '../../server/expert-review/demo';
import { openPhone, sealPlaintextPhones } from '../../server/expert-review/contact';
import { loadConfig } from '../../server/config';
import { fieldKeyring } from '../../server/crypto/keyring';
import { rotateFieldKeys } from '../../server/crypto/rotate';
import { fieldKeyId, isEncryptedField } from '../../domain/field-cipher';
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
  const ring = fieldKeyring(loadConfig());

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    await seedDemoExperts(db, ring);
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
    const res = await fetch(`${api.base}/api/experts/export`, {
      headers: { cookie: await loginCookie(api.base, 'nm_jxc', 'Budget@2026') },
    });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    return wb;
  }
  const upload = async (wb: ExcelJS.Workbook) =>
    call('nm_jxc', 'POST', '/experts/import', { format: 'xlsx', base64: Buffer.from(await wb.xlsx.writeBuffer()).toString('base64') });

  test('only the pool keepers reach it', async () => {
    expect((await call('nm_expert', 'GET', '/experts')).status).toBe(403);
    expect((await call('nm_ysk', 'GET', '/experts')).status).toBe(403);
    expect((await call('nm_jxc', 'GET', '/experts')).body.total).toBe(7);
  });

  test('the export masks contact data and imports back unchanged', async () => {
    // Re-saved entries are sealed again (a new IV each time): compare the numbers, not the ciphertexts.
    const contacts = async () =>
      (
        (await db('experts').orderBy('code').select('code', 'phone_cipher', 'email', 'org_id', 'user_id')) as Array<{
          phone_cipher: string | null;
        }>
      ).map(({ phone_cipher, ...r }) => ({ ...r, phone: openPhone(ring, phone_cipher) }));
    const before = await contacts();
    const wb = await exported();
    const sheet = wb.worksheets[0]!;
    expect(sheet.getRow(1).getCell(7).value).toBe('联系电话');
    expect(String(sheet.getRow(2).getCell(7).value)).toMatch(/^139\*{4}\d{4}$/);
    expect(String(sheet.getRow(5).getCell(4).value)).toBe('150100-JY-001'); // ZJ0004 works at 第一中学
    const r = await upload(wb);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ created: 0, updated: 7 });
    expect(await contacts()).toEqual(before);
  });

  test('a new row is added; an edited phone replaces the stored one', async () => {
    const wb = await exported();
    const sheet = wb.worksheets[0]!;
    sheet.getRow(2).getCell(7).value = '13900000000';
    sheet.addRow(['ZJ0100', '新专家', '内蒙古财经大学', '', '教授', '205、213', '13811112222', 'new@example.cn', '否', '', '']);
    const r = await upload(wb);
    expect(r.body).toEqual({ created: 1, updated: 7 });
    const stored = (await db('experts').where({ code: 'ZJ0001' }).first('phone', 'phone_cipher', 'phone_mask')) as {
      phone: string | null;
      phone_cipher: string;
      phone_mask: string;
    };
    expect([stored.phone, openPhone(ring, stored.phone_cipher), stored.phone_mask]).toEqual([null, '13900000000', '139****0000']);
    const added = (await call('nm_jxc', 'GET', '/experts?keyword=ZJ0100')).body.items[0];
    expect(added).toMatchObject({ name: '新专家', specialties: ['205', '213'], available: false, phone: '138****2222' });
  });

  test('phone numbers are SM4 at rest: no plaintext in the table, masked in lists, whole for the keeper, found by the blind index, re-sealed by key rotation', async () => {
    const rows = (await db('experts').select('id', 'code', 'phone', 'phone_cipher', 'phone_index', 'phone_mask')) as Array<{
      id: number;
      code: string;
      phone: string | null;
      phone_cipher: string | null;
      phone_index: string | null;
      phone_mask: string | null;
    }>;
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) {
      expect(r.phone).toBeNull();
      expect(isEncryptedField(r.phone_cipher)).toBe(true);
      expect(r.phone_index).toMatch(/^[0-9a-f]{64}$/);
      expect(r.phone_mask).toMatch(/^\d{3}\*{4}\d{4}$/);
    }
    const zj1 = rows.find((r) => r.code === 'ZJ0001')!;
    const full = openPhone(ring, zj1.phone_cipher)!;
    // The list shows the mask; the keeper's detail the number; a whole number (spaces and dashes
    // do not count) finds its expert, a part of it does not (the index is exact, the number sealed).
    const listed = (await call('nm_jxc', 'GET', '/experts?keyword=ZJ0001')).body.items[0];
    expect(listed.phone).toBe(zj1.phone_mask);
    expect((await call('nm_jxc', 'GET', `/experts/${zj1.id}`)).body.phone).toBe(full);
    const spaced = `${full.slice(0, 3)} ${full.slice(3, 7)}-${full.slice(7)}`;
    expect(
      (await call('nm_jxc', 'GET', `/experts?keyword=${encodeURIComponent(spaced)}`)).body.items.map((e: { code: string }) => e.code),
    ).toEqual(['ZJ0001']);
    expect((await call('nm_jxc', 'GET', `/experts?keyword=${full.slice(0, 7)}`)).body.total).toBe(0);

    // A number stored in plaintext by an older version is sealed at start, once.
    await db('experts').where({ id: zj1.id }).update({ phone: '13712345678', phone_cipher: null, phone_index: null, phone_mask: null });
    expect(await sealPlaintextPhones(db, ring)).toBe(1);
    expect(await sealPlaintextPhones(db, ring)).toBe(0);
    const healed = (await db('experts').where({ id: zj1.id }).first('phone', 'phone_cipher', 'phone_mask')) as {
      phone: string | null;
      phone_cipher: string;
      phone_mask: string;
    };
    expect([healed.phone, openPhone(ring, healed.phone_cipher), healed.phone_mask]).toEqual([null, '13712345678', '137****5678']);

    // Key rotation re-seals the column under a new current key; the numbers stay the same.
    const rotated = {
      ...ring,
      current: { id: 'k2', material: Buffer.alloc(32, 7) },
      keys: new Map([...ring.keys, ['k2', { id: 'k2', material: Buffer.alloc(32, 7) }]]),
    };
    const counts = await rotateFieldKeys(db, rotated);
    expect(counts.find((c) => c.column === 'experts.phone_cipher')).toMatchObject({
      scanned: rows.length,
      resealed: rows.length,
      failed: 0,
    });
    const after = (await db('experts').where({ id: zj1.id }).first('phone_cipher')) as { phone_cipher: string };
    expect(fieldKeyId(after.phone_cipher)).toBe('k2');
    expect(openPhone(rotated, after.phone_cipher)).toBe('13712345678');
    // Back under the configured key, so the tests after this one read with the app's keyring.
    expect((await rotateFieldKeys(db, { ...ring, keys: rotated.keys })).find((c) => c.column === 'experts.phone_cipher')).toMatchObject({
      resealed: rows.length,
      failed: 0,
    });
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
    expect(where).toEqual(
      expect.arrayContaining([
        `${sheet.rowCount}:姓名`,
        `${sheet.rowCount}:专业领域（功能分类类编码）`,
        `${sheet.rowCount}:电子邮箱`,
        `${sheet.rowCount}:可参评`,
        `${sheet.rowCount}:单位机构编码`,
      ]),
    );
    expect(await db('experts').where({ code: 'ZJ0001' }).first('name')).toEqual({ name: '吴建国' });
    expect(await db('experts').where({ code: 'ZJ0200' }).first('id')).toBeUndefined();
  });

  test('ties are declared and removed; a tie needs a real organisation; the audit chain records both', async () => {
    const expert = (await call('nm_jxc', 'GET', '/experts?keyword=ZJ0001')).body.items[0];
    const org = (await db('organisations').where({ code: '150100-JY-003' }).first('id')) as { id: number };
    const added = await call('nm_jxc', 'POST', `/experts/${expert.id}/ties`, {
      kind: 'dispute',
      orgId: org.id,
      relative: true,
      startedOn: '2025-01-01',
      endedOn: '2025-06-30',
      note: '合同纠纷',
    });
    expect(added.status).toBe(201);
    expect(added.body.ties).toEqual([
      expect.objectContaining({ kind: 'dispute', kindLabel: '法律纠纷（近三年）', orgName: '呼和浩特市回民中学', relative: true }),
    ]);
    expect((await call('nm_jxc', 'POST', `/experts/${expert.id}/ties`, { kind: 'dispute', orgId: 999999 })).body.error.code).toBe(
      'UNKNOWN_ORGANISATION',
    );
    expect(
      (
        await call('nm_jxc', 'POST', `/experts/${expert.id}/ties`, {
          kind: 'advice',
          orgId: org.id,
          startedOn: '2025-06-01',
          endedOn: '2025-01-01',
        })
      ).body.error.code,
    ).toBe('TIE_DATES');
    expect((await call('nm_jxc', 'DELETE', `/experts/${expert.id}/ties/${added.body.ties[0].id}`)).status).toBe(204);
    expect((await call('nm_jxc', 'GET', `/experts/${expert.id}`)).body.ties).toEqual([]);
    expect(
      (
        await db('audit_records')
          .where({ subject_type: 'expert', subject_id: String(expert.id) })
          .whereIn('kind', ['expert.tie_declared', 'expert.tie_removed'])
          .select('kind')
      )
        .map((r: { kind: string }) => r.kind)
        .sort(),
    ).toEqual(['expert.tie_declared', 'expert.tie_removed']);
  });

  test('a malformed id (abc, 0x5, 5.0) is a 404 naming the object, like an unknown one, and changes nothing', async () => {
    // Spellings of a real expert's id that a bare number coercion would take for it.
    const expert = (await call('nm_jxc', 'GET', '/experts?keyword=ZJ0001')).body.items[0];
    const snapshot = async () => ({
      experts: await db('experts').orderBy('id').select('id', 'name', 'updated_at'),
      ties: await db('expert_ties').orderBy('id').select('id'),
    });
    const before = await snapshot();
    const body = {
      code: expert.code,
      name: '不应改名',
      organisationName: expert.organisationName,
      title: expert.title,
      available: true,
      specialties: ['205'],
    };
    const notFound = (what: string) => ({
      status: 404,
      body: { error: expect.objectContaining({ code: 'NOT_FOUND', message: `${what}不存在` }) },
    });
    for (const bad of ['abc', `0x${expert.id.toString(16)}`, `${expert.id}.0`, `${expert.id}e0`, ` ${expert.id}`].map(encodeURIComponent)) {
      expect(await call('nm_jxc', 'GET', `/experts/${bad}`)).toEqual(notFound('专家'));
      expect(await call('nm_jxc', 'PUT', `/experts/${bad}`, body)).toEqual(notFound('专家'));
      expect(await call('nm_jxc', 'POST', `/experts/${bad}/ties`, { kind: 'advice', orgId: expert.orgId ?? 1, relative: false })).toEqual(
        notFound('专家'),
      );
      expect(await call('nm_jxc', 'DELETE', `/experts/${expert.id}/ties/${bad}`)).toEqual(notFound('回避关系'));
      // Two ids: each malformed one is named after its own object.
      expect(await call('nm_jxc', 'DELETE', `/experts/${bad}/ties/1`)).toEqual(notFound('专家'));
      expect(await call('nm_jxc', 'GET', `/expert-batches/${bad}`)).toEqual(notFound('评审批次'));
      expect(await call('nm_expert', 'GET', `/my-reviews/${bad}`)).toEqual(notFound('评审任务'));
    }
    expect((await call('nm_jxc', 'GET', `/experts/${expert.id}`)).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  test('an account without the expert role cannot be linked; a code is unique', async () => {
    const base = { code: 'ZJ0300', name: '测试', organisationName: '某单位', title: '教授', available: true, specialties: ['205'] };
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, username: 'nm_ysk' })).body.error.code).toBe('EXPERT_ACCOUNT_NOT_EXPERT');
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, username: 'nm_expert' })).body.error.code).toBe('EXPERT_ACCOUNT_TAKEN');
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, code: 'ZJ0001' })).status).toBe(409);
    expect((await call('nm_jxc', 'POST', '/experts', { ...base, specialties: [] })).status).toBe(400);
  });
});
