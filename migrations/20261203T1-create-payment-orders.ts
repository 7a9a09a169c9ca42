import type { Knex } from 'knex';

/**
 * 国库支付 (server/treasury/, processes/treasury-payment.bpmn):
 * - payment_orders: one payment order (支付凭证) per source (an approved payment request), with
 *   its number (支付凭证号 ZF2026-000042), quota, amount (integer fen), the idempotency key of the
 *   ledger freeze that holds the money, the payee (the account SM4-sealed with its HMAC-SM3 blind
 *   index, domain 'bank-account', and its mask), status (domain/treasury.ts) and what the bank said
 *   (its serial number, status, reason), the engine instance.
 * - payment_order_events: what happened to an order, in order: sends, the bank's answers, arrival
 *   notices (到账通知, unique by the bank's notice id so a repeated notice is recorded once),
 *   queries (查询), escalation and its resolution, settlement.
 * Instants UTC DATETIME(3).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payment_orders', (t) => {
    t.increments('id').primary();
    t.string('order_no', 40).notNullable().unique();
    t.string('source_kind', 40).notNullable();
    t.integer('source_id').notNullable();
    t.integer('fiscal_year').notNullable();
    t.integer('quota_id').unsigned().notNullable().references('id').inTable('quotas');
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.bigInteger('amount_fen').notNullable();
    t.string('freeze_key', 96).notNullable();
    t.string('payee_name', 200).notNullable();
    t.text('payee_account_cipher').notNullable();
    t.string('payee_account_index', 64).notNullable();
    t.string('payee_account_mask', 60).notNullable();
    t.string('payee_bank', 200).notNullable();
    t.string('purpose', 500).notNullable();
    t.string('payment_type', 20).notNullable(); // direct | authorized
    t.string('economic_code', 10).notNullable();
    t.string('status', 20).notNullable();
    t.string('bank_status', 20).nullable();
    t.string('bank_ref', 64).nullable();
    t.string('failure_reason', 500).nullable();
    t.string('process_instance_id', 64).nullable();
    t.integer('send_attempts').notNullable().defaultTo(0);
    t.datetime('sent_at', { precision: 3 }).nullable();
    t.datetime('settled_at', { precision: 3 }).nullable();
    t.datetime('escalated_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.unique(['source_kind', 'source_id']);
    t.index(['status', 'id']);
    t.index(['unit_org_id', 'id']);
    t.index(['payee_account_index']);
  });

  await knex.schema.createTable('payment_order_events', (t) => {
    t.increments('id').primary();
    t.integer('order_id').unsigned().notNullable().references('id').inTable('payment_orders');
    t.string('kind', 30).notNullable(); // send | accepted | rejected | send-error | notice | query | escalated | resolved | retry | settled
    t.string('bank_status', 20).nullable();
    t.string('notice_id', 64).nullable().unique();
    t.string('actor', 100).notNullable();
    t.text('detail').nullable(); // JSON
    // A notice is handled once the process has it (correlated) or the order was already settled.
    t.datetime('handled_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['order_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payment_order_events');
  await knex.schema.dropTableIfExists('payment_orders');
}
