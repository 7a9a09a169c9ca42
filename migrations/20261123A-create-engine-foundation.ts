import type { Knex } from 'knex';

/**
 * The foundation's tables:
 * - engine_resources: what was deployed to the engine, by content digest, so the health page can
 *   list the live versions and a start with unchanged files deploys nothing new.
 * - job_outcomes: one row per engine job a worker finished. Zeebe delivers jobs at least once;
 *   a redelivered job finds its row and is answered with the same outcome, doing nothing twice.
 * - smoke_checks: the rows the platform self-check process (processes/platform-smoke-check.bpmn)
 *   writes, one per process instance.
 * Engine keys are int64: stored as decimal strings, never as JS numbers.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('engine_resources', (t) => {
    t.increments('id').primary();
    t.string('resource_name', 200).notNullable();
    t.string('kind', 10).notNullable(); // bpmn | dmn | form
    t.string('digest', 64).notNullable(); // SM3 of the file's bytes, hex
    t.string('resource_id', 200).notNullable(); // bpmnProcessId / decision id / form id
    t.string('resource_key', 20).notNullable();
    t.integer('version').notNullable();
    t.string('deployment_key', 20).notNullable();
    t.datetime('deployed_at', { precision: 3 }).notNullable();
    t.unique(['resource_name', 'digest', 'resource_key']);
  });

  await knex.schema.createTable('job_outcomes', (t) => {
    t.string('job_key', 20).primary();
    t.string('job_type', 100).notNullable();
    t.string('process_instance_key', 20).notNullable();
    t.string('element_id', 200).notNullable();
    t.string('outcome', 20).notNullable(); // completed | bpmn-error
    t.string('error_code', 100);
    t.text('variables').notNullable(); // JSON sent back to the engine
    t.datetime('handled_at', { precision: 3 }).notNullable();
    t.index(['process_instance_key']);
  });

  await knex.schema.createTable('smoke_checks', (t) => {
    t.increments('id').primary();
    t.string('process_instance_key', 20).notNullable().unique();
    t.string('requested_by', 100).notNullable();
    t.string('database_client', 20).notNullable();
    t.datetime('recorded_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('smoke_checks');
  await knex.schema.dropTable('job_outcomes');
  await knex.schema.dropTable('engine_resources');
}
