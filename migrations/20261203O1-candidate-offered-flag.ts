import type { Knex } from 'knex';

/**
 * 待办's "offered to me" part without reading task rows: `offered` on each candidate row says the
 * task is open, unassigned and offered to this person — exactly what that part asks. Every change
 * of a task's status or assignee, and every candidate row written, keeps it in step in the same
 * transaction (server/inbox/tasks.ts `updateTask`, `refreshOffered`); closeTask removes the rows
 * of a task that ends. The unfiltered 待办 then counts and pages the offered part on the index
 * (user_id, offered, task_id) alone: measured by bench:inbox at 1,000,000 tasks on MariaDB,
 * counting the ~26,000 candidate rows of the region budget section through the task index took
 * 28–40 ms of its 53 ms p95.
 *
 * Existing rows are backfilled from their tasks: offered exactly when the task is 'open' with no
 * assignee ('completing' is not offered: someone is submitting it).
 */
const INDEX = 'inbox_task_candidates_offered_index';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('inbox_task_candidates', (t) => {
    t.boolean('offered').notNullable().defaultTo(false);
  });
  await knex('inbox_task_candidates')
    .whereIn('task_id', knex('inbox_tasks').select('id').where('status', 'open').whereNull('assignee_user_id'))
    .update({ offered: true });
  await knex.schema.alterTable('inbox_task_candidates', (t) => {
    t.index(['user_id', 'offered', 'task_id'], INDEX);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('inbox_task_candidates', (t) => {
    t.dropIndex([], INDEX);
  });
  await knex.schema.alterTable('inbox_task_candidates', (t) => {
    t.dropColumn('offered');
  });
}
