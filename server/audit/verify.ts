import type { Knex } from 'knex';
import { canonicalJson } from '../../domain/canonical-json';
import {
  verifyCheckpoint,
  verifyKeyRecord,
  verifyLink,
  verifyRecord,
  type AuditRecordBody,
  type Checkpoint,
  type KeyRecord,
  type PlatformKey,
  type Verdict,
} from '../../domain/audit-chain';
import { signedRecordOf } from '../seals/key-store';
import { toUtcIso } from '../seals/time';

/**
 * Verifies the whole chain as stored: every record's body is canonical and its columns agree with
 * it, its hash is SM3(prevHash ‖ body), it links to the record before, its seal verifies against a
 * key record the platform signed, every checkpoint is signed by the platform key and matches the
 * record at its seq, and the head row names the last record. Reports the first broken record.
 * Reads in batches of BATCH records in seq order (memory stays flat for any length).
 */
const BATCH = 1000;

export interface ChainReport {
  ok: boolean;
  records: number;
  sealed: number;
  checkpoints: number;
  lastSeq: number;
  lastHash: string | null;
  /** The first record (or checkpoint) that fails, and why. */
  firstBroken: { seq: number; id: number | null; reason: string } | null;
  verifiedAt: string;
}

interface Row {
  id: number;
  seq: number | string;
  kind: string;
  subject_type: string | null;
  subject_id: string | null;
  project_id: number | null;
  actor_user_id: number | null;
  actor: string;
  sealed: unknown;
  key_id: string | null;
  at: unknown;
  body: string;
  prev_hash: string;
  hash: string;
}

export async function verifyChain(db: Knex, platform: PlatformKey): Promise<ChainReport> {
  const keys = new Map<string, KeyRecord>();
  const keyProblems = new Map<string, string>();
  for (const row of (await db('seal_keys').select('record', 'record_signature')) as Array<{ record: string; record_signature: string }>) {
    const signed = signedRecordOf(row);
    const v = verifyKeyRecord(signed, platform);
    if (v.ok && canonicalJson(signed.record) === row.record) keys.set(signed.record.keyId, signed.record);
    else keyProblems.set(signed.record.keyId, v.ok ? '密钥记录不是规范形式（被修改）' : v.reason);
  }
  const checkpoints = (await db('audit_checkpoints').orderBy('seq').select('seq', 'hash', 'body', 'signature')) as Array<{
    seq: number | string;
    hash: string;
    body: string;
    signature: string;
  }>;
  const checkpointAt = new Map(checkpoints.map((c) => [Number(c.seq), c]));

  const report: ChainReport = {
    ok: true,
    records: 0,
    sealed: 0,
    checkpoints: checkpoints.length,
    lastSeq: 0,
    lastHash: null,
    firstBroken: null,
    verifiedAt: new Date().toISOString(),
  };
  const fail = (seq: number, id: number | null, reason: string) => {
    report.ok = false;
    report.firstBroken = { seq, id, reason };
    return report;
  };

  let prev: { seq: number; hash: string } | null = null;
  for (let afterSeq = 0; ;) {
    const rows = (await db('audit_records').where('seq', '>', afterSeq).orderBy('seq').limit(BATCH)) as Row[];
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = Number(row.seq);
      let body: AuditRecordBody;
      try {
        body = JSON.parse(row.body) as AuditRecordBody;
      } catch {
        return fail(seq, row.id, '记录内容不是有效的 JSON（被修改）');
      }
      const v = checkRow(row, body, prev, keys, keyProblems);
      if (!v.ok) return fail(seq, row.id, v.reason);
      const cp = checkpointAt.get(seq);
      if (cp && cp.hash !== row.hash) return fail(seq, row.id, `检查点 #${seq} 记下的哈希与记录不符（检查点之后记录被改写）`);
      report.records++;
      if (body.seal) report.sealed++;
      prev = { seq, hash: row.hash };
    }
    afterSeq = Number(rows[rows.length - 1]!.seq);
  }
  report.lastSeq = prev?.seq ?? 0;
  report.lastHash = prev?.hash ?? null;

  for (const c of checkpoints) {
    let checkpoint: Checkpoint;
    try {
      checkpoint = JSON.parse(c.body) as Checkpoint;
    } catch {
      return fail(Number(c.seq), null, `检查点 #${c.seq} 内容无效`);
    }
    const v = verifyCheckpoint({ checkpoint, signature: c.signature }, platform);
    if (!v.ok) return fail(Number(c.seq), null, v.reason);
    if (canonicalJson(checkpoint) !== c.body || checkpoint.seq !== Number(c.seq) || checkpoint.hash !== c.hash)
      return fail(Number(c.seq), null, `检查点 #${c.seq} 的列与其签名内容不符`);
    if (Number(c.seq) > report.lastSeq) return fail(Number(c.seq), null, `检查点 #${c.seq} 之后的记录缺失（链条被截断）`);
  }
  const head = (await db('audit_chain_head').where('id', 1).first('seq', 'hash')) as { seq: number | string; hash: string };
  if (Number(head.seq) !== report.lastSeq || (report.lastSeq > 0 && head.hash !== report.lastHash)) {
    return fail(Number(head.seq), null, `链头（#${head.seq}）与最后一条记录（#${report.lastSeq}）不符（记录被删除或链头被改）`);
  }
  return report;
}

function checkRow(
  row: Row,
  body: AuditRecordBody,
  prev: { seq: number; hash: string } | null,
  keys: Map<string, KeyRecord>,
  keyProblems: Map<string, string>,
): Verdict {
  let canonical: string;
  try {
    canonical = canonicalJson(body);
  } catch {
    return { ok: false, reason: '记录内容含有非规范的值（被修改）' };
  }
  if (canonical !== row.body) return { ok: false, reason: '记录内容不是规范形式（被修改）' };
  const columns =
    Number(row.seq) === body.seq &&
    row.kind === body.kind &&
    (row.subject_type ?? null) === body.subjectType &&
    (row.subject_id ?? null) === body.subjectId &&
    (row.project_id === null ? null : Number(row.project_id)) === body.projectId &&
    (row.actor_user_id === null ? null : Number(row.actor_user_id)) === body.actor.userId &&
    row.actor === body.actor.username &&
    Boolean(Number(row.sealed)) === (body.seal !== null) &&
    (row.key_id ?? null) === (body.seal?.keyId ?? null) &&
    toUtcIso(row.at) === body.at &&
    row.prev_hash === body.prevHash;
  if (!columns) return { ok: false, reason: '记录的列与其签名内容不符（被修改）' };
  if (!prev && body.seq !== 1) return { ok: false, reason: `#${body.seq} 之前的记录缺失（链条被截断）` };
  const link = verifyLink(prev, { seq: body.seq, prevHash: body.prevHash });
  if (!link.ok) return link;
  if (body.seal && keyProblems.has(body.seal.keyId)) return { ok: false, reason: keyProblems.get(body.seal.keyId)! };
  return verifyRecord(body, row.hash, keys);
}

export type RecordSealStatus = { status: 'verified' | 'absent' | 'broken'; reason: string | null; seq: number | null };

/**
 * The seal status of a few records (a replay's steps): each record is checked as verifyChain checks
 * it — canonical body, columns, hash, link to the record before, seal against a platform-signed key
 * record — without walking the whole chain. A record that verifies and carries a seal is
 * 'verified'; one that verifies without a seal is 'absent'; a record that fails, or is missing
 * (deleted), is 'broken' with the reason.
 */
export async function recordSealStatuses(db: Knex, platform: PlatformKey, ids: readonly number[]): Promise<Map<number, RecordSealStatus>> {
  const out = new Map<number, RecordSealStatus>();
  if (ids.length === 0) return out;
  const keys = new Map<string, KeyRecord>();
  const keyProblems = new Map<string, string>();
  for (const row of (await db('seal_keys').select('record', 'record_signature')) as Array<{ record: string; record_signature: string }>) {
    const signed = signedRecordOf(row);
    const v = verifyKeyRecord(signed, platform);
    if (v.ok && canonicalJson(signed.record) === row.record) keys.set(signed.record.keyId, signed.record);
    else keyProblems.set(signed.record.keyId, v.ok ? '密钥记录不是规范形式（被修改）' : v.reason);
  }
  const rows = (await db('audit_records').whereIn('id', [...new Set(ids)])) as Row[];
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const prevSeqs = rows.map((r) => Number(r.seq) - 1).filter((s) => s > 0);
  const prevRows = prevSeqs.length
    ? ((await db('audit_records').whereIn('seq', prevSeqs).select('seq', 'hash')) as Array<{ seq: number | string; hash: string }>)
    : [];
  const prevBySeq = new Map(prevRows.map((p) => [Number(p.seq), { seq: Number(p.seq), hash: p.hash }]));
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) {
      out.set(id, { status: 'broken', reason: `审计记录 ${id} 不存在（被删除）`, seq: null });
      continue;
    }
    const seq = Number(row.seq);
    let body: AuditRecordBody;
    try {
      body = JSON.parse(row.body) as AuditRecordBody;
    } catch {
      out.set(id, { status: 'broken', reason: '记录内容不是有效的 JSON（被修改）', seq });
      continue;
    }
    const prev = seq > 1 ? (prevBySeq.get(seq - 1) ?? null) : null;
    if (seq > 1 && !prev) {
      out.set(id, { status: 'broken', reason: `#${seq - 1} 记录缺失（链条被截断）`, seq });
      continue;
    }
    const v = checkRow(row, body, prev, keys, keyProblems);
    if (!v.ok) out.set(id, { status: 'broken', reason: v.reason, seq });
    else out.set(id, { status: body.seal ? 'verified' : 'absent', reason: null, seq });
  }
  return out;
}
