import type { Knex } from 'knex';
import { canonicalJson, type Json } from '../../domain/canonical-json';
import { recordHash, type AuditActor, type AuditRecordBody, type Seal } from '../../domain/audit-chain';
import { isMysql } from '../db';

/**
 * Appending to the audit chain (rules and verification: domain/audit-chain.ts).
 *
 * Append runs inside the caller's transaction, the one that makes the business change, so a
 * change that rolls back leaves no record and a record never exists without its change. The
 * single chain-head row is locked (SELECT … FOR UPDATE on MySQL; SQLite has one writer) for the
 * rest of that transaction: appends are serialised, seq has no gaps, and each record's prevHash is
 * the hash of the record committed before it. The price is that business writes that append
 * serialise on the head from the moment of their append to their commit; services append as
 * their last or nearly last statement to keep that window short.
 */

export interface AuditEvent {
  kind: string;
  subjectType?: string | null;
  subjectId?: string | number | null;
  projectId?: number | null;
  actor: AuditActor;
  data: Json;
  at?: Date;
}

export interface AppendedRecord {
  id: number;
  seq: number;
  hash: string;
  prevHash: string;
  body: AuditRecordBody;
}

/** The system as an actor (workers, seeds): no user id. */
export const SYSTEM_ACTOR: AuditActor = { userId: null, username: 'system' };

export async function appendAudit(trx: Knex, event: AuditEvent, sealWith?: (prevHash: string, at: Date) => Seal): Promise<AppendedRecord> {
  if (!trx.isTransaction) throw new Error('appendAudit needs the transaction of the business change');
  const headQuery = trx('audit_chain_head').where('id', 1).first('seq', 'hash');
  const head = (await (isMysql(trx) ? headQuery.forUpdate() : headQuery)) as { seq: number | string; hash: string } | undefined;
  if (!head) throw new Error('audit chain head row is missing (migration 20261123G)');
  const at = event.at ?? new Date();
  const prevHash = head.hash;
  const body: AuditRecordBody = {
    v: 1,
    seq: Number(head.seq) + 1,
    at: at.toISOString(),
    kind: event.kind,
    subjectType: event.subjectType ?? null,
    subjectId: event.subjectId === undefined || event.subjectId === null ? null : String(event.subjectId),
    projectId: event.projectId ?? null,
    actor: { userId: event.actor.userId, username: event.actor.username },
    data: event.data,
    seal: sealWith ? sealWith(prevHash, at) : null,
    prevHash,
  };
  const hash = recordHash(body);
  const [id] = await trx('audit_records').insert(rowOf(body, hash));
  await trx('audit_chain_head').where('id', 1).update({ seq: body.seq, hash });
  return { id: Number(id), seq: body.seq, hash, prevHash, body };
}

/** The stored row: body verbatim plus columns derived from it (checked against it on verify). */
export function rowOf(body: AuditRecordBody, hash: string) {
  return {
    seq: body.seq,
    kind: body.kind,
    subject_type: body.subjectType,
    subject_id: body.subjectId,
    project_id: body.projectId,
    actor_user_id: body.actor.userId,
    actor: body.actor.username,
    sealed: body.seal !== null,
    key_id: body.seal?.keyId ?? null,
    at: new Date(body.at),
    body: canonicalJson(body),
    prev_hash: body.prevHash,
    hash,
  };
}
