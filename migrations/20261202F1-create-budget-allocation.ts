import type { Knex } from 'knex';

/**
 * 预算编制/分配 and 批复/指标下达 (domain/allocation.ts, processes/budget-allocation.bpmn):
 * - performance_grades: a unit's performance grade (绩效评价 优/良/中/差) of a fiscal year. The
 *   evaluation issue fills it; until then demo data and the tests do. An allocation of year N reads
 *   the grades of year N − 1.
 * - budget_allocations: one allocation (预算分配方案) of a finance bureau for a fiscal year: its
 *   status (draft → approving → issued, or back to draft when an approver sends it back), whether
 *   it is a 三重一大 matter, the total at submission, the approval chain the decision table chose,
 *   the engine instance, the generated document number (指标文号), who submitted it.
 * - allocation_control_totals: the year's control total (控制数) per supervising department and
 *   sector (支出功能分类 类): no allocation may propose more than it within that department and sector.
 * - allocation_lines: each candidate project, its rank and the reason of it, what was requested,
 *   the suggestion the rules made and the amount proposed (what-if edits change only this), the
 *   reason when it is cut or not funded.
 * - allocation_decisions: each approval step's decision, with the audit record that seals it.
 * Money is integer fen; instants UTC DATETIME(3).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('performance_grades', (t) => {
    t.increments('id').primary();
    t.integer('fiscal_year').notNullable();
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('grade', 10).notNullable(); // excellent | good | fair | poor (优/良/中/差)
    t.integer('score_centi').nullable();
    t.string('source', 100).notNullable(); // where it came from: 'demo', 'evaluation:<id>' …
    t.datetime('recorded_at', { precision: 3 }).notNullable();
    t.unique(['fiscal_year', 'unit_org_id']);
  });

  await knex.schema.createTable('budget_allocations', (t) => {
    t.increments('id').primary();
    t.integer('fiscal_year').notNullable();
    t.integer('bureau_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('name', 200).notNullable();
    t.string('status', 20).notNullable(); // draft | approving | issued
    t.boolean('major_decision').notNullable().defaultTo(false); // 三重一大
    t.bigInteger('total_fen').notNullable().defaultTo(0);
    t.string('approval_chain', 20).nullable(); // section | deputy | director | meeting
    t.string('process_instance_key', 64).nullable();
    t.string('document_no', 60).nullable().unique(); // 指标文号, generated at issuance
    t.string('return_comment', 500).nullable();
    t.integer('version').notNullable().defaultTo(1);
    t.integer('created_by').unsigned().notNullable().references('id').inTable('users');
    t.integer('submitted_by').unsigned().nullable().references('id').inTable('users');
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.datetime('submitted_at', { precision: 3 }).nullable();
    t.datetime('issued_at', { precision: 3 }).nullable();
    t.index(['bureau_org_id', 'fiscal_year']);
    t.index(['status']);
  });

  await knex.schema.createTable('allocation_control_totals', (t) => {
    t.increments('id').primary();
    t.integer('allocation_id').unsigned().notNullable().references('id').inTable('budget_allocations');
    t.integer('department_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('sector', 3).notNullable();
    t.bigInteger('amount_fen').notNullable();
    t.unique(['allocation_id', 'department_org_id', 'sector'], { indexName: 'allocation_totals_unique' });
  });

  await knex.schema.createTable('allocation_lines', (t) => {
    t.increments('id').primary();
    t.integer('allocation_id').unsigned().notNullable().references('id').inTable('budget_allocations');
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.integer('department_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('sector', 3).notNullable();
    t.integer('rank').notNullable();
    t.string('grade', 10).nullable();
    t.string('band', 20).nullable();
    t.integer('score_centi').nullable();
    t.boolean('excluded').notNullable().defaultTo(false);
    t.bigInteger('requested_fen').notNullable();
    t.bigInteger('suggested_fen').notNullable();
    t.bigInteger('proposed_fen').notNullable();
    t.string('reason', 500).nullable();
    t.string('outcome', 20).nullable(); // funded | not_funded, at issuance
    t.unique(['allocation_id', 'project_id']);
    t.index(['project_id']);
  });

  await knex.schema.createTable('allocation_decisions', (t) => {
    t.increments('id').primary();
    t.integer('allocation_id').unsigned().notNullable().references('id').inTable('budget_allocations');
    t.string('element_id', 50).notNullable();
    t.string('step_name', 50).notNullable();
    t.string('decision', 20).notNullable(); // approve | reject
    t.string('comment', 500).nullable();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.integer('audit_record_id').unsigned().nullable().references('id').inTable('audit_records');
    t.boolean('sealed').notNullable().defaultTo(false);
    t.datetime('decided_at', { precision: 3 }).notNullable();
    t.index(['allocation_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('allocation_decisions');
  await knex.schema.dropTableIfExists('allocation_lines');
  await knex.schema.dropTableIfExists('allocation_control_totals');
  await knex.schema.dropTableIfExists('budget_allocations');
  await knex.schema.dropTableIfExists('performance_grades');
}
