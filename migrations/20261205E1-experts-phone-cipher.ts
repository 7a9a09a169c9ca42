import type { Knex } from 'knex';

/**
 * 专家库 phone numbers are personal data (等保 三级, issue 15): SM4 at rest like the payee accounts.
 * - experts.phone_cipher: the field cipher's ciphertext bound to this column (BUDGET_FIELD_KEYS,
 *   re-sealed by `npm run keys:rotate`);
 * - experts.phone_index: HMAC-SM3 blind index (BUDGET_FIELD_INDEX_KEY) for exact search;
 * - experts.phone_mask: what lists and exports show (138****5678).
 * The old plaintext column stays for the numbers stored before this migration: migrations hold no
 * keys, so the app seals them at start (server/expert-review/contact.ts sealPlaintextPhones) and
 * empties `phone`; nothing writes it any more. Down drops the sealed columns (their numbers with
 * them: they cannot be opened without the keys).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('experts', (t) => {
    t.string('phone_cipher', 300).nullable();
    t.string('phone_index', 64).nullable();
    t.string('phone_mask', 30).nullable();
    t.index(['phone_index'], 'experts_phone_index_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('experts', (t) => {
    t.dropIndex(['phone_index'], 'experts_phone_index_index');
  });
  await knex.schema.alterTable('experts', (t) => {
    t.dropColumn('phone_cipher');
    t.dropColumn('phone_index');
    t.dropColumn('phone_mask');
  });
}
