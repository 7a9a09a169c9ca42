import type { Knex } from 'knex';
import { readInstant } from '../../server/db';
import { listTasks, type TaskQuery } from '../../server/inbox/tasks';

/**
 * 待办 by its plain definition, from task rows and candidate rows only (never the `offered` flag
 * listTasks reads): open tasks assigned to the person, and open unassigned tasks they are a
 * candidate of — filtered, oldest first, counted, paged.
 */
export async function todoByDefinition(db: Knex, userId: number, q: TaskQuery, now: Date): Promise<{ ids: number[]; total: number }> {
  const open = (await db('inbox_tasks')
    .where('status', 'open')
    .select('id', 'assignee_user_id', 'business_title', 'name', 'process_id', 'form_key', 'due_at')) as Array<{
    id: number;
    assignee_user_id: number | null;
    business_title: string;
    name: string;
    process_id: string;
    form_key: string;
    due_at: unknown;
  }>;
  const candidateOf = new Set(
    ((await db('inbox_task_candidates').where('user_id', userId).select('task_id')) as Array<{ task_id: number }>).map((r) =>
      Number(r.task_id),
    ),
  );
  const matching = open
    .filter((t) => (t.assignee_user_id === null ? candidateOf.has(Number(t.id)) : Number(t.assignee_user_id) === userId))
    .filter((t) => !q.keyword || t.business_title.includes(q.keyword) || t.name.includes(q.keyword))
    .filter((t) => !q.processId || t.process_id === q.processId)
    .filter((t) => !q.formKey || t.form_key === q.formKey)
    .filter((t) => !q.overdue || (t.due_at !== null && readInstant(t.due_at) < now))
    .map((t) => Number(t.id))
    .sort((a, b) => a - b);
  return { ids: matching.slice((q.page - 1) * q.pageSize, q.page * q.pageSize), total: matching.length };
}

/**
 * Holds the inbox to its definition after an action: every candidate row's `offered` flag says
 * exactly whether its task is open and unassigned, and every person's 待办 (unfiltered and 逾期,
 * everyone who has a candidate row or holds a task) is what the definition gives.
 */
export async function expectTodoInStep(db: Knex, now = new Date()): Promise<void> {
  const rows = (await db('inbox_task_candidates as c')
    .join('inbox_tasks as t', 't.id', 'c.task_id')
    .select('c.task_id', 'c.user_id', 'c.offered', 't.status', 't.assignee_user_id')
    .orderBy(['c.task_id', 'c.user_id'])) as Array<{
    task_id: number;
    user_id: number;
    offered: unknown;
    status: string;
    assignee_user_id: number | null;
  }>;
  expect(rows.map((r) => ({ task: Number(r.task_id), user: Number(r.user_id), offered: Boolean(Number(r.offered)) }))).toEqual(
    rows.map((r) => ({ task: Number(r.task_id), user: Number(r.user_id), offered: r.status === 'open' && r.assignee_user_id === null })),
  );
  const people = new Set(rows.map((r) => Number(r.user_id)));
  for (const r of (await db('inbox_tasks').where('status', 'open').whereNotNull('assignee_user_id').distinct('assignee_user_id')) as Array<{
    assignee_user_id: number;
  }>)
    people.add(Number(r.assignee_user_id));
  for (const userId of people) {
    for (const extra of [{}, { overdue: true }] as Array<Partial<TaskQuery>>) {
      const q: TaskQuery = { box: 'todo', page: 1, pageSize: 100, ...extra };
      const got = await listTasks(db, userId, q, now);
      expect({ userId, q: extra, ids: got.items.map((t) => t.id), total: got.total }).toEqual({
        userId,
        q: extra,
        ...(await todoByDefinition(db, userId, q, now)),
      });
    }
  }
}
