import type { Knex } from 'knex';

/**
 * Reference data every later table points at (domain.md "Administrative levels and regions",
 * "Classification codes"):
 * - regions: GB/T 2260 codes, province → city → county → township.
 * - organisations: finance bureaus and their divisions, supervising departments, budget units,
 *   the review centre and the expert pool, as one tree. `path` is the materialised path of ids
 *   ('/1/5/12/'), so "this organisation and everything beneath it" is one indexed
 *   `path LIKE '/1/5/%'` query; the trailing slash keeps /1/ from matching /12/.
 * - functional_codes / economic_codes: the 政府收支分类科目 of one fiscal year each (the tables
 *   change every year). The parent is the code's prefix; a composite foreign key keeps every
 *   款/项 under an existing 类/款 of the same year (and kind).
 * kind / level are plain strings checked by server/reference: adding a kind later needs no
 * table rebuild on SQLite.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('regions', (t) => {
    t.specificType('code', 'char(6)').primary();
    t.string('name', 50).notNullable();
    t.string('level', 10).notNullable(); // province | city | county | township
    t.specificType('parent_code', 'char(6)').nullable().references('code').inTable('regions');
    t.index(['parent_code']);
  });

  await knex.schema.createTable('organisations', (t) => {
    t.increments('id').primary();
    t.string('code', 40).notNullable().unique(); // stable business code users and seeds refer to
    t.string('name', 200).notNullable();
    t.string('kind', 30).notNullable(); // finance_bureau | finance_division | department | budget_unit | review_centre | expert_pool
    t.specificType('region_code', 'char(6)').notNullable().references('code').inTable('regions');
    t.integer('parent_id').unsigned().nullable().references('id').inTable('organisations');
    t.string('division_type', 30).nullable(); // finance divisions only: budget | treasury | education | agriculture | performance
    t.string('path', 255).notNullable(); // '/1/5/12/'; 255 bytes hold dozens of levels
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['path']);
    t.index(['parent_id']);
    t.index(['region_code']);
    t.index(['kind']);
  });

  await knex.schema.createTable('functional_codes', (t) => {
    t.increments('id').primary();
    t.integer('fiscal_year').notNullable();
    t.string('code', 7).notNullable(); // 类 3, 款 5, 项 7 digits
    t.string('name', 100).notNullable();
    t.string('level', 2).notNullable(); // 类 | 款 | 项
    t.string('parent_code', 7).nullable();
    t.unique(['fiscal_year', 'code']);
    t.index(['fiscal_year', 'parent_code']);
    t.foreign(['fiscal_year', 'parent_code']).references(['fiscal_year', 'code']).inTable('functional_codes');
  });

  await knex.schema.createTable('economic_codes', (t) => {
    t.increments('id').primary();
    t.integer('fiscal_year').notNullable();
    t.string('kind', 12).notNullable(); // department (部门预算) | government (政府预算)
    t.string('code', 5).notNullable(); // 类 3, 款 5 digits
    t.string('name', 100).notNullable();
    t.string('level', 2).notNullable(); // 类 | 款
    t.string('parent_code', 5).nullable();
    t.string('government_code', 5).nullable(); // department codes only: the 政府经济分类 they map to
    t.unique(['fiscal_year', 'kind', 'code']);
    t.index(['fiscal_year', 'kind', 'parent_code']);
    t.foreign(['fiscal_year', 'kind', 'parent_code']).references(['fiscal_year', 'kind', 'code']).inTable('economic_codes');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('economic_codes');
  await knex.schema.dropTable('functional_codes');
  await knex.schema.dropTable('organisations');
  await knex.schema.dropTable('regions');
}
