import type { Knex } from 'knex';
import {
  allocationQuotaNo,
  checkAllocation,
  CHAIN_STEPS,
  controlKey,
  documentNumber,
  GRADES,
  rankCandidates,
  splitAmount,
  sumLines,
  type AllocationProblem,
  type ApprovalChain,
  type Grade,
  type GradeRule,
  allocationActions,
  allocationListActions,
  ALLOCATION_BUILD_PERMISSION,
  type AllocationStatus,
} from '../../domain/allocation';
import { formDigest } from '../../domain/audit-chain';
import type { Json } from '../../domain/canonical-json';
import { formatWanYuan, formatYuan } from '../../domain/money';
import { BELOW_TARGET_GRADES } from '../../domain/performance-scoring';
import { type ProjectStatus } from '../../domain/projects';
import { regionPrefix } from '../../domain/roles';
import { AppError, errors } from '../errors';
import { appendAudit } from '../audit/chain';
import type { Principal } from '../auth/service';
import { readInstant } from '../db';
import { isEngineError, type EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import { processModels } from '../engine/models';
import { holdsTask, resolveCandidates } from '../inbox/candidates';
import { issueQuota } from '../ledger/service';
import { notify } from '../notifications/service';
import { changeStatus, writeProjectEvent, type Actor } from '../projects/service';
import type { KeyStore } from '../seals/key-store';
import { seal, signerFor } from '../seals/seal';

/**
 * 预算编制/分配 and 批复/指标下达: the use cases of the API (build an allocation, what-if edits,
 * control totals, submit, approve) and of the workers of processes/budget-allocation.bpmn (record
 * the chain, issue, return). The engine owns the approval flow; this module owns the allocation's
 * data. Rules: domain/allocation.ts; the grade rule and the approval chain are decision tables.
 *
 * Every refusal is checked before anything is written: an allocation above a control total is
 * refused whole (409 ALLOCATION_OVER_CONTROL_TOTAL, each breach named) and nothing changes.
 */

export const ALLOCATION_PROCESS = 'budget-allocation';
export const GRADE_DECISION = 'allocation-performance-grade';
const FUND_SOURCE = '一般公共预算';
const CANDIDATE_STATUSES: ProjectStatus[] = ['reserved', 'scored'];

export interface AllocationDeps {
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
export const WORKER_ACTOR: Actor = { userId: null, username: 'worker:allocation', displayName: '流程引擎' };

function engineDown(err: unknown): never {
  if (isEngineError(err)) throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂时无法访问，请稍后重试');
  throw err;
}

// ---------------------------------------------------------------------------------------------
// The grade rule, from the decision table (evaluated once per grade, not per project)

export async function gradeRules(
  engine: EngineClient,
  namespace: string,
): Promise<(g: Grade | null, belowTwoYears?: boolean) => GradeRule> {
  const rules = new Map<string, GradeRule>();
  try {
    for (const g of [...GRADES, null]) {
      for (const below of [false, true]) {
        const [r] = await engine.request<Array<Record<string, { value: unknown }>>>(
          'POST',
          `/decision-definition/key/${encodeURIComponent(namespaced(namespace, GRADE_DECISION))}/evaluate`,
          {
            body: {
              variables: {
                grade: g === null ? { value: null, type: 'Null' } : { value: g, type: 'String' },
                belowTwoYears: { value: below, type: 'Boolean' },
              },
            },
          },
        );
        if (!r) throw new Error(`decision ${GRADE_DECISION} gave no result for ${String(g)}`);
        rules.set(`${String(g)}:${below}`, {
          priority: Number(r.priority?.value ?? 1),
          cutPercent: Number(r.cutPercent?.value ?? 0),
          excluded: r.excluded?.value === true,
        });
      }
    }
  } catch (err) {
    engineDown(err);
  }
  return (g, below = false) => rules.get(`${String(g)}:${below}`)!;
}

// ---------------------------------------------------------------------------------------------
// Organisations: the bureau of a budget division, the department of a unit

interface OrgRow {
  id: number;
  name: string;
  kind: string;
  path: string;
  parent_id: number | null;
}

async function bureauOf(db: Knex, p: Principal): Promise<OrgRow> {
  const ids = p.orgPath.split('/').filter(Boolean).map(Number);
  const rows = (await db('organisations').whereIn('id', ids).select('id', 'name', 'kind', 'path', 'parent_id')) as OrgRow[];
  const bureau = ids
    .map((id) => rows.find((r) => Number(r.id) === id))
    .reverse()
    .find((r) => r?.kind === 'finance_bureau');
  if (!bureau) throw errors.badRequest('NO_FINANCE_BUREAU', '您所在的机构不属于任何财政局，不能编制预算分配方案');
  return bureau;
}

/** Each unit's supervising department: the nearest organisation of kind department above it (or the unit itself). */
async function departmentsOf(db: Knex, unitIds: readonly number[]): Promise<Map<number, number>> {
  const units = (await db('organisations')
    .whereIn('id', [...new Set(unitIds)])
    .select('id', 'path')) as Array<{ id: number; path: string }>;
  const ancestorIds = [...new Set(units.flatMap((u) => u.path.split('/').filter(Boolean).map(Number)))];
  const departments = new Set(
    ((await db('organisations').whereIn('id', ancestorIds).where('kind', 'department').select('id')) as Array<{ id: number }>).map((r) =>
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
        .find((id) => departments.has(id)) ?? Number(u.id),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Building the allocation

export interface ControlTotalInput {
  departmentOrgId: number;
  sector: string;
  amountFen: number;
}

export interface CreateInput {
  fiscalYear: number;
  name: string;
  majorDecision: boolean;
  controlTotals: ControlTotalInput[];
}

interface CandidateRow {
  id: number;
  project_no: string;
  unit_org_id: number;
  functional_code: string;
  total_amount_fen: number | string;
  expert_band: string | null;
  expert_score_centi: number | null;
}

/** Creates the year's allocation of the person's bureau: candidates ranked, amounts suggested within the control totals. */
export async function createAllocation(
  deps: AllocationDeps,
  p: Principal,
  scope: Knex.QueryBuilder,
  input: CreateInput,
  options: { now?: Date; rules?: (g: Grade | null, belowTwoYears?: boolean) => GradeRule } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  const { db } = deps;
  const bureau = await bureauOf(db, p);
  const live = (await db('budget_allocations')
    .where({ bureau_org_id: bureau.id, fiscal_year: input.fiscalYear })
    .whereIn('status', ['draft', 'approving'])
    .first('id', 'name')) as { id: number; name: string } | undefined;
  if (live) throw errors.conflict('ALLOCATION_EXISTS', `${input.fiscalYear} 年已有未完成的分配方案「${live.name}」，请在其中继续编制`);
  await checkTotalsInput(db, input.controlTotals, scope.clone());
  const rules = options.rules ?? (await gradeRules(deps.engine, deps.namespace));
  const candidates = (await db('projects')
    .whereIn('unit_org_id', scope.clone())
    .where('fiscal_year', input.fiscalYear)
    .whereIn('status', CANDIDATE_STATUSES)
    .select(
      'id',
      'project_no',
      'unit_org_id',
      'functional_code',
      'total_amount_fen',
      'expert_band',
      'expert_score_centi',
    )) as CandidateRow[];
  const departments = await departmentsOf(
    db,
    candidates.map((c) => Number(c.unit_org_id)),
  );
  // Last year's grade decides; the year before last's too when both are below target (two years in a row).
  const gradeRows = (await db('performance_grades')
    .whereIn('fiscal_year', [input.fiscalYear - 1, input.fiscalYear - 2])
    .whereIn('unit_org_id', [...new Set(candidates.map((c) => Number(c.unit_org_id)))])
    .select('unit_org_id', 'grade', 'fiscal_year')) as Array<{ unit_org_id: number; grade: Grade; fiscal_year: number }>;
  const grades = new Map(
    gradeRows.filter((g) => Number(g.fiscal_year) === input.fiscalYear - 1).map((g) => [Number(g.unit_org_id), g.grade]),
  );
  const gradesBefore = new Map(
    gradeRows.filter((g) => Number(g.fiscal_year) === input.fiscalYear - 2).map((g) => [Number(g.unit_org_id), g.grade]),
  );
  const belowTarget = (g: Grade | undefined) => g !== undefined && (BELOW_TARGET_GRADES as readonly string[]).includes(g);
  const totals = new Map(input.controlTotals.map((t) => [controlKey(t.departmentOrgId, t.sector), t.amountFen]));
  const ranked = rankCandidates(
    candidates.map((c) => ({
      projectId: Number(c.id),
      projectNo: c.project_no,
      departmentOrgId: departments.get(Number(c.unit_org_id))!,
      sector: c.functional_code.slice(0, 3),
      requestedFen: Number(c.total_amount_fen),
      grade: grades.get(Number(c.unit_org_id)) ?? null,
      belowTwoYears: belowTarget(grades.get(Number(c.unit_org_id))) && belowTarget(gradesBefore.get(Number(c.unit_org_id))),
      band: c.expert_band,
      scoreCenti: c.expert_score_centi === null ? null : Number(c.expert_score_centi),
    })),
    rules,
    totals,
  );
  return db.transaction(async (trx) => {
    const [raw] = await trx('budget_allocations').insert({
      fiscal_year: input.fiscalYear,
      bureau_org_id: bureau.id,
      name: input.name,
      status: 'draft',
      major_decision: input.majorDecision,
      total_fen: 0,
      created_by: p.userId,
      created_at: now,
      updated_at: now,
    });
    const id = Number(raw);
    if (input.controlTotals.length)
      await trx('allocation_control_totals').insert(
        input.controlTotals.map((t) => ({
          allocation_id: id,
          department_org_id: t.departmentOrgId,
          sector: t.sector,
          amount_fen: t.amountFen,
        })),
      );
    const rows = ranked.map((l) => ({
      allocation_id: id,
      project_id: l.projectId,
      department_org_id: l.departmentOrgId,
      sector: l.sector,
      rank: l.rank,
      grade: l.grade,
      band: l.band,
      score_centi: l.scoreCenti,
      excluded: l.excluded,
      requested_fen: l.requestedFen,
      suggested_fen: l.suggestedFen,
      proposed_fen: l.suggestedFen,
      reason: l.reason,
    }));
    for (let i = 0; i < rows.length; i += 200) await trx('allocation_lines').insert(rows.slice(i, i + 200));
    await trx('budget_allocations')
      .where('id', id)
      .update({ total_fen: ranked.reduce((s, l) => s + l.suggestedFen, 0) });
    await appendAudit(trx, {
      kind: 'allocation.create',
      subjectType: 'budget_allocation',
      subjectId: id,
      actor: { userId: p.userId, username: p.username },
      data: {
        fiscalYear: input.fiscalYear,
        name: input.name,
        candidates: ranked.length,
        controlTotals: input.controlTotals as unknown as Json,
      },
    });
    return id;
  });
}

/** Control totals name departments the person sees (scopeOrgIds): another region's department is refused like an unknown one. */
async function checkTotalsInput(db: Knex, totals: readonly ControlTotalInput[], scope: Knex.QueryBuilder): Promise<void> {
  const seen = new Set<string>();
  const problems: Array<{ field: string; message: string }> = [];
  const depts = new Set(
    (
      (await db('organisations')
        .whereIn('id', [...new Set(totals.map((t) => t.departmentOrgId))])
        .whereIn('id', scope)
        .select('id')) as Array<{ id: number }>
    ).map((r) => Number(r.id)),
  );
  totals.forEach((t, i) => {
    const k = controlKey(t.departmentOrgId, t.sector);
    if (seen.has(k)) problems.push({ field: `body.controlTotals.${i}`, message: '同一部门、同一领域的控制数只能设定一次' });
    if (!depts.has(t.departmentOrgId))
      problems.push({ field: `body.controlTotals.${i}.departmentOrgId`, message: `部门 #${t.departmentOrgId} 不存在或不在您的数据范围内` });
    seen.add(k);
  });
  if (problems.length) throw errors.badRequest('CONTROL_TOTALS_INVALID', '控制数设定有误，请按提示修改', problems);
}

// ---------------------------------------------------------------------------------------------
// Reading

interface AllocationRow {
  id: number;
  fiscal_year: number;
  bureau_org_id: number;
  name: string;
  status: AllocationStatus;
  major_decision: number | boolean;
  total_fen: number | string;
  approval_chain: ApprovalChain | null;
  process_instance_key: string | null;
  document_no: string | null;
  return_comment: string | null;
  version: number;
  created_by: number;
  submitted_by: number | null;
  created_at: unknown;
  updated_at: unknown;
  submitted_at: unknown;
  issued_at: unknown;
}

export const ALLOCATION_STATUS_LABELS: Record<string, string> = { draft: '编制中', approving: '审批中', issued: '已批复下达' };

export interface LineView {
  projectId: number;
  projectNo: string;
  projectName: string;
  unitName: string;
  departmentOrgId: number;
  sector: string;
  rank: number;
  grade: string | null;
  band: string | null;
  scoreCenti: number | null;
  excluded: boolean;
  requestedFen: number;
  suggestedFen: number;
  proposedFen: number;
  reason: string | null;
  outcome: string | null;
  projectStatus: ProjectStatus;
}

async function allocationRow(db: Knex, id: number, bureauOrgId?: number): Promise<AllocationRow> {
  const row = (await db('budget_allocations').where('id', id).first()) as AllocationRow | undefined;
  if (!row || (bureauOrgId !== undefined && Number(row.bureau_org_id) !== bureauOrgId)) throw errors.notFound(`预算分配方案 #${id} 不存在`);
  return row;
}

/** The allocation's bureau must be one the person sees (their region covers it), else 404. */
async function visibleAllocation(db: Knex, p: Principal, id: number): Promise<AllocationRow> {
  const row = await allocationRow(db, id);
  const bureau = (await db('organisations').where('id', row.bureau_org_id).first('region_code')) as { region_code: string } | undefined;
  if (!bureau || !bureau.region_code.startsWith(regionPrefix(p.orgRegionCode))) throw errors.notFound(`预算分配方案 #${id} 不存在`);
  return row;
}

/**
 * The allocation as the page shows it (contracts/allocations.ts). Times are ISO 8601 UTC strings,
 * as JSON writes a Date, so the answer is what goes over the wire.
 */
export async function getAllocation(deps: AllocationDeps, p: Principal, id: number) {
  const { db } = deps;
  const row = await visibleAllocation(db, p, id);
  const totals = (await db('allocation_control_totals as t')
    .join('organisations as o', 'o.id', 't.department_org_id')
    .where('t.allocation_id', id)
    .orderBy(['o.name', 't.sector'])
    .select('t.department_org_id', 't.sector', 't.amount_fen', 'o.name')) as Array<{
    department_org_id: number;
    sector: string;
    amount_fen: number | string;
    name: string;
  }>;
  const lines = (await db('allocation_lines as l')
    .join('projects as p', 'p.id', 'l.project_id')
    .join('organisations as u', 'u.id', 'p.unit_org_id')
    .where('l.allocation_id', id)
    .orderBy('l.rank')
    .select('l.*', 'p.project_no', 'p.name as project_name', 'p.status as project_status', 'u.name as unit_name')) as Array<
    Record<string, unknown>
  >;
  const lineViews: LineView[] = lines.map((l) => ({
    projectId: Number(l.project_id),
    projectNo: String(l.project_no),
    projectName: String(l.project_name),
    unitName: String(l.unit_name),
    departmentOrgId: Number(l.department_org_id),
    sector: String(l.sector),
    rank: Number(l.rank),
    grade: (l.grade as string | null) ?? null,
    band: (l.band as string | null) ?? null,
    scoreCenti: l.score_centi === null ? null : Number(l.score_centi),
    excluded: Boolean(Number(l.excluded)),
    requestedFen: Number(l.requested_fen),
    suggestedFen: Number(l.suggested_fen),
    proposedFen: Number(l.proposed_fen),
    reason: (l.reason as string | null) ?? null,
    outcome: (l.outcome as string | null) ?? null,
    projectStatus: l.project_status as ProjectStatus,
  }));
  const deptNames = new Map(
    (
      (await db('organisations')
        .whereIn('id', [...new Set([...lineViews.map((l) => l.departmentOrgId), ...totals.map((t) => Number(t.department_org_id))])])
        .select('id', 'name')) as Array<{ id: number; name: string }>
    ).map((o) => [Number(o.id), o.name]),
  );
  const decisions = (await db('allocation_decisions as d')
    .join('users as u', 'u.id', 'd.user_id')
    .where('d.allocation_id', id)
    .orderBy('d.id')
    .select('d.*', 'u.display_name')) as Array<Record<string, unknown>>;
  const quotas =
    row.status === 'issued'
      ? ((await db('quotas')
          .where('document_no', row.document_no)
          .orderBy('id')
          .select('id', 'quota_no', 'project_id', 'economic_code', 'functional_code', 'amount_fen', 'document_no')) as Array<
          Record<string, unknown>
        >)
      : [];
  let pending: Array<{ elementId: string; name: string; assignee: string | null }> = [];
  if (row.status === 'approving' && row.process_instance_key) {
    try {
      pending = (await deps.engine.tasks({ processInstanceId: row.process_instance_key })).map((t) => ({
        elementId: t.taskDefinitionKey,
        name: t.name ?? t.taskDefinitionKey,
        assignee: t.assignee,
      }));
    } catch {
      pending = []; // the page still shows the allocation; the step list says the engine is away
    }
  }
  const holdsTask =
    row.status === 'approving' &&
    (await openTaskFor(deps, row, p).then(
      (t) => t !== null,
      () => false, // the engine is away: nothing to decide until it is back
    ));
  const sums = sumLines(lineViews);
  return {
    id: Number(row.id),
    fiscalYear: Number(row.fiscal_year),
    name: row.name,
    status: row.status,
    statusLabel: ALLOCATION_STATUS_LABELS[row.status] ?? row.status,
    majorDecision: Boolean(Number(row.major_decision)),
    totalFen: row.status === 'draft' ? sums.totalFen : Number(row.total_fen),
    approvalChain: row.approval_chain,
    chainSteps: row.approval_chain ? CHAIN_STEPS[row.approval_chain] : [],
    documentNo: row.document_no,
    returnComment: row.return_comment,
    version: Number(row.version),
    createdAt: readInstant(row.created_at).toISOString(),
    submittedAt: row.submitted_at ? readInstant(row.submitted_at).toISOString() : null,
    issuedAt: row.issued_at ? readInstant(row.issued_at).toISOString() : null,
    controlTotals: totals.map((t) => ({
      departmentOrgId: Number(t.department_org_id),
      departmentName: t.name,
      sector: t.sector,
      amountFen: Number(t.amount_fen),
      proposedFen: sums.byControl.get(controlKey(Number(t.department_org_id), t.sector)) ?? 0,
    })),
    departments: [...deptNames].map(([id, name]) => ({ id, name })),
    lines: lineViews,
    decisions: decisions.map((d) => ({
      elementId: String(d.element_id),
      stepName: String(d.step_name),
      decision: String(d.decision),
      comment: (d.comment as string | null) ?? null,
      userName: String(d.display_name),
      sealed: Boolean(Number(d.sealed)),
      auditRecordId: d.audit_record_id === null ? null : Number(d.audit_record_id),
      decidedAt: readInstant(d.decided_at).toISOString(),
    })),
    pending,
    can: allocationActions(row.status, p.permissions.has(ALLOCATION_BUILD_PERMISSION), holdsTask),
    quotas: quotas.map((q) => ({
      id: Number(q.id),
      quotaNo: String(q.quota_no),
      projectId: Number(q.project_id),
      economicCode: String(q.economic_code),
      functionalCode: String(q.functional_code),
      amountFen: Number(q.amount_fen),
      documentNo: String(q.document_no),
    })),
  };
}

export async function listAllocations(db: Knex, p: Principal, q: { fiscalYear?: number; status?: string }) {
  const query = db('budget_allocations as a')
    .join('organisations as o', 'o.id', 'a.bureau_org_id')
    .where('o.region_code', 'like', `${regionPrefix(p.orgRegionCode)}%`);
  if (q.fiscalYear) query.where('a.fiscal_year', q.fiscalYear);
  if (q.status) query.where('a.status', q.status);
  const rows = (await query.orderBy('a.id', 'desc').limit(200).select('a.*', 'o.name as bureau_name')) as Array<
    AllocationRow & { bureau_name: string }
  >;
  return {
    items: rows.map((r) => ({
      id: Number(r.id),
      fiscalYear: Number(r.fiscal_year),
      name: r.name,
      bureauName: r.bureau_name,
      status: r.status,
      statusLabel: ALLOCATION_STATUS_LABELS[r.status] ?? r.status,
      totalFen: Number(r.total_fen),
      approvalChain: r.approval_chain,
      documentNo: r.document_no,
      submittedAt: r.submitted_at ? readInstant(r.submitted_at).toISOString() : null,
      issuedAt: r.issued_at ? readInstant(r.issued_at).toISOString() : null,
    })),
    can: allocationListActions(p.permissions.has(ALLOCATION_BUILD_PERMISSION)),
  };
}

// ---------------------------------------------------------------------------------------------
// What-if edits, control totals

/** The refusal of an allocation that breaks a rule: 409 for a control total, 400 for the rest; nothing written. */
async function refuse(db: Knex, problems: AllocationProblem[]): Promise<never> {
  const names = new Map(
    (
      (await db('organisations')
        .whereIn('id', [...new Set(problems.map((x) => x.departmentOrgId).filter((x): x is number => x !== undefined))])
        .select('id', 'name')) as Array<{ id: number; name: string }>
    ).map((o) => [Number(o.id), o.name]),
  );
  const details = problems.map((x) => {
    const where = x.departmentOrgId !== undefined ? `${names.get(x.departmentOrgId) ?? `#${x.departmentOrgId}`}（领域 ${x.sector}）` : '';
    switch (x.code) {
      case 'OVER_CONTROL_TOTAL':
        return {
          field: `controlTotals.${x.departmentOrgId}:${x.sector}`,
          message: `${where}安排合计 ${formatYuan(x.sumFen!)}，超出控制数 ${formatYuan(x.totalFen!)} 共 ${formatYuan(x.excessFen!)}`,
        };
      case 'PROPOSED_OVER_REQUESTED':
        return { field: `lines.${x.projectId}`, message: `项目 #${x.projectId} 的安排金额超过了申报金额` };
      case 'EXCLUDED_PROJECT_FUNDED':
        return { field: `lines.${x.projectId}`, message: `项目 #${x.projectId} 上年绩效评价为“差”，不能安排资金` };
      case 'NO_CONTROL_TOTAL':
        return { field: `lines.${x.projectId}`, message: `项目 #${x.projectId} 所在的${where}尚未设定控制数，不能安排资金` };
      default:
        return { field: `lines.${x.projectId}`, message: `项目 #${x.projectId} 的安排金额无效（应为不小于 0 的整数分）` };
    }
  });
  const over = problems.filter((x) => x.code === 'OVER_CONTROL_TOTAL');
  if (over.length) {
    throw new AppError(
      409,
      'ALLOCATION_OVER_CONTROL_TOTAL',
      `分配方案超出控制数：${details
        .filter((d) => d.field.startsWith('controlTotals'))
        .map((d) => d.message)
        .join('；')}。方案未保存，请调减后再试`,
      details,
    );
  }
  throw errors.badRequest('ALLOCATION_INVALID', '分配方案有不符合规则的安排，未保存，请按提示修改', details);
}

interface LineRow {
  id: number;
  project_id: number;
  department_org_id: number;
  sector: string;
  requested_fen: number | string;
  proposed_fen: number | string;
  excluded: number | boolean;
}

const proposedOf = (l: LineRow, edits: Map<number, number>) => ({
  projectId: Number(l.project_id),
  departmentOrgId: Number(l.department_org_id),
  sector: l.sector,
  requestedFen: Number(l.requested_fen),
  proposedFen: edits.get(Number(l.project_id)) ?? Number(l.proposed_fen),
  excluded: Boolean(Number(l.excluded)),
});

async function lockDraft(trx: Knex, id: number, bureauOrgId: number, version: number): Promise<AllocationRow> {
  const row = await allocationRow(trx, id, bureauOrgId);
  if (row.status !== 'draft')
    throw errors.conflict('ALLOCATION_NOT_DRAFT', `分配方案${ALLOCATION_STATUS_LABELS[row.status] ?? row.status}，不能再修改`);
  const n = await trx('budget_allocations')
    .where({ id, version })
    .update({ version: trx.raw('version + 1'), updated_at: new Date() });
  if (n !== 1) throw errors.conflict('ALLOCATION_CHANGED', '分配方案已被他人修改，请刷新后再试');
  return row;
}

async function totalsOf(db: Knex, id: number): Promise<Map<string, number>> {
  return new Map(
    (
      (await db('allocation_control_totals').where('allocation_id', id).select('department_org_id', 'sector', 'amount_fen')) as Array<{
        department_org_id: number;
        sector: string;
        amount_fen: number | string;
      }>
    ).map((t) => [controlKey(Number(t.department_org_id), t.sector), Number(t.amount_fen)]),
  );
}

/** What-if edits of proposed amounts, saved together or not at all. */
export async function editLines(
  db: Knex,
  p: Principal,
  id: number,
  input: { version: number; lines: Array<{ projectId: number; proposedFen: number }> },
): Promise<{ version: number; totalFen: number }> {
  const bureau = await bureauOf(db, p);
  return db.transaction(async (trx) => {
    await lockDraft(trx, id, Number(bureau.id), input.version);
    const lines = (await trx('allocation_lines')
      .where('allocation_id', id)
      .select('id', 'project_id', 'department_org_id', 'sector', 'requested_fen', 'proposed_fen', 'excluded')) as LineRow[];
    const edits = new Map(input.lines.map((l) => [l.projectId, l.proposedFen]));
    const known = new Set(lines.map((l) => Number(l.project_id)));
    const unknown = input.lines.filter((l) => !known.has(l.projectId));
    if (unknown.length)
      throw errors.badRequest(
        'ALLOCATION_INVALID',
        '有项目不在本分配方案中',
        unknown.map((l) => ({ field: `lines.${l.projectId}`, message: `项目 #${l.projectId} 不在本分配方案中` })),
      );
    const proposed = lines.map((l) => proposedOf(l, edits));
    const problems = checkAllocation(proposed, await totalsOf(trx, id));
    if (problems.length) await refuse(trx, problems);
    for (const l of lines) {
      const to = edits.get(Number(l.project_id));
      if (to !== undefined && to !== Number(l.proposed_fen)) await trx('allocation_lines').where('id', l.id).update({ proposed_fen: to });
    }
    const totalFen = proposed.reduce((s, l) => s + l.proposedFen, 0);
    await trx('budget_allocations').where('id', id).update({ total_fen: totalFen });
    return { version: input.version + 1, totalFen };
  });
}

/** Replaces the control totals; refused when what is proposed would then exceed one. */
export async function setControlTotals(
  db: Knex,
  p: Principal,
  id: number,
  scope: Knex.QueryBuilder,
  input: { version: number; controlTotals: ControlTotalInput[] },
): Promise<{ version: number }> {
  const bureau = await bureauOf(db, p);
  await checkTotalsInput(db, input.controlTotals, scope);
  return db.transaction(async (trx) => {
    await lockDraft(trx, id, Number(bureau.id), input.version);
    const lines = (await trx('allocation_lines')
      .where('allocation_id', id)
      .select('id', 'project_id', 'department_org_id', 'sector', 'requested_fen', 'proposed_fen', 'excluded')) as LineRow[];
    const totals = new Map(input.controlTotals.map((t) => [controlKey(t.departmentOrgId, t.sector), t.amountFen]));
    const problems = checkAllocation(
      lines.map((l) => proposedOf(l, new Map())),
      totals,
    );
    if (problems.length) await refuse(trx, problems);
    await trx('allocation_control_totals').where('allocation_id', id).delete();
    if (input.controlTotals.length)
      await trx('allocation_control_totals').insert(
        input.controlTotals.map((t) => ({
          allocation_id: id,
          department_org_id: t.departmentOrgId,
          sector: t.sector,
          amount_fen: t.amountFen,
        })),
      );
    return { version: input.version + 1 };
  });
}

// ---------------------------------------------------------------------------------------------
// Submission and approval

/** The approved lines as sealed: the approver's seal covers their SM3, the issuance checks against it. */
async function linesDigest(db: Knex, id: number): Promise<{ sm3: string; totalFen: number; funded: number }> {
  const rows = (await db('allocation_lines')
    .where('allocation_id', id)
    .where('proposed_fen', '>', 0)
    .orderBy('project_id')
    .select('project_id', 'proposed_fen')) as Array<{ project_id: number; proposed_fen: number | string }>;
  const lines = rows.map((r) => ({ projectId: Number(r.project_id), amountFen: Number(r.proposed_fen) }));
  return { sm3: formDigest(lines as unknown as Json), totalFen: lines.reduce((s, l) => s + l.amountFen, 0), funded: lines.length };
}

export async function submitAllocation(
  deps: AllocationDeps,
  p: Principal,
  id: number,
  input: { version: number; signingPin?: string },
  now = new Date(),
): Promise<{ processInstanceId: string }> {
  const { db } = deps;
  const bureau = await bureauOf(db, p);
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '提交分配方案');
  const countersigners = await resolveCandidates(db, ['director'], Number(bureau.id));
  return db.transaction(async (trx) => {
    const row = await lockDraft(trx, id, Number(bureau.id), input.version);
    const lines = (await trx('allocation_lines')
      .where('allocation_id', id)
      .select('id', 'project_id', 'department_org_id', 'sector', 'requested_fen', 'proposed_fen', 'excluded')) as LineRow[];
    const problems = checkAllocation(
      lines.map((l) => proposedOf(l, new Map())),
      await totalsOf(trx, id),
    );
    if (problems.length) await refuse(trx, problems);
    const digest = await linesDigest(trx, id);
    if (digest.funded === 0) throw errors.badRequest('ALLOCATION_EMPTY', '分配方案没有安排任何项目的资金，不能提交');
    if (countersigners.length === 0) throw errors.conflict('NO_APPROVERS', '本级财政局没有可办理审批的局领导账号，请联系系统管理员');
    const decision: Json = {
      allocationId: id,
      fiscalYear: Number(row.fiscal_year),
      totalFen: digest.totalFen,
      funded: digest.funded,
      linesSm3: digest.sm3,
      majorDecision: Boolean(Number(row.major_decision)),
    };
    const record = signer
      ? await seal(trx, signer, { what: 'allocation.submit', who: whoOf(p), decision, subjectType: 'budget_allocation', subjectId: id })
      : await appendAudit(trx, {
          kind: 'allocation.submit',
          subjectType: 'budget_allocation',
          subjectId: id,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('allocation_decisions').insert({
      allocation_id: id,
      element_id: 'AllocationSubmitted',
      step_name: '预算处提交',
      decision: 'submit',
      comment: null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
    let started;
    try {
      started = await deps.engine.startProcess(namespaced(deps.namespace, ALLOCATION_PROCESS), {
        businessKey: `allocation:${id}`,
        variables: {
          allocationId: id,
          totalFen: digest.totalFen,
          majorDecision: Boolean(Number(row.major_decision)),
          countersigners,
          countersignRule: 'majority',
        },
      });
    } catch (err) {
      engineDown(err);
    }
    await trx('budget_allocations').where('id', id).update({
      status: 'approving',
      total_fen: digest.totalFen,
      process_instance_key: started.id,
      submitted_by: p.userId,
      submitted_at: now,
      return_comment: null,
      approval_chain: null,
    });
    return { processInstanceId: started.id };
  });
}

/** The open engine task of the allocation that this person may decide, or null. */
async function openTaskFor(deps: AllocationDeps, row: AllocationRow, p: Principal) {
  if (!row.process_instance_key) return null;
  const tasks = await deps.engine.tasks({ processInstanceId: row.process_instance_key });
  const model = processModels().get(ALLOCATION_PROCESS);
  for (const t of tasks)
    if (await holdsTask(deps.db, p, t, model?.elements.get(t.taskDefinitionKey)?.candidateGroups, Number(row.bureau_org_id))) return t;
  return null;
}

export async function decide(
  deps: AllocationDeps,
  p: Principal,
  id: number,
  input: { decision: 'approve' | 'reject'; comment?: string; signingPin?: string },
  now = new Date(),
): Promise<{ step: string }> {
  const { db, engine } = deps;
  const signer = await signerFor(deps.keyStore, p.userId, input.signingPin, '审批分配方案');
  const row = await visibleAllocation(db, p, id);
  if (row.status !== 'approving')
    throw errors.conflict('ALLOCATION_NOT_APPROVING', `分配方案${ALLOCATION_STATUS_LABELS[row.status] ?? row.status}，没有待审批的环节`);
  let task;
  try {
    task = await openTaskFor(deps, row, p);
  } catch (err) {
    engineDown(err);
  }
  if (!task) throw errors.conflict('NO_TASK_FOR_YOU', '该分配方案当前没有由您办理的审批环节');
  const digest = await linesDigest(db, id);
  const decision: Json = {
    allocationId: id,
    step: task.taskDefinitionKey,
    decision: input.decision,
    comment: input.comment ?? null,
    totalFen: digest.totalFen,
    linesSm3: digest.sm3,
  };
  const variables: Record<string, string | null> =
    task.taskDefinitionKey === 'Countersign'
      ? { vote: input.decision, comment: input.comment ?? null }
      : { decision: input.decision, comment: input.comment ?? null };
  await db.transaction(async (trx) => {
    try {
      await engine.retrying(() => engine.setAssignee(task.id, String(p.userId)));
      await engine.retrying(() => engine.completeTask(task.id, variables));
    } catch (err) {
      if (isEngineError(err) && err.status === 404) throw errors.conflict('TASK_GONE', '该审批环节已由他人办理');
      engineDown(err);
    }
    const record = signer
      ? await seal(trx, signer, {
          what: 'allocation.approve',
          who: whoOf(p),
          processInstance: row.process_instance_key,
          element: task.taskDefinitionKey,
          decision,
          form: variables as Json,
          subjectType: 'budget_allocation',
          subjectId: id,
        })
      : await appendAudit(trx, {
          kind: 'allocation.approve',
          subjectType: 'budget_allocation',
          subjectId: id,
          actor: { userId: p.userId, username: p.username },
          data: decision,
        });
    await trx('allocation_decisions').insert({
      allocation_id: id,
      element_id: task.taskDefinitionKey,
      step_name: task.name ?? task.taskDefinitionKey,
      decision: input.decision,
      comment: input.comment ?? null,
      user_id: p.userId,
      audit_record_id: record.id,
      sealed: Boolean(signer),
      decided_at: now,
    });
  });
  return { step: task.name ?? task.taskDefinitionKey };
}

// ---------------------------------------------------------------------------------------------
// The workers' steps

export async function recordChain(trx: Knex, allocationId: number, chain: ApprovalChain): Promise<void> {
  await trx('budget_allocations').where('id', allocationId).update({ approval_chain: chain });
}

export async function returnAllocation(trx: Knex, allocationId: number, comment: string | null, processInstanceId: string): Promise<void> {
  const row = await allocationRow(trx, allocationId);
  if (row.status !== 'approving' || row.process_instance_key !== processInstanceId) return; // a redelivery, or an older round
  await trx('budget_allocations')
    .where('id', allocationId)
    .update({ status: 'draft', return_comment: comment ?? '审批未通过', version: trx.raw('version + 1'), updated_at: new Date() });
  await appendAudit(trx, {
    kind: 'allocation.return',
    subjectType: 'budget_allocation',
    subjectId: allocationId,
    actor: { userId: null, username: 'system' },
    data: { comment },
  });
  if (row.submitted_by)
    await notify(trx, {
      userIds: [Number(row.submitted_by)],
      template: 'allocation-returned',
      context: { allocationName: row.name, comment: comment ?? '（无）' },
      link: `/allocations/${allocationId}`,
      dedupeKey: `alloc-return:${processInstanceId}`,
    });
}

/**
 * 批复 and 指标下达: for every funded line, its approved amount split over the project's economic
 * lines and issued as quotas under one generated document number; each issue carries an
 * idempotency key of the allocation, project and economic code, so a redelivered job (or a second
 * node) finds the quotas issued and issues nothing again. The lines issued are checked against
 * the SM3 the approvers sealed. Unfunded projects go back to the reserve with the reason.
 */
export async function issueAllocation(
  trx: Knex,
  allocationId: number,
  processInstanceId: string,
  now = new Date(),
): Promise<{ documentNo: string; issued: number; replayed: number }> {
  const row = await allocationRow(trx, allocationId);
  if (row.process_instance_key !== processInstanceId)
    throw new Error(`allocation ${allocationId} is not the one of instance ${processInstanceId}`);
  const digest = await linesDigest(trx, allocationId);
  const sealedSubmit = (await trx('allocation_decisions as d')
    .join('audit_records as r', 'r.id', 'd.audit_record_id')
    .where({ 'd.allocation_id': allocationId, 'd.element_id': 'AllocationSubmitted' })
    .orderBy('d.id', 'desc')
    .first('r.body')) as { body: string } | undefined;
  const sealedText = sealedSubmit ? String(sealedSubmit.body) : '';
  if (!sealedText.includes(digest.sm3))
    throw new Error(`allocation ${allocationId}: the lines differ from what was submitted and approved (SM3 ${digest.sm3})`);
  const documentNo = documentNumber(Number(row.fiscal_year), allocationId);
  const lines = (await trx('allocation_lines as l')
    .join('projects as p', 'p.id', 'l.project_id')
    .where('l.allocation_id', allocationId)
    .orderBy('l.rank')
    .select(
      'l.id',
      'l.project_id',
      'l.proposed_fen',
      'l.reason',
      'p.name',
      'p.project_no',
      'p.unit_org_id',
      'p.functional_code',
      'p.status',
      'p.created_by',
    )) as Array<{
    id: number;
    project_id: number;
    proposed_fen: number | string;
    reason: string | null;
    name: string;
    project_no: string;
    unit_org_id: number;
    functional_code: string;
    status: ProjectStatus;
    created_by: number | null;
  }>;
  const amounts = (await trx('project_amounts')
    .whereIn(
      'project_id',
      lines.map((l) => l.project_id),
    )
    .orderBy('id')
    .select('project_id', 'economic_code', 'amount_fen')) as Array<{
    project_id: number;
    economic_code: string;
    amount_fen: number | string;
  }>;
  let issued = 0;
  let replayed = 0;
  for (const l of lines) {
    const projectId = Number(l.project_id);
    const amountFen = Number(l.proposed_fen);
    if (amountFen > 0) {
      const parts = splitAmount(
        amountFen,
        amounts
          .filter((a) => Number(a.project_id) === projectId)
          .map((a) => ({ economicCode: a.economic_code, amountFen: Number(a.amount_fen) })),
      );
      for (const part of parts) {
        const r = await issueQuota(trx, {
          quotaNo: allocationQuotaNo(Number(row.fiscal_year), allocationId, projectId, part.economicCode),
          fiscalYear: Number(row.fiscal_year),
          projectId,
          unitOrgId: Number(l.unit_org_id),
          functionalCode: l.functional_code,
          economicCode: part.economicCode,
          fundSource: FUND_SOURCE,
          documentNo,
          amountFen: part.amountFen,
          actor: '流程引擎（批复下达）',
          reason: `预算批复：${row.name}（${documentNo}）`,
          idempotencyKey: `alloc-${allocationId}-p${projectId}-e${part.economicCode}`,
          reference: { type: 'budget-allocation', id: String(allocationId) },
        });
        if (r.replayed) replayed += 1;
        else issued += 1;
      }
      if (l.status === 'reserved' || l.status === 'scored')
        await changeStatus(trx, WORKER_ACTOR, projectId, 'budgeted', { note: `纳入预算分配方案「${row.name}」`, data: { allocationId } });
      if (l.status !== 'funded')
        await changeStatus(trx, WORKER_ACTOR, projectId, 'funded', {
          note: `已批复下达 ${formatYuan(amountFen)}，指标文号 ${documentNo}`,
          data: { allocationId, documentNo, amountFen },
        });
      await trx('allocation_lines').where('id', l.id).update({ outcome: 'funded' });
      if (l.created_by)
        await notify(trx, {
          userIds: [Number(l.created_by)],
          template: 'allocation-funded',
          context: {
            projectName: l.name,
            projectNo: l.project_no,
            fiscalYear: row.fiscal_year,
            amount: formatYuan(amountFen),
            amountWan: formatWanYuan(amountFen),
            documentNo,
          },
          link: '/quotas',
          dedupeKey: `alloc-funded:${allocationId}:${projectId}`,
        });
    } else {
      const reason = l.reason ?? '本年度预算分配方案未安排该项目';
      const alreadyBack = (await trx('allocation_lines').where('id', l.id).first('outcome')) as { outcome: string | null };
      if (alreadyBack.outcome !== 'not_funded') {
        if (l.status === 'scored')
          await changeStatus(trx, WORKER_ACTOR, projectId, 'reserved', {
            note: `未列入预算分配方案「${row.name}」，回到储备库：${reason}`,
            data: { allocationId },
          });
        else
          await writeProjectEvent(trx, projectId, WORKER_ACTOR, {
            kind: 'allocation_not_funded',
            note: `未列入预算分配方案「${row.name}」，继续储备：${reason}`,
            data: { allocationId },
          });
        await trx('allocation_lines').where('id', l.id).update({ outcome: 'not_funded' });
      }
      if (l.created_by)
        await notify(trx, {
          userIds: [Number(l.created_by)],
          template: 'allocation-not-funded',
          context: { projectName: l.name, projectNo: l.project_no, fiscalYear: row.fiscal_year, allocationName: row.name, reason },
          link: '/my-applications',
          dedupeKey: `alloc-unfunded:${allocationId}:${projectId}`,
        });
    }
  }
  if (row.status !== 'issued') {
    await trx('budget_allocations')
      .where('id', allocationId)
      .update({ status: 'issued', document_no: documentNo, issued_at: now, version: trx.raw('version + 1'), updated_at: now });
    await appendAudit(trx, {
      kind: 'allocation.issue',
      subjectType: 'budget_allocation',
      subjectId: allocationId,
      actor: { userId: null, username: 'system' },
      data: { documentNo, totalFen: digest.totalFen, funded: digest.funded, linesSm3: digest.sm3 },
    });
  }
  return { documentNo, issued, replayed };
}
