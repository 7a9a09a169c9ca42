import { migrateLatest, openDatabase, readInstant, type Db } from '../../server/db';
import { freshDatabaseConfig } from '../support/system';
import { indexNames } from '../../migrations/20261203A-inbox-indexes';

jest.setTimeout(300_000); // whole migration runs on MariaDB take minutes on a loaded machine

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

  const tables = [
    'engine_resources',
    'job_outcomes',
    'smoke_checks',
    'projects',
    'project_amounts',
    'project_targets',
    'project_attachments',
    'attachment_blobs',
    'project_duplicates',
    'project_events',
  ];

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
    await db('smoke_checks').insert({
      process_instance_key: '2251799813685249',
      requested_by: '测试',
      database_client: 'x',
      recorded_at: at,
    });
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

  test('history: a database migrated before the inbox indexes were edited into 20261123K gets them, keeps its rows, and goes back down', async () => {
    await db.migrate.rollback(undefined, true);
    // Up to the task inbox, one migration at a time; then the inbox as a database migrated before
    // 20261123K was edited has it: the original (assignee, status, id) index and none of the later ones.
    for (;;) {
      const [, pending] = (await db.migrate.list()) as [unknown, Array<{ file: string }>];
      const next = pending[0]?.file;
      if (!next || next > '20261123K-create-task-inbox.ts') break;
      await db.migrate.up();
    }
    await db.schema.alterTable('inbox_tasks', (t) =>
      t.index(['assignee_user_id', 'status', 'id'], 'inbox_tasks_assignee_user_id_status_id_index'),
    );
    await db.schema.alterTable('inbox_tasks', (t) => {
      for (const name of [
        'inbox_tasks_assignee_user_id_status_id_due_at_index',
        'inbox_tasks_completed_at_index',
        'inbox_tasks_open_check_index',
      ])
        t.dropIndex([], name);
    });
    const before = await indexNames(db, 'inbox_tasks');
    expect(before.has('inbox_tasks_assignee_user_id_status_id_index')).toBe(true);
    expect(before.has('inbox_tasks_open_check_index')).toBe(false);

    const now = new Date();
    await db('regions').insert({ code: '150000', name: '内蒙古自治区', level: 'province' });
    const [orgId] = await db('organisations').insert({
      code: 'T-UNIT',
      name: '测试单位',
      kind: 'budget_unit',
      region_code: '150000',
      path: '/',
      created_at: now,
    });
    const task = {
      job_key: 'job-1',
      process_instance_key: 'pi-1',
      process_id: 'project-intake',
      element_id: 'review',
      element_instance_key: 'ei-1',
      name: '主管部门审核',
      form_key: 'intake-review',
      candidate_groups: '["dept_reviewer"]',
      business_type: 'project',
      business_id: 1,
      business_title: '旧库里的待办',
      unit_org_id: Number(orgId),
      status: 'open',
      created_at: now,
    };
    await db('inbox_tasks').insert(task);

    await migrateLatest(db);
    const after = await indexNames(db, 'inbox_tasks');
    for (const name of [
      'inbox_tasks_assignee_user_id_status_id_due_at_index',
      'inbox_tasks_completed_at_index',
      'inbox_tasks_open_check_index',
      'inbox_tasks_todo_filter_index',
    ])
      expect([name, after.has(name)]).toEqual([name, true]);
    expect(after.has('inbox_tasks_assignee_user_id_status_id_index')).toBe(false);
    expect(await db('inbox_tasks').where({ business_id: 1 }).first('business_title', 'status')).toEqual({
      business_title: '旧库里的待办',
      status: 'open',
    });

    // Down again to the old schema (the later migrations' batch), the row still there.
    await db.migrate.rollback();
    const down = await indexNames(db, 'inbox_tasks');
    expect(down.has('inbox_tasks_assignee_user_id_status_id_index')).toBe(true);
    expect(down.has('inbox_tasks_open_check_index')).toBe(false);
    expect(await db('inbox_tasks').count({ n: '*' }).first()).toEqual({ n: 1 });
    await migrateLatest(db);
    expect((await indexNames(db, 'inbox_tasks')).has('inbox_tasks_open_check_index')).toBe(true);
  });

  test('20261203O1: the candidates of open unassigned tasks are offered, no others; down and up again keep the rows', async () => {
    // Back to just before 20261203O1, one migration at a time from the latest (a whole rollback
    // would run every older down again, which this test is not about).
    const O1 = '20261203O1-candidate-offered-flag.ts';
    const downToBefore = async (file: string) => {
      for (;;) {
        const [done] = (await db.migrate.list()) as [Array<string | { name: string }>, unknown];
        const last = done
          .map((d) => (typeof d === 'string' ? d : d.name))
          .sort()
          .pop();
        if (!last || last < file) return;
        await db.migrate.down();
      }
    };
    await migrateLatest(db);
    await downToBefore(O1);
    expect(await db.schema.hasColumn('inbox_task_candidates', 'offered')).toBe(false);
    const now = new Date();
    await db('regions').insert({ code: '150000', name: '内蒙古自治区', level: 'province' }).onConflict('code').ignore();
    const [orgId] = await db('organisations').insert({
      code: 'T-UNIT-O1',
      name: '测试单位O1',
      kind: 'budget_unit',
      region_code: '150000',
      path: '/',
      created_at: now,
    });
    const people: number[] = [];
    for (const name of ['a', 'b']) {
      const [id] = await db('users').insert({
        username: `offered_${name}`,
        display_name: name,
        org_id: Number(orgId),
        password_hash: 'x',
        password_changed_at: now,
        created_at: now,
        updated_at: now,
      });
      people.push(Number(id));
    }
    const a = people[0]!;
    // open unassigned, open held by a, completing, and (left over by hand) completed.
    const shapes = [
      { status: 'open', assignee: null },
      { status: 'open', assignee: a },
      { status: 'completing', assignee: null },
      { status: 'completed', assignee: a },
    ];
    const taskIds: number[] = [];
    for (const [i, shape] of shapes.entries()) {
      const [id] = await db('inbox_tasks').insert({
        engine_task_id: `o1-task-${i}`,
        process_instance_key: `pi-${i}`,
        process_id: 'project-intake',
        element_id: 'DepartmentReview',
        element_instance_key: `ei-${i}`,
        name: '主管部门审核',
        form_key: 'intake-department-review',
        candidate_groups: '["department_reviewer"]',
        business_type: 'project',
        business_id: i + 1,
        business_title: `迁移前的待办${i}`,
        unit_org_id: Number(orgId),
        assignee_user_id: shape.assignee,
        status: shape.status,
        created_at: now,
      });
      taskIds.push(Number(id));
      for (const userId of people) await db('inbox_task_candidates').insert({ task_id: Number(id), user_id: userId });
    }

    await migrateLatest(db);
    const flags = async () =>
      (
        (await db('inbox_task_candidates').orderBy(['task_id', 'user_id']).select('task_id', 'user_id', 'offered')) as Array<{
          task_id: number;
          user_id: number;
          offered: unknown;
        }>
      ).map((r) => [taskIds.indexOf(Number(r.task_id)), Number(r.user_id) === a ? 'a' : 'b', Boolean(Number(r.offered))]);
    const expected = [
      [0, 'a', true],
      [0, 'b', true],
      [1, 'a', false],
      [1, 'b', false],
      [2, 'a', false],
      [2, 'b', false],
      [3, 'a', false],
      [3, 'b', false],
    ];
    expect(await flags()).toEqual(expected);
    expect((await indexNames(db, 'inbox_task_candidates')).has('inbox_task_candidates_offered_index')).toBe(true);

    // Down again and up again: the column and index go and come back, the rows stay.
    await downToBefore(O1);
    expect(await db.schema.hasColumn('inbox_task_candidates', 'offered')).toBe(false);
    expect(await db('inbox_task_candidates').count({ n: '*' }).first()).toEqual({ n: 8 });
    await migrateLatest(db);
    expect(await flags()).toEqual(expected);
  });
});
