import type { Knex } from 'knex';

/**
 * 待办 with a filter (keyword, process, form) without reading task rows: the columns a filter
 * reads beside those the unfiltered 待办 reads (assignee, status, id, due date), so both of its
 * parts — assigned to me, and offered to me (looked up under assignee NULL, 'open', id) — are
 * answered from this index (server/inbox/tasks.ts listTasks). Measured by bench:inbox at
 * 1,000,000 tasks on MariaDB: a keyword in the region budget section's 待办 otherwise read the
 * rows of all its 23,539 tasks (3.8 s p95 with a buffer pool smaller than the table).
 * The key is at most ~2,500 bytes in utf8mb4, within InnoDB's 3,072.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('inbox_tasks', (t) => {
    t.index(['assignee_user_id', 'status', 'id', 'due_at', 'process_id', 'form_key', 'business_title', 'name'], 'inbox_tasks_todo_filter_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('inbox_tasks', (t) => {
    t.dropIndex([], 'inbox_tasks_todo_filter_index');
  });
}
