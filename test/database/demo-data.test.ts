import { DEMO_PASSWORD, readDemoUsers, seedDemoUsers } from '../../server/auth/demo-users';
import { login } from '../../server/auth/service';
import type { Db } from '../../server/db';
import { seedReferenceData } from '../../server/reference/seed';
import { ROLES } from '../../domain/roles';
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
});
