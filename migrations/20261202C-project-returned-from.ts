import type { Knex } from 'knex';

/**
 * projects.returned_from: the status a returned (已退回) project was sent back from — submitted
 * (the SMART check), department_review or finance_review — so 申报进度 shows exactly where it
 * stopped instead of every step as passed. Set by the status change to returned, cleared by the
 * next one. Projects returned before this migration keep null (the page then claims no step).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('projects', (t) => {
    t.string('returned_from', 30).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('projects', (t) => {
    t.dropColumn('returned_from');
  });
}
