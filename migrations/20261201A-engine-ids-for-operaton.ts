import type { Knex } from 'knex';

/**
 * The engine became Operaton (REST, Camunda 7 lineage): its ids are UUID strings (36 characters;
 * definition ids such as `ns.project-intake:3:<uuid>` longer still), not int64 keys, and a user
 * task is a task of its own, not a job. So:
 * - inbox_tasks.job_key → engine_task_id, job_outcomes.job_key → external_task_id and
 *   job_type → topic (what they hold now);
 * - every engine id column widened to fit (SQLite does not enforce lengths; MySQL/MariaDB does);
 * - inbox_tasks.completing_by / completing_at / completing_form: who started a completion, when
 *   and with what, so a completion
 *   interrupted between the engine and our database (a crash) is healed by the reconciliation
 *   sweep — finished when the engine completed the task, reopened when it did not.
 */
const isMysql = (knex: Knex) => String(knex.client.config.client).startsWith('mysql');

export async function up(knex: Knex): Promise<void> {
  if (isMysql(knex)) {
    await knex.raw('ALTER TABLE inbox_tasks CHANGE job_key engine_task_id VARCHAR(64) NOT NULL, MODIFY process_instance_key VARCHAR(64) NOT NULL, MODIFY element_instance_key VARCHAR(200) NOT NULL');
    await knex.raw('ALTER TABLE job_outcomes CHANGE job_key external_task_id VARCHAR(64) NOT NULL, CHANGE job_type topic VARCHAR(100) NOT NULL, MODIFY process_instance_key VARCHAR(64) NOT NULL');
    await knex.raw('ALTER TABLE process_instances MODIFY process_instance_key VARCHAR(64) NOT NULL');
    await knex.raw('ALTER TABLE smoke_checks MODIFY process_instance_key VARCHAR(64) NOT NULL');
    await knex.raw('ALTER TABLE engine_resources MODIFY resource_key VARCHAR(200) NOT NULL, MODIFY deployment_key VARCHAR(64) NOT NULL');
  } else {
    await knex.raw('ALTER TABLE inbox_tasks RENAME COLUMN job_key TO engine_task_id');
    await knex.raw('ALTER TABLE job_outcomes RENAME COLUMN job_key TO external_task_id');
    await knex.raw('ALTER TABLE job_outcomes RENAME COLUMN job_type TO topic');
  }
  await knex.schema.alterTable('inbox_tasks', (t) => {
    t.integer('completing_by').unsigned().nullable();
    t.datetime('completing_at', { precision: 3 }).nullable();
    t.text('completing_form').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('inbox_tasks', (t) => {
    t.dropColumn('completing_form');
    t.dropColumn('completing_at');
    t.dropColumn('completing_by');
  });
  if (isMysql(knex)) {
    await knex.raw('ALTER TABLE engine_resources MODIFY resource_key VARCHAR(20) NOT NULL, MODIFY deployment_key VARCHAR(20) NOT NULL');
    await knex.raw('ALTER TABLE smoke_checks MODIFY process_instance_key VARCHAR(20) NOT NULL');
    await knex.raw('ALTER TABLE process_instances MODIFY process_instance_key VARCHAR(30) NOT NULL');
    await knex.raw('ALTER TABLE job_outcomes CHANGE external_task_id job_key VARCHAR(20) NOT NULL, CHANGE topic job_type VARCHAR(100) NOT NULL, MODIFY process_instance_key VARCHAR(20) NOT NULL');
    await knex.raw('ALTER TABLE inbox_tasks CHANGE engine_task_id job_key VARCHAR(30) NOT NULL, MODIFY process_instance_key VARCHAR(30) NOT NULL, MODIFY element_instance_key VARCHAR(30) NOT NULL');
  } else {
    await knex.raw('ALTER TABLE job_outcomes RENAME COLUMN topic TO job_type');
    await knex.raw('ALTER TABLE job_outcomes RENAME COLUMN external_task_id TO job_key');
    await knex.raw('ALTER TABLE inbox_tasks RENAME COLUMN engine_task_id TO job_key');
  }
}
