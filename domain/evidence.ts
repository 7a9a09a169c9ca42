import { z } from 'zod';
import { canonicalJson } from './canonical-json';
import { keyIdOf, verifyCheckpoint, verifyKeyRecord, verifyRecord, type AuditRecordBody, type KeyRecord, type PlatformKey, type SignedCheckpoint, type SignedKeyRecord } from './audit-chain';

/**
 * An evidence package (证据包): everything needed to check a subject's audit records without this
 * system — the records in full, the hash skeleton (seq, prevHash, hash) of the chain from the
 * first of them to a checkpoint, that checkpoint signed by the platform key, the signers' key
 * records and the platform public key. The file is the canonical JSON of the package, so any
 * changed byte either breaks the canonical form (located by offset) or a hash or a signature
 * (located by record). What it cannot prove alone: that the platform key is the bureau's — compare
 * its key id with the one the bureau publishes — and that no whole record of the subject was
 * left out (the skeleton proves the chain is continuous, not which of its records are the
 * subject's; GET /api/audit/verify on the live system does).
 */
export const EVIDENCE_FORMAT = 'budget-evidence/1';

export interface EvidencePackage {
  format: typeof EVIDENCE_FORMAT;
  /**
   * What the package is about; every record must belong to it (checked), so the subject is covered
   * by the hashes too: a project's records carry its projectId, a process instance's records name
   * its key (processInstanceOf below).
   */
  subject: { type: 'project' | 'process'; id: string };
  /** keyId must be derived from publicKey (checked); when it was made is not part of the package. */
  platformKey: Pick<PlatformKey, 'keyId' | 'publicKey'>;
  keys: SignedKeyRecord[];
  records: Array<{ seq: number; hash: string; body: AuditRecordBody }>;
  chain: Array<{ seq: number; prevHash: string; hash: string }>;
  checkpoint: SignedCheckpoint | null;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const hex = z.string().regex(/^[0-9a-f]+$/);
const keyId = z.string().regex(/^[0-9a-f]{32}$/);
const packageSchema = z
  .object({
    format: z.literal(EVIDENCE_FORMAT),
    subject: z.union([z.object({ type: z.literal('project'), id: z.string().regex(/^[1-9]\d{0,9}$/) }).strict(), z.object({ type: z.literal('process'), id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }).strict()]),
    platformKey: z.object({ keyId, publicKey: hex }).strict(),
    keys: z.array(z.object({ record: z.object({ keyId, publicKey: hex }).passthrough(), signature: hex }).strict()),
    records: z.array(z.object({ seq: z.number().int().positive(), hash: hex64, body: z.object({ seq: z.number(), prevHash: hex64 }).passthrough() }).strict()),
    chain: z.array(z.object({ seq: z.number().int().positive(), prevHash: hex64, hash: hex64 }).strict()),
    checkpoint: z.object({ checkpoint: z.object({ seq: z.number(), hash: hex64 }).passthrough(), signature: hex }).strict().nullable(),
  })
  .strict();

export interface RecordResult {
  seq: number;
  kind: string;
  sealed: boolean;
  ok: boolean;
  reason: string | null;
}

export interface PackageReport {
  ok: boolean;
  platformKeyId: string | null;
  records: RecordResult[];
  /** The first failure, in words that name where it is. */
  firstFailure: string | null;
}

export function verifyEvidencePackage(text: string): PackageReport {
  const report: PackageReport = { ok: true, platformKeyId: null, records: [], firstFailure: null };
  const fail = (where: string) => {
    report.ok = false;
    report.firstFailure ??= where;
    return report;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return fail(`文件不是有效的 JSON：${(err as Error).message}`);
  }
  let canonical: string;
  try {
    canonical = canonicalJson(parsed);
  } catch (err) {
    return fail(`文件含有不能规范化的值：${(err as Error).message}`);
  }
  if (canonical !== text) {
    let i = 0;
    while (i < text.length && text[i] === canonical[i]) i++;
    return fail(`文件不是规范 JSON（第 ${Buffer.byteLength(text.slice(0, i))} 字节起不同）：文件被修改`);
  }
  const shape = packageSchema.safeParse(parsed);
  if (!shape.success) return fail(`证据包结构不正确：${shape.error.issues[0]!.path.join('.')} ${shape.error.issues[0]!.message}`);
  const pkg = parsed as EvidencePackage;
  report.platformKeyId = pkg.platformKey.keyId;
  if (keyIdOf(pkg.platformKey.publicKey) !== pkg.platformKey.keyId) return fail('平台密钥编号与平台公钥不符');
  const platform = { ...pkg.platformKey, createdAt: '' };

  const keys = new Map<string, KeyRecord>();
  for (const k of pkg.keys) {
    const v = verifyKeyRecord(k, platform);
    if (!v.ok) fail(`公钥记录 ${k.record.keyId}：${v.reason}`);
    else keys.set(k.record.keyId, k.record);
  }

  // The skeleton: consecutive seqs, each prevHash the hash before.
  const skeleton = new Map<number, { prevHash: string; hash: string }>();
  pkg.chain.forEach((c, i) => {
    const prev = pkg.chain[i - 1];
    if (prev && c.seq !== prev.seq + 1) fail(`哈希链第 ${i + 1} 项：序号 #${c.seq} 不接 #${prev.seq}`);
    else if (prev && c.prevHash !== prev.hash) fail(`哈希链 #${c.seq}：前一哈希与 #${prev.seq} 不符`);
    skeleton.set(c.seq, c);
  });

  for (const r of pkg.records) {
    const body = r.body;
    let v = body.seq !== r.seq ? { ok: false as const, reason: '记录序号与内容不符' } : !belongsTo(body, pkg.subject) ? { ok: false as const, reason: `记录不属于证据包所述${pkg.subject.type === 'project' ? '项目' : '流程实例'}` } : verifyRecord(body, r.hash, keys);
    const link = skeleton.get(r.seq);
    if (v.ok && (!link || link.hash !== r.hash || link.prevHash !== body.prevHash)) v = { ok: false, reason: '记录不在哈希链上（哈希或前一哈希与链不符）' };
    report.records.push({ seq: r.seq, kind: String(body.kind), sealed: Boolean(body.seal), ok: v.ok, reason: v.ok ? null : v.reason });
    if (!v.ok) fail(`记录 #${r.seq}（${String(body.kind)}）：${v.reason}`);
  }

  if (pkg.checkpoint) {
    const v = verifyCheckpoint(pkg.checkpoint, platform);
    const last = pkg.chain[pkg.chain.length - 1];
    if (!v.ok) fail(v.reason);
    else if (!last || last.seq !== pkg.checkpoint.checkpoint.seq || last.hash !== pkg.checkpoint.checkpoint.hash) fail(`检查点 #${pkg.checkpoint.checkpoint.seq} 与哈希链末端不符`);
  } else if (pkg.records.length > 0) {
    fail('证据包没有平台签署的检查点');
  }
  return report;
}

/**
 * The process instance a record belongs to: the key a timeline event's data names (task created
 * or completed, a status set by a worker: data.data.processInstanceKey), or the process instance
 * its seal's payload names. null for records of no process (edits, 送审 before the instance).
 */
export function processInstanceOf(body: Pick<AuditRecordBody, 'data' | 'seal'>): string | null {
  const data = body.data;
  const inner = data && typeof data === 'object' && !Array.isArray(data) ? data.data : null;
  const key = inner && typeof inner === 'object' && !Array.isArray(inner) ? inner.processInstanceKey : null;
  if (typeof key === 'string') return key;
  return body.seal?.payload.processInstance ?? null;
}

function belongsTo(body: AuditRecordBody, subject: EvidencePackage['subject']): boolean {
  return subject.type === 'project' ? String(body.projectId) === subject.id : processInstanceOf(body) === subject.id;
}
