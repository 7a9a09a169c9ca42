import type { Knex } from 'knex';
import type { Json } from '../../domain/canonical-json';
import {
  CHOICE_LABELS,
  finalAccountActions,
  finalAccountListActions,
  openFreezesMessage,
  postingOf,
  rollUp,
  STATUS_LABELS,
  STEP_LABELS,
  submissionProblems,
  sumFigures,
  type Choice,
  type FinalAccountStatus,
  type Figures,
} from '../../domain/final-accounts';
import { formatYuan } from '../../domain/money';
import { appendAudit } from '../audit/chain';
import type { Principal } from '../auth/service';
import { readInstant } from '../db';
import { isEngineError, type EngineClient } from '../engine/client';
import { processModels } from '../engine/models';
import { namespaced } from '../engine/namespace';
import { AppError, errors } from '../errors';
import { holdsTask } from '../inbox/candidates';
import { adjustOut, carryOver } from '../ledger/service';
import type { KeyStore } from '../seals/key-store';
import { seal, signerFor } from '../seals/seal';
import { generateFigures, lineFromRow, openFreezes, staleQuotas, type LineRow } from './figures';

/**
 * 决算 (final accounts) of a unit and fiscal year: generated from the ledger (./figures.ts), the
 * unit explains every balance and chooses 结转 or 结余收回 per project, the department, 国库处 and
 * 预算处 review (processes/final-accounts.bpmn; the engine owns the flow, this module the data),
 * and at closing the worker posts each balance through the ledger exactly once. Every refusal is
 * checked before anything is written.
 */

export const FINAL_ACCOUNTS_PROCESS = 'final-accounts';

export interface FinalAccountsDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  keyStore: KeyStore;
}

const whoOf = (p: Principal) => ({
  userId: p.userId,
  username: p.username,
  displayName: p.displayName,
  orgId: p.orgId,
  orgName: p.orgName,
});

function engineDown(err: unknown): never {
  if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后重试');
  throw err;
}

interface AccountRow {
  id: number;
  fiscal_year: number;
  unit_org_id: number;
  department_org_id: number | null;
  status: FinalAccountStatus;
  current_step: string | null;
  process_instance_key: string | null;
  version: number;
  budget_fen: number | string;
  paid_fen: number | string;
  frozen_fen: number | string;
  balance_fen: number | string;
  return_comment: string | null;
  submitted_by: number | null;
  generated_at: unknown;
  created_at: unknown;
  submitted_at: unknown;
  closed_at: unknown;
}

// ---------------------------------------------------------------------------------------------
// Creating: drafts for units (set-based) and the one a unit opens

/** Each unit's supervising department: the nearest organisation of kind department above it. */
async function departmentsOf(db: Knex, unitIds: readonly number[]): Promise<Map<number, number | null>> {
  const units = (await db('organisations')
    .whereIn('id', [...new Set(unitIds)])
    .select('id', 'path')) as Array<{ id: number; path: string }>;
  const ancestors = [...new Set(units.flatMap((u) => u.path.split('/').filter(Boolean).map(Number)))];
  const departments = new Set(
    ((await db('organisations').whereIn('id', ancestors).where('kind', 'department').select('id')) as Array<{ id: number }>).map((r) =>
      Number(r.id),
    ),
  );
  return new Map(
    units.map((u) => [
      Number(u.id),
      u.path
        .split('/')
        .filter(Boolean)
        .map(Number)
        .reverse()
        .find((id) => id !== Number(u.id) && departments.has(id)) ?? null,
    ]),
  );
}

/**
 * Draft final accounts for every given unit that has quotas in the year and none yet, with their
 * figures generated; returns the ids of those created. One INSERT … SELECT for the accounts, then
 * generateFigures for all of them at once.
 */
export async function createDrafts(
  trx: Knex,
  fiscalYear: number,
  unitOrgIds: readonly number[],
  createdBy: number | null,
  now = new Date(),
): Promise<number[]> {
  if (unitOrgIds.length === 0) return [];
  const candidates = (await trx('quotas as q')
    .whereIn('q.unit_org_id', unitOrgIds)
    .where('q.fiscal_year', fiscalYear)
    .whereNotExists(function () {
      this.select(trx.raw('1'))
        .from('final_accounts as fa')
        .whereRaw('fa.unit_org_id = q.unit_org_id')
        .andWhere('fa.fiscal_year', fiscalYear);
    })
    .distinct('q.unit_org_id')) as Array<{ unit_org_id: number }>;
  const units = candidates.map((c) => Number(c.unit_org_id));
  if (units.length === 0) return [];
  const departments = await departmentsOf(trx, units);
  const rows = units.map((u) => ({
    fiscal_year: fiscalYear,
    unit_org_id: u,
    department_org_id: departments.get(u) ?? null,
    status: 'draft',
    created_by: createdBy,
    generated_at: now,
    created_at: now,
    updated_at: now,
  }));
  for (let i = 0; i < rows.length; i += 500) await trx('final_accounts').insert(rows.slice(i, i + 500));
  const ids = (
    (await trx('final_accounts').where('fiscal_year', fiscalYear).whereIn('unit_org_id', units).select('id')) as Array<{ id: number }>
  ).map((r) => Number(r.id));
  for (let i = 0; i < ids.length; i += 2000) await generateFigures(trx, ids.slice(i, i + 2000), now);
  return ids;
}

/** The unit's own final account of a year (one per unit and year), if generated. */
async function ownAccountOf(db: Knex, orgId: number, fiscalYear: number): Promise<{ id: number } | undefined> {
  return (await db('final_accounts').where({ unit_org_id: orgId, fiscal_year: fiscalYear }).first('id')) as { id: number } | undefined;
}

/** A unit opens its final accounts of a year: figures generated, the process started at 单位确认. */
export async function openFinalAccount(deps: FinalAccountsDeps, p: Principal, fiscalYear: number, now = new Date()): Promise<number> {
  const { db } = deps;
  const existing = await ownAccountOf(db, p.orgId, fiscalYear);
  if (existing) throw errors.conflict('FINAL_ACCOUNT_EXISTS', `本单位 ${fiscalYear} 年度的决算已生成，请在其中继续办理`);
  const id = await startForUnit(deps, p, p.orgId, fiscalYear, 'final-account.open', now);
  if (id === undefined) throw errors.badRequest('NO_QUOTAS', `本单位 ${fiscalYear} 年度没有指标，无需编制决算`);
  return id;
}

/**
 * One unit's final account in its own transaction: the draft and its figures, the audit record
 * and the engine start. An engine that refuses rolls all of it back (nothing half-written); a unit
 * with no quota in the year, or whose final account another request created meanwhile, answers
 * undefined.
 */
async function startForUnit(
  deps: FinalAccountsDeps,
  p: Principal,
  unitOrgId: number,
  fiscalYear: number,
  kind: 'final-account.open' | 'final-account.open-bulk',
  now: Date,
): Promise<number | undefined> {
  return deps.db.transaction(async (trx) => {
    const [id] = await createDrafts(trx, fiscalYear, [unitOrgId], p.userId, now);
    if (id === undefined) return undefined;
    await appendAudit(trx, {
      kind,
      subjectType: 'final_account',
      subjectId: id,
      actor: { userId: p.userId, username: p.username },
      data: { fiscalYear, unitOrgId },
    });
    let started;
    try {
      started = await deps.engine.startProcess(namespaced(deps.namespace, FINAL_ACCOUNTS_PROCESS), {
        businessKey: `final-account:${id}`,
        variables: { finalAccountId: id, unitOrgId, fiscalYear },
      });
    } catch (err) {
      engineDown(err);
    }
    await trx('final_accounts')
      .where('id', id)
      .update({ process_instance_key: started.id, current_step: await stepOf(deps, started.id) });
    return id;
  });
}

export interface BulkStartResult {
  fiscalYear: number;
  /** Units in scope with quotas in the year. */
  units: number;
  started: Array<{ unitOrgId: number; unitName: string; finalAccountId: number; openFreezes: number }>;
  existing: number;
  skipped: Array<{ unitOrgId: number; unitName: string; code: string; reason: string }>;
  failed: Array<{ unitOrgId: number; unitName: string; code: string; reason: string }>;
}

/**
 * 为全部单位生成决算 (预算处): for every unit in the person's scope with quotas in the year and no
 * final account yet, what the unit's own 生成决算 does — each unit in its own transaction, one
 * after the other, so no transaction spans the units and a unit that fails (engine down, a
 * concurrent start) is reported and the others go on. Idempotent: units that have one are counted
 * as existing and left alone. A unit with no active 单位经办人 is skipped (nobody could confirm it);
 * a unit with freezes still open is started like the unit's own start, its submission and closing
 * refused until they are released (FINAL_ACCOUNT_OPEN_FREEZES), and reported with their count.
 */
export async function startAllFinalAccounts(
  deps: FinalAccountsDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  fiscalYear: number,
  now = new Date(),
): Promise<BulkStartResult> {
  const { db } = deps;
  const units = (await db('quotas as q')
    .join('organisations as o', 'o.id', 'q.unit_org_id')
    .whereIn('q.unit_org_id', scope)
    .where('q.fiscal_year', fiscalYear)
    .groupBy('q.unit_org_id', 'o.name', 'o.code')
    .orderBy('o.code')
    .select('q.unit_org_id', 'o.name')) as Array<{ unit_org_id: number; name: string }>;
  const ids = units.map((u) => Number(u.unit_org_id));
  const existingUnits = new Set<number>();
  const withClerk = new Set<number>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    for (const r of (await db('final_accounts')
      .where('fiscal_year', fiscalYear)
      .whereIn('unit_org_id', chunk)
      .select('unit_org_id')) as Array<{
      unit_org_id: number;
    }>)
      existingUnits.add(Number(r.unit_org_id));
    for (const r of (await db('users as u')
      .join('user_roles as r', 'r.user_id', 'u.id')
      .where({ 'r.role': 'unit_clerk', 'u.status': 'active' })
      .whereIn('u.org_id', chunk)
      .distinct('u.org_id')) as Array<{ org_id: number }>)
      withClerk.add(Number(r.org_id));
  }
  const result: BulkStartResult = { fiscalYear, units: units.length, started: [], existing: 0, skipped: [], failed: [] };
  let engineGone: { code: string; reason: string } | undefined;
  for (const u of units) {
    const unitOrgId = Number(u.unit_org_id);
    const who = { unitOrgId, unitName: u.name };
    if (existingUnits.has(unitOrgId)) {
      result.existing++;
      continue;
    }
    if (!withClerk.has(unitOrgId)) {
      result.skipped.push({
        ...who,
        code: 'NO_UNIT_CLERK',
        reason: '该单位没有在用的单位经办人账号，无人办理单位确认；开通账号后可再次生成或由单位自行生成',
      });
      continue;
    }
    if (engineGone) {
      result.failed.push({ ...who, ...engineGone });
      continue;
    }
    try {
      const id = await startForUnit(deps, p, unitOrgId, fiscalYear, 'final-account.open-bulk', now);
      if (id === undefined) result.existing++;
      else result.started.push({ ...who, finalAccountId: id, openFreezes: (await openFreezes(db, unitOrgId, fiscalYear)).length });
    } catch (err) {
      if (await ownAccountOf(db, unitOrgId, fiscalYear)) {
        result.existing++; // created meanwhile by the unit or another 预算处 request (the unique key refused ours)
        continue;
      }
      const failure =
        err instanceof AppError
          ? { code: err.code, reason: err.message }
          : { code: 'INTERNAL', reason: '生成失败（内部错误），请稍后重试' };
      // An engine that is not there is not tried again for every remaining unit: they are failed alike.
      if (failure.code === 'ENGINE_UNAVAILABLE') engineGone = failure;
      result.failed.push({ ...who, ...failure });
    }
  }
  return result;
}

/** The open user task's element id of an instance (the projection current_step), or null. */
async function stepOf(deps: FinalAccountsDeps, instance: string): Promise<string | null> {
  const tasks = await deps.engine.tasks({ processInstanceId: instance });
  return tasks[0]?.taskDefinitionKey ?? null;
}

// ---------------------------------------------------------------------------------------------
// Reading

async function visibleAccount(db: Knex, scope: Knex.QueryBuilder, id: number): Promise<AccountRow> {
  const row = (await db('final_accounts').where('id', id).whereIn('unit_org_id', scope).first()) as AccountRow | undefined;
  if (!row) throw errors.notFound(`决算 #${id} 不存在`);
  return row;
}

export interface ItemView extends Figures {
  id: number;
  projectId: number | null;
  projectNo: string | null;
  label: string;
  explanation: string | null;
  choice: Choice | null;
  choiceLabel: string | null;
  lines: LineView[];
}

export interface LineView extends LineRow {
  postedQuotaNo: string | null;
}

export async function loadLines(db: Knex, accountId: number): Promise<LineView[]> {
  const rows = (await db('final_account_lines as l')
    .leftJoin('quotas as nq', 'nq.id', 'l.posted_quota_id')
    .where('l.final_account_id', accountId)
    .orderBy('l.quota_no')
    .select('l.*', 'nq.quota_no as posted_quota_no')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({ ...lineFromRow(r), postedQuotaNo: (r.posted_quota_no as string | null) ?? null }));
}

export async function loadItems(db: Knex, accountId: number, lines?: LineView[]): Promise<ItemView[]> {
  const all = lines ?? (await loadLines(db, accountId));
  const rows = (await db('final_account_items as i')
    .leftJoin('projects as p', 'p.id', 'i.project_id')
    .where('i.final_account_id', accountId)
    .select('i.*', 'p.name as project_name', 'p.project_no')) as Array<Record<string, unknown>>;
  const items = rows.map((r) => {
    const projectId = r.project_id === null ? null : Number(r.project_id);
    const quotaId = r.quota_id === null ? null : Number(r.quota_id);
    const mine = all.filter((l) => (projectId !== null ? l.projectId === projectId : l.projectId === null && l.quotaId === quotaId));
    const choice = (r.choice as Choice | null) ?? null;
    return {
      id: Number(r.id),
      projectId,
      projectNo: (r.project_no as string | null) ?? null,
      label: projectId !== null ? `项目「${String(r.project_name ?? `#${projectId}`)}」` : `指标 ${mine[0]?.quotaNo ?? `#${quotaId}`}`,
      explanation: (r.explanation as string | null) ?? null,
      choice,
      choiceLabel: choice ? CHOICE_LABELS[choice] : null,
      ...sumFigures(mine),
      lines: mine,
    };
  });
  return items.sort((a, b) => (a.projectNo ?? a.label).localeCompare(b.projectNo ?? b.label));
}

export async function getFinalAccount(deps: FinalAccountsDeps, p: Principal, scope: Knex.QueryBuilder, id: number) {
  const { db } = deps;
  const row = await visibleAccount(db, scope, id);
  const lines = await loadLines(db, id);
  const items = await loadItems(db, id, lines);
  const orgs = new Map(
    (
      (await db('organisations')
        .whereIn('id', [row.unit_org_id, row.department_org_id ?? row.unit_org_id])
        .select('id', 'name')) as Array<{ id: number; name: string }>
    ).map((o) => [Number(o.id), o.name]),
  );
  const decisions = (await db('final_account_decisions as d')
    .join('users as u', 'u.id', 'd.user_id')
    .where('d.final_account_id', id)
    .orderBy('d.id')
    .select('d.*', 'u.display_name')) as Array<Record<string, unknown>>;
  const freezes = row.status === 'closed' ? [] : await openFreezes(db, Number(row.unit_org_id), Number(row.fiscal_year));
  const task = await openTaskFor(deps, row, p).catch(() => null);
  return {
    id: Number(row.id),
    fiscalYear: Number(row.fiscal_year),
    unitOrgId: Number(row.unit_org_id),
    unitName: orgs.get(Number(row.unit_org_id)) ?? '',
    departmentOrgId: row.department_org_id === null ? null : Number(row.department_org_id),
    departmentName: row.department_org_id === null ? null : (orgs.get(Number(row.department_org_id)) ?? null),
    status: row.status,
    statusLabel: STATUS_LABELS[row.status] ?? row.status,
    currentStep: row.current_step,
    currentStepLabel: row.current_step ? (STEP_LABELS[row.current_step] ?? row.current_step) : null,
    version: Number(row.version),
    returnComment: row.return_comment,
    generatedAt: readInstant(row.generated_at),
    submittedAt: row.submitted_at ? readInstant(row.submitted_at) : null,
    closedAt: row.closed_at ? readInstant(row.closed_at) : null,
    totals: sumFigures(lines),
    items,
    byFunctional: rollUp(lines, (l) => l.functionalCode),
    byEconomic: rollUp(lines, (l) => l.economicCode),
    freezes,
    decisions: decisions.map((d) => ({
      elementId: String(d.element_id),
      stepName: String(d.step_name),
      decision: String(d.decision),
      comment: (d.comment as string | null) ?? null,
      userName: String(d.display_name),
      sealed: Boolean(Number(d.sealed)),
      auditRecordId: d.audit_record_id === null ? null : Number(d.audit_record_id),
      decidedAt: readInstant(d.decided_at),
    })),
    can: finalAccountActions(row.status, task?.taskDefinitionKey ?? null),
  };
}

export interface ListQuery {
  fiscalYear?: number;
  status?: FinalAccountStatus;
  page: number;
  pageSize: number;
}

/** The final accounts in scope with their totals: a department's roll-up of its units, a bureau's of its region. */
export async function listFinalAccounts(
  db: Knex,
  p: { orgId: number; permissions: ReadonlySet<string> },
  scope: Knex.QueryBuilder,
  q: ListQuery,
) {
  const base = db('final_accounts as fa').whereIn('fa.unit_org_id', scope);
  if (q.fiscalYear !== undefined) base.where('fa.fiscal_year', q.fiscalYear);
  if (q.status) base.where('fa.status', q.status);
  const [sums] = (await base
    .clone()
    .select(
      db.raw('count(*) as n'),
      db.raw('coalesce(sum(fa.budget_fen), 0) as budget'),
      db.raw('coalesce(sum(fa.paid_fen), 0) as paid'),
      db.raw('coalesce(sum(fa.frozen_fen), 0) as frozen'),
      db.raw('coalesce(sum(fa.balance_fen), 0) as balance'),
    )) as Array<Record<string, number | string>>;
  const rows = (await base
    .clone()
    .join('organisations as u', 'u.id', 'fa.unit_org_id')
    .leftJoin('organisations as d', 'd.id', 'fa.department_org_id')
    .orderBy([{ column: 'fa.fiscal_year', order: 'desc' }, { column: 'd.name' }, { column: 'u.name' }, { column: 'fa.id' }])
    .limit(q.pageSize)
    .offset((q.page - 1) * q.pageSize)
    .select('fa.*', 'u.name as unit_name', 'd.name as department_name')) as Array<
    AccountRow & { unit_name: string; department_name: string | null }
  >;
  return {
    items: rows.map((r) => ({
      id: Number(r.id),
      fiscalYear: Number(r.fiscal_year),
      unitName: r.unit_name,
      departmentName: r.department_name,
      status: r.status,
      statusLabel: STATUS_LABELS[r.status] ?? r.status,
      currentStep: r.current_step,
      currentStepLabel: r.current_step ? (STEP_LABELS[r.current_step] ?? r.current_step) : null,
      budgetFen: Number(r.budget_fen),
      paidFen: Number(r.paid_fen),
      frozenFen: Number(r.frozen_fen),
      balanceFen: Number(r.balance_fen),
      submittedAt: r.submitted_at ? readInstant(r.submitted_at) : null,
    })),
    total: Number(sums?.n ?? 0),
    totals: {
      budgetFen: Number(sums?.budget ?? 0),
      paidFen: Number(sums?.paid ?? 0),
      frozenFen: Number(sums?.frozen ?? 0),
      balanceFen: Number(sums?.balance ?? 0),
    },
    page: q.page,
    pageSize: q.pageSize,
    can: finalAccountListActions(
      p,
      q.fiscalYear,
      q.fiscalYear !== undefined && (await ownAccountOf(db, p.orgId, q.fiscalYear)) !== undefined,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// The unit's work: regenerate, explain and choose, submit

/** The open engine task of the final account that this person may act on, or null. */
async function openTaskFor(deps: FinalAccountsDeps, row: AccountRow, p: Principal) {
  if (!row.process_instance_key || row.status === 'closing' || row.status === 'closed') return null;
  const tasks = await deps.engine.tasks({ processInstanceId: row.process_instance_key });
  const model = processModels().get(FINAL_ACCOUNTS_PROCESS);
  for (const t of tasks)
    if (await holdsTask(deps.db, p, t, model?.elements.get(t.taskDefinitionKey)?.candidateGroups, Number(row.unit_org_id))) return t;
  return null;
}

async function lockDraft(trx: Knex, row: AccountRow, version: number): Promise<void> {
  if (row.status !== 'draft')
    throw errors.conflict('FINAL_ACCOUNT_NOT_DRAFT', `决算${STATUS_LABELS[row.status] ?? row.status}，单位不能再修改`);
  const n = await trx('final_accounts')
    .where({ id: row.id, version })
    .update({ version: trx.raw('version + 1'), updated_at: new Date() });
  if (n !== 1) throw errors.conflict('FINAL_ACCOUNT_CHANGED', '决算已被他人修改，请刷新后再试');
}

/** 重新生成: the figures again from the ledger (after a payment or a released freeze); explanations kept. */
export async function regenerate(db: Knex, scope: Knex.QueryBuilder, id: number, input: { version: number }): Promise<{ version: number }> {
  const row = await visibleAccount(db, scope, id);
  return db.transaction(async (trx) => {
    await lockDraft(trx, row, input.version);
    await generateFigures(trx, [id]);
    return { version: input.version + 1 };
  });
}

export interface ItemInput {
  itemId: number;
  explanation?: string | null;
  choice?: Choice | null;
}

/** Items must be this final account's own (another's id, in scope or not, is refused alike). */
async function assertItemsKnown(db: Knex, id: number, items: readonly ItemInput[]): Promise<void> {
  const known = new Set(
    ((await db('final_account_items').where('final_account_id', id).select('id')) as Array<{ id: number }>).map((r) => Number(r.id)),
  );
  const unknown = items.filter((i) => !known.has(i.itemId));
  if (unknown.length)
    throw errors.badRequest(
      'FINAL_ACCOUNT_ITEM_UNKNOWN',
      '有项目不在本决算中',
      unknown.map((i) => ({ field: `body.items.${i.itemId}`, message: `决算项目 #${i.itemId} 不在本决算中` })),
    );
}

async function saveItemsIn(trx: Knex, id: number, items: readonly ItemInput[]): Promise<void> {
  await assertItemsKnown(trx, id, items);
  for (const it of items) {
    const set: Record<string, unknown> = {};
    if (it.explanation !== undefined)
      set.explanation = it.explanation === null || it.explanation.trim() === '' ? null : it.explanation.trim();
    if (it.choice !== undefined) set.choice = it.choice;
    if (Object.keys(set).length) await trx('final_account_items').where({ id: it.itemId, final_account_id: id }).update(set);
  }
}

/** Saves explanations and choices (a draft; nothing is checked for completeness yet). */
export async function saveItems(
  db: Knex,
  scope: Knex.QueryBuilder,
  id: number,
  input: { version: number; items: ItemInput[] },
): Promise<{ version: number }> {
  const row = await visibleAccount(db, scope, id);
  return db.transaction(async (trx) => {
    await lockDraft(trx, row, input.version);
    await saveItemsIn(trx, id, input.items);
    return { version: input.version + 1 };
  });
}

/** 409 when a freeze is still open on the unit's quotas, each named; 409 when the ledger moved since generation. */
async function assertClosable(db: Knex, row: AccountRow, action: string): Promise<void> {
  const freezes = await openFreezes(db, Number(row.unit_org_id), Number(row.fiscal_year));
  if (freezes.length) {
    throw new AppError(
      409,
      'FINAL_ACCOUNT_OPEN_FREEZES',
      openFreezesMessage(freezes, action),
      freezes.map((f) => ({
        field: `freezes.${f.quotaNo}`,
        message: `指标 ${f.quotaNo}${f.projectName ? `（${f.projectName}）` : ''}冻结 ${formatYuan(f.frozenFen)}${f.reference ? `，${f.reference}` : ''}`,
      })),
    );
  }
  const stale = await staleQuotas(db, Number(row.id));
  if (stale.length)
    throw errors.conflict(
      'FINAL_ACCOUNT_STALE',
      `指标账在生成决算数据后又有变动（${stale.slice(0, 5).join('、')}${stale.length > 5 ? ` 等 ${stale.length} 个指标` : ''}），请重新生成决算数据后再${action}`,
    );
}

/** 单位确认并提交: explanations and choices saved, every balance explained and decided, no freeze open. */
export async function submit(
  deps: FinalAccountsDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
  input: { version: number; items?: ItemInput[]; signingPin?: string },
  now = new Date(),
): Promise<{ step: string | null }> {
  const { db } = deps;
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '提交决算');
  const row = await visibleAccount(db, scope, id);
  if (input.items) await assertItemsKnown(db, id, input.items);
  let task;
  try {
    task = await openTaskFor(deps, row, p);
  } catch (err) {
    engineDown(err);
  }
  if (!task || task.taskDefinitionKey !== 'UnitConfirm') throw errors.conflict('NO_TASK_FOR_YOU', '该决算当前没有由您办理的环节');
  await assertClosable(db, row, '提交决算');
  return db.transaction(async (trx) => {
    await lockDraft(trx, row, input.version);
    if (input.items) await saveItemsIn(trx, id, input.items);
    const items = await loadItems(trx, id);
    const problems = submissionProblems(
      items.map((i) => ({ itemId: i.id, label: i.label, balanceFen: i.balanceFen, explanation: i.explanation, choice: i.choice })),
    );
    if (problems.length)
      throw errors.badRequest(
        'FINAL_ACCOUNT_INCOMPLETE',
        `决算尚未完成：${problems.map((x) => x.message).join('；')}`,
        problems.map((x) => ({ field: `items.${x.itemId}.${x.field}`, message: x.message })),
      );
    const decision: Json = {
      finalAccountId: id,
      fiscalYear: Number(row.fiscal_year),
      items: items.map((i) => ({ itemId: i.id, balanceFen: i.balanceFen, choice: i.choice })) as unknown as Json,
      totals: sumFigures(items) as unknown as Json,
    };
    const step = await complete(deps, trx, task, { decision: 'submit', comment: null });
    const record = signer
      ? await seal(trx, signer, {
          what: 'final-account.submit',
          who: whoOf(p),
          processInstance: row.process_instance_key,
          element: 'UnitConfirm',
          decision,
          subjectType: 'final_account',
          subjectId: id,
        })
      : await appendAudit(trx, {
          kind: 'final-account.submit',
          subjectType: 'final_account',
          subjectId: id,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('final_account_decisions').insert({
      final_account_id: id,
      element_id: 'UnitConfirm',
      step_name: STEP_LABELS.UnitConfirm,
      decision: 'submit',
      comment: null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
    await trx('final_accounts').where('id', id).update({
      status: 'reviewing',
      current_step: step,
      submitted_by: p.userId,
      submitted_at: now,
      return_comment: null,
      updated_at: now,
    });
    return { step };
  });
}

/** Completes the engine task as the person and answers the instance's next user task (null: none). */
async function complete(
  deps: FinalAccountsDeps,
  _trx: Knex,
  task: { id: string; processInstanceId: string },
  variables: Record<string, string | null>,
): Promise<string | null> {
  try {
    await deps.engine.retrying(() => deps.engine.completeTask(task.id, variables));
    return await stepOf(deps, task.processInstanceId);
  } catch (err) {
    if (isEngineError(err) && err.status === 404) throw errors.conflict('TASK_GONE', '该环节已由他人办理');
    engineDown(err);
  }
}

// ---------------------------------------------------------------------------------------------
// Review: department, 国库处, 预算处 (sealed)

export async function decide(
  deps: FinalAccountsDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  id: number,
  input: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string },
  now = new Date(),
): Promise<{ step: string | null; status: FinalAccountStatus }> {
  const { db, engine } = deps;
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '审核决算');
  const row = await visibleAccount(db, scope, id);
  if (row.status !== 'reviewing')
    throw errors.conflict('FINAL_ACCOUNT_NOT_REVIEWING', `决算${STATUS_LABELS[row.status] ?? row.status}，没有待审核的环节`);
  let task;
  try {
    task = await openTaskFor(deps, row, p);
  } catch (err) {
    engineDown(err);
  }
  if (!task || task.taskDefinitionKey === 'UnitConfirm') throw errors.conflict('NO_TASK_FOR_YOU', '该决算当前没有由您办理的审核环节');
  const closing = task.taskDefinitionKey === 'BudgetReview' && input.decision === 'approve';
  if (closing) await assertClosable(db, row, '办结决算');
  const lines = await loadLines(db, id);
  const decision: Json = {
    finalAccountId: id,
    step: task.taskDefinitionKey,
    decision: input.decision,
    comment: input.comment ?? null,
    totals: sumFigures(lines) as unknown as Json,
  };
  return db.transaction(async (trx) => {
    const n = await trx('final_accounts')
      .where({ id, status: 'reviewing', current_step: task.taskDefinitionKey })
      .update({ updated_at: now });
    if (n !== 1) throw errors.conflict('TASK_GONE', '该环节已由他人办理');
    try {
      await engine.retrying(() => engine.setAssignee(task.id, String(p.userId)));
    } catch (err) {
      engineDown(err);
    }
    const step = await complete(deps, trx, task, { decision: input.decision, comment: input.comment ?? null });
    const record = signer
      ? await seal(trx, signer, {
          what: 'final-account.review',
          who: whoOf(p),
          processInstance: row.process_instance_key,
          element: task.taskDefinitionKey,
          decision,
          form: { decision: input.decision, comment: input.comment ?? null },
          subjectType: 'final_account',
          subjectId: id,
        })
      : await appendAudit(trx, {
          kind: 'final-account.review',
          subjectType: 'final_account',
          subjectId: id,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('final_account_decisions').insert({
      final_account_id: id,
      element_id: task.taskDefinitionKey,
      step_name: STEP_LABELS[task.taskDefinitionKey] ?? task.name ?? task.taskDefinitionKey,
      decision: input.decision,
      comment: input.comment ?? null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
    const status: FinalAccountStatus = input.decision === 'reject' ? 'draft' : closing ? 'closing' : 'reviewing';
    await trx('final_accounts')
      .where('id', id)
      .update({
        status,
        current_step: step,
        return_comment: input.decision === 'reject' ? (input.comment ?? '审核未通过') : null,
        version: trx.raw('version + 1'),
        updated_at: now,
      });
    return { step, status };
  });
}

// ---------------------------------------------------------------------------------------------
// Closing (the worker of processes/final-accounts.bpmn): 结转 and 结余收回 posted exactly once

/**
 * Posts every line's balance as its project chose: 结转 through the ledger's carryOver into a new
 * quota of the next year (source quota set), 结余收回 as an adjust-out that takes the balance off
 * the unit's quota. Each posting has an idempotency key of the final account and quota, so a
 * redelivered job (or a second node) finds it posted and posts nothing again; the runtime also
 * answers a redelivered task from its stored outcome. Returns what it posted and what it found.
 */
export async function closeFinalAccount(
  trx: Knex,
  id: number,
  processInstanceId: string,
  now = new Date(),
): Promise<{ posted: number; replayed: number; carriedFen: number; recoveredFen: number }> {
  const row = (await trx('final_accounts').where('id', id).first()) as AccountRow | undefined;
  if (!row || row.process_instance_key !== processInstanceId)
    throw new Error(`final account ${id} is not the one of instance ${processInstanceId}`);
  const items = await loadItems(trx, id);
  let posted = 0;
  let replayed = 0;
  let carriedFen = 0;
  let recoveredFen = 0;
  for (const item of items) {
    for (const line of item.lines) {
      const kind = postingOf(line.balanceFen, item.choice);
      if (!kind) continue;
      const meta = {
        actor: '流程引擎（决算）',
        reason: `${Number(row.fiscal_year)} 年度决算${CHOICE_LABELS[kind]}：${item.label}`,
        reference: { type: 'final-account', id: String(id) },
      };
      if (kind === 'carry-over') {
        const r = await carryOver(trx, {
          ...meta,
          quotaId: line.quotaId,
          amountFen: line.balanceFen,
          into: { fiscalYear: Number(row.fiscal_year) + 1 },
          idempotencyKey: `fa-${id}-q${line.quotaId}-co`,
        });
        await trx('final_account_lines')
          .where('id', line.id)
          .update({ posted_kind: kind, posted_journal_id: r.out.id, posted_quota_id: r.to.id });
        if (r.replayed) replayed++;
        else posted++;
        carriedFen += line.balanceFen;
      } else {
        const r = await adjustOut(trx, {
          ...meta,
          quotaId: line.quotaId,
          amountFen: line.balanceFen,
          idempotencyKey: `fa-${id}-q${line.quotaId}-rc`,
        });
        await trx('final_account_lines')
          .where('id', line.id)
          .update({ posted_kind: kind, posted_journal_id: r.entry.id, posted_quota_id: null });
        if (r.replayed) replayed++;
        else posted++;
        recoveredFen += line.balanceFen;
      }
    }
  }
  if (row.status !== 'closed') {
    await trx('final_accounts')
      .where('id', id)
      .update({ status: 'closed', current_step: null, closed_at: now, version: trx.raw('version + 1'), updated_at: now });
    await appendAudit(trx, {
      kind: 'final-account.close',
      subjectType: 'final_account',
      subjectId: id,
      actor: { userId: null, username: 'system' },
      data: { fiscalYear: Number(row.fiscal_year), carriedFen, recoveredFen, posted },
    });
  }
  return { posted, replayed, carriedFen, recoveredFen };
}
