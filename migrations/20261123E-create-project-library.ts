import type { Knex } from 'knex';

/**
 * The project library (项目库, domain/projects.ts):
 * - projects: one application of one unit for one fiscal year, with its category, functional code
 *   and lifecycle status. total_amount_fen is the sum of its amount lines, written by the service
 *   in the same transaction as the lines (the list sorts and filters on it in SQL).
 * - project_amounts: amounts by 部门预算经济分类 款 code, integer fen, > 0.
 * - project_targets: performance targets in the indicator framework (一级/二级/三级).
 * - attachment_blobs / project_attachments: file content addressed by its SM3 digest (the same file
 *   attached twice is stored once), and the project's attachment list; removing an attachment only
 *   marks it, the history keeps what was seen.
 * - project_duplicates: likely duplicate applications found on create/edit, for reviewers.
 * - project_events: the project's timeline — who did what, when, from which status to which.
 * Also the foreign keys the ledger migration (20261123C) left for this one: quotas.project_id →
 * projects and quotas.unit_org_id → organisations.
 */
export async function up(knex: Knex): Promise<void> {
  const mysql = String(knex.client.config.client).startsWith('mysql');

  await knex.schema.createTable('projects', (t) => {
    t.increments('id').primary();
    t.string('project_no', 30).notNullable().unique(); // e.g. XM2026-000123, from the id
    t.integer('fiscal_year').notNullable();
    t.string('name', 200).notNullable();
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('category', 2).notNullable(); // domain/projects.ts PROJECT_CATEGORIES
    t.string('sub_type', 30).nullable(); // PROJECT_SUB_TYPES
    t.string('functional_code', 7).notNullable(); // 支出功能分类 项 (7 digits) of fiscal_year
    t.text('description').notNullable(); // 项目概述 / 实施内容
    t.text('basis').nullable(); // 立项依据
    t.string('start_date', 10).nullable(); // 实施周期 YYYY-MM-DD
    t.string('end_date', 10).nullable();
    t.bigInteger('total_amount_fen').notNullable().defaultTo(0);
    t.string('status', 20).notNullable();
    t.integer('created_by').unsigned().nullable().references('id').inTable('users');
    t.integer('version').notNullable().defaultTo(1); // optimistic concurrency of edits
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['unit_org_id', 'fiscal_year']);
    t.index(['fiscal_year', 'status']);
    t.index(['status']);
    t.index(['created_at']);
    t.index(['total_amount_fen']);
    t.check('?? >= 0', ['total_amount_fen'], 'projects_total_nonnegative');
  });

  await knex.schema.createTable('project_amounts', (t) => {
    t.increments('id').primary();
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.string('economic_code', 5).notNullable(); // 部门预算支出经济分类 款
    t.bigInteger('amount_fen').notNullable();
    t.string('note', 200).nullable();
    t.unique(['project_id', 'economic_code']);
    t.check('?? > 0', ['amount_fen'], 'project_amounts_positive');
  });

  await knex.schema.createTable('project_targets', (t) => {
    t.increments('id').primary();
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.integer('seq').notNullable();
    t.string('level1', 10).notNullable();
    t.string('level2', 20).notNullable();
    t.string('name', 200).notNullable();
    t.string('direction', 12).notNullable();
    t.string('target_value', 200).notNullable();
    t.string('unit', 20).notNullable();
    t.unique(['project_id', 'seq']);
  });

  await knex.schema.createTable('attachment_blobs', (t) => {
    t.specificType('sm3', 'char(64)').primary();
    t.integer('size_bytes').notNullable();
    if (mysql) t.specificType('content', 'longblob').notNullable();
    else t.binary('content').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
  });

  await knex.schema.createTable('project_attachments', (t) => {
    t.increments('id').primary();
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.string('file_name', 200).notNullable();
    t.string('content_type', 100).notNullable();
    t.integer('size_bytes').notNullable();
    t.specificType('sm3', 'char(64)').notNullable().references('sm3').inTable('attachment_blobs');
    t.string('uploaded_by', 100).notNullable();
    t.datetime('uploaded_at', { precision: 3 }).notNullable();
    t.datetime('removed_at', { precision: 3 }).nullable();
    t.string('removed_by', 100).nullable();
    t.index(['project_id']);
  });

  await knex.schema.createTable('project_duplicates', (t) => {
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.integer('similar_project_id').unsigned().notNullable().references('id').inTable('projects');
    t.string('basis', 20).notNullable(); // 'name', 'content' or 'name,content'
    t.integer('name_similarity_permille').notNullable();
    t.integer('content_similarity_permille').notNullable();
    t.datetime('detected_at', { precision: 3 }).notNullable();
    t.primary(['project_id', 'similar_project_id']);
    t.index(['similar_project_id']);
  });

  await knex.schema.createTable('project_events', (t) => {
    t.increments('id').primary();
    t.integer('project_id').unsigned().notNullable().references('id').inTable('projects');
    t.string('kind', 30).notNullable(); // created | updated | status_changed | attachment_added | …
    t.string('from_status', 20).nullable();
    t.string('to_status', 20).nullable();
    t.integer('actor_user_id').unsigned().nullable(); // null for workers and imports by the system
    t.string('actor', 100).notNullable(); // user name, or worker:<job type>
    t.string('actor_name', 50).notNullable();
    t.string('note', 500).nullable();
    t.text('data').nullable(); // JSON: what changed
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['project_id', 'id']);
  });

  await knex.schema.alterTable('quotas', (t) => {
    t.foreign('project_id', 'quotas_project_fk').references('id').inTable('projects');
    t.foreign('unit_org_id', 'quotas_unit_org_fk').references('id').inTable('organisations');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('quotas', (t) => {
    t.dropForeign(['project_id'], 'quotas_project_fk');
    t.dropForeign(['unit_org_id'], 'quotas_unit_org_fk');
  });
  await knex.schema.dropTable('project_events');
  await knex.schema.dropTable('project_duplicates');
  await knex.schema.dropTable('project_attachments');
  await knex.schema.dropTable('attachment_blobs');
  await knex.schema.dropTable('project_targets');
  await knex.schema.dropTable('project_amounts');
  await knex.schema.dropTable('projects');
}
