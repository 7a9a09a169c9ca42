import type { Knex } from 'knex';

/**
 * 绩效监控 (quarterly performance monitoring, processes/performance-monitoring*.bpmn):
 * - monitoring_rounds: one quarter's monitoring started for a scope — by the quarter timer (all
 *   projects, scope_key 'all') or by a 绩效处 from the page (the region of their bureau, scope_key
 *   its GB/T 2260 prefix); starting the same quarter and scope again finds the same round.
 * - monitoring_reports: one funded project's report for one quarter, at most one per project and
 *   quarter whatever starts it (the unique key is the idempotency of the whole thing); the engine
 *   instance that carries it, claimed by its first step (a duplicate instance ends itself); the
 *   ledger's figures as of the quarter's last day (or the day of the report inside the quarter),
 *   read when the unit files, never typed; the deviation level and reasons; the 整改 request
 *   (who, when, due date, what) and the unit's answer.
 * - monitoring_report_targets: the unit's progress per performance target of the project
 *   (project_targets, set at intake): the value reached so far, a note, whether it is at risk.
 * Money integer fen; instants UTC DATETIME(3); dates (due, as-of) as YYYY-MM-DD text.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('monitoring_rounds', (t) => {
    t.increments('id').primary();
    t.integer('fiscal_year').notNullable();
    t.integer('quarter').notNullable();
    t.string('scope_key', 10).notNullable(); // 'all' or a region prefix (15, 1501 …)
    t.integer('organiser_org_id').unsigned().nullable().references('id').inTable('organisations');
    t.integer('started_by').unsigned().nullable().references('id').inTable('users'); // null: the timer
    t.string('process_instance_key', 64).nullable();
    t.integer('report_count').notNullable().defaultTo(0);
    t.datetime('started_at', { precision: 3 }).notNullable();
    t.unique(['fiscal_year', 'quarter', 'scope_key']);
    t.check('?? between 1 and 4', ['quarter'], 'monitoring_rounds_quarter');
  });

  await knex.schema.createTable('monitoring_reports', (t) => {
    t.increments('id').primary();
    t.integer('round_id').unsigned().notNullable().references('id').inTable('monitoring_rounds');
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('fiscal_year').notNullable();
    t.integer('quarter').notNullable();
    // pending → submitted (no warning) | warned → rectifying → rectified | accepted
    t.string('status', 20).notNullable();
    t.string('process_instance_key', 64).nullable();
    t.string('as_of', 10).nullable();
    t.bigInteger('budget_fen').nullable();
    t.bigInteger('frozen_fen').nullable();
    t.bigInteger('paid_fen').nullable();
    t.integer('time_elapsed_days').nullable();
    t.integer('time_year_days').nullable();
    t.string('deviation_level', 10).nullable(); // none | notice | warning | severe
    t.text('deviation_reasons').nullable(); // JSON array of strings
    t.text('progress_note').nullable();
    t.integer('submitted_by').unsigned().nullable().references('id').inTable('users');
    t.datetime('submitted_at', { precision: 3 }).nullable();
    t.text('rectification_request').nullable();
    t.string('rectification_due', 10).nullable();
    t.integer('rectification_requested_by').unsigned().nullable().references('id').inTable('users');
    t.datetime('rectification_requested_at', { precision: 3 }).nullable();
    t.text('rectification_answer').nullable();
    t.integer('rectification_answered_by').unsigned().nullable().references('id').inTable('users');
    t.datetime('rectification_answered_at', { precision: 3 }).nullable();
    t.text('review_comment').nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.unique(['project_id', 'fiscal_year', 'quarter']);
    t.index(['round_id']);
    t.index(['unit_org_id', 'status']);
    t.index(['fiscal_year', 'quarter', 'status']);
  });

  await knex.schema.createTable('monitoring_report_targets', (t) => {
    t.increments('id').primary();
    t.integer('report_id').unsigned().notNullable().references('id').inTable('monitoring_reports');
    t.integer('target_id').unsigned().notNullable().references('id').inTable('project_targets');
    t.string('actual_value', 200).notNullable();
    t.string('note', 500).nullable();
    t.boolean('at_risk').notNullable().defaultTo(false);
    t.unique(['report_id', 'target_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('monitoring_report_targets');
  await knex.schema.dropTable('monitoring_reports');
  await knex.schema.dropTable('monitoring_rounds');
}
