import type { Knex } from 'knex';

/**
 * An account whose password an administrator set (a new account, a reset) must change it at its
 * next login. A flag of its own rather than back-dating password_changed_at: the date stays
 * true (the 90-day rule and the 最近改密 column read it) and the reason for the forced change is
 * visible in the row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('must_change_password').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('must_change_password');
  });
}
