import type { AppConfig } from '../config';
import { blindIndex, decryptField, encryptField, isEncryptedField, type FieldKey, type FieldKeyring } from '../../domain/field-cipher';

/**
 * The configured keys of the sensitive columns (BUDGET_FIELD_KEYS / BUDGET_FIELD_INDEX_KEY),
 * never stored in the database. One keyring per system (System.fieldKeys).
 */
export function fieldKeyring(config: Pick<AppConfig, 'fieldKeys'>): FieldKeyring {
  const cached = rings.get(config.fieldKeys);
  if (cached) return cached;
  const ring = buildKeyring(config);
  rings.set(config.fieldKeys, ring);
  return ring;
}

const rings = new WeakMap<AppConfig['fieldKeys'], FieldKeyring>();

function buildKeyring(config: Pick<AppConfig, 'fieldKeys'>): FieldKeyring {
  const keys = new Map<string, FieldKey>();
  for (const k of config.fieldKeys.keys) keys.set(k.id, { id: k.id, material: Buffer.from(k.hex, 'hex') });
  const first = config.fieldKeys.keys[0];
  if (!first) throw new Error('no field key configured');
  return { current: keys.get(first.id)!, keys, indexKey: Buffer.from(config.fieldKeys.indexKeyHex, 'hex') };
}

/**
 * One sensitive column: its context binds ciphertexts to it, its index domain names the blind
 * index (columns that must find each other's values share a domain, e.g. 'bank-account').
 */
export interface SensitiveColumn {
  table: string;
  idColumn: string;
  cipherColumn: string;
  /** Column of the blind index, when the value is searched by exact match. */
  indexColumn?: string;
  indexDomain?: string;
}

/** Every sensitive column of the platform: the key-rotation command re-seals exactly these. */
export const SENSITIVE_COLUMNS: SensitiveColumn[] = [];

export function registerSensitiveColumn(column: SensitiveColumn): SensitiveColumn {
  if (!SENSITIVE_COLUMNS.some((c) => c.table === column.table && c.cipherColumn === column.cipherColumn)) SENSITIVE_COLUMNS.push(column);
  return column;
}

export const contextOf = (c: SensitiveColumn) => `${c.table}.${c.cipherColumn}`;

/** Seal a value for a column: the ciphertext and (when the column is indexed) its blind index. */
export function sealValue(ring: FieldKeyring, column: SensitiveColumn, plain: string): { cipher: string; index: string | null } {
  return {
    cipher: encryptField(plain, contextOf(column), ring),
    index: column.indexDomain ? blindIndex(plain, column.indexDomain, ring) : null,
  };
}

export function openValue(ring: FieldKeyring, column: SensitiveColumn, stored: string | null | undefined): string | null {
  if (stored === null || stored === undefined) return null;
  if (!isEncryptedField(stored)) throw new Error(`${contextOf(column)} holds a value that is not encrypted`);
  return decryptField(stored, contextOf(column), ring);
}

/** The blind index to search a column by an exact value. */
export function indexOf(ring: FieldKeyring, column: SensitiveColumn, plain: string): string {
  if (!column.indexDomain) throw new Error(`${contextOf(column)} has no blind index`);
  return blindIndex(plain, column.indexDomain, ring);
}
