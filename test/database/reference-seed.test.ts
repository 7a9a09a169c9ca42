import { migrateLatest, type Db } from '../../server/db';
import {
  getOrganisationByCode,
  getSubtreeIds,
  listEconomicCodes,
  listFunctionalCodes,
  listRegions,
  regionTree,
  seedReferenceData,
} from '../../server/reference';
import { openFreshDatabase } from '../support/system';

/** The reference seed on the real database (DATABASE_URL, SQLite when unset). */
describe('reference data seed', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const tables = ['regions', 'organisations', 'functional_codes', 'economic_codes'];
  const snapshot = async () =>
    Object.fromEntries(
      await Promise.all(
        tables.map(async (t) => [
          t,
          await db(t)
            .select('*')
            .orderBy(t === 'regions' ? 'code' : 'id'),
        ]),
      ),
    );

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  test('the migration has a real down: rollback removes the tables, latest restores them', async () => {
    await db.migrate.rollback(undefined, true);
    for (const t of tables) expect(await db.schema.hasTable(t)).toBe(false);
    await migrateLatest(db);
    for (const t of tables) expect(await db.schema.hasTable(t)).toBe(true);
  });

  test('seeds regions, the year’s code tables and the demo organisations; a second run changes nothing', async () => {
    const first = await seedReferenceData(db, { year: 2026 });
    expect(first).toEqual({
      regionsInserted: 23,
      functional: { type: 'functional', year: 2026, inserted: 40, updated: 0, unchanged: 0 },
      economic: { type: 'economic', year: 2026, inserted: 61, updated: 0, unchanged: 0 },
      organisationsInserted: 148,
    });
    const before = await snapshot();

    const second = await seedReferenceData(db, { year: 2026 });
    expect(second).toEqual({
      regionsInserted: 0,
      functional: { type: 'functional', year: 2026, inserted: 0, updated: 0, unchanged: 40 },
      economic: { type: 'economic', year: 2026, inserted: 0, updated: 0, unchanged: 61 },
      organisationsInserted: 0,
    });
    expect(await snapshot()).toEqual(before);
  });

  test('another year gets its own code tables beside the first', async () => {
    const r = await seedReferenceData(db, { year: 2027 });
    expect(r.functional.inserted).toBe(40);
    expect(await db('functional_codes').where('fiscal_year', 2026).count({ n: '*' }).first()).toEqual({ n: 40 });
  });

  test('the demo tree: provincial bureau → divisions, review centre, cities → counties, departments → units', async () => {
    const nmg = (await getOrganisationByCode(db, '150000-CZ'))!;
    expect(nmg).toMatchObject({
      name: '内蒙古自治区财政厅',
      kind: 'finance_bureau',
      regionCode: '150000',
      parentId: null,
      path: `/${nmg.id}/`,
    });
    expect(await getOrganisationByCode(db, '150000-CZ-YS')).toMatchObject({
      name: '内蒙古自治区财政厅预算处',
      kind: 'finance_division',
      divisionType: 'budget',
      parentId: nmg.id,
    });
    expect(await getOrganisationByCode(db, '150000-ZJK')).toMatchObject({ kind: 'expert_pool' });

    const xlgl = (await getOrganisationByCode(db, '152500-CZ'))!;
    const herdStation = (await getOrganisationByCode(db, '152500-NY-001'))!;
    const herdDept = (await getOrganisationByCode(db, '152500-NY'))!;
    expect(herdStation).toMatchObject({
      name: '锡林浩特市牧区畜牧工作站',
      kind: 'budget_unit',
      regionCode: '152502',
      parentId: herdDept.id,
    });
    expect(herdStation.path).toBe(`/${nmg.id}/${xlgl.id}/${herdDept.id}/${herdStation.id}/`);

    const province = await getSubtreeIds(db, nmg.id);
    expect(province).toContain(herdStation.id);
    const js = (await getOrganisationByCode(db, '320000-CZ'))!;
    expect(province).not.toContain(js.id);
    const counts = (await db('organisations').select('kind').count({ n: '*' }).groupBy('kind').orderBy('kind')) as Array<{
      kind: string;
      n: number | string;
    }>;
    expect(counts.map((c) => [c.kind, Number(c.n)])).toEqual([
      ['budget_unit', 57],
      ['department', 27],
      ['expert_pool', 2],
      ['finance_bureau', 23],
      ['finance_division', 37],
      ['review_centre', 2],
    ]);
  });

  test('regions by parent and as a tree', async () => {
    expect((await listRegions(db)).map((r) => [r.code, r.name, r.hasChildren])).toEqual([
      ['150000', '内蒙古自治区', true],
      ['320000', '江苏省', true],
    ]);
    const xlgl = await listRegions(db, { parent: '152500' });
    expect(xlgl.map((r) => r.name)).toEqual(['锡林浩特市', '阿巴嘎旗']);
    expect(xlgl[0]).toEqual({ code: '152502', name: '锡林浩特市', level: 'county', parentCode: '152500', hasChildren: false });
    const tree = await regionTree(db);
    expect(
      tree
        .find((p) => p.code === '320000')
        ?.children.find((c) => c.code === '320500')
        ?.children.map((c) => c.name),
    ).toEqual(['虎丘区', '吴中区', '昆山市']);
  });

  test('cascading pickers: 类 of the year, then the 款 of a 类, then the 项 of a 款', async () => {
    const classes = await listFunctionalCodes(db, { year: 2026 });
    expect(classes.map((c) => c.code)).toEqual(['201', '205', '208', '210', '211', '213', '221']);
    expect(classes.find((c) => c.code === '211')).toEqual({
      code: '211',
      name: '节能环保支出',
      level: '类',
      parentCode: null,
      hasChildren: false,
    });
    const education = await listFunctionalCodes(db, { year: 2026, parent: '205' });
    expect(education.map((c) => [c.code, c.name, c.hasChildren])).toEqual([
      ['20501', '教育管理事务', true],
      ['20502', '普通教育', true],
    ]);
    expect((await listFunctionalCodes(db, { year: 2026, parent: '20502' })).map((c) => c.code)).toEqual([
      '2050201',
      '2050202',
      '2050203',
      '2050204',
      '2050205',
    ]);
    expect(await listFunctionalCodes(db, { year: 2030 })).toEqual([]);

    expect((await listEconomicCodes(db, { year: 2026, kind: 'department' })).map((c) => c.code)).toEqual(['301', '302', '303', '310']);
    const travel = (await listEconomicCodes(db, { year: 2026, kind: 'department', parent: '302' })).find((c) => c.code === '30211');
    expect(travel).toEqual({
      code: '30211',
      name: '差旅费',
      level: '款',
      parentCode: '302',
      hasChildren: false,
      kind: 'department',
      governmentCode: '50201',
    });
  });
});
