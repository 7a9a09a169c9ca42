import { canonicalBytes, canonicalJson, type Json } from './canonical-json';
import { sm3Hex } from './digest';
import { sm2Verify, SM2_USER_ID } from './sm-crypto';

/**
 * The audit chain's records, seals, key records and checkpoints as data, and the rules that
 * verify them — shared by the server (GET /api/audit/verify) and the offline verifier
 * (scripts/verify.ts), so both judge by the same code. docs/canonical-form.md describes every
 * structure here for someone rebuilding them without this code.
 */

export const GENESIS_HASH = '0'.repeat(64);
const HEX64 = /^[0-9a-f]{64}$/;

export interface AuditActor {
  userId: number | null;
  username: string;
}

/** What the server hashes: the record's whole content (every stored column is derived from it). */
export interface AuditRecordBody {
  v: 1;
  seq: number;
  /** UTC, ISO 8601 with milliseconds and Z. */
  at: string;
  kind: string;
  subjectType: string | null;
  subjectId: string | null;
  /** The project the event belongs to, when it belongs to one (evidence packages select by it). */
  projectId: number | null;
  actor: AuditActor;
  data: Json;
  seal: Seal | null;
  prevHash: string;
}

/** A seal: the signed payload, the SM2 signature (DER hex) and the signing key's id. */
export interface Seal {
  payload: SealPayload;
  signature: string;
  keyId: string;
}

/** What a signer signs (canonical JSON bytes of this object). */
export interface SealPayload {
  v: 1;
  /** What was decided, e.g. quota.issue, task.complete. */
  what: string;
  who: { userId: number; username: string; displayName: string; orgId: number; orgName: string };
  when: string;
  processInstance: string | null;
  element: string | null;
  decision: Json;
  /** SM3 of the canonical JSON of the form data; null when the decision had no form. */
  formSm3: string | null;
  attachmentsSm3: string[];
  /** Hash of the audit record before the one that holds this seal. */
  prevHash: string;
  keyId: string;
}

/** A user's public key, published with their identity and signed by the platform key. */
// Key records are pure types, in a module of their own so the SPA can name them without Node.
export type { KeyRecord, SignedKeyRecord } from './seal-records';
import type { KeyRecord, SignedKeyRecord } from './seal-records';

export interface PlatformKey {
  keyId: string;
  publicKey: string;
  createdAt: string;
}

export interface Checkpoint {
  v: 1;
  seq: number;
  hash: string;
  at: string;
  platformKeyId: string;
}

export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  signature: string;
}

/** Key ids: the first 32 hex of SM3 over the uncompressed public key bytes. */
export function keyIdOf(publicKeyHex: string): string {
  return sm3Hex(Buffer.from(publicKeyHex, 'hex')).slice(0, 32);
}

/** hash = SM3(prevHash bytes ‖ canonical body bytes), lowercase hex. */
export function recordHash(body: AuditRecordBody): string {
  return sm3Hex(Buffer.concat([Buffer.from(body.prevHash, 'hex'), canonicalBytes(body)]));
}

export function sealPayloadBytes(p: SealPayload): Buffer {
  return canonicalBytes(p);
}

/** The verification code printed on documents: the first 16 hex of SM3 over the signature bytes. */
export function verificationCode(signatureHex: string): string {
  return sm3Hex(Buffer.from(signatureHex, 'hex')).slice(0, 16);
}

/** SM3 of a form's canonical JSON. */
export function formDigest(form: Json): string {
  return sm3Hex(canonicalBytes(form));
}

export type Verdict = { ok: true } | { ok: false; reason: string };
const bad = (reason: string): Verdict => ({ ok: false, reason });
const OK: Verdict = { ok: true };

export function verifyKeyRecord(k: SignedKeyRecord, platform: PlatformKey): Verdict {
  if (k.record.platformKeyId !== platform.keyId) return bad(`密钥记录 ${k.record.keyId} 不是由该平台密钥签发的`);
  if (k.record.keyId !== keyIdOf(k.record.publicKey)) return bad(`密钥记录 ${k.record.keyId} 的编号与公钥不符`);
  if (k.record.distinguishingId !== SM2_USER_ID) return bad(`密钥记录 ${k.record.keyId} 的签名者标识不是 ${SM2_USER_ID}`);
  if (!sm2Verify(canonicalBytes(k.record), k.signature, platform.publicKey)) return bad(`密钥记录 ${k.record.keyId} 的平台签名无效`);
  return OK;
}

export function verifyCheckpoint(c: SignedCheckpoint, platform: PlatformKey): Verdict {
  if (c.checkpoint.platformKeyId !== platform.keyId) return bad(`检查点 #${c.checkpoint.seq} 不是由该平台密钥签发的`);
  if (!sm2Verify(canonicalBytes(c.checkpoint), c.signature, platform.publicKey)) return bad(`检查点 #${c.checkpoint.seq} 的平台签名无效`);
  return OK;
}

/**
 * One record on its own: its hash is SM3(prevHash ‖ body), and its seal (if any) is signed by the
 * key it names, that key belongs to the person the payload names, and the payload's prevHash is
 * the record's. `keys` holds verified key records only.
 */
export function verifyRecord(body: AuditRecordBody, hash: string, keys: ReadonlyMap<string, KeyRecord>): Verdict {
  if (!HEX64.test(hash) || !HEX64.test(body.prevHash)) return bad('哈希格式不正确');
  if (recordHash(body) !== hash) return bad('记录内容与其哈希不符（记录被修改）');
  const seal = body.seal;
  if (seal) {
    const key = keys.get(seal.keyId);
    if (!key) return bad(`签章所用密钥 ${seal.keyId} 没有有效的公钥记录`);
    if (seal.payload.keyId !== seal.keyId) return bad('签章内容中的密钥编号与签章不符');
    if (seal.payload.who.userId !== key.userId) return bad('签章人与密钥持有人不符');
    if (seal.payload.prevHash !== body.prevHash) return bad('签章内容中的前一记录哈希与记录不符');
    if (!/^[0-9a-f]+$/.test(seal.signature) || !sm2Verify(sealPayloadBytes(seal.payload), seal.signature, key.publicKey))
      return bad('SM2 签名验证失败');
  }
  return OK;
}

/** Link rule between consecutive records: sequence numbers follow, and prevHash is the hash before. */
export function verifyLink(prev: { seq: number; hash: string } | null, next: { seq: number; prevHash: string }): Verdict {
  if (!prev) return next.seq === 1 && next.prevHash === GENESIS_HASH ? OK : next.seq === 1 ? bad('第一条记录的前一哈希应为全零') : OK;
  if (next.seq !== prev.seq + 1) return bad(`序号不连续：#${prev.seq} 之后是 #${next.seq}`);
  if (next.prevHash !== prev.hash) return bad(`前一记录哈希与 #${prev.seq} 的哈希不符（链条断开）`);
  return OK;
}

export { canonicalJson };
