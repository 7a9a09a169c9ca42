import type { Knex } from 'knex';

/**
 * app_leases: short, named leases that app nodes sharing this database take in turn — today the
 * deployment of processes/ when nodes start together (two engines on one engine database let two
 * concurrent deployments both write version n+1 of a key, after which starting it fails with
 * "Query return 2 results instead of max 1"). A lease expires on its own, so a node that dies
 * holding one blocks the others only until expires_at.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('app_leases', (t) => {
    t.string('name', 100).primary();
    t.string('holder', 64).notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('app_leases');
}
