import crypto from 'node:crypto';
import { sm2, sm3, sm4 } from 'sm-crypto-v2';

/**
 * The platform's national-standard cryptography, in one place (domain.md, 电子签章):
 * SM2 signatures with SM3 (GB/T 32918 / GM/T 0009, signer ID 1234567812345678, DER-encoded),
 * SM4 (GB/T 32907) for encryption at rest, SM3 (GB/T 32905) for digests and HMAC.
 * The arithmetic is sm-crypto-v2's (on @noble/curves); this module fixes the options so that
 * every caller produces signatures any standard-conforming implementation (OpenSSL 3) verifies.
 */

/** GM/T 0009 default signer distinguishing ID. */
export const SM2_USER_ID = '1234567812345678';
/** OID of SM2-with-SM3 signatures (GM/T 0006). */
export const SM2_WITH_SM3_OID = '1.2.156.10197.1.501';

const SIGN_OPTIONS = { der: true, hash: true, userId: SM2_USER_ID } as const;

/** SM2 curve order n (GB/T 32918.5). A signature's r and s must lie in [1, n − 1]. */
const SM2_N = BigInt('0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123');

export interface Sm2KeyPair {
  /** 32-byte scalar, hex. */
  privateKey: string;
  /** Uncompressed point 04‖x‖y, 65 bytes, hex. */
  publicKey: string;
}

export function generateSm2KeyPair(): Sm2KeyPair {
  const kp = sm2.generateKeyPairHex();
  return { privateKey: kp.privateKey, publicKey: normalisePublicKey(kp.publicKey) };
}

/** Uncompressed lowercase hex; throws unless it is a point on the SM2 curve. */
export function normalisePublicKey(hex: string): string {
  const h = hex.toLowerCase();
  if (!/^04[0-9a-f]{128}$/.test(h) || !sm2.verifyPublicKey(h)) throw new RangeError('not an uncompressed SM2 public key');
  return h;
}

export function publicKeyOf(privateKeyHex: string): string {
  return normalisePublicKey(sm2.getPublicKeyFromPrivateKey(privateKeyHex));
}

/** SM2 signature over `data` (Z_A with ID 1234567812345678, then SM3), DER hex. */
export function sm2Sign(data: Uint8Array, privateKeyHex: string, publicKeyHex?: string): string {
  return sm2.doSignature(data, privateKeyHex, { ...SIGN_OPTIONS, publicKey: publicKeyHex ?? publicKeyOf(privateKeyHex) });
}

/**
 * Verifies a DER signature. Malformed DER, r or s outside [1, n − 1] and a key that is not a
 * curve point are a plain `false` (the library alone would accept some out-of-range values).
 */
export function sm2Verify(data: Uint8Array, signatureDerHex: string, publicKeyHex: string): boolean {
  const rs = parseDerSignature(signatureDerHex);
  if (!rs || rs.r < 1n || rs.r >= SM2_N || rs.s < 1n || rs.s >= SM2_N) return false;
  let key: string;
  try {
    key = normalisePublicKey(publicKeyHex);
  } catch {
    return false;
  }
  return sm2.doVerifySignature(data, signatureDerHex, precomputed(key), SIGN_OPTIONS);
}

/**
 * Bulk verification is dominated by the point multiplication by the public key; precomputing the
 * key's window table (as @noble does for the base point) makes each verification about 4× faster.
 * A package has few signers, so the tables are kept, a bounded few.
 */
const tables = new Map<string, ReturnType<typeof sm2.precomputePublicKey>>();
function precomputed(publicKeyHex: string) {
  let t = tables.get(publicKeyHex);
  if (!t) {
    if (tables.size >= 256) tables.delete(tables.keys().next().value!);
    t = sm2.precomputePublicKey(publicKeyHex);
    tables.set(publicKeyHex, t);
  }
  return t;
}

/** SM2 signature verification without the precomputed tables (the benchmark's baseline). */
export function sm2VerifyPlain(data: Uint8Array, signatureDerHex: string, publicKeyHex: string): boolean {
  return sm2.doVerifySignature(data, signatureDerHex, publicKeyHex, SIGN_OPTIONS);
}

/** SEQUENCE { INTEGER r, INTEGER s }, strict DER (minimal lengths, no trailing bytes). */
export function parseDerSignature(hex: string): { r: bigint; s: bigint } | null {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) return null;
  const b = Buffer.from(hex, 'hex');
  if (b.length < 8 || b[0] !== 0x30 || b[1] !== b.length - 2 || b[1] >= 0x80) return null;
  let at = 2;
  const int = (): bigint | null => {
    if (b[at] !== 0x02) return null;
    const len = b[at + 1];
    if (len === undefined || len < 1 || len > 33 || at + 2 + len > b.length) return null;
    const body = b.subarray(at + 2, at + 2 + len);
    if (body[0]! & 0x80) return null; // negative
    if (len > 1 && body[0] === 0 && !(body[1]! & 0x80)) return null; // not minimal
    at += 2 + len;
    return BigInt('0x' + body.toString('hex'));
  };
  const r = int();
  const s = r === null ? null : int();
  if (r === null || s === null || at !== b.length) return null;
  return { r, s };
}

/** SubjectPublicKeyInfo { id-ecPublicKey, SM2 curve 1.2.156.10197.1.301 } as PEM (for OpenSSL). */
export function sm2PublicKeyPem(publicKeyHex: string): string {
  const spki = Buffer.concat([
    Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex'),
    Buffer.from(normalisePublicKey(publicKeyHex), 'hex'),
  ]);
  return `-----BEGIN PUBLIC KEY-----\n${spki
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PUBLIC KEY-----\n`;
}

// ---------------------------------------------------------------------------------------------
// SM3, HMAC-SM3, PBKDF2-HMAC-SM3, SM4

export function sm3Bytes(data: Uint8Array): Buffer {
  return Buffer.from(sm3(data), 'hex');
}

export function hmacSm3(key: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.from(sm3(data, { key, mode: 'hmac' }), 'hex');
}

/**
 * PBKDF2 (RFC 8018) with HMAC-SM3, through OpenSSL's native implementation (Node's crypto lists
 * sm3); the unit tests hold it to a JavaScript PBKDF2 over hmacSm3.
 */
export function pbkdf2Sm3(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Buffer {
  return crypto.pbkdf2Sync(password, salt, iterations, length, 'sm3');
}

/** The same on libuv's thread pool: the event loop keeps serving while the rounds run. */
export function pbkdf2Sm3Async(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.pbkdf2(password, salt, iterations, length, 'sm3', (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** SM4-ECB of one block, no padding: only for the standard's test vector. */
export function sm4EncryptBlock(block: Uint8Array, key: Uint8Array): Buffer {
  return Buffer.from(sm4.encrypt(block, key, { mode: 'ecb', padding: 'none', output: 'array' }));
}

export function sm4CbcEncrypt(plain: Uint8Array, key: Uint8Array, iv: Uint8Array): Buffer {
  return Buffer.from(sm4.encrypt(plain, key, { mode: 'cbc', iv, padding: 'pkcs#7', output: 'array' }));
}

export function sm4CbcDecrypt(cipher: Uint8Array, key: Uint8Array, iv: Uint8Array): Buffer {
  return Buffer.from(sm4.decrypt(cipher, key, { mode: 'cbc', iv, padding: 'pkcs#7', output: 'array' }));
}
