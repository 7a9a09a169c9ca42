import crypto from 'node:crypto';
import { hmacSm3, sm4CbcDecrypt, sm4CbcEncrypt } from './sm-crypto';

/**
 * Sensitive columns at rest (bank accounts, ID numbers, phone numbers): SM4-CBC with a random IV,
 * then HMAC-SM3 over keyId ‖ context ‖ IV ‖ ciphertext (encrypt-then-MAC, as domain/key-wrap.ts).
 *
 * A stored value is one string: `sm4.1.<keyId>.<iv hex>.<ciphertext hex>.<mac hex>`. The key id
 * names which configured key sealed it, so keys rotate: new writes use the current key, old rows
 * still open with the key they name until the rotation command re-seals them.
 *
 * The context (e.g. "payment_requests.payee_account") binds a value to its column: a value copied
 * into another column does not open.
 *
 * Exact search uses a blind index: HMAC-SM3 of the normalised value under a separate index key,
 * stored beside the ciphertext. Equal values give equal indexes; the index reveals nothing else.
 */
export interface FieldKey {
  /** Short id stored with each value: letters, digits, '-' and '_'. */
  id: string;
  /** 32 bytes: the first 16 the SM4 key, the last 16 the MAC key. */
  material: Buffer;
}

export interface FieldKeyring {
  current: FieldKey;
  /** Every key that may still open stored values, by id (the current one included). */
  keys: ReadonlyMap<string, FieldKey>;
  /** Key of the blind index (32 bytes). Not rotated with the others: rotating it re-indexes every row. */
  indexKey: Buffer;
}

export const FIELD_KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
const PREFIX = 'sm4.1.';

export class FieldCipherError extends Error {
  constructor(
    public readonly reason: 'malformed' | 'unknown-key' | 'tampered',
    message: string,
  ) {
    super(message);
    this.name = 'FieldCipherError';
  }
}

export function encryptField(plain: string, context: string, ring: FieldKeyring): string {
  const key = ring.current;
  const iv = crypto.randomBytes(16);
  const ciphertext = sm4CbcEncrypt(Buffer.from(plain, 'utf8'), key.material.subarray(0, 16), iv);
  const mac = hmacSm3(key.material.subarray(16), macInput(key.id, context, iv, ciphertext));
  return `${PREFIX}${key.id}.${iv.toString('hex')}.${ciphertext.toString('hex')}.${mac.toString('hex')}`;
}

export function decryptField(stored: string, context: string, ring: FieldKeyring): string {
  const parts = parse(stored);
  const key = ring.keys.get(parts.keyId);
  if (!key) throw new FieldCipherError('unknown-key', `密钥 ${parts.keyId} 未配置，无法解密`);
  const expected = hmacSm3(key.material.subarray(16), macInput(parts.keyId, context, parts.iv, parts.ciphertext));
  if (expected.length !== parts.mac.length || !crypto.timingSafeEqual(expected, parts.mac)) {
    throw new FieldCipherError('tampered', '密文校验失败（数据被改动或不属于该字段）');
  }
  return sm4CbcDecrypt(parts.ciphertext, key.material.subarray(0, 16), parts.iv).toString('utf8');
}

/** The key id a stored value was sealed with (the rotation command re-seals those not current). */
export function fieldKeyId(stored: string): string {
  return parse(stored).keyId;
}

export function isEncryptedField(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

/**
 * Blind index for exact search: HMAC-SM3 of the normalised value, bound to a search domain (two
 * columns holding the same number give different indexes unless they share a domain on purpose).
 */
export function blindIndex(plain: string, domain: string, ring: Pick<FieldKeyring, 'indexKey'>): string {
  return hmacSm3(
    ring.indexKey,
    Buffer.concat([Buffer.from(domain, 'utf8'), Buffer.from([0]), Buffer.from(normaliseForIndex(plain), 'utf8')]),
  ).toString('hex');
}

/** Spaces and dashes do not count (6222 0212 3456 = 6222-0212-3456 = 622202123456), letters fold to upper case. */
export function normaliseForIndex(plain: string): string {
  return plain.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
}

/** 6222 **** **** 1234 (first four, last four; shorter numbers keep only the last four). */
export function maskBankAccount(account: string): string {
  const digits = normaliseForIndex(account);
  if (digits.length <= 4) return '****';
  if (digits.length < 12) return `**** ${digits.slice(-4)}`;
  return `${digits.slice(0, 4)} **** **** ${digits.slice(-4)}`;
}

/** 110101********1234 for an 18-character resident ID number. */
export function maskIdNumber(id: string): string {
  const v = normaliseForIndex(id);
  if (v.length < 10) return '*'.repeat(v.length);
  return `${v.slice(0, 6)}${'*'.repeat(v.length - 10)}${v.slice(-4)}`;
}

/** 138****5678 */
export function maskPhone(phone: string): string {
  const v = normaliseForIndex(phone);
  if (v.length < 7) return '*'.repeat(v.length);
  return `${v.slice(0, 3)}${'*'.repeat(v.length - 7)}${v.slice(-4)}`;
}

function parse(stored: string): { keyId: string; iv: Buffer; ciphertext: Buffer; mac: Buffer } {
  if (!stored.startsWith(PREFIX)) throw new FieldCipherError('malformed', '不是平台加密格式的数据');
  const [keyId, iv, ciphertext, mac, ...rest] = stored.slice(PREFIX.length).split('.');
  const hex = /^(?:[0-9a-f]{2})+$/;
  if (
    rest.length ||
    !keyId ||
    !FIELD_KEY_ID.test(keyId) ||
    !iv ||
    !ciphertext ||
    !mac ||
    !hex.test(iv) ||
    !hex.test(ciphertext) ||
    !hex.test(mac) ||
    iv.length !== 32 ||
    ciphertext.length % 32 !== 0
  ) {
    throw new FieldCipherError('malformed', '加密数据格式不正确');
  }
  return { keyId, iv: Buffer.from(iv, 'hex'), ciphertext: Buffer.from(ciphertext, 'hex'), mac: Buffer.from(mac, 'hex') };
}

function macInput(keyId: string, context: string, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  const ctx = Buffer.from(context, 'utf8');
  const len = (b: Buffer) => {
    const l = Buffer.alloc(4);
    l.writeUInt32BE(b.length);
    return l;
  };
  return Buffer.concat([len(id), id, len(ctx), ctx, iv, ciphertext]);
}
