import type { Knex } from 'knex';

/**
 * People, their roles and their sessions.
 * - users: one account per person (等保: unique accounts), in one organisation; scrypt password
 *   hash; failed-login counter and lock; when the password was last changed (90-day rule).
 * - user_roles: role codes from domain/roles.ts; the role decides the data scope.
 * - sessions: server-side, addressed by the SM3 digest of a random token (the cookie carries the
 *   token, the table never does); idle timeout enforced from last_seen_at.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('username', 50).notNullable().unique();
    t.string('display_name', 50).notNullable();
    t.integer('org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.string('password_hash', 200).notNullable();
    t.datetime('password_changed_at', { precision: 3 }).notNullable();
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.datetime('locked_until', { precision: 3 });
    t.string('status', 10).notNullable().defaultTo('active'); // active | disabled
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['org_id']);
  });
  await knex.schema.createTable('user_roles', (t) => {
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('role', 40).notNullable();
    t.primary(['user_id', 'role']);
  });
  await knex.schema.createTable('sessions', (t) => {
    t.string('token_digest', 64).primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('last_seen_at', { precision: 3 }).notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('revoked_at', { precision: 3 });
    t.string('ip', 64);
    t.string('user_agent', 300);
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sessions');
  await knex.schema.dropTable('user_roles');
  await knex.schema.dropTable('users');
}
