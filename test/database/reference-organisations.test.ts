import { AppError } from '../../server/errors';
import type { Db } from '../../server/db';
import { createOrganisation, getSubtreeIds, listOrganisations, type Organisation, type PageRequest } from '../../server/reference';
import { openFreshDatabase } from '../support/system';

/** The organisation tree and its materialised path on the real database. */
describe('organisations', () => {
  let db: Db;
  let drop: () => Promise<void>;
  let seq = 0;
  const org = (parent: Organisation | null, kind: 'finance_bureau' | 'budget_unit' = 'finance_bureau', name = `机构${++seq}`) =>
    createOrganisation(db, { code: `T-${++seq}`, name, kind, regionCode: '150000', parentId: parent?.id ?? null });
  const page = (p: Partial<PageRequest> = {}): PageRequest => ({ page: 1, pageSize: 100, sort: 'code', order: 'asc', ...p });

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await db('regions').insert([
      { code: '150000', name: '内蒙古自治区', level: 'province', parent_code: null },
      { code: '150100', name: '呼和浩特市', level: 'city', parent_code: '150000' },
    ]);
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  test('a new organisation’s path is its parent’s path plus its own id', async () => {
    const root = await org(null);
    const child = await org(root);
    const grandchild = await org(child);
    expect(root.path).toBe(`/${root.id}/`);
    expect(child.path).toBe(`/${root.id}/${child.id}/`);
    expect(grandchild).toMatchObject({ parentId: child.id, path: `/${root.id}/${child.id}/${grandchild.id}/` });
    expect(grandchild.createdAt).toBeInstanceOf(Date);
  });

  test('the subtree is exactly the organisation and its descendants, never a sibling whose id shares a prefix', async () => {
    const a = await org(null);
    // Create roots until one's id starts with a's id (a = 7 → 70..79): its path /7x/ starts with "/7".
    let b: Organisation | undefined;
    for (let i = 0; i < 200 && !b; i++) {
      const candidate = await org(null);
      if (String(candidate.id).startsWith(String(a.id)) && candidate.id !== a.id) b = candidate;
    }
    expect(b).toBeDefined();
    const aChild = await org(a);
    const aGrandchild = await org(aChild);
    const bChild = await org(b!);

    expect((await getSubtreeIds(db, a.id)).sort((x, y) => x - y)).toEqual([a.id, aChild.id, aGrandchild.id]);
    expect(await getSubtreeIds(db, b!.id)).toEqual([b!.id, bChild.id]);
    expect(await getSubtreeIds(db, aGrandchild.id)).toEqual([aGrandchild.id]);
    const within = await listOrganisations(db, { withinId: a.id }, page({ sort: 'path' }));
    expect(within.items.map((o) => o.id)).toEqual([a.id, aChild.id, aGrandchild.id]);
    expect(within.total).toBe(3);
  });

  test('list: filters by kind, region, parent and name (a literal % is not a wildcard), paginated and sorted in SQL', async () => {
    const bureau = await createOrganisation(db, {
      code: 'L-CZ',
      name: '呼和浩特市财政局',
      kind: 'finance_bureau',
      regionCode: '150100',
      parentId: null,
    });
    for (const [code, name] of [
      ['L-U3', '呼和浩特市第三中学'],
      ['L-U1', '呼和浩特市第一中学'],
      ['L-U2', '呼和浩特市第二中学'],
      ['L-P', '100%达标学校'],
    ]) {
      await createOrganisation(db, { code: code!, name: name!, kind: 'budget_unit', regionCode: '150100', parentId: bureau.id });
    }
    const units = { kind: 'budget_unit' as const, regionCode: '150100' };

    const first = await listOrganisations(db, units, page({ pageSize: 2 }));
    expect(first.total).toBe(4);
    expect(first.items.map((o) => o.code)).toEqual(['L-P', 'L-U1']);
    const second = await listOrganisations(db, units, page({ pageSize: 2, page: 2 }));
    expect(second.items.map((o) => o.code)).toEqual(['L-U2', 'L-U3']);
    expect((await listOrganisations(db, units, page({ order: 'desc', pageSize: 1 }))).items[0]?.code).toBe('L-U3');

    expect((await listOrganisations(db, { nameContains: '中学' }, page())).items.map((o) => o.code)).toEqual(['L-U1', 'L-U2', 'L-U3']);
    expect((await listOrganisations(db, { nameContains: '%' }, page())).items.map((o) => o.code)).toEqual(['L-P']);
    expect((await listOrganisations(db, { nameContains: '_' }, page())).total).toBe(0);
    expect((await listOrganisations(db, { parentId: bureau.id }, page())).total).toBe(4);
    expect((await listOrganisations(db, { kind: 'budget_unit', regionCode: '150000' }, page())).total).toBe(0);
    expect((await listOrganisations(db, { withinId: 999_999 }, page())).total).toBe(0);
  });

  test('invariants: unknown parent or region, a taken code, a division type on a non-division, a malformed code', async () => {
    const refused = async (input: Parameters<typeof createOrganisation>[1], code: string) => {
      const err = await createOrganisation(db, input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe(code);
    };
    const base = { code: 'X-1', name: '某单位', kind: 'budget_unit' as const, regionCode: '150000' };
    await refused({ ...base, parentId: 999_999 }, 'ORG_PARENT_NOT_FOUND');
    await refused({ ...base, regionCode: '999999' }, 'REGION_NOT_FOUND');
    await createOrganisation(db, base);
    await refused(base, 'ORG_CODE_TAKEN');
    await refused({ ...base, code: 'X-2', divisionType: 'budget' }, 'VALIDATION_FAILED');
    await refused({ ...base, code: 'x 2' }, 'VALIDATION_FAILED');
    await expect(getSubtreeIds(db, 999_999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
