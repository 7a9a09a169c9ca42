import type { Knex } from 'knex';
import { maskEmail, TIE_KINDS, TIE_KIND_LABELS, type PoolExpert, type Tie, type TieKind } from '../../domain/expert-review';
import { errors } from '../errors';
import { appendAudit } from '../audit/chain';
import { readInstant } from '../db';
import { inTransaction } from '../reference/transaction';
import type { FieldKeyring } from '../../domain/field-cipher';
import { openPhone, phoneSearchIndex, sealPhone } from './contact';

/**
 * 专家库: the pool kept by 绩效处/评审中心 — experts, their specialties (支出功能分类 类) and their
 * declared ties. Lists mask contact data; the detail (for the pool's keepers) shows it. Every
 * change is an audit record (who changed the pool matters when a draw is questioned).
 *
 * Data scope: an entry belongs to the organisation that keeps it (experts.keeper_org_id, the
 * organisation of whoever entered it); the API passes the person's scope (scopeOrgIds), and an
 * entry outside it answers 404, as if it did not exist. Organisations, projects and accounts an
 * entry or a tie names must be inside the scope too.
 */

/** The organisations a person sees (server/auth/service.ts scopeOrgIds); absent: the system (seeds). */
export type OrgScope = Knex.QueryBuilder | undefined;

export interface ExpertInput {
  code: string;
  name: string;
  organisationName: string;
  orgId?: number | null;
  title: string;
  phone?: string | null;
  email?: string | null;
  available: boolean;
  specialties: string[];
  /** The account the expert scores with (user name of a user holding the expert role). */
  username?: string | null;
  note?: string | null;
}

export interface ExpertSummary {
  id: number;
  code: string;
  name: string;
  organisationName: string;
  orgId: number | null;
  title: string;
  /** Masked (138****5678). */
  phone: string | null;
  email: string | null;
  available: boolean;
  specialties: string[];
  username: string | null;
  tieCount: number;
}

export interface TieView extends Tie {
  id: number;
  kindLabel: string;
  orgName: string;
  note: string | null;
}

export interface ExpertDetail extends Omit<ExpertSummary, 'phone' | 'email'> {
  phone: string | null;
  email: string | null;
  note: string | null;
  userId: number | null;
  ties: TieView[];
  updatedAt: Date;
}

interface ExpertRow {
  id: number;
  code: string;
  name: string;
  user_id: number | null;
  organisation_name: string;
  org_id: number | null;
  title: string;
  /** SM4 (server/expert-review/contact.ts); the old plaintext column `phone` is never read. */
  phone_cipher: string | null;
  phone_mask: string | null;
  email: string | null;
  available: unknown;
  note: string | null;
  updated_at: unknown;
  username?: string | null;
}

export interface ExpertListQuery {
  keyword?: string;
  specialty?: string;
  available?: boolean;
  page: number;
  pageSize: number;
}

export async function listExperts(
  db: Knex,
  ring: FieldKeyring,
  q: ExpertListQuery,
  scope: Knex.QueryBuilder,
): Promise<{ items: ExpertSummary[]; total: number; page: number; pageSize: number }> {
  const base = db('experts as e').whereIn('e.keeper_org_id', scope);
  if (q.keyword) {
    const like = `%${q.keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // A whole phone number finds its expert through the blind index (the number itself is sealed).
    const phone = phoneSearchIndex(ring, q.keyword);
    base.where((w) => {
      w.where('e.name', 'like', like).orWhere('e.code', 'like', like).orWhere('e.organisation_name', 'like', like);
      if (phone) w.orWhere('e.phone_index', phone);
    });
  }
  if (q.specialty) base.whereExists(db('expert_specialties as s').whereRaw('s.expert_id = e.id').where('s.functional_class', q.specialty));
  if (q.available !== undefined) base.where('e.available', q.available);
  const total = Number(((await base.clone().count({ n: '*' }).first()) as { n: number | string }).n);
  const rows = (await base
    .clone()
    .leftJoin('users as u', 'u.id', 'e.user_id')
    .orderBy('e.code')
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .select('e.*', 'u.username')) as ExpertRow[];
  const ids = rows.map((r) => r.id);
  const specialties = await specialtiesOf(db, ids);
  const tieCounts = new Map(
    (
      (ids.length
        ? await db('expert_ties').whereIn('expert_id', ids).groupBy('expert_id').select('expert_id').count({ n: '*' })
        : []) as Array<{ expert_id: number; n: number | string }>
    ).map((r) => [Number(r.expert_id), Number(r.n)]),
  );
  return {
    items: rows.map((r) => ({
      id: Number(r.id),
      code: r.code,
      name: r.name,
      organisationName: r.organisation_name,
      orgId: r.org_id === null ? null : Number(r.org_id),
      title: r.title,
      phone: r.phone_mask,
      email: maskEmail(r.email),
      available: Boolean(r.available),
      specialties: specialties.get(Number(r.id)) ?? [],
      username: r.username ?? null,
      tieCount: tieCounts.get(Number(r.id)) ?? 0,
    })),
    total,
    page: q.page,
    pageSize: q.pageSize,
  };
}

async function specialtiesOf(db: Knex, ids: number[]): Promise<Map<number, string[]>> {
  const map = new Map<number, string[]>();
  if (!ids.length) return map;
  for (const r of (await db('expert_specialties').whereIn('expert_id', ids).orderBy(['expert_id', 'functional_class'])) as Array<{
    expert_id: number;
    functional_class: string;
  }>) {
    const list = map.get(Number(r.expert_id)) ?? [];
    list.push(r.functional_class);
    map.set(Number(r.expert_id), list);
  }
  return map;
}

export async function getExpert(db: Knex, ring: FieldKeyring, id: number, scope: OrgScope): Promise<ExpertDetail | undefined> {
  const q = db('experts as e').leftJoin('users as u', 'u.id', 'e.user_id').where('e.id', id);
  if (scope) q.whereIn('e.keeper_org_id', scope.clone());
  const r = (await q.first('e.*', 'u.username')) as ExpertRow | undefined;
  if (!r) return undefined;
  const ties = (await db('expert_ties as t')
    .join('organisations as o', 'o.id', 't.org_id')
    .where('t.expert_id', id)
    .orderBy('t.id')
    .select('t.*', 'o.name as org_name')) as Array<{
    id: number;
    kind: TieKind;
    org_id: number;
    org_name: string;
    relative: unknown;
    started_on: string | null;
    ended_on: string | null;
    project_id: number | null;
    note: string | null;
  }>;
  return {
    id: Number(r.id),
    code: r.code,
    name: r.name,
    organisationName: r.organisation_name,
    orgId: r.org_id === null ? null : Number(r.org_id),
    title: r.title,
    phone: openPhone(ring, r.phone_cipher),
    email: r.email,
    available: Boolean(r.available),
    specialties: (await specialtiesOf(db, [id])).get(id) ?? [],
    username: r.username ?? null,
    userId: r.user_id === null ? null : Number(r.user_id),
    note: r.note,
    tieCount: ties.length,
    updatedAt: readInstant(r.updated_at),
    ties: ties.map((t) => ({
      id: Number(t.id),
      kind: t.kind,
      kindLabel: TIE_KIND_LABELS[t.kind] ?? t.kind,
      orgId: Number(t.org_id),
      orgName: t.org_name,
      relative: Boolean(t.relative),
      startedOn: t.started_on,
      endedOn: t.ended_on,
      projectId: t.project_id === null ? null : Number(t.project_id),
      note: t.note,
    })),
  };
}

const notFound = (id: number) => errors.notFound(`专家 #${id} 不存在`);

async function accountOf(trx: Knex, username: string | null | undefined, expertId: number | null, scope: OrgScope): Promise<number | null> {
  if (!username) return null;
  const q = trx('users as u')
    .leftJoin('user_roles as r', function () {
      this.on('r.user_id', 'u.id').andOnVal('r.role', 'expert');
    })
    .where('u.username', username);
  if (scope) q.whereIn('u.org_id', scope.clone());
  const u = (await q.first('u.id', 'r.role')) as { id: number; role: string | null } | undefined;
  if (!u) throw errors.badRequest('EXPERT_ACCOUNT_UNKNOWN', `登录账号 ${username} 不存在`, [{ field: 'username', message: '账号不存在' }]);
  if (u.role !== 'expert')
    throw errors.badRequest('EXPERT_ACCOUNT_NOT_EXPERT', `账号 ${username} 没有“专家”角色，请先由安全管理员分配`, [
      { field: 'username', message: '该账号不是专家' },
    ]);
  const other = (await trx('experts').where('user_id', u.id).first('id', 'code')) as { id: number; code: string } | undefined;
  if (other && Number(other.id) !== expertId) throw errors.conflict('EXPERT_ACCOUNT_TAKEN', `账号 ${username} 已关联专家 ${other.code}`);
  return Number(u.id);
}

async function checkOrg(trx: Knex, orgId: number | null | undefined, field: string, scope: OrgScope): Promise<void> {
  if (orgId === null || orgId === undefined) return;
  const q = trx('organisations').where('id', orgId);
  if (scope) q.whereIn('id', scope.clone());
  if (!(await q.first('id')))
    throw errors.badRequest('UNKNOWN_ORGANISATION', `组织机构 #${orgId} 不存在或不在您的数据范围内`, [
      { field, message: '机构不存在或不在您的数据范围内' },
    ]);
}

/** The entry, when it exists inside the scope; else 404. */
async function expertWithin(trx: Knex, id: number, scope: OrgScope): Promise<void> {
  const q = trx('experts').where('id', id);
  if (scope) q.whereIn('keeper_org_id', scope.clone());
  if (!(await q.first('id'))) throw notFound(id);
}

type Actor = { userId: number | null; username: string };

/**
 * Creates or (with `id`) replaces an expert's record and specialties, in the caller's transaction or
 * a new one. `keeperOrgId`: who keeps a new entry (the creator's organisation); `scope`: the
 * entries, organisations and accounts the person may name (absent for the system's seeds).
 */
export async function saveExpert(
  db: Knex,
  ring: FieldKeyring,
  actor: Actor,
  input: ExpertInput,
  id: number | undefined,
  where: { scope: OrgScope; keeperOrgId: number | null },
): Promise<number> {
  return inTransaction(db, async (trx) => {
    if (id !== undefined) await expertWithin(trx, id, where.scope);
    await checkOrg(trx, input.orgId, 'orgId', where.scope);
    const now = new Date();
    const clash = (await trx('experts').where('code', input.code).first('id')) as { id: number } | undefined;
    if (clash && Number(clash.id) !== id) throw errors.conflict('EXPERT_CODE_TAKEN', `专家编号 ${input.code} 已被使用`);
    const userId = await accountOf(trx, input.username, id ?? null, where.scope);
    const row = {
      code: input.code,
      name: input.name,
      organisation_name: input.organisationName,
      org_id: input.orgId ?? null,
      title: input.title,
      ...sealPhone(ring, input.phone),
      phone: null,
      email: input.email ?? null,
      available: input.available,
      note: input.note ?? null,
      user_id: userId,
      updated_at: now,
    };
    let expertId: number;
    if (id === undefined) {
      const [raw] = await trx('experts').insert({ ...row, keeper_org_id: where.keeperOrgId, created_at: now });
      expertId = Number(raw);
    } else {
      const n = await trx('experts').where('id', id).update(row);
      if (n !== 1) throw notFound(id);
      expertId = id;
      await trx('expert_specialties').where('expert_id', id).delete();
    }
    const specialties = [...new Set(input.specialties)];
    if (specialties.length) await trx('expert_specialties').insert(specialties.map((s) => ({ expert_id: expertId, functional_class: s })));
    await appendAudit(trx, {
      kind: id === undefined ? 'expert.created' : 'expert.updated',
      subjectType: 'expert',
      subjectId: expertId,
      actor,
      data: { code: input.code, name: input.name, available: input.available, specialties, userId },
    });
    return expertId;
  });
}

export interface TieInput {
  kind: TieKind;
  orgId: number;
  relative: boolean;
  startedOn?: string | null;
  endedOn?: string | null;
  projectId?: number | null;
  note?: string | null;
}

export async function addTie(db: Knex, actor: Actor, expertId: number, tie: TieInput, scope: OrgScope): Promise<number> {
  return inTransaction(db, async (trx) => {
    await expertWithin(trx, expertId, scope);
    await checkOrg(trx, tie.orgId, 'orgId', scope);
    if (tie.projectId) {
      const q = trx('projects').where('id', tie.projectId);
      if (scope) q.whereIn('unit_org_id', scope.clone());
      if (!(await q.first('id')))
        throw errors.badRequest('UNKNOWN_PROJECT', `项目 #${tie.projectId} 不存在或不在您的数据范围内`, [
          { field: 'projectId', message: '项目不存在或不在您的数据范围内' },
        ]);
    }
    if (tie.startedOn && tie.endedOn && tie.endedOn < tie.startedOn)
      throw errors.badRequest('TIE_DATES', '结束日期不能早于开始日期', [{ field: 'endedOn', message: '不能早于开始日期' }]);
    const [raw] = await trx('expert_ties').insert({
      expert_id: expertId,
      kind: tie.kind,
      org_id: tie.orgId,
      relative: tie.relative,
      started_on: tie.startedOn ?? null,
      ended_on: tie.endedOn ?? null,
      project_id: tie.projectId ?? null,
      note: tie.note ?? null,
      created_at: new Date(),
    });
    await appendAudit(trx, {
      kind: 'expert.tie_declared',
      subjectType: 'expert',
      subjectId: expertId,
      actor,
      data: {
        tieId: Number(raw),
        kind: tie.kind,
        orgId: tie.orgId,
        relative: tie.relative,
        startedOn: tie.startedOn ?? null,
        endedOn: tie.endedOn ?? null,
        projectId: tie.projectId ?? null,
      },
    });
    return Number(raw);
  });
}

export async function removeTie(db: Knex, actor: Actor, expertId: number, tieId: number, scope: OrgScope): Promise<void> {
  await inTransaction(db, async (trx) => {
    await expertWithin(trx, expertId, scope);
    const n = await trx('expert_ties').where({ id: tieId, expert_id: expertId }).delete();
    if (n !== 1) throw errors.notFound(`回避关系 #${tieId} 不存在`);
    await appendAudit(trx, { kind: 'expert.tie_removed', subjectType: 'expert', subjectId: expertId, actor, data: { tieId } });
  });
}

/** The pool as the draw reads it: experts of the given specialties, with their ties. */
export async function loadPool(db: Knex, specialties: readonly string[]): Promise<PoolExpert[]> {
  if (!specialties.length) return [];
  const rows = (await db('experts as e')
    .whereExists(
      db('expert_specialties as s')
        .whereRaw('s.expert_id = e.id')
        .whereIn('s.functional_class', [...specialties]),
    )
    .select('e.id', 'e.user_id', 'e.available', 'e.org_id')) as Array<{
    id: number;
    user_id: number | null;
    available: unknown;
    org_id: number | null;
  }>;
  const ids = rows.map((r) => Number(r.id));
  const specs = new Map<number, string[]>();
  const ties = new Map<number, Tie[]>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    for (const s of (await db('expert_specialties').whereIn('expert_id', chunk)) as Array<{
      expert_id: number;
      functional_class: string;
    }>) {
      const list = specs.get(Number(s.expert_id)) ?? [];
      list.push(s.functional_class);
      specs.set(Number(s.expert_id), list);
    }
    for (const t of (await db('expert_ties').whereIn('expert_id', chunk)) as Array<{
      expert_id: number;
      kind: TieKind;
      org_id: number;
      relative: unknown;
      started_on: string | null;
      ended_on: string | null;
      project_id: number | null;
    }>) {
      const list = ties.get(Number(t.expert_id)) ?? [];
      list.push({
        kind: t.kind,
        orgId: Number(t.org_id),
        relative: Boolean(t.relative),
        startedOn: t.started_on,
        endedOn: t.ended_on,
        projectId: t.project_id === null ? null : Number(t.project_id),
      });
      ties.set(Number(t.expert_id), list);
    }
  }
  return rows.map((r) => ({
    id: Number(r.id),
    userId: r.user_id === null ? null : Number(r.user_id),
    available: Boolean(r.available),
    orgId: r.org_id === null ? null : Number(r.org_id),
    specialties: specs.get(Number(r.id)) ?? [],
    ties: ties.get(Number(r.id)) ?? [],
  }));
}

export { TIE_KINDS };
