import type { Knex } from 'knex';

/**
 * Electronic seals and the audit chain (domain/audit-chain.ts, docs/canonical-form.md):
 * - platform_keys: the platform root SM2 key, its private key SM4-encrypted under
 *   BUDGET_SEAL_SECRET; it signs users' key records and audit checkpoints.
 * - seal_keys: one SM2 key pair per enrolled signer; the private key only SM4-encrypted under a
 *   key derived from the signer's PIN (domain/key-wrap.ts), with the PIN's failure counter and
 *   lock; `record` is the published key record (canonical JSON) and the platform's signature.
 *   active_user_id is the user id while the key is the user's active one, else null: a unique
 *   index on it allows one active key per user on both MySQL and SQLite.
 * - audit_records: the append-only chain; `body` is the canonical JSON that is hashed, every
 *   other column is derived from it (for filtering) and checked against it on verification.
 * - audit_chain_head: one row, the last seq and hash; appending locks it, which serialises the
 *   chain (domain order = commit order).
 * - audit_checkpoints: the chain head at some seq, signed by the platform key.
 * - project_events.audit_record_id: the audit record each timeline event was written with.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('platform_keys', (t) => {
    t.increments('id').primary();
    t.string('key_id', 32).notNullable().unique();
    t.string('public_key', 130).notNullable();
    t.text('wrapped_private_key').notNullable();
    t.string('purpose', 20).notNullable().unique(); // 'root': one root key per installation
    t.datetime('created_at', { precision: 3 }).notNullable();
  });

  await knex.schema.createTable('seal_keys', (t) => {
    t.increments('id').primary();
    t.string('key_id', 32).notNullable().unique();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.integer('active_user_id').unsigned().nullable().unique();
    t.string('public_key', 130).notNullable();
    t.text('wrapped_private_key').notNullable();
    t.text('record').notNullable();
    t.string('record_signature', 160).notNullable();
    t.integer('failed_pins').notNullable().defaultTo(0);
    t.datetime('locked_until', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['user_id']);
  });

  await knex.schema.createTable('audit_records', (t) => {
    t.increments('id').primary();
    t.bigInteger('seq').notNullable().unique();
    t.string('kind', 60).notNullable();
    t.string('subject_type', 30).nullable();
    t.string('subject_id', 64).nullable();
    t.integer('project_id').nullable();
    t.integer('actor_user_id').nullable();
    t.string('actor', 100).notNullable();
    t.boolean('sealed').notNullable().defaultTo(false);
    t.string('key_id', 32).nullable();
    t.datetime('at', { precision: 3 }).notNullable();
    t.text('body', 'mediumtext').notNullable();
    t.specificType('prev_hash', 'char(64)').notNullable();
    t.specificType('hash', 'char(64)').notNullable();
    t.index(['subject_type', 'subject_id']);
    t.index(['project_id']);
    t.index(['kind']);
  });

  await knex.schema.createTable('audit_chain_head', (t) => {
    t.integer('id').primary();
    t.bigInteger('seq').notNullable();
    t.specificType('hash', 'char(64)').notNullable();
  });
  await knex('audit_chain_head').insert({ id: 1, seq: 0, hash: '0'.repeat(64) });

  await knex.schema.createTable('audit_checkpoints', (t) => {
    t.increments('id').primary();
    t.bigInteger('seq').notNullable().unique();
    t.specificType('hash', 'char(64)').notNullable();
    t.text('body').notNullable();
    t.string('signature', 160).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
  });

  await knex.schema.alterTable('project_events', (t) => {
    t.integer('audit_record_id').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('project_events', (t) => {
    t.dropColumn('audit_record_id');
  });
  await knex.schema.dropTable('audit_checkpoints');
  await knex.schema.dropTable('audit_chain_head');
  await knex.schema.dropTable('audit_records');
  await knex.schema.dropTable('seal_keys');
  await knex.schema.dropTable('platform_keys');
}
