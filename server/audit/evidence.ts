import type { Knex } from 'knex';
import { canonicalJson } from '../../domain/canonical-json';
import { EVIDENCE_FORMAT, processInstanceOf, type EvidencePackage } from '../../domain/evidence';
import { keyRecordsByIds } from '../seals/key-store';
import type { PlatformSigner } from '../seals/platform-key';
import { createCheckpoint, viewOf, type AuditRecordView } from './service';

/**
 * Builds a project's evidence package (domain/evidence.ts): its audit records (timeline events,
 * quota journal entries and seals of its quotas), signed as of a checkpoint taken now.
 */
export async function projectEvidence(db: Knex, platform: PlatformSigner, project: { id: number }): Promise<EvidencePackage> {
  return buildPackage(db, platform, { type: 'project', id: String(project.id) }, (upTo) => projectRows(db, project.id, upTo));
}

/**
 * A process instance's package: the records of its project that belong to the instance — the
 * timeline events of its tasks (created, completed and sealed) and of the status changes its
 * workers made (domain/evidence.ts processInstanceOf, the rule the verifier checks too).
 */
export async function processEvidence(db: Knex, platform: PlatformSigner, instance: { processInstanceKey: string; projectId: number }): Promise<EvidencePackage> {
  return buildPackage(db, platform, { type: 'process', id: instance.processInstanceKey }, async (upTo) =>
    (await projectRows(db, instance.projectId, upTo)).filter((r) => processInstanceOf(r.body) === instance.processInstanceKey),
  );
}

async function projectRows(db: Knex, projectId: number, upTo: number): Promise<AuditRecordView[]> {
  const rows = (await db('audit_records').where('project_id', projectId).where('seq', '<=', upTo).orderBy('seq').select('id', 'seq', 'hash', 'body')) as Array<{ id: number; seq: number; hash: string; body: string }>;
  return rows.map(viewOf);
}

async function buildPackage(db: Knex, platform: PlatformSigner, subject: EvidencePackage['subject'], recordsUpTo: (seq: number) => Promise<AuditRecordView[]>): Promise<EvidencePackage> {
  const checkpoint = await createCheckpoint(db, platform);
  const upTo = checkpoint?.checkpoint.seq ?? 0;
  const records = (await recordsUpTo(upTo)).map((r) => ({ seq: r.seq, hash: r.hash, body: r.body }));
  const from = records[0]?.seq ?? upTo;
  const chain = ((await db('audit_records').whereBetween('seq', [from, upTo]).orderBy('seq').select('seq', 'prev_hash', 'hash')) as Array<{ seq: number; prev_hash: string; hash: string }>).map((c) => ({ seq: Number(c.seq), prevHash: c.prev_hash, hash: c.hash }));
  const keyIds = records.flatMap((r) => (r.body.seal ? [r.body.seal.keyId] : []));
  return {
    format: EVIDENCE_FORMAT,
    subject,
    platformKey: { keyId: platform.keyId, publicKey: platform.publicKey },
    keys: await keyRecordsByIds(db, keyIds),
    records,
    chain: records.length ? chain : [],
    checkpoint: records.length ? checkpoint : null,
  };
}

export function packageText(p: EvidencePackage): string {
  return canonicalJson(p);
}
