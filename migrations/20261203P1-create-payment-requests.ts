import type { Knex } from 'knex';

/**
 * 用款申请 and its approval (domain/payments.ts, domain/payment-risk.ts, processes/payment-approval.bpmn):
 * - payment_requests: one request of a unit against one of its quotas: amount (fen), payee (name,
 *   kind 单位/个人, bank; the account SM4-encrypted with its HMAC-SM3 blind index and its mask, see
 *   server/payments/accounts.ts), purpose, economic code, payment type, 三重一大; the status
 *   (approving → approved, or returned/rejected), the round (a returned request submitted again is
 *   round 2) and the ledger key its amount is frozen under in that round (freeze_key, the key the
 *   treasury payment consumes or releases), the chain the decision table chose, the highest risk
 *   level found, the engine instance.
 * - payment_attachments: contract, invoice … (content in attachment_blobs by SM3, as a project's).
 * - payment_risk_hits: the risk rules' hits of a round, with their evidence (JSON).
 * - payment_decisions: each step's decision (submit, approve, return, reject) with the audit
 *   record that seals it.
 * Money is integer fen; instants UTC DATETIME(3).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payment_requests', (t) => {
    t.increments('id').primary();
    t.string('request_no', 30).nullable().unique(); // YK2026-000042, set right after the insert
    t.integer('fiscal_year').notNullable();
    t.integer('unit_org_id').unsigned().notNullable().references('id').inTable('organisations');
    t.integer('quota_id').unsigned().notNullable().references('id').inTable('quotas');
    t.integer('project_id').unsigned().nullable().references('id').inTable('projects');
    t.bigInteger('amount_fen').notNullable();
    t.string('payee_name', 200).notNullable();
    t.string('payee_kind', 20).notNullable(); // organisation | personal
    t.text('payee_account_cipher').notNullable(); // domain/field-cipher.ts, context payment_requests.payee_account_cipher
    t.specificType('payee_account_index', 'char(64)').notNullable(); // blind index, domain 'bank-account'
    t.string('payee_account_mask', 40).notNullable(); // 6222 **** **** 1234
    t.string('payee_bank', 200).notNullable();
    t.string('purpose', 500).notNullable();
    t.string('economic_code', 10).notNullable();
    t.string('payment_type', 20).notNullable(); // direct | authorised
    t.boolean('major_decision').notNullable().defaultTo(false); // 三重一大
    t.string('status', 20).notNullable();
    t.integer('round').notNullable().defaultTo(1);
    t.string('freeze_key', 96).notNullable();
    t.string('approval_chain', 20).nullable();
    t.string('risk_level', 10).nullable(); // 提示 | 预警 | 严重, the round's highest
    t.string('process_instance_key', 64).nullable();
    t.string('return_comment', 500).nullable();
    t.integer('version').notNullable().defaultTo(1);
    t.integer('created_by').unsigned().notNullable().references('id').inTable('users');
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('submitted_at', { precision: 3 }).notNullable();
    t.datetime('approved_at', { precision: 3 }).nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['unit_org_id', 'submitted_at']);
    t.index(['payee_account_index']);
    t.index(['status']);
    t.index(['quota_id']);
  });

  await knex.schema.createTable('payment_attachments', (t) => {
    t.increments('id').primary();
    t.integer('request_id').unsigned().notNullable().references('id').inTable('payment_requests');
    t.string('kind', 20).notNullable(); // contract | invoice | other
    t.string('file_name', 200).notNullable();
    t.string('content_type', 100).notNullable();
    t.integer('size_bytes').notNullable();
    t.specificType('sm3', 'char(64)').notNullable().references('sm3').inTable('attachment_blobs');
    t.string('uploaded_by', 100).notNullable();
    t.datetime('uploaded_at', { precision: 3 }).notNullable();
    t.index(['request_id']);
  });

  await knex.schema.createTable('payment_risk_hits', (t) => {
    t.increments('id').primary();
    t.integer('request_id').unsigned().notNullable().references('id').inTable('payment_requests');
    t.integer('round').notNullable();
    t.string('rule_code', 40).notNullable();
    t.string('rule_name', 100).notNullable();
    t.string('level', 10).notNullable();
    t.string('message', 500).notNullable();
    t.text('evidence').notNullable(); // JSON
    t.datetime('detected_at', { precision: 3 }).notNullable();
    t.unique(['request_id', 'round', 'rule_code']);
  });

  await knex.schema.createTable('payment_decisions', (t) => {
    t.increments('id').primary();
    t.integer('request_id').unsigned().notNullable().references('id').inTable('payment_requests');
    t.integer('round').notNullable();
    t.string('element_id', 50).notNullable();
    t.string('step_name', 50).notNullable();
    t.string('decision', 20).notNullable(); // submit | approve | return | reject
    t.string('comment', 500).nullable();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
    t.integer('audit_record_id').unsigned().nullable().references('id').inTable('audit_records');
    t.boolean('sealed').notNullable().defaultTo(false);
    t.datetime('decided_at', { precision: 3 }).notNullable();
    t.index(['request_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payment_decisions');
  await knex.schema.dropTableIfExists('payment_risk_hits');
  await knex.schema.dropTableIfExists('payment_attachments');
  await knex.schema.dropTableIfExists('payment_requests');
}
