import type { Knex } from 'knex';
import { canonicalJson } from '../../domain/canonical-json';
import { EVIDENCE_FORMAT, type EvidencePackage } from '../../domain/evidence';
import { keyRecordsByIds } from '../seals/key-store';
import type { PlatformSigner } from '../seals/platform-key';
import { createCheckpoint, viewOf } from './service';

/**
 * Builds a project's evidence package (domain/evidence.ts): its audit records (timeline events,
 * quota journal entries and seals of its quotas), signed as of a checkpoint taken now.
 */
export async function projectEvidence(db: Knex, platform: PlatformSigner, project: { id: number }): Promise<EvidencePackage> {
  const checkpoint = await createCheckpoint(db, platform);
  const upTo = checkpoint?.checkpoint.seq ?? 0;
  const rows = (await db('audit_records').where('project_id', project.id).where('seq', '<=', upTo).orderBy('seq').select('id', 'seq', 'hash', 'body')) as Array<{ id: number; seq: number; hash: string; body: string }>;
  const records = rows.map(viewOf).map((r) => ({ seq: r.seq, hash: r.hash, body: r.body }));
  const from = records[0]?.seq ?? upTo;
  const chain = ((await db('audit_records').whereBetween('seq', [from, upTo]).orderBy('seq').select('seq', 'prev_hash', 'hash')) as Array<{ seq: number; prev_hash: string; hash: string }>).map((c) => ({ seq: Number(c.seq), prevHash: c.prev_hash, hash: c.hash }));
  const keyIds = records.flatMap((r) => (r.body.seal ? [r.body.seal.keyId] : []));
  return {
    format: EVIDENCE_FORMAT,
    subject: { type: 'project', id: String(project.id) },
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
