import { seedDemoUsers } from '../../server/auth/demo-users';
import type { Db } from '../../server/db';
import { listTasks, updateTask, type TaskQuery } from '../../server/inbox/tasks';
import { seedReferenceData } from '../../server/reference';
import { seedInbox } from '../../bench/inbox-seed';
import { openFreshDatabase } from '../support/system';
import { expectTodoInStep, todoByDefinition } from '../support/todo';

/**
 * 待办 as listTasks pages it in SQL, held against the plain definition on every demo person:
 * open tasks assigned to me, and open unassigned tasks I am a candidate of — filtered, oldest
 * first, counted, paged (test/support/todo.ts; listTasks reads the candidates' `offered` flag, the
 * definition never does). The inbox is the bench's (bench/inbox-seed.ts), made harder: tasks some
 * candidate other than the first has claimed, tasks being completed, and a claimed task whose
 * holder is among its candidates too. The actions on the real engine are held to the same
 * definition after each step (task-actions-engine, inbox-reconciliation).
 */
describe('待办 (listTasks) against its definition', () => {
  let db: Db;
  let drop: () => Promise<void>;
  const now = new Date();

  beforeAll(async () => {
    const fresh = await openFreshDatabase();
    ({ db, drop } = fresh);
    await seedReferenceData(db, { year: 2026 });
    await seedDemoUsers(db);
    await seedInbox(db, 3000, now.getTime());
    // Claimed by a candidate who is not the first one (the seed claims for the first only).
    const multi = (await db('inbox_task_candidates as c')
      .join('inbox_tasks as t', 't.id', 'c.task_id')
      .where('t.status', 'open')
      .whereNull('t.assignee_user_id')
      .groupBy('c.task_id')
      .havingRaw('count(*) > 1')
      .select('c.task_id')
      .max({ user_id: 'c.user_id' })) as Array<{ task_id: number; user_id: number }>;
    for (const [i, r] of multi.entries()) {
      // As the actions change them (updateTask keeps the candidates' offered flag in step).
      if (i % 3 === 0) await updateTask(db, Number(r.task_id), { assignee_user_id: r.user_id });
      else if (i % 3 === 1) await updateTask(db, Number(r.task_id), { status: 'completing' });
    }
  }, 300_000); // migrations and the seed on MariaDB take over a minute on a loaded machine
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const definition = (userId: number, q: TaskQuery) => todoByDefinition(db, userId, q, now);

  const queries: Array<Partial<TaskQuery>> = [
    {},
    { page: 2 },
    { page: 4, pageSize: 7 },
    { page: 1000 },
    { overdue: true },
    { overdue: true, page: 2, pageSize: 5 },
    { keyword: '信息化' },
    { keyword: '中学', page: 2, pageSize: 3 },
    { keyword: '预算处' },
    { keyword: '100%_' },
    { processId: 'project-intake' },
    { processId: 'other-process' },
    { formKey: 'intake-budget-decision', page: 2, pageSize: 4 },
    { keyword: '校舍', overdue: true },
  ];

  test('every demo person, every filter and page: the same tasks in the same order, and the same total', async () => {
    const users = (await db('users').select('id', 'username')) as Array<{ id: number; username: string }>;
    let nonEmpty = 0;
    for (const u of users) {
      for (const extra of queries) {
        const q: TaskQuery = { box: 'todo', page: 1, pageSize: 20, ...extra };
        const got = await listTasks(db, Number(u.id), q, now);
        const want = await definition(Number(u.id), q);
        expect({ who: u.username, q: extra, ids: got.items.map((t) => t.id), total: got.total }).toEqual({
          who: u.username,
          q: extra,
          ...want,
        });
        if (want.ids.length) nonEmpty += 1;
      }
    }
    expect(nonEmpty).toBeGreaterThan(30); // the cases are not all empty
  });

  test('the offered flag of every candidate row is what its task says, and so is every 待办', async () => {
    await expectTodoInStep(db, now);
  });
});
