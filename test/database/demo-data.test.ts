import { loadConfig } from '../../server/config';
import { fieldKeyring } from '../../server/crypto/keyring';
import { DEMO_PASSWORD, readDemoUsers, seedDemoUsers } from '../../server/auth/demo-users';
import { login } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { seedReferenceData } from '../../server/reference/seed';
import { ROLES } from '../../domain/roles';
import { seedDemoProjects } from '../../server/projects/demo';
import { seedDemoExperts } from '../../server/expert-review/demo';
import { seedDemoPerformanceGrades } from '../../server/allocation/demo';
import { drawExperts } from '../../domain/expert-review';
import { loadPool } from '../../server/expert-review/pool';
import { getProject, listProjects } from '../../server/projects/service';
import { openFreshDatabase } from '../support/system';

/** The demo set `npm start` loads into an empty database: every role has an account that logs in. */
describe('demo accounts', () => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  test('every role of domain/roles.ts has a demo account, and seeding twice creates nobody twice', async () => {
    const users = readDemoUsers();
    const covered = new Set(users.flatMap((u) => u.roles));
    expect(ROLES.map((r) => r.code).filter((c) => !covered.has(c))).toEqual([]);
    expect(await seedDemoUsers(db)).toBe(users.length);
    expect(await seedDemoUsers(db)).toBe(0);
  });

  test('a demo clerk logs in with the documented password and sees only its own school', async () => {
    const { principal } = await login(db, 'nm_clerk_yz', DEMO_PASSWORD, {});
    expect(principal.orgName).toBe('呼和浩特市第一中学');
    expect(principal.scope).toBe('own-org');
  });

  test('demo projects: drafts of the demo units with exact totals, the near-identical pair flagged; seeding again adds none', async () => {
    await seedDemoUsers(db);
    expect(await seedDemoProjects(db, 2026)).toBe(5);
    expect(await seedDemoProjects(db, 2026)).toBe(0);
    const page = await listProjects(db, { page: 1, pageSize: 20, sort: 'id', order: 'asc' });
    expect(page.total).toBe(5);
    expect(page.items.every((p) => p.status === 'draft' && p.fiscalYear === 2026)).toBe(true);
    const first = (await getProject(db, page.items[0]!.id))!;
    expect(first.totalAmountFen).toBe(1_288_000_00);
    expect(first.startDate).toBe('2026-03-01');
    expect(first.duplicates.map((d) => d.projectId)).toEqual([page.items[1]!.id]);
    const pastoral = page.items.find((p) => p.subType === 'pastoral')!;
    expect(pastoral.totalAmountFen).toBe(398_500_50);
  });

  test('demo expert pool: linked to the expert accounts; the one working at 第一中学 is never drawn for its projects; seeding again adds none', async () => {
    await seedDemoUsers(db);
    expect(await seedDemoExperts(db, fieldKeyring(loadConfig()))).toBe(7);
    expect(await seedDemoExperts(db, fieldKeyring(loadConfig()))).toBe(0);
    const pool = await loadPool(db, ['205']);
    expect(pool.filter((e) => e.userId !== null)).toHaveLength(7);
    const school = (await db('organisations').where({ code: '150100-JY-001' }).first('id', 'parent_id')) as {
      id: number;
      parent_id: number;
    };
    const atSchool = (await db('experts').where({ code: 'ZJ0004' }).first('id')) as { id: number };
    const spouseAtBureau = (await db('experts').where({ code: 'ZJ0007' }).first('id')) as { id: number };
    for (let s = 0; s < 50; s++) {
      const drawn = drawExperts({
        seed: s.toString(16).padStart(32, '0'),
        project: { id: 1, functionalCode: '2050204', applicantOrgIds: [school.id, school.parent_id] },
        pool,
        n: 5,
        reviewDate: '2026-12-02',
      }).drawn;
      expect(drawn).toHaveLength(5);
      expect(drawn).not.toContain(Number(atSchool.id));
      expect(drawn).not.toContain(Number(spouseAtBureau.id));
    }
  });

  test("demo performance grades: last year's grade for five demo units, 第一中学 优 and 动物疫病预防控制中心 差; seeding again adds none", async () => {
    expect(await seedDemoPerformanceGrades(db, 2026)).toBe(5);
    expect(await seedDemoPerformanceGrades(db, 2026)).toBe(0);
    const grade = async (code: string) =>
      (
        (await db('performance_grades as g')
          .join('organisations as o', 'o.id', 'g.unit_org_id')
          .where({ 'o.code': code, 'g.fiscal_year': 2025 })
          .first('g.grade')) as { grade: string }
      ).grade;
    expect(await grade('150100-JY-001')).toBe('excellent');
    expect(await grade('150100-NY-002')).toBe('poor');
  });
});
