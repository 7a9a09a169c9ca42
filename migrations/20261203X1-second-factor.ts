import type { Knex } from 'knex';

/**
 * Second factor (TOTP, RFC 6238) of the privileged roles (server/auth/second-factor.ts):
 * - user_second_factors: one per person; the shared secret sealed with SM4 under the field keys
 *   (context user_second_factors.secret_cipher, re-sealed by `npm run keys:rotate`); pending until
 *   confirmed with a first code; last_used_step is the last accepted time step (a code is never
 *   accepted twice, nor an older one).
 * - user_recovery_codes: ten one-time codes per enrolment, only their HMAC-SM3 digests; used_at
 *   set when one is spent.
 * - login_challenges: after a right password, a short-lived challenge (the digest of a random
 *   token, like sessions) that the second step redeems for a session; attempts counted.
 * - sessions.second_factor: how the session was made — 'none' (no second factor asked),
 *   'verified' (code checked at login or at enrolment), 'enrolment' (a privileged person without
 *   a factor yet: only enrolment and /api/auth may be used until one is confirmed).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_second_factors', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.string('method', 10).notNullable().defaultTo('totp');
    t.string('secret_cipher', 300).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('confirmed_at', { precision: 3 });
    t.bigInteger('last_used_step');
    t.datetime('last_used_at', { precision: 3 });
  });
  await knex.schema.createTable('user_recovery_codes', (t) => {
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('code_digest', 64).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('used_at', { precision: 3 });
    t.unique(['user_id', 'code_digest']);
  });
  await knex.schema.createTable('login_challenges', (t) => {
    t.string('token_digest', 64).primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.datetime('used_at', { precision: 3 });
    t.string('ip', 64);
    t.index(['user_id']);
    t.index(['expires_at']);
  });
  await knex.schema.alterTable('sessions', (t) => {
    t.string('second_factor', 10).notNullable().defaultTo('none');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropColumn('second_factor');
  });
  await knex.schema.dropTable('login_challenges');
  await knex.schema.dropTable('user_recovery_codes');
  await knex.schema.dropTable('user_second_factors');
}
