import crypto from 'node:crypto';
import { hmacSm3, pbkdf2Sm3, pbkdf2Sm3Async, sm4CbcDecrypt, sm4CbcEncrypt } from './sm-crypto';

/**
 * A secret (an SM2 private key) encrypted at rest under a key derived from a PIN or passphrase.
 *
 * - KDF: PBKDF2-HMAC-SM3 with a random 16-byte salt per key and KDF_ITERATIONS rounds (≈ 120 ms
 *   here, through OpenSSL). PBKDF2 over scrypt because it is built from the national hash (what a
 *   密评 reviewer expects to see) and is what HSM/USB-key PIN derivations use; it is not
 *   memory-hard, which is why a server-side pepper is mixed in (below).
 * - Pepper: the PIN is first HMAC-SM3'd with a secret from the configuration (BUDGET_SEAL_SECRET),
 *   so a stolen database alone cannot be brute-forced over the small PIN space: the attacker
 *   also needs the server's secret.
 * - Encryption: SM4-CBC with a random IV and PKCS#7 padding, then HMAC-SM3 over context ‖ IV ‖
 *   ciphertext (encrypt-then-MAC). The 32 derived bytes are split into an SM4 key and a MAC key.
 *   A wrong PIN fails the MAC check, so it is told apart from a correct PIN without decrypting
 *   garbage. The context (e.g. "seal-key:42") binds the blob to its owner: a blob copied onto
 *   another user's row does not open. (SM4-GCM would do the same in one primitive, but Node's
 *   OpenSSL offers no sm4-gcm to check the JavaScript one against; CBC + HMAC is checkable.)
 */
export const KDF_ITERATIONS = 300_000;

export interface WrappedKey {
  v: 1;
  kdf: 'pbkdf2-hmac-sm3';
  iterations: number;
  salt: string;
  iv: string;
  ciphertext: string;
  mac: string;
}

export function wrapSecret(secret: Uint8Array, pin: string, context: string, pepper: Uint8Array, iterations = KDF_ITERATIONS): WrappedKey {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(16);
  const { encKey, macKey } = deriveKeys(pin, salt, iterations, pepper);
  const ciphertext = sm4CbcEncrypt(secret, encKey, iv);
  const mac = hmacSm3(macKey, macInput(context, iv, ciphertext));
  return {
    v: 1,
    kdf: 'pbkdf2-hmac-sm3',
    iterations,
    salt: salt.toString('hex'),
    iv: iv.toString('hex'),
    ciphertext: ciphertext.toString('hex'),
    mac: mac.toString('hex'),
  };
}

/** The secret, or null when the PIN (or pepper, or context) is wrong or the blob was altered. */
export function unwrapSecret(w: WrappedKey, pin: string, context: string, pepper: Uint8Array): Buffer | null {
  return openWith(w, context, splitKeys(pbkdf2Sm3(pinMaterial(pin, pepper), Buffer.from(w.salt, 'hex'), w.iterations, 32)));
}

/** unwrapSecret with the KDF rounds off the event loop (what a server answering requests uses). */
export async function unwrapSecretAsync(w: WrappedKey, pin: string, context: string, pepper: Uint8Array): Promise<Buffer | null> {
  return openWith(w, context, splitKeys(await pbkdf2Sm3Async(pinMaterial(pin, pepper), Buffer.from(w.salt, 'hex'), w.iterations, 32)));
}

function openWith(w: WrappedKey, context: string, { encKey, macKey }: { encKey: Buffer; macKey: Buffer }): Buffer | null {
  const iv = Buffer.from(w.iv, 'hex');
  const ciphertext = Buffer.from(w.ciphertext, 'hex');
  const expected = hmacSm3(macKey, macInput(context, iv, ciphertext));
  const given = Buffer.from(w.mac, 'hex');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  return sm4CbcDecrypt(ciphertext, encKey, iv);
}

const pinMaterial = (pin: string, pepper: Uint8Array) => hmacSm3(pepper, Buffer.from(pin, 'utf8'));
const splitKeys = (okm: Buffer) => ({ encKey: okm.subarray(0, 16), macKey: okm.subarray(16) });

function deriveKeys(pin: string, salt: Uint8Array, iterations: number, pepper: Uint8Array) {
  return splitKeys(pbkdf2Sm3(pinMaterial(pin, pepper), salt, iterations, 32));
}

function macInput(context: string, iv: Uint8Array, ciphertext: Uint8Array): Buffer {
  const ctx = Buffer.from(context, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(ctx.length);
  return Buffer.concat([len, ctx, iv, ciphertext]);
}
