import type { Knex } from 'knex';

/**
 * 预算调整申请 (domain/adjustments.ts, processes/budget-adjustment.bpmn):
 * - budget_adjustments: one request of a unit or department — 调剂 (transfer: from one quota to
 *   another), 追加 (increase: into one quota) or 调减 (decrease: out of one quota) — with its
 *   amount (fen) and reason; whether it is a formal 预算调整 (totals change, Budget Law art. 67)
 *   and the approval document recorded for it (文号, title, an attachment kept in
 *   attachment_blobs under its SM3); status (approving → posted | rejected | failed), the chain the
 *   decision table chose, the step it waits at, the engine instance, the journal entries the posting wrote.
 * - adjustment_decisions: each approval step's decision, with the audit record that seals it.
 * Money is integer fen; instants UTC DATETIME(3).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('budget_adjustments', (t) => {
    t.increments('id').primary();
    t.string('kind', 20).notNullable(); // transfer | increase | decrease
    t.integer('fiscal_year').notNullable();
    t.integer('org_id').unsigned().notNullable().references('id').inTable('organisations'); // the requesting unit or department
    t.integer('from_quota_id').unsigned().nullable().references('id').inTable('quotas');
    t.integer('to_quota_id').unsigned().nullable().references('id').inTable('quotas');
    t.bigInteger('amount_fen').notNullable();
    t.string('reason', 500).notNullable();
    t.boolean('formal').notNullable().defaultTo(false); // 预算调整: totals change
    t.string('document_no', 100).nullable(); // 调整批复文号
    t.string('document_title', 200).nullable();
    t.string('document_file_name', 200).nullable();
    t.specificType('document_sm3', 'char(64)').nullable().references('sm3').inTable('attachment_blobs');
    t.integer('document_size').nullable();
    t.string('status', 20).notNullable(); // approving | posted | rejected | failed
    t.string('approval_chain', 20).nullable(); // section | deputy | director
    t.string('current_element', 50).nullable(); // the step it waits at (SectionReview …), null when none
    t.string('process_instance_key', 64).nullable();
    t.string('outcome_comment', 500).nullable(); // why rejected or why the posting failed
    t.integer('out_journal_id').unsigned().nullable();
    t.integer('in_journal_id').unsigned().nullable();
    t.integer('requested_by').unsigned().notNullable().references('id').inTable('users');
    t.datetime('requested_at', { precision: 3 }).notNullable();
    t.datetime('decided_at', { precision: 3 }).nullable();
    t.datetime('posted_at', { precision: 3 }).nullable();
    t.integer('version').notNullable().defaultTo(1);
    t.index(['org_id', 'status']);
    t.index(['status']);
    t.index(['from_quota_id']);
    t.index(['to_quota_id']);
  });

  await knex.schema.createTable('adjustment_decisions', (t) => {
    t.increments('id').primary();
    t.integer('adjustment_id').unsigned().notNullable().references('id').inTable('budget_adjustments');
    t.string('element_id', 50).notNullable();
    t.string('step_name', 50).notNullable();
    t.string('decision', 20).notNullable(); // submit | approve | reject
    t.string('comment', 500).nullable();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.integer('audit_record_id').unsigned().nullable().references('id').inTable('audit_records');
    t.boolean('sealed').notNullable().defaultTo(false);
    t.datetime('decided_at', { precision: 3 }).notNullable();
    t.index(['adjustment_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('adjustment_decisions');
  await knex.schema.dropTableIfExists('budget_adjustments');
}
