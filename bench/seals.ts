import { canonicalJson } from '../domain/canonical-json';
import {
  GENESIS_HASH,
  keyIdOf,
  recordHash,
  sealPayloadBytes,
  type AuditRecordBody,
  type KeyRecord,
  type SealPayload,
} from '../domain/audit-chain';
import { EVIDENCE_FORMAT, verifyEvidencePackage, type EvidencePackage } from '../domain/evidence';
import { generateSm2KeyPair, sm2Sign, sm2Verify, sm2VerifyPlain, SM2_USER_ID } from '../domain/sm-crypto';

/**
 * npm run bench:seals — SM2 seals signed and verified per second (pure-JS verification, and with
 * the signer's precomputed window table that bulk verification uses), and the time to verify an
 * evidence package of 10,000 sealed records offline. No database: the cost is the cryptography.
 */
const N = 1000;
const RECORDS = 10_000;

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en')}/s`;
}

const kp = generateSm2KeyPair();
const msgs = Array.from({ length: N }, (_, i) => Buffer.from(canonicalJson({ what: 'quota.issue', seq: i, amountFen: 100 * i })));
let t = performance.now();
const sigs = msgs.map((m) => sm2Sign(m, kp.privateKey, kp.publicKey));
const signMs = performance.now() - t;
t = performance.now();
for (let i = 0; i < N; i++) if (!sm2VerifyPlain(msgs[i]!, sigs[i]!, kp.publicKey)) throw new Error('verify failed');
const plainMs = performance.now() - t;
sm2Verify(msgs[0]!, sigs[0]!, kp.publicKey); // builds the table once
t = performance.now();
for (let i = 0; i < N; i++) if (!sm2Verify(msgs[i]!, sigs[i]!, kp.publicKey)) throw new Error('verify failed');
const fastMs = performance.now() - t;
console.log(`SM2 sign:                          ${rate(N, signMs)}`);
console.log(`SM2 verify, plain sm-crypto-v2:     ${rate(N, plainMs)}`);
console.log(`SM2 verify, precomputed key table:  ${rate(N, fastMs)}  (×${(plainMs / fastMs).toFixed(1)})`);

// A package of RECORDS sealed records by 5 signers.
const platform = generateSm2KeyPair();
const platformKeyId = keyIdOf(platform.publicKey);
const signers = Array.from({ length: 5 }, (_, i) => {
  const k = generateSm2KeyPair();
  const record: KeyRecord = {
    v: 1,
    keyId: keyIdOf(k.publicKey),
    userId: i + 1,
    username: `u${i}`,
    displayName: `签章人${i}`,
    orgId: 1,
    orgName: '财政局',
    algorithm: 'SM2-SM3',
    distinguishingId: SM2_USER_ID,
    publicKey: k.publicKey,
    createdAt: new Date().toISOString(),
    platformKeyId,
  };
  return { k, record, signature: sm2Sign(Buffer.from(canonicalJson(record)), platform.privateKey, platform.publicKey) };
});
t = performance.now();
const records: EvidencePackage['records'] = [];
const chain: EvidencePackage['chain'] = [];
let prevHash = GENESIS_HASH;
for (let seq = 1; seq <= RECORDS; seq++) {
  const s = signers[seq % signers.length]!;
  const at = new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString();
  const payload: SealPayload = {
    v: 1,
    what: 'quota.issue',
    who: { userId: s.record.userId, username: s.record.username, displayName: s.record.displayName, orgId: 1, orgName: '财政局' },
    when: at,
    processInstance: null,
    element: null,
    decision: { amountFen: seq * 100 },
    formSm3: null,
    attachmentsSm3: [],
    prevHash,
    keyId: s.record.keyId,
  };
  const body: AuditRecordBody = {
    v: 1,
    seq,
    at,
    kind: 'seal.quota.issue',
    subjectType: 'quota',
    subjectId: String(seq),
    projectId: 1,
    actor: { userId: s.record.userId, username: s.record.username },
    data: null,
    seal: { payload, signature: sm2Sign(sealPayloadBytes(payload), s.k.privateKey, s.k.publicKey), keyId: s.record.keyId },
    prevHash,
  };
  const hash = recordHash(body);
  records.push({ seq, hash, body });
  chain.push({ seq, prevHash, hash });
  prevHash = hash;
}
const checkpoint = { v: 1 as const, seq: RECORDS, hash: prevHash, at: new Date().toISOString(), platformKeyId };
const pkg: EvidencePackage = {
  format: EVIDENCE_FORMAT,
  subject: { type: 'project', id: '1' },
  platformKey: { keyId: platformKeyId, publicKey: platform.publicKey },
  keys: signers.map((s) => ({ record: s.record, signature: s.signature })),
  records,
  chain,
  checkpoint: { checkpoint, signature: sm2Sign(Buffer.from(canonicalJson(checkpoint)), platform.privateKey, platform.publicKey) },
  engine: null,
};
const text = canonicalJson(pkg);
console.log(
  `built a package of ${RECORDS.toLocaleString('en')} sealed records (${(text.length / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);
t = performance.now();
const report = verifyEvidencePackage(text);
const verifyMs = performance.now() - t;
if (!report.ok) throw new Error(String(report.firstFailure));
console.log(
  `verified it (every hash, seal, key record, link and the checkpoint) in ${(verifyMs / 1000).toFixed(2)} s = ${rate(RECORDS, verifyMs)}`,
);
