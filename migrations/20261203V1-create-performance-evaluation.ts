import type { Knex } from 'knex';

/**
 * 绩效评价 (processes/performance-evaluation.bpmn, rules domain/performance-scoring.ts):
 * - performance_evaluations: one project's evaluation of a fiscal year — where it stands (the
 *   engine owns the flow; the status mirrors it for lists), the ledger's figures when it was scored
 *   (issued and paid, integer fen: the execution rate is never typed), the self-evaluation's score,
 *   the reviewed score, the external experts' score (above the configured amount), the final score
 *   and grade, the score breakdown as JSON, the drawn panel, the audit record that seals the review.
 * - performance_actuals: per indicator of the project's targets (project_targets, set at intake):
 *   the unit's actual and its explanation of a gap; the 绩效处's reviewed actual and the reason for
 *   changing it; the weight and score of the last scoring (centi-points).
 * - performance_evidence: evidence attachments, stored once under their SM3 in attachment_blobs.
 * performance_grades (20261202F1) receives the unit's grade of the year when an evaluation ends.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('performance_evaluations', (t) => {
    t.increments('id').primary();
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.integer('fiscal_year').notNullable();
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('status', 20).notNullable(); // self_evaluation | review | external | graded
    t.string('process_instance_key', 64).nullable();
    t.bigInteger('issued_fen').nullable();
    t.bigInteger('paid_fen').nullable();
    t.integer('self_score_centi').nullable();
    t.integer('reviewed_score_centi').nullable();
    t.integer('external_score_centi').nullable();
    t.integer('final_score_centi').nullable();
    t.string('grade', 10).nullable(); // excellent | good | fair | poor
    t.text('breakdown').nullable(); // the last ScoreResult, JSON
    t.string('explanation', 2000).nullable(); // the unit's overall explanation
    t.boolean('external').notNullable().defaultTo(false);
    t.string('panel', 500).nullable(); // drawn expert ids, comma-separated
    t.integer('review_audit_record_id').unsigned().nullable().references('id').inTable('audit_records');
    t.integer('started_by').unsigned().notNullable().references('id').inTable('users');
    t.datetime('started_at', { precision: 3 }).notNullable();
    t.datetime('submitted_at', { precision: 3 }).nullable();
    t.datetime('graded_at', { precision: 3 }).nullable();
    t.integer('version').notNullable().defaultTo(1);
    t.unique(['project_id', 'fiscal_year']);
    t.index(['unit_org_id', 'fiscal_year']);
    t.index(['status']);
  });

  await knex.schema.createTable('performance_actuals', (t) => {
    t.increments('id').primary();
    t.integer('evaluation_id').unsigned().notNullable().references('id').inTable('performance_evaluations');
    t.integer('target_id').unsigned().notNullable().references('id').inTable('project_targets');
    t.integer('seq').notNullable();
    t.string('self_value', 200).nullable();
    t.string('self_band', 20).nullable();
    t.integer('self_percent').nullable(); // qualitative: percent of the weight within the band
    t.string('gap_explanation', 1000).nullable();
    t.string('reviewed_value', 200).nullable();
    t.string('reviewed_band', 20).nullable();
    t.integer('reviewed_percent').nullable();
    t.string('review_reason', 500).nullable();
    t.integer('reviewed_by').unsigned().nullable().references('id').inTable('users');
    t.integer('weight_centi').nullable();
    t.integer('score_centi').nullable();
    t.unique(['evaluation_id', 'target_id']);
  });

  await knex.schema.createTable('performance_evidence', (t) => {
    t.increments('id').primary();
    t.integer('evaluation_id').unsigned().notNullable().references('id').inTable('performance_evaluations');
    t.integer('actual_id').unsigned().nullable().references('id').inTable('performance_actuals');
    t.string('file_name', 200).notNullable();
    t.string('content_type', 100).notNullable();
    t.integer('size_bytes').notNullable();
    t.specificType('sm3', 'char(64)').notNullable().references('sm3').inTable('attachment_blobs');
    t.string('uploaded_by', 100).notNullable();
    t.datetime('uploaded_at', { precision: 3 }).notNullable();
    t.datetime('removed_at', { precision: 3 }).nullable();
    t.index(['evaluation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('performance_evidence');
  await knex.schema.dropTableIfExists('performance_actuals');
  await knex.schema.dropTableIfExists('performance_evaluations');
}
