import type { Knex } from 'knex';

/**
 * Human steps on the engine (server/inbox):
 * - process_instances: the lifecycle processes this installation started, with their business
 *   object (a project), so a project's live diagram and history can be found.
 * - inbox_tasks: the projection of the engine's user tasks (one row per job of a job-worker user
 *   task, keyed by the engine's job key). The engine stays the source of truth: a task is
 *   completed by completing its job; this row says who may act, on what, until when.
 * - inbox_task_candidates: the people a task's candidate groups resolve to (role + the
 *   business object's organisation), so "my tasks" is an indexed lookup.
 * - inbox_task_signers: 加签 — approvers added before or after the holder, in order.
 * - inbox_copies: 抄送 — tasks copied to someone for information.
 * - task_events: the history of every task: created, claimed, reassigned, completed, … with actor,
 *   time, decision, comment and form data.
 * - notifications: in-app messages rendered from templates/ (e-mail/SMS go behind an interface).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('process_instances', (t) => {
    t.increments('id').primary();
    t.string('process_instance_key', 30).notNullable().unique(); // engine keys are int64: text
    t.string('process_id', 100).notNullable(); // the model's id in processes/ (no namespace)
    t.integer('process_version').notNullable();
    t.string('business_type', 30).notNullable(); // project
    t.integer('business_id').notNullable();
    t.string('status', 20).notNullable(); // active | completed | canceled
    t.integer('started_by').unsigned().nullable().references('id').inTable('users');
    t.datetime('started_at', { precision: 3 }).notNullable();
    t.datetime('ended_at', { precision: 3 }).nullable();
    t.string('outcome', 30).nullable(); // reserved | withdrawn | …
    t.index(['business_type', 'business_id']);
  });

  await knex.schema.createTable('inbox_tasks', (t) => {
    t.increments('id').primary();
    t.string('job_key', 30).notNullable().unique();
    t.string('process_instance_key', 30).notNullable();
    t.string('process_id', 100).notNullable();
    t.string('element_id', 100).notNullable();
    t.string('element_instance_key', 30).notNullable();
    t.string('name', 200).notNullable(); // the step as the model names it, e.g. 主管部门审核
    t.string('form_key', 100).notNullable();
    t.string('candidate_groups', 300).notNullable(); // JSON array of role codes
    t.string('business_type', 30).notNullable();
    t.integer('business_id').notNullable();
    t.string('business_title', 200).notNullable();
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('assignee_user_id').unsigned().nullable().references('id').inTable('users');
    // open → completing (the engine is being told) → completed; canceled when the engine dropped it.
    t.string('status', 20).notNullable();
    t.datetime('due_at', { precision: 3 }).nullable();
    t.string('decision', 30).nullable();
    t.string('comment', 500).nullable();
    t.text('form_data').nullable();
    t.integer('completed_by').unsigned().nullable().references('id').inTable('users');
    t.integer('version').notNullable().defaultTo(1);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('claimed_at', { precision: 3 }).nullable();
    t.datetime('completed_at', { precision: 3 }).nullable();
    t.datetime('reminded_at', { precision: 3 }).nullable();
    t.index(['assignee_user_id', 'status', 'id', 'due_at']); // 待办 assigned to me, and 逾期 among them, without reading task rows
    t.index(['status', 'due_at']);
    t.index(['process_instance_key', 'element_id']);
    t.index(['business_type', 'business_id']);
    t.index(['completed_by', 'completed_at']);
    t.index(['completed_at']); // 已办 newest first: walked backwards, stopping at a page of the person's tasks
    // 待办's "offered to me" branch checks each candidate task's status, assignee (and due date for
    // 逾期): a narrow index answers that without reading the wide task rows (server/inbox/tasks.ts).
    t.index(['id', 'status', 'assignee_user_id', 'due_at'], 'inbox_tasks_open_check_index');
  });

  await knex.schema.createTable('inbox_task_candidates', (t) => {
    t.integer('task_id').unsigned().notNullable().references('id').inTable('inbox_tasks');
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.primary(['task_id', 'user_id']);
    t.index(['user_id', 'task_id']);
  });

  await knex.schema.createTable('inbox_task_signers', (t) => {
    t.increments('id').primary();
    t.integer('task_id').unsigned().notNullable().references('id').inTable('inbox_tasks');
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('position', 10).notNullable(); // before | after
    t.string('status', 10).notNullable(); // pending | done
    t.integer('added_by').unsigned().notNullable().references('id').inTable('users');
    t.string('decision', 30).nullable();
    t.string('comment', 500).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('acted_at', { precision: 3 }).nullable();
    t.index(['task_id', 'status']);
  });

  await knex.schema.createTable('inbox_copies', (t) => {
    t.increments('id').primary();
    t.integer('task_id').unsigned().notNullable().references('id').inTable('inbox_tasks');
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.integer('copied_by').unsigned().notNullable().references('id').inTable('users');
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('read_at', { precision: 3 }).nullable();
    t.unique(['task_id', 'user_id']);
    t.index(['user_id', 'id']);
  });

  await knex.schema.createTable('task_events', (t) => {
    t.increments('id').primary();
    t.integer('task_id').unsigned().notNullable().references('id').inTable('inbox_tasks');
    t.string('kind', 30).notNullable(); // created | claimed | unclaimed | reassigned | signer_added | signed | completed | copied | reminded | commented | canceled
    t.integer('actor_user_id').unsigned().nullable();
    t.string('actor', 100).notNullable();
    t.string('actor_name', 50).notNullable();
    t.string('decision', 30).nullable();
    t.string('comment', 500).nullable();
    t.text('data').nullable(); // JSON
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['task_id', 'id']);
    t.index(['actor_user_id', 'kind', 'task_id']); // 已办: tasks a person completed or signed
  });

  await knex.schema.createTable('notifications', (t) => {
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('kind', 40).notNullable(); // the template's name
    t.string('title', 200).notNullable();
    t.string('body', 2000).notNullable();
    t.string('link', 300).nullable();
    t.string('dedupe_key', 100).nullable().unique(); // a redelivered job notifies once
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('read_at', { precision: 3 }).nullable();
    t.index(['user_id', 'read_at', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notifications');
  await knex.schema.dropTable('task_events');
  await knex.schema.dropTable('inbox_copies');
  await knex.schema.dropTable('inbox_task_signers');
  await knex.schema.dropTable('inbox_task_candidates');
  await knex.schema.dropTable('inbox_tasks');
  await knex.schema.dropTable('process_instances');
}
