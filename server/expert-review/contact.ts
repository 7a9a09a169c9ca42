import type { Knex } from 'knex';
import { maskPhone } from '../../domain/expert-review';
import type { FieldKeyring } from '../../domain/field-cipher';
import { indexOf, openValue, registerSensitiveColumn, sealValue } from '../crypto/keyring';

/**
 * An expert's phone number, a sensitive column (等保 三级: personal data encrypted at rest with
 * SM4): the ciphertext bound to experts.phone_cipher, its HMAC-SM3 blind index (domain 'phone')
 * for exact search, and its mask for lists and exports. The plain number exists only in memory,
 * for the pool's keepers who open an entry.
 */
export const EXPERT_PHONE = registerSensitiveColumn({
  table: 'experts',
  idColumn: 'id',
  cipherColumn: 'phone_cipher',
  indexColumn: 'phone_index',
  indexDomain: 'phone',
});

/** Brackets do not count either: (0471) 123-4567 and 04711234567 are one number. */
const normalisePhone = (phone: string) => phone.trim().replace(/[()]/g, '');

export function sealPhone(
  ring: FieldKeyring,
  phone: string | null | undefined,
): { phone_cipher: string | null; phone_index: string | null; phone_mask: string | null } {
  const plain = phone?.trim();
  if (!plain) return { phone_cipher: null, phone_index: null, phone_mask: null };
  const sealed = sealValue(ring, EXPERT_PHONE, plain);
  return { phone_cipher: sealed.cipher, phone_index: indexOf(ring, EXPERT_PHONE, normalisePhone(plain)), phone_mask: maskPhone(plain) };
}

export const openPhone = (ring: FieldKeyring, stored: string | null | undefined): string | null => openValue(ring, EXPERT_PHONE, stored);

/** The blind index a phone search looks for; undefined when the text cannot be a phone number. */
export function phoneSearchIndex(ring: FieldKeyring, text: string): string | undefined {
  const t = text.trim();
  if (!/^[0-9+\-() ]{5,30}$/.test(t)) return undefined;
  return indexOf(ring, EXPERT_PHONE, normalisePhone(t));
}

/**
 * Seals the numbers still held in the old plaintext column (stored before migration 20261205E1,
 * or by an older version of the app) and empties it, in batches, each one transaction; a row is
 * only changed while its plaintext is still the one read. Run at every start; returns how many it
 * sealed (0 once done).
 */
export async function sealPlaintextPhones(db: Knex, ring: FieldKeyring, batchSize = 500): Promise<number> {
  let sealed = 0;
  for (;;) {
    const rows = (await db('experts').whereNotNull('phone').orderBy('id').limit(batchSize).select('id', 'phone')) as Array<{
      id: number;
      phone: string;
    }>;
    if (!rows.length) return sealed;
    await db.transaction(async (trx) => {
      for (const r of rows) {
        const n = await trx('experts')
          .where({ id: r.id, phone: r.phone })
          .update({ ...sealPhone(ring, r.phone), phone: null });
        sealed += n;
      }
    });
  }
}
