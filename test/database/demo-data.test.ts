import { DEMO_PASSWORD, readDemoUsers, seedDemoUsers } from '../../server/auth/demo-users';
import { login } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { seedReferenceData } from '../../server/reference/seed';
import { ROLES } from '../../domain/roles';
import { seedDemoProjects } from '../../server/projects/demo';
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
});
