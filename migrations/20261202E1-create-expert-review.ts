import type { Knex } from 'knex';

/**
 * 专家评审 (domain/expert-review.ts, processes/expert-review*.bpmn):
 * - experts: the pool (专家库) — name, organisation (text, and the organisation when it is one of
 *   ours: working for an applicant recuses), title, contact (sensitive: masked in lists), whether
 *   available, and the account the expert scores with (only experts with one are drawn).
 * - expert_specialties: 支出功能分类 类 codes (3 digits) an expert is qualified for.
 * - expert_ties: declared ties (employment, advice, dispute, investment, drafting; own or a close
 *   relative's) with an organisation, and when they started and ended.
 * - expert_review_batches: a review batch (评审批次): year, sector, panel size, the recorded seed
 *   of its draws, the engine's batch instance.
 * - expert_review_projects: a project in a batch, its engine instance, and its result: the number
 *   of score sheets, the aggregation method and the score the decision tables gave, the band.
 * - expert_assignments: each expert drawn for a project (slot = the panel seat; a replacement takes
 *   the seat of the one who declined or let the time run out), and what became of the invitation.
 *   One expert is drawn at most once per project (unique), so nobody is drawn back.
 * - expert_score_sheets: an expert's scores (hundredths of points, per criterion, as JSON) and
 *   comment, with the audit record that seals it.
 * - projects.expert_*: the confirmed result on the project itself, where an allocation reads it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('experts', (t) => {
    t.increments('id').primary();
    t.string('code', 30).notNullable().unique(); // 专家编号, e.g. ZJ0001: how an import finds an expert
    t.string('name', 50).notNullable();
    t.integer('user_id').unsigned().nullable().unique().references('id').inTable('users');
    t.string('organisation_name', 200).notNullable();
    t.integer('org_id').unsigned().nullable().references('id').inTable('organisations');
    t.string('title', 50).notNullable(); // 职称
    t.string('phone', 30).nullable();
    t.string('email', 100).nullable();
    t.boolean('available').notNullable().defaultTo(true);
    t.string('note', 500).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['available']);
    t.index(['name']);
  });

  await knex.schema.createTable('expert_specialties', (t) => {
    t.integer('expert_id').unsigned().notNullable().references('id').inTable('experts');
    t.string('functional_class', 3).notNullable();
    t.primary(['expert_id', 'functional_class']);
    t.index(['functional_class', 'expert_id']);
  });

  await knex.schema.createTable('expert_ties', (t) => {
    t.increments('id').primary();
    t.integer('expert_id').unsigned().notNullable().references('id').inTable('experts');
    t.string('kind', 20).notNullable(); // domain/expert-review.ts TIE_KINDS
    t.integer('org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.boolean('relative').notNullable().defaultTo(false);
    t.string('started_on', 10).nullable(); // YYYY-MM-DD
    t.string('ended_on', 10).nullable();
    t.integer('project_id').unsigned().nullable().references('id').inTable('projects'); // drafting
    t.string('note', 500).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['expert_id']);
    t.index(['org_id']);
  });

  await knex.schema.createTable('expert_review_batches', (t) => {
    t.increments('id').primary();
    t.string('name', 200).notNullable();
    t.integer('fiscal_year').notNullable();
    t.string('sector', 3).nullable(); // 支出功能分类 类 of the batch, when it is one sector's
    t.integer('panel_size').notNullable();
    t.string('seed', 32).notNullable();
    t.string('respond_within', 20).notNullable(); // ISO 8601 duration: accept/decline within
    t.string('score_within', 20).notNullable();
    t.string('status', 30).notNullable(); // reviewing | awaiting_confirmation | confirmed
    t.string('process_instance_key', 64).nullable();
    t.integer('opened_by').unsigned().notNullable().references('id').inTable('users');
    t.datetime('opened_at', { precision: 3 }).notNullable();
    t.integer('confirmed_by').unsigned().nullable().references('id').inTable('users');
    t.datetime('confirmed_at', { precision: 3 }).nullable();
    t.string('confirm_comment', 500).nullable();
    t.index(['status']);
    t.index(['opened_at']);
  });

  await knex.schema.createTable('expert_review_projects', (t) => {
    t.increments('id').primary();
    t.integer('batch_id').unsigned().notNullable().references('id').inTable('expert_review_batches');
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.string('process_instance_key', 64).nullable(); // the engine's expert-review-project instance
    t.string('status', 20).notNullable(); // reviewing | scored | confirmed
    t.integer('score_count').nullable();
    t.string('aggregation_method', 20).nullable();
    t.integer('score_centi').nullable(); // hundredths of points
    t.string('band', 20).nullable(); // the band decision table's answer (support / adjust / reject)
    t.integer('draw_audit_record_id').unsigned().nullable().references('id').inTable('audit_records');
    t.datetime('scored_at', { precision: 3 }).nullable();
    t.unique(['batch_id', 'project_id']);
    t.index(['project_id']);
  });

  await knex.schema.createTable('expert_assignments', (t) => {
    t.increments('id').primary();
    t.integer('review_id').unsigned().notNullable().references('id').inTable('expert_review_projects');
    t.integer('batch_id').unsigned().notNullable().references('id').inTable('expert_review_batches');
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.integer('slot').notNullable(); // panel seat, 0 … panel_size − 1
    t.integer('round').notNullable(); // 0: first draw; 1, 2 …: replacements for this seat
    t.integer('expert_id').unsigned().notNullable().references('id').inTable('experts');
    t.integer('expert_user_id').unsigned().notNullable().references('id').inTable('users');
    t.string('status', 20).notNullable(); // invited | accepted | declined | timed_out | submitting | submitted
    t.string('decline_reason', 500).nullable();
    t.datetime('invited_at', { precision: 3 }).notNullable();
    t.datetime('responded_at', { precision: 3 }).nullable();
    t.datetime('submitted_at', { precision: 3 }).nullable();
    t.datetime('reminded_at', { precision: 3 }).nullable();
    t.unique(['review_id', 'expert_id']);
    t.index(['expert_user_id', 'status']);
    t.index(['batch_id']);
  });

  await knex.schema.createTable('expert_score_sheets', (t) => {
    t.increments('id').primary();
    t.integer('assignment_id').unsigned().notNullable().unique().references('id').inTable('expert_assignments');
    t.integer('review_id').unsigned().notNullable().references('id').inTable('expert_review_projects');
    t.integer('expert_id').unsigned().notNullable().references('id').inTable('experts');
    t.text('scores').notNullable(); // {"necessity": 1850, …} in hundredths
    t.integer('total_centi').notNullable();
    t.text('comment').notNullable();
    t.boolean('sealed').notNullable();
    t.integer('audit_record_id').unsigned().nullable().references('id').inTable('audit_records'); // null only between the engine's acceptance and the seal
    t.datetime('submitted_at', { precision: 3 }).notNullable();
    t.index(['review_id']);
  });

  await knex.schema.alterTable('projects', (t) => {
    t.integer('expert_score_centi').nullable(); // the confirmed expert score, hundredths of points
    t.string('expert_band', 20).nullable(); // support | adjust | reject
    t.integer('expert_batch_id').unsigned().nullable().references('id').inTable('expert_review_batches');
    t.datetime('expert_scored_at', { precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('projects', (t) => {
    t.dropForeign(['expert_batch_id']);
  });
  await knex.schema.alterTable('projects', (t) => {
    t.dropColumn('expert_score_centi');
    t.dropColumn('expert_band');
    t.dropColumn('expert_batch_id');
    t.dropColumn('expert_scored_at');
  });
  for (const table of ['expert_score_sheets', 'expert_assignments', 'expert_review_projects', 'expert_review_batches', 'expert_ties', 'expert_specialties', 'experts']) {
    await knex.schema.dropTable(table);
  }
}
