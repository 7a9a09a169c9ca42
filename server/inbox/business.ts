import type { Knex } from 'knex';
import { KIND_LABELS as ADJUSTMENT_KIND_LABELS, type AdjustmentKind } from '../../domain/adjustments';
import { formatYuan } from '../../domain/money';
import { regionPrefix } from '../../domain/roles';
import { toShanghaiIso } from '../../domain/time';
import { ADJUSTMENT_PROCESS, scoped as scopedAdjustments } from '../adjustments/service';
import { ALLOCATION_PROCESS } from '../allocation/service';
import { scopeOrgIds, type Principal } from '../auth/service';
import { parseEngineDate, type EngineClient, type EngineTask } from '../engine/client';
import { namespaced } from '../engine/namespace';
import { processModels } from '../engine/models';
import { FINAL_ACCOUNTS_PROCESS } from '../final-accounts/service';
import { PAYMENT_PROCESS } from '../payments/service';
import { REPORT_PROCESS } from '../performance/monitoring';
import { TREASURY_PROCESS } from '../treasury/orders';
import type { Logger } from '../log';
import type { BusinessTask, BusinessTodo as BusinessTodoContract } from '../../contracts/tasks';
import { holdsTask, type CandidateCache } from './candidates';
import { processIdOf } from './sync';

/**
 * 待办's business steps: the open user tasks of the processes the inbox does not project
 * (`inbox="none"`: payment approval, treasury 核实, adjustment, allocation, final accounts,
 * quarterly monitoring — not the expert review, whose tasks are blind), read through at request
 * time. One engine task query per person (their candidate groups, and what is assigned to them,
 * over these processes only), then each kind maps its process instances to its own rows inside
 * its own data scope, and a step is listed only when the person may decide it by the rule the
 * module's page decides by (`holdsTask`, the modules' openTaskFor). The decision stays on the
 * module's page (with its seal): a row carries the link that opens it, nothing else.
 *
 * Read-through rather than projected into inbox_tasks: the projection, its candidate rows and
 * the reconciliation sweep are built around an intake project (project id, unit, the inbox's
 * own actions), and these steps are decided by their pages, which complete the engine's task
 * directly — a projection would need every page to close its row and the sweep to know six more
 * kinds. Read through, a step is in 待办 exactly while the engine has it open, and the intake
 * query (the one that must stay fast at a million tasks) is not touched: it runs beside this.
 */

export type BusinessTodoItem = BusinessTask;
export type BusinessTodo = BusinessTodoContract;

export interface BusinessTodoDeps {
  db: Knex;
  engine: EngineClient;
  namespace: string;
  log?: Logger;
}

export interface BusinessTodoQuery {
  keyword?: string;
  processId?: string;
  formKey?: string;
  overdue?: boolean;
}

/** One business object behind an open step, as a kind reads it (already limited to the person's scope). */
interface ObjectRow {
  instance: string;
  id: number;
  reference: string;
  title: string;
  unitName: string;
  ownerOrgId: number;
  link: string;
  context?: { functionalCode?: string };
}

interface Kind {
  processId: string;
  kind: BusinessTask['kind'];
  kindLabel: string;
  rows(db: Knex, p: Principal, instances: string[]): Promise<ObjectRow[]>;
}

const yuan = (fen: number | string) => formatYuan(Number(fen));

const KINDS: Kind[] = [
  {
    processId: PAYMENT_PROCESS,
    kind: 'payment',
    kindLabel: '用款申请',
    async rows(db, p, instances) {
      const rows = (await db('payment_requests as r')
        .join('organisations as o', 'o.id', 'r.unit_org_id')
        .whereIn('r.process_instance_key', instances)
        .where('r.status', 'approving')
        .whereIn('r.unit_org_id', scopeOrgIds(db, p))
        .select(
          'r.id',
          'r.request_no',
          'r.purpose',
          'r.amount_fen',
          'r.unit_org_id',
          'r.process_instance_key',
          'o.name as unit_name',
        )) as Array<Record<string, string | number>>;
      return rows.map((r) => ({
        instance: String(r.process_instance_key),
        id: Number(r.id),
        reference: String(r.request_no ?? `#${r.id}`),
        title: `${String(r.purpose)}（${yuan(r.amount_fen!)}）`,
        unitName: String(r.unit_name),
        ownerOrgId: Number(r.unit_org_id),
        link: `/payments/${r.id}`,
      }));
    },
  },
  {
    processId: TREASURY_PROCESS,
    kind: 'treasury',
    kindLabel: '国库支付',
    async rows(db, p, instances) {
      const rows = (await db('payment_orders as po')
        .join('organisations as o', 'o.id', 'po.unit_org_id')
        .whereIn('po.process_instance_id', instances)
        .whereIn('po.unit_org_id', scopeOrgIds(db, p))
        .select('po.id', 'po.order_no', 'po.amount_fen', 'po.unit_org_id', 'po.process_instance_id', 'o.name as unit_name')) as Array<
        Record<string, string | number>
      >;
      return rows.map((r) => ({
        instance: String(r.process_instance_id),
        id: Number(r.id),
        reference: String(r.order_no),
        title: `支付凭证（${yuan(r.amount_fen!)}）`,
        unitName: String(r.unit_name),
        ownerOrgId: Number(r.unit_org_id),
        link: '/treasury',
      }));
    },
  },
  {
    processId: ADJUSTMENT_PROCESS,
    kind: 'adjustment',
    kindLabel: '预算调整',
    async rows(db, p, instances) {
      const q = db('budget_adjustments as a')
        .join('organisations as o', 'o.id', 'a.org_id')
        .whereIn('a.process_instance_key', instances)
        .where('a.status', 'approving');
      const rows = (await scopedAdjustments(db, p, q, 'a').select(
        'a.id',
        'a.kind',
        'a.amount_fen',
        'a.reason',
        'a.org_id',
        'a.process_instance_key',
        'o.name as unit_name',
      )) as Array<Record<string, string | number>>;
      return rows.map((r) => ({
        instance: String(r.process_instance_key),
        id: Number(r.id),
        reference: `调整申请 #${r.id}`,
        title: `${ADJUSTMENT_KIND_LABELS[r.kind as AdjustmentKind] ?? String(r.kind)} ${yuan(r.amount_fen!)}：${String(r.reason)}`,
        unitName: String(r.unit_name),
        ownerOrgId: Number(r.org_id),
        link: `/adjustments/${r.id}`,
      }));
    },
  },
  {
    processId: ALLOCATION_PROCESS,
    kind: 'allocation',
    kindLabel: '预算分配',
    async rows(db, p, instances) {
      // The allocation's rule (visibleAllocation): its bureau's region is inside the person's.
      const rows = (await db('budget_allocations as b')
        .join('organisations as o', 'o.id', 'b.bureau_org_id')
        .whereIn('b.process_instance_key', instances)
        .where('b.status', 'approving')
        .where('o.region_code', 'like', `${regionPrefix(p.orgRegionCode)}%`)
        .select('b.id', 'b.name', 'b.fiscal_year', 'b.bureau_org_id', 'b.process_instance_key', 'o.name as unit_name')) as Array<
        Record<string, string | number>
      >;
      return rows.map((r) => ({
        instance: String(r.process_instance_key),
        id: Number(r.id),
        reference: String(r.name),
        title: `${r.fiscal_year} 年度预算分配方案`,
        unitName: String(r.unit_name),
        ownerOrgId: Number(r.bureau_org_id),
        link: `/allocations/${r.id}`,
      }));
    },
  },
  {
    processId: FINAL_ACCOUNTS_PROCESS,
    kind: 'final-accounts',
    kindLabel: '决算',
    async rows(db, p, instances) {
      const rows = (await db('final_accounts as f')
        .join('organisations as o', 'o.id', 'f.unit_org_id')
        .whereIn('f.process_instance_key', instances)
        .whereNotIn('f.status', ['closing', 'closed'])
        .whereIn('f.unit_org_id', scopeOrgIds(db, p))
        .select('f.id', 'f.fiscal_year', 'f.unit_org_id', 'f.process_instance_key', 'o.name as unit_name')) as Array<
        Record<string, string | number>
      >;
      return rows.map((r) => ({
        instance: String(r.process_instance_key),
        id: Number(r.id),
        reference: `${r.fiscal_year} 年度决算`,
        title: `${String(r.unit_name)} ${r.fiscal_year} 年度决算`,
        unitName: String(r.unit_name),
        ownerOrgId: Number(r.unit_org_id),
        link: `/final-accounts/${r.id}`,
      }));
    },
  },
  {
    processId: REPORT_PROCESS,
    kind: 'monitoring',
    kindLabel: '绩效监控',
    async rows(db, p, instances) {
      const rows = (await db('monitoring_reports as m')
        .join('projects as pr', 'pr.id', 'm.project_id')
        .join('organisations as o', 'o.id', 'm.unit_org_id')
        .whereIn('m.process_instance_key', instances)
        .whereIn('m.unit_org_id', scopeOrgIds(db, p))
        .select(
          'm.id',
          'm.fiscal_year',
          'm.quarter',
          'm.unit_org_id',
          'm.process_instance_key',
          'pr.name as project_name',
          'pr.functional_code',
          'o.name as unit_name',
        )) as Array<Record<string, string | number>>;
      return rows.map((r) => ({
        instance: String(r.process_instance_key),
        id: Number(r.id),
        reference: String(r.project_name),
        title: `${r.fiscal_year} 年第 ${r.quarter} 季度绩效监控`,
        unitName: String(r.unit_name),
        ownerOrgId: Number(r.unit_org_id),
        link: '/monitoring',
        context: { functionalCode: String(r.functional_code) },
      }));
    },
  },
];

const KIND_BY_PROCESS = new Map(KINDS.map((k) => [k.processId, k]));

/** The roles that are a candidate group of some user task of these processes. */
function businessGroups(): Set<string> {
  const groups = new Set<string>();
  for (const k of KINDS)
    for (const e of processModels().get(k.processId)?.elements.values() ?? [])
      if (e.kind === 'userTask') for (const g of (e.candidateGroups ?? '').split(',')) if (g.trim()) groups.add(g.trim());
  return groups;
}

/** At most this many open business steps are read for one person (a page of them, oldest first). */
export const BUSINESS_TODO_MAX = 500;

/** The open business steps this person may act on, oldest first (see the comment at the top). */
export async function listBusinessTodo(
  deps: BusinessTodoDeps,
  p: Principal,
  q: BusinessTodoQuery = {},
  now = new Date(),
): Promise<BusinessTodo> {
  const all = businessGroups();
  const roles = p.roles.filter((r) => all.has(r));
  // A person holding none of these steps' roles can only be a 会签 assignee, and those are directors.
  if (!roles.length && !p.roles.includes('director')) return { items: [], total: 0, engineAway: false };
  const keys = KINDS.filter((k) => !q.processId || k.processId === q.processId).map((k) => namespaced(deps.namespace, k.processId));
  if (!keys.length) return { items: [], total: 0, engineAway: false };
  let tasks: EngineTask[];
  try {
    const base = { processDefinitionKeyIn: keys.join(','), sortBy: 'created', sortOrder: 'asc', maxResults: BUSINESS_TODO_MAX };
    const [offered, assigned] = await Promise.all([
      roles.length ? deps.engine.tasks({ ...base, candidateGroups: roles.join(','), includeAssignedTasks: true }) : Promise.resolve([]),
      deps.engine.tasks({ ...base, assignee: String(p.userId) }),
    ]);
    const seen = new Set<string>();
    tasks = [...offered, ...assigned].filter((t) => !seen.has(t.id) && Boolean(seen.add(t.id)));
  } catch (err) {
    deps.log?.warn({ err: (err as Error).message }, '待办：流程引擎未应答，业务事项暂不能列出');
    return { items: [], total: 0, engineAway: true };
  }
  const byProcess = new Map<string, EngineTask[]>();
  for (const t of tasks) {
    const processId = await processIdOf(deps, t);
    byProcess.set(processId, [...(byProcess.get(processId) ?? []), t]);
  }
  const cache: CandidateCache = new Map();
  const items: Array<BusinessTodoItem & { formKey: string }> = [];
  for (const [processId, list] of byProcess) {
    const kind = KIND_BY_PROCESS.get(processId);
    if (!kind) continue;
    const model = processModels().get(processId);
    const objects = new Map((await kind.rows(deps.db, p, [...new Set(list.map((t) => t.processInstanceId))])).map((o) => [o.instance, o]));
    for (const t of list) {
      const o = objects.get(t.processInstanceId);
      if (!o) continue; // outside the person's scope, or the object is no longer at a step
      const element = model?.elements.get(t.taskDefinitionKey);
      if (!(await holdsTask(deps.db, p, t, element?.candidateGroups, o.ownerOrgId, o.context, cache))) continue;
      const due = parseEngineDate(t.due);
      items.push({
        kind: kind.kind,
        kindLabel: kind.kindLabel,
        processId,
        elementId: t.taskDefinitionKey,
        step: t.name ?? element?.name ?? t.taskDefinitionKey,
        objectId: o.id,
        reference: o.reference,
        title: o.title,
        unitName: o.unitName,
        link: o.link,
        createdAt: toShanghaiIso(parseEngineDate(t.created) ?? now),
        dueAt: due ? toShanghaiIso(due) : null,
        overdue: due !== null && due < now,
        formKey: element?.formKey ?? t.formKey ?? '',
      });
    }
  }
  const keyword = q.keyword?.toLowerCase();
  const filtered = items
    .filter((i) => !q.overdue || i.overdue)
    .filter((i) => !q.formKey || i.formKey === q.formKey)
    .filter((i) => !keyword || [i.reference, i.title, i.unitName, i.step, i.kindLabel].some((s) => s.toLowerCase().includes(keyword)))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map(({ formKey: _formKey, ...i }) => i);
  return { items: filtered, total: filtered.length, engineAway: false };
}
