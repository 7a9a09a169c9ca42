import type { Knex } from 'knex';

/**
 * The quota ledger (指标账, see domain/ledger.ts):
 * - quotas: one row per quota with its running balance (额度/已用/冻结, integer fen). The balance
 *   columns only ever change through server/ledger/service.ts, one conditional UPDATE per entry.
 * - quota_journal: one row per accepted entry, written in the same transaction as the balance
 *   change; the sum of its deltas reproduces every balance.
 * CHECK constraints are the last line of defence behind the conditional UPDATEs: MariaDB ≥ 10.2,
 * MySQL ≥ 8.0.16 and SQLite enforce them, so no code path can store a negative available.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('quotas', (t) => {
    t.increments('id').primary();
    t.string('quota_no', 50).notNullable().unique(); // business number, e.g. 2026-0001
    t.integer('fiscal_year').notNullable();
    // FK to projects(id) comes with the project library (issue 3); unsigned to match increments().
    t.integer('project_id').unsigned().nullable();
    // FK to organisations(id) (预算单位) comes with the organisation model (issue 3), in a later migration.
    t.integer('unit_org_id').unsigned().nullable();
    t.string('functional_code', 7).notNullable(); // 功能分类科目 类/款/项: 3, 5 or 7 digits
    t.string('economic_code', 5).notNullable(); // 经济分类科目 类/款: 3 or 5 digits
    t.string('fund_source', 50).notNullable(); // 资金来源
    t.string('document_no', 100).notNullable(); // 指标文号
    t.integer('source_quota_id').unsigned().nullable().references('id').inTable('quotas'); // 来源指标 (结转)
    t.bigInteger('amount_fen').notNullable().defaultTo(0);
    t.bigInteger('used_fen').notNullable().defaultTo(0);
    t.bigInteger('frozen_fen').notNullable().defaultTo(0);
    t.integer('version').notNullable().defaultTo(0); // +1 on every change, for optimistic edits of the descriptive fields
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['fiscal_year', 'project_id']);
    t.index(['project_id']);
    t.check('?? >= 0', ['used_fen'], 'quotas_used_nonnegative');
    t.check('?? >= 0', ['frozen_fen'], 'quotas_frozen_nonnegative');
    t.check('?? - ?? - ?? >= 0', ['amount_fen', 'used_fen', 'frozen_fen'], 'quotas_available_nonnegative');
  });

  await knex.schema.createTable('quota_journal', (t) => {
    t.increments('id').primary();
    t.integer('quota_id').unsigned().notNullable().references('id').inTable('quotas');
    t.string('kind', 20).notNullable(); // domain/ledger.ts ENTRY_KINDS
    t.bigInteger('amount_fen').notNullable(); // always > 0; the deltas carry the direction
    t.bigInteger('delta_amount_fen').notNullable();
    t.bigInteger('delta_used_fen').notNullable();
    t.bigInteger('delta_frozen_fen').notNullable();
    t.bigInteger('balance_after_amount_fen').notNullable();
    t.bigInteger('balance_after_used_fen').notNullable();
    t.bigInteger('balance_after_frozen_fen').notNullable();
    // The other side of a transfer (调剂) or carry-over (结转), so both rows can be found from either.
    t.integer('counterpart_quota_id').unsigned().nullable().references('id').inTable('quotas');
    t.string('reference_type', 50).nullable(); // e.g. payment-request
    t.string('reference_id', 100).nullable(); // text: engine keys are int64
    // Binary on MySQL so keys compare case-sensitively, as on SQLite. NULLs do not collide on either dialect.
    t.string('idempotency_key', 100).nullable().unique().collate('utf8mb4_bin');
    t.string('actor', 100).notNullable();
    t.string('reason', 500).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['quota_id', 'id']); // a quota's journal in order, paginated
    t.index(['reference_type', 'reference_id']); // what did this payment request freeze?
    t.check('?? > 0', ['amount_fen'], 'quota_journal_amount_positive');
    t.check(`?? in ('issue', 'freeze', 'unfreeze', 'consume', 'adjust-in', 'adjust-out', 'carry-over')`, ['kind'], 'quota_journal_kind_known');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('quota_journal');
  await knex.schema.dropTable('quotas');
}
