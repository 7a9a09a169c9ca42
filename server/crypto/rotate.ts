import type { Knex } from 'knex';
import { decryptField, encryptField, FieldCipherError, fieldKeyId, isEncryptedField, type FieldKeyring } from '../../domain/field-cipher';
import { contextOf, SENSITIVE_COLUMNS, type SensitiveColumn } from './keyring';

export interface RotationCount {
  column: string;
  /** Values looked at (not null). */
  scanned: number;
  /** Re-sealed under the current key now. */
  resealed: number;
  /** Already under the current key. */
  current: number;
  /** Could not be opened: sealed with a key no longer configured, or tampered with. */
  failed: number;
  /** A concurrent write changed the value between reading and re-sealing (it is under the current key then). */
  skipped: number;
}

/**
 * Re-seals every value of the registered sensitive columns that is not under the current field
 * key (BUDGET_FIELD_KEYS: the first key is current, the others still open old values). In
 * batches by id, each batch one transaction; an update only lands if the stored value is still
 * the one read (a value rewritten meanwhile is left alone: new writes use the current key).
 * Idempotent: a second run re-seals nothing. The blind indexes stay as they are (their key,
 * BUDGET_FIELD_INDEX_KEY, is not rotated with these).
 */
export async function rotateFieldKeys(
  db: Knex,
  ring: FieldKeyring,
  options: { columns?: readonly SensitiveColumn[]; batchSize?: number; onBatch?: (c: RotationCount) => void } = {},
): Promise<RotationCount[]> {
  const columns = options.columns ?? SENSITIVE_COLUMNS;
  const batchSize = options.batchSize ?? 500;
  const counts: RotationCount[] = [];
  for (const column of columns) {
    const count: RotationCount = { column: contextOf(column), scanned: 0, resealed: 0, current: 0, failed: 0, skipped: 0 };
    let after: number | string | null = null;
    for (;;) {
      const q = db(column.table)
        .whereNotNull(column.cipherColumn)
        .orderBy(column.idColumn)
        .limit(batchSize)
        .select({ id: column.idColumn, value: column.cipherColumn });
      if (after !== null) q.where(column.idColumn, '>', after);
      const rows = (await q) as Array<{ id: number | string; value: string }>;
      if (!rows.length) break;
      after = rows[rows.length - 1]!.id;
      await db.transaction(async (trx) => {
        for (const row of rows) {
          count.scanned += 1;
          if (!isEncryptedField(row.value)) {
            count.failed += 1;
            continue;
          }
          if (fieldKeyId(row.value) === ring.current.id) {
            count.current += 1;
            continue;
          }
          let plain: string;
          try {
            plain = decryptField(row.value, contextOf(column), ring);
          } catch (e) {
            if (!(e instanceof FieldCipherError)) throw e;
            count.failed += 1;
            continue;
          }
          const moved = await trx(column.table)
            .where(column.idColumn, row.id)
            .where(column.cipherColumn, row.value)
            .update({ [column.cipherColumn]: encryptField(plain, contextOf(column), ring) });
          if (moved) count.resealed += 1;
          else count.skipped += 1;
        }
      });
      options.onBatch?.(count);
      if (rows.length < batchSize) break;
    }
    counts.push(count);
  }
  return counts;
}
