import type { Knex } from 'knex';
import type { AuditRecordBody, Checkpoint, SignedCheckpoint } from '../../domain/audit-chain';
import { canonicalJson } from '../../domain/canonical-json';
import { readInstant } from '../db';
import { platformSign, type PlatformSigner } from '../seals/platform-key';

/**
 * Reading the audit chain and signing checkpoints. A checkpoint is the head (seq, hash) signed by
 * the platform key: whoever rewrites the chain after it (recomputing every hash) cannot forge it.
 * The running system (server/system.ts) asks checkpointIfDue every minute: one is signed after
 * CHECKPOINT_EVERY new records, or once CHECKPOINT_MAX_AGE_MINUTES have passed since the last with
 * anything new; compliance staff can ask for one at any time (POST /api/audit/checkpoints).
 */
export const CHECKPOINT_EVERY = 1000;
export const CHECKPOINT_MAX_AGE_MINUTES = 60;

export async function createCheckpoint(db: Knex, platform: PlatformSigner, now = new Date()): Promise<SignedCheckpoint | null> {
  const head = (await db('audit_chain_head').where('id', 1).first('seq', 'hash')) as { seq: number | string; hash: string };
  const seq = Number(head.seq);
  if (seq === 0) return null;
  const existing = (await db('audit_checkpoints').where('seq', seq).first('body', 'signature')) as
    { body: string; signature: string } | undefined;
  if (existing) return { checkpoint: JSON.parse(existing.body) as Checkpoint, signature: existing.signature };
  const checkpoint: Checkpoint = { v: 1, seq, hash: head.hash, at: now.toISOString(), platformKeyId: platform.keyId };
  const signature = platformSign(platform, checkpoint);
  try {
    await db('audit_checkpoints').insert({ seq, hash: head.hash, body: canonicalJson(checkpoint), signature, created_at: now });
  } catch {
    // a concurrent call signed the same head
  }
  return { checkpoint, signature };
}

/** Signs a checkpoint when CHECKPOINT_EVERY records are unsigned, or any are and the last checkpoint is an hour old. */
export async function checkpointIfDue(db: Knex, platform: PlatformSigner, now = new Date()): Promise<SignedCheckpoint | null> {
  const head = (await db('audit_chain_head').where('id', 1).first('seq')) as { seq: number | string };
  const last = (await db('audit_checkpoints').orderBy('seq', 'desc').first('seq', 'created_at')) as
    { seq: number | string; created_at: unknown } | undefined;
  const unsigned = Number(head.seq) - Number(last?.seq ?? 0);
  if (unsigned <= 0) return null;
  const age = last ? now.getTime() - readInstant(last.created_at).getTime() : Infinity;
  if (unsigned < CHECKPOINT_EVERY && age < CHECKPOINT_MAX_AGE_MINUTES * 60_000) return null;
  return createCheckpoint(db, platform, now);
}

export interface AuditRecordView {
  id: number;
  seq: number;
  hash: string;
  body: AuditRecordBody;
}

export interface AuditFilter {
  subjectType?: string;
  subjectId?: string;
  projectId?: number;
  /** The project number people know (XM2026-…), instead of the internal id. */
  projectNo?: string;
  kind?: string;
  /** Every kind under a prefix: 'auth.' (登录与退出), 'seal.' (签章密钥与签章) … */
  kindPrefix?: string;
  sealed?: boolean;
  page: number;
  pageSize: number;
  order: 'asc' | 'desc';
}

/** A record as the compliance page lists it: with the actor's name and the project's number. */
export interface AuditRecordListItem extends AuditRecordView {
  /** The person's display name (as the users table has it now); 系统自动 for the system. */
  actorName: string;
  projectNo: string | null;
}

/**
 * Limits audit records to a reader's data scope (`orgIds`: the organisations they may see, auth
 * scopeOrgIds). A record is its project's (the project's unit); without a project, its subject's —
 * a quota's owner (its unit, else the issuing organisation), a user's organisation; with neither
 * project nor subject (a failed login under an unknown name), it belongs to no organisation and
 * every audit reader sees it. Any other record without a project is its actor's organisation's.
 */
export function auditScope(db: Knex, q: Knex.QueryBuilder, orgIds: Knex.QueryBuilder): void {
  const orgs = () => orgIds.clone();
  q.where((w) => {
    w.whereIn('project_id', db('projects').select('id').whereIn('unit_org_id', orgs()))
      .orWhere((x) =>
        x
          .whereNull('project_id')
          .where('subject_type', 'quota')
          .whereIn(
            'subject_id',
            db('quotas')
              .select('id')
              .where((o) => o.whereIn('unit_org_id', orgs()).orWhere((u) => u.whereNull('unit_org_id').whereIn('issuer_org_id', orgs()))),
          ),
      )
      .orWhere((x) =>
        x.whereNull('project_id').where('subject_type', 'user').whereIn('subject_id', db('users').select('id').whereIn('org_id', orgs())),
      )
      .orWhere((x) => x.whereNull('project_id').whereNull('subject_id').whereNull('actor_user_id'))
      .orWhere((x) =>
        x
          .whereNull('project_id')
          .where((t) => t.whereNull('subject_type').orWhereNotIn('subject_type', ['quota', 'user']))
          .whereIn('actor_user_id', db('users').select('id').whereIn('org_id', orgs())),
      );
  });
}

export async function listAuditRecords(
  db: Knex,
  f: AuditFilter,
  scope?: Knex.QueryBuilder,
): Promise<{ items: AuditRecordListItem[]; total: number; page: number; pageSize: number }> {
  const q = db('audit_records');
  if (scope) auditScope(db, q, scope);
  if (f.subjectType) q.where('subject_type', f.subjectType);
  if (f.subjectId) q.where('subject_id', f.subjectId);
  if (f.projectId) q.where('project_id', f.projectId);
  if (f.projectNo) q.whereIn('project_id', db('projects').where('project_no', f.projectNo).select('id'));
  if (f.kind) q.where('kind', f.kind);
  // ESCAPE spelled out: SQLite has no default escape character.
  if (f.kindPrefix) q.whereRaw('kind like ? escape ?', [`${f.kindPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, '\\']);
  if (f.sealed !== undefined) q.where('sealed', f.sealed);
  const total = Number(((await q.clone().count('* as n').first()) as { n: number | string }).n);
  const rows = (await q
    .orderBy('seq', f.order)
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize)
    .select('id', 'seq', 'hash', 'body')) as Array<{ id: number; seq: number | string; hash: string; body: string }>;
  const views = rows.map(viewOf);
  const userIds = [...new Set(views.map((v) => v.body.actor.userId).filter((id): id is number => typeof id === 'number'))];
  const projectIds = [...new Set(views.map((v) => v.body.projectId).filter((id): id is number => typeof id === 'number'))];
  const names = new Map(
    userIds.length
      ? ((await db('users').whereIn('id', userIds).select('id', 'display_name')) as Array<{ id: number; display_name: string }>).map(
          (u) => [Number(u.id), u.display_name],
        )
      : [],
  );
  const numbers = new Map(
    projectIds.length
      ? ((await db('projects').whereIn('id', projectIds).select('id', 'project_no')) as Array<{ id: number; project_no: string }>).map(
          (p) => [Number(p.id), p.project_no],
        )
      : [],
  );
  const items = views.map((v) => ({
    ...v,
    actorName:
      v.body.actor.userId === null || v.body.actor.userId === undefined
        ? '系统自动'
        : (names.get(v.body.actor.userId) ?? v.body.actor.username),
    projectNo: typeof v.body.projectId === 'number' ? (numbers.get(v.body.projectId) ?? null) : null,
  }));
  return { items, total, page: f.page, pageSize: f.pageSize };
}

export function viewOf(r: { id: number; seq: number | string; hash: string; body: string }): AuditRecordView {
  return { id: Number(r.id), seq: Number(r.seq), hash: r.hash, body: JSON.parse(r.body) as AuditRecordBody };
}
