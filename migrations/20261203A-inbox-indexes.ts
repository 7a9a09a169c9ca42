import type { Knex } from 'knex';

/**
 * The inbox indexes that were once added by editing 20261123K-create-task-inbox.ts after it had
 * landed (so a database migrated before that edit lacked them, and 待办 forces one of them on
 * MySQL/MariaDB). 20261123K stays as it is now (changing it back would be one more edit of history);
 * this step brings databases migrated before that edit up to it. Each index is created only when
 * missing: fresh databases and those migrated from the edited file already have them and nothing
 * happens; older ones get them now, and lose the original index the wider one replaces.
 *
 * - 待办 assigned to me, and 逾期 among them, without reading task rows: (assignee, status, id, due_at)
 *   replaces the original (assignee, status, id).
 * - 已办 newest first: walked backwards on completed_at, stopping at a page of the person's tasks.
 * - 待办's "offered to me" branch checks each candidate task's status, assignee (and due date for
 *   逾期) on a narrow index instead of the wide task rows (server/inbox/tasks.ts, forced on MySQL).
 */
const WIDE = { name: 'inbox_tasks_assignee_user_id_status_id_due_at_index', columns: ['assignee_user_id', 'status', 'id', 'due_at'] };
const ORIGINAL = { name: 'inbox_tasks_assignee_user_id_status_id_index', columns: ['assignee_user_id', 'status', 'id'] };
const ADDED = [
  { name: 'inbox_tasks_completed_at_index', columns: ['completed_at'] },
  { name: 'inbox_tasks_open_check_index', columns: ['id', 'status', 'assignee_user_id', 'due_at'] },
];

export async function up(knex: Knex): Promise<void> {
  const have = await indexNames(knex, 'inbox_tasks');
  const missing = [WIDE, ...ADDED].filter((i) => !have.has(i.name));
  const stale = have.has(ORIGINAL.name);
  if (!missing.length && !stale) return;
  await knex.schema.alterTable('inbox_tasks', (t) => {
    for (const i of missing) t.index(i.columns, i.name);
  });
  if (stale) await knex.schema.alterTable('inbox_tasks', (t) => t.dropIndex([], ORIGINAL.name));
}

export async function down(knex: Knex): Promise<void> {
  const have = await indexNames(knex, 'inbox_tasks');
  if (!have.has(ORIGINAL.name)) await knex.schema.alterTable('inbox_tasks', (t) => t.index(ORIGINAL.columns, ORIGINAL.name));
  const present = [WIDE, ...ADDED].filter((i) => have.has(i.name));
  if (present.length) {
    await knex.schema.alterTable('inbox_tasks', (t) => {
      for (const i of present) t.dropIndex([], i.name);
    });
  }
}

/** The table's index names, on MySQL/MariaDB and on SQLite. */
export async function indexNames(knex: Knex, table: string): Promise<Set<string>> {
  if (String(knex.client.config.client).startsWith('mysql')) {
    const [rows] = (await knex.raw('SHOW INDEX FROM ??', [table])) as [Array<{ Key_name: string }>];
    return new Set(rows.map((r) => r.Key_name));
  }
  const rows = (await knex.raw(`PRAGMA index_list(${JSON.stringify(table)})`)) as Array<{ name: string }>;
  return new Set(rows.map((r) => r.name));
}
