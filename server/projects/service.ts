import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Json } from '../../domain/canonical-json';
import { appendAudit, type AppendedRecord } from '../audit/chain';
import type { Seal } from '../../domain/audit-chain';
import { sm3Hex } from '../../domain/digest';
import { bandLabel } from '../../domain/expert-review';
import { fen, type Fen } from '../../domain/money';
import {
  canTransition,
  CATEGORY_LABELS,
  isEditable,
  likelyDuplicates,
  PRIVATE_STATUSES,
  smartProblems,
  STATUS_LABELS,
  SUB_TYPE_LABELS,
  type Direction,
  type DuplicateMatch,
  type PerformanceTarget,
  type ProjectCategory,
  type ProjectStatus,
  type ProjectSubType,
} from '../../domain/projects';
import { AppError, errors, type FieldIssue } from '../errors';
import { forUpdate, readInstant } from '../db';
import { inTransaction } from '../reference/transaction';
import { PROJECT_SORTS, type NewProject, type ProjectEdit, type ProjectListQuery } from './schemas';

/** Who reads a list: the WHERE clause of what they may see (./visibility.ts) and their organisation. */
export interface ProjectViewer {
  where: (q: Knex.QueryBuilder) => void;
  orgId: number;
}

/**
 * The project library on the database (rules: domain/projects.ts, input: ./schemas.ts).
 *
 * Every function takes a knex instance or a transaction from the caller, so an import of many
 * rows, or a process step that changes a status and writes elsewhere, commits as one. Every change
 * writes a timeline event in the same transaction. Data scope is the caller's business (the API
 * checks the unit against the person's scope before calling in).
 */

export interface Actor {
  /** null for the system (workers, seeds). */
  userId: number | null;
  username: string;
  displayName: string;
}

export type AmountLine = { economicCode: string; amountFen: Fen; note: string | null; economicName?: string };

export interface ProjectSummary {
  id: number;
  projectNo: string;
  fiscalYear: number;
  name: string;
  unitOrgId: number;
  unitName: string;
  category: ProjectCategory;
  categoryLabel: string;
  subType: ProjectSubType | null;
  subTypeLabel: string | null;
  functionalCode: string;
  totalAmountFen: Fen;
  status: ProjectStatus;
  statusLabel: string;
  /** For a returned (已退回) project, the status it was sent back from: where 申报进度 stopped. */
  returnedFrom: ProjectStatus | null;
  duplicateCount: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Attachment {
  id: number;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sm3: string;
  uploadedBy: string;
  uploadedAt: Date;
}

export interface DuplicateFlag {
  projectId: number;
  projectNo: string;
  name: string;
  status: ProjectStatus;
  basis: Array<'name' | 'content'>;
  nameSimilarity: number;
  contentSimilarity: number;
  detectedAt: Date;
}

export interface ProjectDetail extends ProjectSummary {
  description: string;
  basis: string | null;
  startDate: string | null;
  endDate: string | null;
  functionalName: string | null;
  amounts: AmountLine[];
  targets: PerformanceTarget[];
  attachments: Attachment[];
  duplicates: DuplicateFlag[];
  /** What the intake's SMART check would refuse; empty when the targets pass. */
  smartProblems: string[];
  /**
   * The confirmed expert review (专家评审): score in points (two decimals) and band
   * (support / adjust / reject, domain/expert-review.ts BAND_LABELS); null before one.
   */
  expertReview: { score: number | null; band: string | null; bandLabel: string; batchId: number; scoredAt: Date } | null;
}

export interface ProjectEvent {
  id: number;
  kind: string;
  fromStatus: ProjectStatus | null;
  toStatus: ProjectStatus | null;
  actor: string;
  actorName: string;
  note: string | null;
  data: unknown;
  createdAt: Date;
  /** The audit record this event was written with (null for events older than the chain). */
  auditRecordId: number | null;
  sealed: boolean;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Organisation kinds that file projects: budget units, and departments for their own projects. */
const APPLICANT_KINDS = ['budget_unit', 'department'];
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Writing

export async function createProject(
  db: Knex,
  actor: Actor,
  input: NewProject & { unitOrgId: number },
  options: { event?: { kind: string; note?: string } } = {},
): Promise<ProjectDetail> {
  return inTransaction(db, async (trx) => {
    // The unit's row is locked first: a unit's applications are compared with each other (duplicate
    // flags), so two filed at once are serialised here rather than deadlocking later on the flags.
    const unit = (await lockUnit(trx, trx('organisations').where('id', input.unitOrgId).first('id', 'kind', 'name'))) as
      { id: number; kind: string; name: string } | undefined;
    if (!unit) throw errors.notFound(`组织机构 #${input.unitOrgId} 不存在`);
    if (!APPLICANT_KINDS.includes(unit.kind))
      throw errors.badRequest('NOT_AN_APPLICANT', `${unit.name} 不是预算单位或主管部门，不能申报项目`, [
        { field: 'unitOrgId', message: '应为预算单位或主管部门' },
      ]);
    await assertCodesExist(trx, input.fiscalYear, input.functionalCode, input.amounts);

    const now = new Date();
    const [rawId] = await trx('projects').insert({
      project_no: `pending-${crypto.randomUUID().slice(0, 22)}`, // replaced below, once the id is known
      fiscal_year: input.fiscalYear,
      name: input.name,
      unit_org_id: input.unitOrgId,
      category: input.category,
      sub_type: input.subType,
      functional_code: input.functionalCode,
      description: input.description,
      basis: input.basis,
      start_date: input.startDate,
      end_date: input.endDate,
      total_amount_fen: totalOf(input.amounts),
      status: 'draft',
      created_by: actor.userId,
      version: 1,
      created_at: now,
      updated_at: now,
    });
    const id = Number(rawId);
    await trx('projects')
      .where('id', id)
      .update({ project_no: projectNo(input.fiscalYear, id) });
    await writeLines(trx, id, input);
    await writeProjectEvent(trx, id, actor, {
      kind: options.event?.kind ?? 'created',
      toStatus: 'draft',
      note: options.event?.note ?? null,
      data: { name: input.name, totalAmountFen: totalOf(input.amounts) },
    });
    await detectDuplicates(trx, id, actor);
    return (await getProject(trx, id))!;
  });
}

/**
 * Replaces the editable fields of a draft or returned application. `version` must be the one the
 * editor read: a concurrent edit answers 409 instead of silently overwriting.
 */
export async function updateProject(db: Knex, actor: Actor, id: number, edit: ProjectEdit): Promise<ProjectDetail> {
  return inTransaction(db, async (trx) => {
    const unitId = await unitOfProject(trx, id);
    if (unitId !== undefined) await lockUnit(trx, trx('organisations').where('id', unitId).first('id'));
    const before = await getProject(trx, id);
    if (!before) throw projectNotFound(id);
    if (!isEditable(before.status))
      throw errors.conflict('PROJECT_NOT_EDITABLE', `项目当前状态为「${before.statusLabel}」，只有草稿或已退回的项目可以修改`);
    await assertCodesExist(trx, before.fiscalYear, edit.functionalCode, edit.amounts);
    const changed = await trx('projects')
      .where({ id, version: edit.version })
      .whereIn('status', ['draft', 'returned'])
      .update({
        name: edit.name,
        category: edit.category,
        sub_type: edit.subType,
        functional_code: edit.functionalCode,
        description: edit.description,
        basis: edit.basis,
        start_date: edit.startDate,
        end_date: edit.endDate,
        total_amount_fen: totalOf(edit.amounts),
        version: trx.raw('version + 1'),
        updated_at: new Date(),
      });
    if (changed !== 1) throw versionConflict();
    await trx('project_amounts').where('project_id', id).delete();
    await trx('project_targets').where('project_id', id).delete();
    await writeLines(trx, id, edit);
    await writeProjectEvent(trx, id, actor, { kind: 'updated', data: { changed: changedFields(before, edit) } });
    await detectDuplicates(trx, id, actor);
    return (await getProject(trx, id))!;
  });
}

/** 作废: possible before funding; the record and its timeline stay. */
export async function voidProject(db: Knex, actor: Actor, id: number, input: { reason: string; version: number }): Promise<ProjectDetail> {
  await changeStatus(db, actor, id, 'void', { note: input.reason, version: input.version, kind: 'voided' });
  return (await getProject(db, id))!;
}

/**
 * Moves a project along its lifecycle (domain/projects.ts canTransition). Process steps call this
 * from workers; `version`, when given, makes a person's action refuse a project that changed
 * under them.
 */
export async function changeStatus(
  db: Knex,
  actor: Actor,
  id: number,
  to: ProjectStatus,
  options: { note?: string; version?: number; kind?: string; data?: unknown } = {},
): Promise<StatusChange> {
  return inTransaction(db, async (trx) => {
    const row = (await trx('projects').where('id', id).first('status', 'version', 'name', 'project_no', 'unit_org_id')) as
      { status: ProjectStatus; version: number; name: string; project_no: string; unit_org_id: number } | undefined;
    if (!row) throw projectNotFound(id);
    if (options.version !== undefined && row.version !== options.version) throw versionConflict();
    if (!canTransition(row.status, to)) {
      throw errors.conflict('INVALID_STATUS_CHANGE', `项目当前状态为「${STATUS_LABELS[row.status]}」，不能变为「${STATUS_LABELS[to]}」`);
    }
    const changed = await trx('projects')
      .where({ id, status: row.status, version: row.version })
      .update({
        status: to,
        returned_from: to === 'returned' ? row.status : null,
        version: trx.raw('version + 1'),
        updated_at: new Date(),
      });
    if (changed !== 1) throw versionConflict();
    await writeProjectEvent(trx, id, actor, {
      kind: options.kind ?? 'status_changed',
      fromStatus: row.status,
      toStatus: to,
      note: options.note ?? null,
      data: options.data,
    });
    // Nothing more is read here: the audit chain's head stays locked until this transaction ends
    // (see writeProjectEvent), so a caller that shows the project reads it after the commit.
    return {
      id,
      projectNo: row.project_no,
      name: row.name,
      unitOrgId: Number(row.unit_org_id),
      fromStatus: row.status,
      status: to,
      version: Number(row.version) + 1,
    };
  });
}

/** What a status change did (changeStatus), without the project's whole detail. */
export interface StatusChange {
  id: number;
  projectNo: string;
  name: string;
  unitOrgId: number;
  fromStatus: ProjectStatus;
  status: ProjectStatus;
  version: number;
}

/** Stores the file under its SM3 digest (once, however often attached) and lists it on the project. */
export async function addAttachment(
  db: Knex,
  actor: Actor,
  projectId: number,
  file: { fileName: string; contentType: string; bytes: Buffer },
): Promise<Attachment> {
  if (file.bytes.length === 0) throw errors.badRequest('EMPTY_FILE', '附件内容为空');
  if (file.bytes.length > MAX_ATTACHMENT_BYTES)
    throw new AppError(413, 'ATTACHMENT_TOO_LARGE', `附件不能超过 ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`);
  const digest = sm3Hex(file.bytes);
  return inTransaction(db, async (trx) => {
    const project = (await trx('projects').where('id', projectId).first('status')) as { status: ProjectStatus } | undefined;
    if (!project) throw projectNotFound(projectId);
    if (!isEditable(project.status))
      throw errors.conflict('PROJECT_NOT_EDITABLE', `项目当前状态为「${STATUS_LABELS[project.status]}」，不能再添加附件`);
    const now = new Date();
    if (!(await trx('attachment_blobs').where('sm3', digest).first('sm3'))) {
      // Another upload of the same bytes may race us: the primary key lets one win, and both
      // then point at identical content.
      await trx('attachment_blobs')
        .insert({ sm3: digest, size_bytes: file.bytes.length, content: file.bytes, created_at: now })
        .onConflict('sm3')
        .ignore();
    }
    const [rawId] = await trx('project_attachments').insert({
      project_id: projectId,
      file_name: file.fileName,
      content_type: file.contentType,
      size_bytes: file.bytes.length,
      sm3: digest,
      uploaded_by: actor.username,
      uploaded_at: now,
    });
    await writeProjectEvent(trx, projectId, actor, {
      kind: 'attachment_added',
      data: { attachmentId: Number(rawId), fileName: file.fileName, sizeBytes: file.bytes.length, sm3: digest },
    });
    return {
      id: Number(rawId),
      fileName: file.fileName,
      contentType: file.contentType,
      sizeBytes: file.bytes.length,
      sm3: digest,
      uploadedBy: actor.username,
      uploadedAt: now,
    };
  });
}

export async function removeAttachment(db: Knex, actor: Actor, projectId: number, attachmentId: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const project = (await trx('projects').where('id', projectId).first('status')) as { status: ProjectStatus } | undefined;
    if (!project) throw projectNotFound(projectId);
    if (!isEditable(project.status))
      throw errors.conflict('PROJECT_NOT_EDITABLE', `项目当前状态为「${STATUS_LABELS[project.status]}」，不能删除附件`);
    const att = (await trx('project_attachments')
      .where({ id: attachmentId, project_id: projectId })
      .whereNull('removed_at')
      .first('file_name', 'sm3')) as { file_name: string; sm3: string } | undefined;
    if (!att) throw errors.notFound(`附件 #${attachmentId} 不存在`);
    await trx('project_attachments').where({ id: attachmentId }).update({ removed_at: new Date(), removed_by: actor.username });
    await writeProjectEvent(trx, projectId, actor, {
      kind: 'attachment_removed',
      data: { attachmentId, fileName: att.file_name, sm3: att.sm3 },
    });
  });
}

/**
 * The attachment's bytes, checked against the digest recorded at upload: content altered behind
 * the application is refused, never served as if it were the original.
 */
export async function readAttachment(
  db: Knex,
  projectId: number,
  attachmentId: number,
): Promise<{ attachment: Attachment; bytes: Buffer }> {
  const row = (await db('project_attachments as a')
    .join('attachment_blobs as b', 'b.sm3', 'a.sm3')
    .where({ 'a.id': attachmentId, 'a.project_id': projectId })
    .whereNull('a.removed_at')
    .first('a.*', 'b.content')) as (AttachmentRow & { content: Buffer | Uint8Array }) | undefined;
  if (!row) throw errors.notFound(`附件 #${attachmentId} 不存在`);
  const bytes = Buffer.from(row.content);
  if (sm3Hex(bytes) !== row.sm3)
    throw new AppError(500, 'ATTACHMENT_CORRUPTED', `附件「${row.file_name}」内容与登记的 SM3 摘要不符，已拒绝提供，请联系管理员核查`);
  return { attachment: attachmentFromRow(row), bytes };
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * viewerOrgId: the organisation of the person who reads it; likely duplicates that are still drafts
 * are left out for anyone outside the project's unit (drafts are private, ./visibility.ts).
 * Without it (processes, workers, the unit's own writes): every flag.
 */
export async function getProject(db: Knex, id: number, viewerOrgId?: number): Promise<ProjectDetail | undefined> {
  const row = (await baseQuery(db, viewerOrgId).where('p.id', id).first()) as ProjectRow | undefined;
  if (!row) return undefined;
  const [amounts, targets, attachments, duplicates, functional] = await Promise.all([
    db('project_amounts as a')
      .leftJoin('economic_codes as e', (j) =>
        j
          .on('e.code', 'a.economic_code')
          .andOn('e.fiscal_year', db.raw('?', [row.fiscal_year]))
          .andOn('e.kind', db.raw('?', ['department'])),
      )
      .where('a.project_id', id)
      .orderBy('a.id')
      .select('a.economic_code', 'a.amount_fen', 'a.note', 'e.name as economic_name') as Promise<
      Array<{ economic_code: string; amount_fen: number | string; note: string | null; economic_name: string | null }>
    >,
    db('project_targets').where('project_id', id).orderBy('seq') as Promise<TargetRow[]>,
    db('project_attachments').where('project_id', id).whereNull('removed_at').orderBy('id') as Promise<AttachmentRow[]>,
    duplicatesOf(db, id, viewerOrgId),
    db('functional_codes').where({ fiscal_year: row.fiscal_year, code: row.functional_code }).first('name') as Promise<
      { name: string } | undefined
    >,
  ]);
  const targetList: PerformanceTarget[] = targets.map((t) => ({
    level1: t.level1,
    level2: t.level2,
    name: t.name,
    direction: t.direction as Direction,
    targetValue: t.target_value,
    unit: t.unit,
  }));
  return {
    ...summaryFromRow(row),
    description: row.description,
    basis: row.basis,
    startDate: row.start_date,
    endDate: row.end_date,
    functionalName: functional?.name ?? null,
    amounts: amounts.map((a) => ({
      economicCode: a.economic_code,
      amountFen: fen(Number(a.amount_fen)),
      note: a.note,
      economicName: a.economic_name ?? undefined,
    })),
    targets: targetList,
    attachments: attachments.map(attachmentFromRow),
    duplicates,
    smartProblems: smartProblems(targetList),
    expertReview:
      row.expert_batch_id === null || row.expert_batch_id === undefined
        ? null
        : {
            score: row.expert_score_centi === null ? null : Number(row.expert_score_centi) / 100,
            band: row.expert_band ?? null,
            bandLabel: bandLabel(row.expert_band),
            batchId: Number(row.expert_batch_id),
            scoredAt: readInstant(row.expert_scored_at),
          },
  };
}

/**
 * Filtered, sorted and paginated in SQL; `visible` (./visibility.ts whereVisibleTo: data scope, and
 * drafts only to their own unit) limits what a person sees, on the alias `p`.
 */
export async function listProjects(
  db: Knex,
  query: Omit<ProjectListQuery, 'page' | 'pageSize'> & { page: number; pageSize: number },
  viewer?: ProjectViewer,
): Promise<Page<ProjectSummary>> {
  const base = db('projects as p');
  if (viewer) base.where(viewer.where);
  if (query.fiscalYear !== undefined) base.where('p.fiscal_year', query.fiscalYear);
  if (query.unitOrgId !== undefined) base.where('p.unit_org_id', query.unitOrgId);
  if (query.category) base.where('p.category', query.category);
  if (query.status) base.where('p.status', query.status);
  if (query.functionalCode) base.where('p.functional_code', 'like', `${query.functionalCode}%`); // digits only: nothing to escape
  if (query.keyword) {
    const like = `%${query.keyword.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    base.where((w) => w.whereRaw('p.name like ? escape ?', [like, '\\']).orWhereRaw('p.project_no like ? escape ?', [like, '\\']));
  }
  if (query.duplicates) {
    const flagged = (w: Knex.QueryBuilder) =>
      w
        .whereExists(db('project_duplicates as d').select(db.raw('1')).whereRaw('d.project_id = p.id'))
        .orWhereExists(db('project_duplicates as d2').select(db.raw('1')).whereRaw('d2.similar_project_id = p.id'));
    if (query.duplicates === 'true') base.where(flagged);
    else base.whereNot(flagged);
  }
  const counted = (await base.clone().count({ n: '*' }).first()) as { n: number | string } | undefined;
  const dir = query.order === 'asc' ? 'asc' : 'desc';
  // Sort expressions come from the whitelist only; id keeps pages stable.
  const ids = (await base
    .clone()
    .select('p.id')
    .orderByRaw(`${PROJECT_SORTS[query.sort]} ${dir}, p.id ${dir}`)
    .limit(query.pageSize)
    .offset((query.page - 1) * query.pageSize)) as Array<{ id: number }>;
  const rows = ids.length
    ? ((await baseQuery(db, viewer?.orgId).whereIn(
        'p.id',
        ids.map((r) => r.id),
      )) as ProjectRow[])
    : [];
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  return {
    items: ids.map((r) => summaryFromRow(byId.get(Number(r.id))!)),
    total: Number(counted?.n ?? 0),
    page: query.page,
    pageSize: query.pageSize,
  };
}

export async function listEvents(db: Knex, projectId: number): Promise<ProjectEvent[]> {
  const rows = (await db('project_events as e')
    .leftJoin('audit_records as a', 'a.id', 'e.audit_record_id')
    .where('e.project_id', projectId)
    .orderBy('e.id')
    .select('e.*', 'a.sealed as audit_sealed')) as Array<EventRow & { audit_record_id: number | null; audit_sealed: unknown }>;
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    fromStatus: r.from_status,
    toStatus: r.to_status,
    actor: r.actor,
    actorName: r.actor_name,
    note: r.note,
    data: r.data ? (JSON.parse(r.data) as unknown) : null,
    createdAt: readInstant(r.created_at),
    // Seal status for the timeline: the audit record written with the event, and whether it is sealed.
    auditRecordId: r.audit_record_id === null ? null : Number(r.audit_record_id),
    sealed: Boolean(Number(r.audit_sealed ?? 0)),
  }));
}

/** The unit a project belongs to (for scope checks), or undefined when there is no such project. */
/** A project's status, name and number, for steps that only need to say which project (workers, notices). */
export async function projectHeader(db: Knex, id: number): Promise<{ status: ProjectStatus; name: string; projectNo: string } | undefined> {
  const row = (await db('projects').where('id', id).first('status', 'name', 'project_no')) as
    { status: ProjectStatus; name: string; project_no: string } | undefined;
  return row && { status: row.status, name: row.name, projectNo: row.project_no };
}

/** A project's performance targets in order, as the SMART check reads them. */
export async function projectTargets(db: Knex, id: number): Promise<PerformanceTarget[]> {
  const rows = (await db('project_targets').where('project_id', id).orderBy('seq')) as TargetRow[];
  return rows.map((t) => ({
    level1: t.level1,
    level2: t.level2,
    name: t.name,
    direction: t.direction as Direction,
    targetValue: t.target_value,
    unit: t.unit,
  }));
}

export async function unitOfProject(db: Knex, id: number): Promise<number | undefined> {
  const row = (await db('projects').where('id', id).first('unit_org_id')) as { unit_org_id: number } | undefined;
  return row ? Number(row.unit_org_id) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Internals

const lockUnit = forUpdate;

export function projectNo(fiscalYear: number, id: number): string {
  return `XM${fiscalYear}-${String(id).padStart(6, '0')}`;
}

function totalOf(amounts: ReadonlyArray<{ amountFen: number }>): Fen {
  let total = 0;
  for (const a of amounts) total += a.amountFen;
  if (!Number.isSafeInteger(total)) throw errors.validation([{ field: 'amounts', message: '金额合计超出范围' }]);
  return fen(total);
}

async function writeLines(
  trx: Knex.Transaction,
  projectId: number,
  input: { amounts: NewProject['amounts']; targets: NewProject['targets'] },
): Promise<void> {
  await trx('project_amounts').insert(
    input.amounts.map((a) => ({ project_id: projectId, economic_code: a.economicCode, amount_fen: a.amountFen, note: a.note || null })),
  );
  if (input.targets.length) {
    await trx('project_targets').insert(
      input.targets.map((t, seq) => ({
        project_id: projectId,
        seq,
        level1: t.level1,
        level2: t.level2,
        name: t.name,
        direction: t.direction,
        target_value: t.targetValue,
        unit: t.unit,
      })),
    );
  }
}

/**
 * Unknown codes are refused with the field that names them: the functional code must be a 项 of
 * the project's fiscal year, each amount's economic code a 部门预算 款 of that year.
 */
async function assertCodesExist(
  trx: Knex,
  fiscalYear: number,
  functionalCode: string,
  amounts: ReadonlyArray<{ economicCode: string }>,
): Promise<void> {
  const issues: FieldIssue[] = [];
  const functional = await trx('functional_codes').where({ fiscal_year: fiscalYear, code: functionalCode }).first('level');
  if (!functional) issues.push({ field: 'functionalCode', message: `${fiscalYear} 年度没有功能分类科目 ${functionalCode}` });
  else if (functional.level !== '项') issues.push({ field: 'functionalCode', message: `功能分类科目 ${functionalCode} 不是「项」级` });
  const codes = [...new Set(amounts.map((a) => a.economicCode))];
  const known = new Set(
    (
      (await trx('economic_codes')
        .where({ fiscal_year: fiscalYear, kind: 'department', level: '款' })
        .whereIn('code', codes)
        .select('code')) as Array<{ code: string }>
    ).map((r) => r.code),
  );
  amounts.forEach((a, i) => {
    if (!known.has(a.economicCode))
      issues.push({ field: `amounts.${i}.economicCode`, message: `${fiscalYear} 年度没有部门预算经济分类「款」${a.economicCode}` });
  });
  if (issues.length) throw new AppError(400, 'UNKNOWN_CODE', '科目代码不存在或级次不对，请从科目选择器中选择', issues);
}

/**
 * Compares the project with the other live applications of its unit and year and records the
 * likely duplicates as unordered pairs (smaller id first). Pairs involving this project are
 * recomputed on every change, so an edit that removes the likeness removes the flag.
 */
async function detectDuplicates(trx: Knex.Transaction, id: number, actor: Actor): Promise<DuplicateMatch[]> {
  const self = (await trx('projects').where('id', id).first('unit_org_id', 'fiscal_year', 'name', 'description')) as {
    unit_org_id: number;
    fiscal_year: number;
    name: string;
    description: string;
  };
  await trx('project_duplicates').where('project_id', id).orWhere('similar_project_id', id).delete();
  const others = (await trx('projects')
    .where({ unit_org_id: self.unit_org_id, fiscal_year: self.fiscal_year })
    .whereNot('id', id)
    .whereNot('status', 'void')
    .select('id', 'name', 'description')) as Array<{ id: number; name: string; description: string }>;
  const matches = likelyDuplicates(
    self,
    others.map((o) => ({ id: Number(o.id), name: o.name, description: o.description })),
  );
  if (matches.length) {
    const now = new Date();
    await trx('project_duplicates').insert(
      matches.map((m) => ({
        project_id: Math.min(id, m.otherId),
        similar_project_id: Math.max(id, m.otherId),
        basis: m.basis.join(','),
        name_similarity_permille: Math.round(m.nameSimilarity * 1000),
        content_similarity_permille: Math.round(m.contentSimilarity * 1000),
        detected_at: now,
      })),
    );
    await writeProjectEvent(trx, id, actor, {
      kind: 'duplicate_flagged',
      note: `发现 ${matches.length} 个疑似重复申报的项目，请审核人员核实`,
      data: { matches },
    });
  }
  return matches;
}

async function duplicatesOf(db: Knex, id: number, viewerOrgId?: number): Promise<DuplicateFlag[]> {
  const q = db('project_duplicates as d')
    .join('projects as o', 'o.id', db.raw('case when d.project_id = ? then d.similar_project_id else d.project_id end', [id]))
    .where((w) => w.where('d.project_id', id).orWhere('d.similar_project_id', id));
  if (viewerOrgId !== undefined) q.where((w) => w.whereNotIn('o.status', PRIVATE_STATUSES).orWhere('o.unit_org_id', viewerOrgId));
  const rows = (await q
    .select(
      'o.id',
      'o.project_no',
      'o.name',
      'o.status',
      'd.basis',
      'd.name_similarity_permille',
      'd.content_similarity_permille',
      'd.detected_at',
    )
    .orderBy('o.id')) as Array<{
    id: number;
    project_no: string;
    name: string;
    status: ProjectStatus;
    basis: string;
    name_similarity_permille: number;
    content_similarity_permille: number;
    detected_at: unknown;
  }>;
  return rows.map((r) => ({
    projectId: Number(r.id),
    projectNo: r.project_no,
    name: r.name,
    status: r.status,
    basis: r.basis.split(',') as Array<'name' | 'content'>,
    nameSimilarity: Number(r.name_similarity_permille) / 1000,
    contentSimilarity: Number(r.content_similarity_permille) / 1000,
    detectedAt: readInstant(r.detected_at),
  }));
}

/** A timeline event of a project, in the caller's transaction (process steps and the inbox write them too). */
export async function writeProjectEvent(
  trx: Knex,
  projectId: number,
  actor: Actor,
  e: { kind: string; fromStatus?: ProjectStatus | null; toStatus?: ProjectStatus | null; note?: string | null; data?: unknown },
  /** A person's decision seals the event's own audit record (server/seals/seal.ts sealWith). */
  sealWith?: (prevHash: string, at: Date) => Seal,
): Promise<AppendedRecord> {
  const now = new Date();
  // Lock order: the project row before the audit chain's head. A completion used to take the head
  // first and then, inserting the event, wait for the project row, while a worker's status change
  // held the row and waited for the head — a deadlock on MySQL/MariaDB (measured by bench:engine:
  // ~0.8 per intake instance, each costing a retry). SQLite serialises writers anyway.
  await lockUnit(trx, trx('projects').where('id', projectId)).first('id');
  // The timeline event and its audit record are one write: the record holds the event's content.
  const record = await appendAudit(
    trx,
    {
      kind: `project.${e.kind}`,
      subjectType: 'project',
      subjectId: projectId,
      projectId,
      actor: { userId: actor.userId, username: actor.username },
      data: {
        fromStatus: e.fromStatus ?? null,
        toStatus: e.toStatus ?? null,
        note: e.note ?? null,
        data: e.data === undefined ? null : (JSON.parse(JSON.stringify(e.data)) as Json),
      },
      at: now,
    },
    sealWith,
  );
  await trx('project_events').insert({
    project_id: projectId,
    kind: e.kind,
    from_status: e.fromStatus ?? null,
    to_status: e.toStatus ?? null,
    actor_user_id: actor.userId,
    actor: actor.username,
    actor_name: actor.displayName,
    note: e.note ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
    audit_record_id: record.id,
    created_at: now,
  });
  return record;
}

function changedFields(before: ProjectDetail, edit: ProjectEdit): string[] {
  const changed: string[] = [];
  const simple = ['name', 'category', 'subType', 'functionalCode', 'description', 'basis', 'startDate', 'endDate'] as const;
  for (const f of simple) if ((before[f] ?? null) !== (edit[f] ?? null)) changed.push(f);
  const lines = (a: ReadonlyArray<{ economicCode: string; amountFen: number; note?: string | null }>) =>
    JSON.stringify(a.map((x) => [x.economicCode, x.amountFen, x.note || null]));
  if (lines(before.amounts) !== lines(edit.amounts)) changed.push('amounts');
  if (
    JSON.stringify(before.targets) !==
    JSON.stringify(
      edit.targets.map((t) => ({
        level1: t.level1,
        level2: t.level2,
        name: t.name,
        direction: t.direction,
        targetValue: t.targetValue,
        unit: t.unit,
      })),
    )
  ) {
    changed.push('targets');
  }
  return changed;
}

function projectNotFound(id: number): AppError {
  return errors.notFound(`项目 #${id} 不存在`);
}

function versionConflict(): AppError {
  return errors.conflict('PROJECT_CHANGED', '项目已被他人修改或状态已变化，请刷新后重试');
}

/** viewerOrgId: count only the likely duplicates that person may see (see getProject). */
function baseQuery(db: Knex, viewerOrgId?: number) {
  const privateList = PRIVATE_STATUSES.map(() => '?').join(', ');
  const duplicateCount =
    viewerOrgId === undefined
      ? db.raw('(select count(*) from project_duplicates d where d.project_id = p.id or d.similar_project_id = p.id) as duplicate_count')
      : db.raw(
          `(select count(*) from project_duplicates d join projects s on s.id = case when d.project_id = p.id then d.similar_project_id else d.project_id end
            where (d.project_id = p.id or d.similar_project_id = p.id) and (s.status not in (${privateList}) or s.unit_org_id = ?)) as duplicate_count`,
          [...PRIVATE_STATUSES, viewerOrgId],
        );
  return db('projects as p').join('organisations as o', 'o.id', 'p.unit_org_id').select('p.*', 'o.name as unit_name', duplicateCount);
}

interface ProjectRow {
  id: number;
  expert_score_centi?: number | null;
  expert_band?: string | null;
  expert_batch_id?: number | null;
  expert_scored_at?: unknown;
  project_no: string;
  fiscal_year: number;
  name: string;
  unit_org_id: number;
  unit_name: string;
  category: ProjectCategory;
  sub_type: ProjectSubType | null;
  functional_code: string;
  description: string;
  basis: string | null;
  start_date: string | null;
  end_date: string | null;
  total_amount_fen: number | string;
  status: ProjectStatus;
  returned_from: ProjectStatus | null;
  duplicate_count: number | string;
  version: number;
  created_at: unknown;
  updated_at: unknown;
}

interface TargetRow {
  level1: string;
  level2: string;
  name: string;
  direction: string;
  target_value: string;
  unit: string;
}

interface AttachmentRow {
  id: number;
  file_name: string;
  content_type: string;
  size_bytes: number;
  sm3: string;
  uploaded_by: string;
  uploaded_at: unknown;
}

interface EventRow {
  id: number;
  kind: string;
  from_status: ProjectStatus | null;
  to_status: ProjectStatus | null;
  actor: string;
  actor_name: string;
  note: string | null;
  data: string | null;
  created_at: unknown;
}

function summaryFromRow(r: ProjectRow): ProjectSummary {
  return {
    id: Number(r.id),
    projectNo: r.project_no,
    fiscalYear: Number(r.fiscal_year),
    name: r.name,
    unitOrgId: Number(r.unit_org_id),
    unitName: r.unit_name,
    category: r.category,
    categoryLabel: CATEGORY_LABELS[r.category],
    subType: r.sub_type,
    subTypeLabel: r.sub_type ? SUB_TYPE_LABELS[r.sub_type] : null,
    functionalCode: r.functional_code,
    totalAmountFen: fen(Number(r.total_amount_fen)),
    status: r.status,
    statusLabel: STATUS_LABELS[r.status],
    returnedFrom: r.status === 'returned' ? (r.returned_from ?? null) : null,
    duplicateCount: Number(r.duplicate_count),
    version: Number(r.version),
    createdAt: readInstant(r.created_at),
    updatedAt: readInstant(r.updated_at),
  };
}

function attachmentFromRow(r: AttachmentRow): Attachment {
  return {
    id: Number(r.id),
    fileName: r.file_name,
    contentType: r.content_type,
    sizeBytes: Number(r.size_bytes),
    sm3: r.sm3,
    uploadedBy: r.uploaded_by,
    uploadedAt: readInstant(r.uploaded_at),
  };
}
