import { migrateLatest, openDatabase, readInstant, type Db } from '../../server/db';
import { freshDatabaseConfig } from '../support/system';

/** Migrations on the real database DATABASE_URL names (SQLite when unset): up, down, up again. */
describe('migrations', () => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const fresh = freshDatabaseConfig();
    drop = fresh.drop;
    db = await openDatabase(fresh.database);
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const tables = ['engine_resources', 'job_outcomes', 'smoke_checks', 'projects', 'project_amounts', 'project_targets', 'project_attachments', 'attachment_blobs', 'project_duplicates', 'project_events'];

  test('latest creates every table, rollback removes them all, latest again restores them', async () => {
    const applied = await migrateLatest(db);
    expect(applied.length).toBeGreaterThan(0);
    for (const t of tables) expect(await db.schema.hasTable(t)).toBe(true);

    await db.migrate.rollback(undefined, true);
    for (const t of tables) expect(await db.schema.hasTable(t)).toBe(false);

    await migrateLatest(db);
    for (const t of tables) expect(await db.schema.hasTable(t)).toBe(true);
    expect(await migrateLatest(db)).toEqual([]);
  });

  test('an instant written to a DATETIME(3) column reads back as the same instant, to the millisecond', async () => {
    await migrateLatest(db);
    const at = new Date('2026-11-23T23:59:59.987Z');
    await db('smoke_checks').insert({ process_instance_key: '2251799813685249', requested_by: '测试', database_client: 'x', recorded_at: at });
    const row = await db('smoke_checks').where({ process_instance_key: '2251799813685249' }).first();
    expect(readInstant(row.recorded_at).toISOString()).toBe(at.toISOString());
    expect(row.requested_by).toBe('测试');
  });

  test('an engine key beyond 2^53 is kept exactly as text', async () => {
    await migrateLatest(db);
    const key = '9007199254740993';
    await db('smoke_checks').insert({ process_instance_key: key, requested_by: 't', database_client: 'x', recorded_at: new Date() });
    const row = await db('smoke_checks').where({ process_instance_key: key }).first();
    expect(row.process_instance_key).toBe(key);
  });
});
