import type { Knex } from 'knex';

/**
 * 决算 (final accounts) with 结转 / 结余收回 (domain/final-accounts.ts, processes/final-accounts.bpmn):
 * - final_accounts: one unit's final accounts of one fiscal year: status (draft → reviewing →
 *   closing → closed; a return makes it draft again), the engine instance and its open step, the
 *   totals of its lines, who submitted it and when it closed.
 * - final_account_lines: the figures per quota, generated from the ledger's journal in one
 *   set-based INSERT … SELECT (issued, adjusted in/out, carried over, budget, paid, frozen,
 *   balance), and after closing what was posted for its balance (kind, journal entry, new quota).
 * - final_account_items: per project (or per quota without a project) the balance, the unit's
 *   explanation and its choice: carry-over (结转) or recover (结余收回).
 * - final_account_decisions: each step's decision with the audit record that seals it.
 * - an index on quotas (unit_org_id, fiscal_year): the rows a unit's generation starts from.
 * Money is integer fen; instants UTC DATETIME(3).
 */
export async function up(knex: Knex): Promise<void> {
  // A unit's quotas of a year, the rows every generation starts from (the ledger had no such index).
  await knex.schema.alterTable('quotas', (t) => {
    t.index(['unit_org_id', 'fiscal_year'], 'quotas_unit_year_index');
  });
  await knex.schema.createTable('final_accounts', (t) => {
    t.increments('id').primary();
    t.integer('fiscal_year').notNullable();
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('department_org_id').unsigned().nullable().references('id').inTable('organisations');
    t.string('status', 20).notNullable(); // draft | reviewing | closing | closed
    t.string('current_step', 60).nullable(); // the engine's open user task (element id), a projection
    t.string('process_instance_key', 64).nullable();
    t.integer('version').notNullable().defaultTo(1);
    t.bigInteger('budget_fen').notNullable().defaultTo(0);
    t.bigInteger('paid_fen').notNullable().defaultTo(0);
    t.bigInteger('frozen_fen').notNullable().defaultTo(0);
    t.bigInteger('balance_fen').notNullable().defaultTo(0);
    t.string('return_comment', 500).nullable();
    t.integer('created_by').unsigned().nullable().references('id').inTable('users');
    t.integer('submitted_by').unsigned().nullable().references('id').inTable('users');
    t.datetime('generated_at', { precision: 3 }).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.datetime('submitted_at', { precision: 3 }).nullable();
    t.datetime('closed_at', { precision: 3 }).nullable();
    t.unique(['unit_org_id', 'fiscal_year']);
    t.index(['department_org_id', 'fiscal_year'], 'final_accounts_department_index');
    t.index(['fiscal_year', 'status'], 'final_accounts_year_status_index');
  });

  await knex.schema.createTable('final_account_lines', (t) => {
    t.increments('id').primary();
    t.integer('final_account_id').unsigned().notNullable().references('id').inTable('final_accounts');
    t.integer('quota_id').unsigned().notNullable().references('id').inTable('quotas');
    t.string('quota_no', 50).notNullable();
    t.integer('project_id').unsigned().nullable();
    t.string('functional_code', 7).notNullable();
    t.string('economic_code', 5).notNullable();
    t.bigInteger('issued_fen').notNullable();
    t.bigInteger('adjusted_in_fen').notNullable();
    t.bigInteger('adjusted_out_fen').notNullable();
    t.bigInteger('carried_out_fen').notNullable();
    t.bigInteger('budget_fen').notNullable();
    t.bigInteger('paid_fen').notNullable();
    t.bigInteger('frozen_fen').notNullable();
    t.bigInteger('balance_fen').notNullable();
    t.integer('entries').notNullable();
    t.string('posted_kind', 20).nullable(); // carry-over | recover, once posted at closing
    t.integer('posted_journal_id').unsigned().nullable();
    t.integer('posted_quota_id').unsigned().nullable(); // the next year's quota a carry-over created
    t.index(['final_account_id', 'project_id'], 'final_account_lines_account_index');
    t.index(['quota_id'], 'final_account_lines_quota_index');
  });

  await knex.schema.createTable('final_account_items', (t) => {
    t.increments('id').primary();
    t.integer('final_account_id').unsigned().notNullable().references('id').inTable('final_accounts');
    t.integer('project_id').unsigned().nullable(); // the project; null: a quota without project (quota_id)
    t.integer('quota_id').unsigned().nullable();
    t.bigInteger('balance_fen').notNullable();
    t.string('explanation', 500).nullable();
    t.string('choice', 20).nullable(); // carry-over | recover
    t.index(['final_account_id', 'project_id'], 'final_account_items_account_index');
  });

  await knex.schema.createTable('final_account_decisions', (t) => {
    t.increments('id').primary();
    t.integer('final_account_id').unsigned().notNullable().references('id').inTable('final_accounts');
    t.string('element_id', 60).notNullable();
    t.string('step_name', 100).notNullable();
    t.string('decision', 20).notNullable(); // submit | approve | reject
    t.string('comment', 500).nullable();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.integer('audit_record_id').unsigned().nullable();
    t.boolean('sealed').notNullable().defaultTo(false);
    t.datetime('decided_at', { precision: 3 }).notNullable();
    t.index(['final_account_id'], 'final_account_decisions_account_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('final_account_decisions');
  await knex.schema.dropTable('final_account_items');
  await knex.schema.dropTable('final_account_lines');
  await knex.schema.dropTable('final_accounts');
  // MySQL silently dropped the index it made for the foreign key quotas_unit_org_fk when ours could
  // serve it; give the key its own index back before ours goes (else: "needed in a foreign key").
  if (String(knex.client.config.client).startsWith('mysql')) {
    await knex.schema.alterTable('quotas', (t) => {
      t.index(['unit_org_id'], 'quotas_unit_org_fk');
    });
  }
  await knex.schema.alterTable('quotas', (t) => {
    t.dropIndex(['unit_org_id', 'fiscal_year'], 'quotas_unit_year_index');
  });
}
