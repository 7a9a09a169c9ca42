import type { Knex } from 'knex';

/**
 * Failure counters for rate limits on password and signing-PIN checks (server/auth/rate-limit.ts):
 * one row per bucket (what is counted and for whom: `login:address:10.0.0.7`,
 * `login:account:nm_ysk`, `pin:address:…`, `pin:account:<user id>`) and window (its start, in
 * minutes since the epoch). In the database rather than in memory so that every app node counts
 * the same attempts; old windows are deleted as new ones are written.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limit_counters', (t) => {
    t.string('bucket', 150).notNullable();
    t.bigInteger('window_start').notNullable();
    t.integer('hits').notNullable().defaultTo(0);
    t.primary(['bucket', 'window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limit_counters');
}
