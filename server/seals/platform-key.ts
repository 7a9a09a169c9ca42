import type { Knex } from 'knex';
import { canonicalBytes } from '../../domain/canonical-json';
import { keyIdOf, type PlatformKey } from '../../domain/audit-chain';
import { unwrapSecret, wrapSecret, type WrappedKey } from '../../domain/key-wrap';
import { generateSm2KeyPair, hmacSm3, sm2Sign } from '../../domain/sm-crypto';
import { toUtcIso } from './time';

/**
 * The platform root key: an SM2 key pair generated on first use and stored with its private key
 * SM4-encrypted under the configured secret (BUDGET_SEAL_SECRET, domain/key-wrap.ts). It signs
 * users' key records and audit checkpoints; its public key and key id go into every evidence
 * package, and whoever checks a package should compare that key id with one published by the
 * finance bureau out of band (the package alone cannot prove which platform key is genuine).
 * It is not an HSM: whoever has both the database and the secret has the key.
 */
export interface PlatformSigner extends PlatformKey {
  sign(data: Uint8Array): string;
}

const ROOT_CONTEXT = 'platform-root-key';
const cache = new WeakMap<Knex, Map<string, Promise<PlatformSigner>>>();

/** The root key (created on first call). Call with the pool, not inside a transaction of its own. */
export function platformKey(db: Knex, secret: string): Promise<PlatformSigner> {
  let perSecret = cache.get(db);
  if (!perSecret) cache.set(db, (perSecret = new Map()));
  let p = perSecret.get(secret);
  if (!p) {
    p = loadOrCreate(db, secret);
    perSecret.set(secret, p);
    p.catch(() => perSecret.delete(secret));
  }
  return p;
}

/** The pepper mixed into every signing PIN (key-wrap.ts): derived from the same secret. */
export function pinPepper(secret: string): Buffer {
  return hmacSm3(Buffer.from(secret, 'utf8'), Buffer.from('seal-pin-pepper', 'utf8'));
}

interface Row {
  key_id: string;
  public_key: string;
  wrapped_private_key: string;
  created_at: unknown;
}

async function loadOrCreate(db: Knex, secret: string): Promise<PlatformSigner> {
  let row = (await db('platform_keys').where('purpose', 'root').first()) as Row | undefined;
  if (!row) {
    const kp = generateSm2KeyPair();
    const wrapped = wrapSecret(Buffer.from(kp.privateKey, 'hex'), secret, ROOT_CONTEXT, Buffer.alloc(0));
    try {
      await db('platform_keys').insert({
        key_id: keyIdOf(kp.publicKey),
        public_key: kp.publicKey,
        wrapped_private_key: JSON.stringify(wrapped),
        purpose: 'root',
        created_at: new Date(),
      });
    } catch {
      // Another process created it first; theirs is the key.
    }
    row = (await db('platform_keys').where('purpose', 'root').first()) as Row;
  }
  const priv = unwrapSecret(JSON.parse(row.wrapped_private_key) as WrappedKey, secret, ROOT_CONTEXT, Buffer.alloc(0));
  if (!priv) throw new Error('platform root key: BUDGET_SEAL_SECRET does not open the stored key (wrong secret?)');
  const privateKey = priv.toString('hex');
  const publicKey = row.public_key;
  return {
    keyId: row.key_id,
    publicKey,
    createdAt: toUtcIso(row.created_at),
    sign: (data) => sm2Sign(data, privateKey, publicKey),
  };
}

/** Signs the canonical bytes of a structure with the platform key. */
export function platformSign(signer: PlatformSigner, value: unknown): string {
  return signer.sign(canonicalBytes(value));
}
