import type { Knex } from 'knex';

/**
 * Forgotten signing PINs (三员分立): the security administrator authorises a re-enrolment, the
 * person then sets a new PIN with a fresh key, and the old key is revoked — its record stays, so
 * the seals made with it still verify.
 * - seal_reenrolments: one row per authorisation; used_at / new_key_id are set by the enrolment
 *   that consumed it. At most one open authorisation per user (pending_user_id is the user id
 *   while unused, else null: a unique index allows one on both MySQL and SQLite).
 * - seal_keys.revoked_at: when the key stopped being its owner's active key.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('seal_reenrolments', (t) => {
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.integer('pending_user_id').unsigned().nullable().unique();
    t.string('old_key_id', 32).notNullable();
    t.integer('authorised_by').unsigned().notNullable().references('id').inTable('users');
    t.string('reason', 500).notNullable();
    t.datetime('authorised_at', { precision: 3 }).notNullable();
    t.datetime('used_at', { precision: 3 }).nullable();
    t.string('new_key_id', 32).nullable();
    t.index(['user_id', 'id']);
  });
  await knex.schema.alterTable('seal_keys', (t) => {
    t.datetime('revoked_at', { precision: 3 }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('seal_keys', (t) => {
    t.dropColumn('revoked_at');
  });
  await knex.schema.dropTable('seal_reenrolments');
}
