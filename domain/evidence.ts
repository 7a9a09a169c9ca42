import { z } from 'zod';
import { canonicalBytes, canonicalJson } from './canonical-json';
import {
  keyIdOf,
  verifyCheckpoint,
  verifyKeyRecord,
  verifyRecord,
  type AuditRecordBody,
  type KeyRecord,
  type PlatformKey,
  type SignedCheckpoint,
  type SignedKeyRecord,
} from './audit-chain';
import { sm2Verify, sm3Bytes } from './sm-crypto';

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
 *
 * A process instance's package also carries what the workflow engine recorded of the instance
 * (`engine`: its activity instances, user tasks with assignees and times, decision instances and
 * incidents), so an auditor sees the engine's account next to the sealed records. The engine does
 * not sign anything, so the platform does: a statement naming the package's subject and checkpoint
 * and the SM3 of the engine history, signed with the platform key — the history cannot be changed,
 * nor moved to another package, without the signature failing. It says what the engine answered
 * when the package was made, not that the engine's answer was true.
 */
export const EVIDENCE_FORMAT = 'budget-evidence/2';
/** Packages made before the engine section (no `engine` member); still verified. */
export const EVIDENCE_FORMAT_V1 = 'budget-evidence/1';

/** A value as the engine reported it (JSON; dates in the engine's own format, e.g. 2026-12-01T21:22:30.238+0000). */
export type EngineValue = null | boolean | number | string | EngineValue[] | { [key: string]: EngineValue };

/** What the engine recorded of one process instance (the fields are the engine's, docs/canonical-form.md). */
export interface EngineHistory {
  processInstance: Record<string, EngineValue>;
  activityInstances: Array<Record<string, EngineValue>>;
  tasks: Array<Record<string, EngineValue>>;
  decisions: Array<Record<string, EngineValue>>;
  incidents: Array<Record<string, EngineValue>>;
  /** The platform's side of each engine user task: our inbox task and the seq of its completion's audit record (in `records` when it is the instance's). */
  links: Array<{ engineTaskId: string; taskId: number; recordSeq: number | null }>;
}

/** Signed by the platform key: which package the engine history belongs to, and its digest. */
export interface EngineStatement {
  v: 1;
  subject: { type: 'process'; id: string };
  /** When the engine was asked (UTC ISO). */
  at: string;
  /** The engine product and version that answered, e.g. "Operaton 1.0.3"; null when it did not. */
  engine: string | null;
  /** SM3 of canonical(history), hex; null when the engine could not answer. */
  historySm3: string | null;
  /** Why there is no history (the engine was unreachable, it holds no record of the instance). */
  unavailable: string | null;
  /** The package's checkpoint (null in a package without records). */
  checkpointSeq: number | null;
  checkpointHash: string | null;
  platformKeyId: string;
}

export interface EngineSection {
  statement: EngineStatement;
  signature: string;
  history: EngineHistory | null;
}

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
  /** A process instance's engine history; null in a project's package. */
  engine: EngineSection | null;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const hex = z.string().regex(/^[0-9a-f]+$/);
const keyId = z.string().regex(/^[0-9a-f]{32}$/);
/** An engine's process instance id: a UUID (Operaton), or a decimal key (Zeebe, in budget-evidence/1 packages). */
const instanceId = z.string().regex(/^[0-9A-Za-z-]{1,64}$/);
const engineRecord = z.record(z.string(), z.unknown());
const engineSchema = z
  .object({
    statement: z
      .object({
        v: z.literal(1),
        subject: z.object({ type: z.literal('process'), id: instanceId }).strict(),
        at: z.string(),
        engine: z.string().nullable(),
        historySm3: hex64.nullable(),
        unavailable: z.string().nullable(),
        checkpointSeq: z.number().int().positive().nullable(),
        checkpointHash: hex64.nullable(),
        platformKeyId: keyId,
      })
      .strict(),
    signature: hex,
    history: z
      .object({
        processInstance: engineRecord,
        activityInstances: z.array(engineRecord),
        tasks: z.array(engineRecord),
        decisions: z.array(engineRecord),
        incidents: z.array(engineRecord),
        links: z.array(
          z
            .object({ engineTaskId: z.string(), taskId: z.number().int().positive(), recordSeq: z.number().int().positive().nullable() })
            .strict(),
        ),
      })
      .strict()
      .nullable(),
  })
  .strict();
const packageSchema = z
  .object({
    format: z.union([z.literal(EVIDENCE_FORMAT), z.literal(EVIDENCE_FORMAT_V1)]),
    subject: z.union([
      z.object({ type: z.literal('project'), id: z.string().regex(/^[1-9]\d{0,9}$/) }).strict(),
      z.object({ type: z.literal('process'), id: instanceId }).strict(),
    ]),
    platformKey: z.object({ keyId, publicKey: hex }).strict(),
    keys: z.array(z.object({ record: z.object({ keyId, publicKey: hex }).passthrough(), signature: hex }).strict()),
    records: z.array(
      z
        .object({ seq: z.number().int().positive(), hash: hex64, body: z.object({ seq: z.number(), prevHash: hex64 }).passthrough() })
        .strict(),
    ),
    chain: z.array(z.object({ seq: z.number().int().positive(), prevHash: hex64, hash: hex64 }).strict()),
    checkpoint: z
      .object({ checkpoint: z.object({ seq: z.number(), hash: hex64 }).passthrough(), signature: hex })
      .strict()
      .nullable(),
    engine: engineSchema.nullable().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    // budget-evidence/2 always has the member (null for a project); /1 never.
    if (p.format === EVIDENCE_FORMAT_V1 && p.engine !== undefined)
      ctx.addIssue({ code: 'custom', path: ['engine'], message: 'budget-evidence/1 证据包没有引擎历史' });
    if (p.format === EVIDENCE_FORMAT && p.engine === undefined)
      ctx.addIssue({ code: 'custom', path: ['engine'], message: '缺少引擎历史（流程实例证据包）或 null（项目证据包）' });
    if (p.format === EVIDENCE_FORMAT && p.subject.type === 'project' && p.engine !== null)
      ctx.addIssue({ code: 'custom', path: ['engine'], message: '项目证据包不含引擎历史，应为 null' });
    if (p.format === EVIDENCE_FORMAT && p.subject.type === 'process' && !p.engine)
      ctx.addIssue({ code: 'custom', path: ['engine'], message: '流程实例证据包须含引擎历史' });
  });

export interface RecordResult {
  seq: number;
  kind: string;
  sealed: boolean;
  ok: boolean;
  reason: string | null;
}

/** The engine section's check (a process instance's package in budget-evidence/2; null otherwise). */
export interface EngineResult {
  ok: boolean;
  reason: string | null;
  /** The engine that answered, e.g. Operaton 1.0.3. */
  engine: string | null;
  /** Why the package has no engine history (signed as such). */
  unavailable: string | null;
  activities: number;
  tasks: number;
  decisions: number;
  incidents: number;
}

export interface PackageReport {
  ok: boolean;
  platformKeyId: string | null;
  records: RecordResult[];
  engine: EngineResult | null;
  /** The first failure, in words that name where it is. */
  firstFailure: string | null;
}

export function verifyEvidencePackage(text: string): PackageReport {
  const report: PackageReport = { ok: true, platformKeyId: null, records: [], engine: null, firstFailure: null };
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
    let v =
      body.seq !== r.seq
        ? { ok: false as const, reason: '记录序号与内容不符' }
        : !belongsTo(body, pkg.subject)
          ? { ok: false as const, reason: `记录不属于证据包所述${pkg.subject.type === 'project' ? '项目' : '流程实例'}` }
          : verifyRecord(body, r.hash, keys);
    const link = skeleton.get(r.seq);
    if (v.ok && (!link || link.hash !== r.hash || link.prevHash !== body.prevHash))
      v = { ok: false, reason: '记录不在哈希链上（哈希或前一哈希与链不符）' };
    report.records.push({ seq: r.seq, kind: String(body.kind), sealed: Boolean(body.seal), ok: v.ok, reason: v.ok ? null : v.reason });
    if (!v.ok) fail(`记录 #${r.seq}（${String(body.kind)}）：${v.reason}`);
  }

  if (pkg.checkpoint) {
    const v = verifyCheckpoint(pkg.checkpoint, platform);
    const last = pkg.chain[pkg.chain.length - 1];
    if (!v.ok) fail(v.reason);
    else if (!last || last.seq !== pkg.checkpoint.checkpoint.seq || last.hash !== pkg.checkpoint.checkpoint.hash)
      fail(`检查点 #${pkg.checkpoint.checkpoint.seq} 与哈希链末端不符`);
  } else if (pkg.records.length > 0) {
    fail('证据包没有平台签署的检查点');
  }

  if (pkg.engine) {
    const e = verifyEngineSection(pkg.engine, pkg, platform);
    report.engine = e;
    if (!e.ok) fail(`引擎历史：${e.reason}`);
  }
  return report;
}

/** SM3 of the canonical engine history, hex (what the statement's historySm3 names). */
export function engineHistoryDigest(history: EngineHistory): string {
  return sm3Bytes(canonicalBytes(history)).toString('hex');
}

function verifyEngineSection(section: EngineSection, pkg: EvidencePackage, platform: PlatformKey): EngineResult {
  const h = section.history;
  const s = section.statement;
  const result: EngineResult = {
    ok: true,
    reason: null,
    engine: s.engine,
    unavailable: s.unavailable,
    activities: h?.activityInstances.length ?? 0,
    tasks: h?.tasks.length ?? 0,
    decisions: h?.decisions.length ?? 0,
    incidents: h?.incidents.length ?? 0,
  };
  const bad = (reason: string): EngineResult => ({ ...result, ok: false, reason });
  if (s.platformKeyId !== platform.keyId) return bad('声明不是由该平台密钥签发的');
  if (!sm2Verify(canonicalBytes(s), section.signature, platform.publicKey)) return bad('声明的平台签名无效（声明被修改）');
  if (s.subject.id !== pkg.subject.id) return bad(`声明所述流程实例 ${s.subject.id} 不是证据包所述的 ${pkg.subject.id}`);
  const cp = pkg.checkpoint?.checkpoint ?? null;
  if (s.checkpointSeq !== (cp?.seq ?? null) || s.checkpointHash !== (cp?.hash ?? null))
    return bad('声明所述检查点与证据包的检查点不符（引擎历史来自另一证据包）');
  if (h === null) return s.historySm3 === null && s.unavailable !== null ? result : bad('缺少引擎历史内容');
  if (s.historySm3 === null) return bad('声明没有引擎历史的摘要');
  if (engineHistoryDigest(h) !== s.historySm3) return bad('引擎历史内容与声明中的 SM3 摘要不符（内容被修改）');
  if (h.processInstance.id !== pkg.subject.id) return bad('引擎历史所述流程实例与证据包不符');
  return result;
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
