import type { Knex } from 'knex';
import { PROJECT_STATUSES, STATUS_LABELS, type ProjectStatus } from '../../domain/projects';
import { scopeOrgIds, type Principal } from '../auth/service';
import type { BusinessTodo } from '../../contracts/tasks';
import type { Db } from '../db';
import { listTasks, type TaskSummary } from '../inbox/tasks';
import { listProjects, type ProjectSummary } from '../projects/service';
import { projectViewer } from '../projects/visibility';

/**
 * 工作台: what a person finds on landing, in one read — their 待办 (count, overdue, the oldest few),
 * 抄送, the projects they may see by status (for a unit: its own applications, drafts included; for
 * reviewers: everything in their scope but other units' drafts), the quotas they may see, and the
 * warnings that follow from those numbers. Each part only for the permissions that reach it; every
 * count respects the same data scope and draft privacy as the lists it links to.
 */

export interface WorkbenchWarning {
  level: 'info' | 'warning' | 'danger';
  /** Stable, for tests and the page's icons. */
  code: 'TASKS_OVERDUE' | 'APPLICATIONS_RETURNED' | 'DUPLICATES_FLAGGED' | 'QUOTAS_LOW' | 'SYSTEM_DEGRADED';
  text: string;
  /** SPA path the warning leads to. */
  link: string;
}

export interface WorkbenchSummary {
  tasks: { todo: number; overdue: number; copies: number; oldest: TaskSummary[]; business: BusinessTodo['items'] };
  projects: null | {
    total: number;
    byStatus: Array<{ status: ProjectStatus; label: string; count: number }>;
    /** Flagged as likely duplicates (among those the person sees). */
    duplicates: number;
    recent: ProjectSummary[];
  };
  quotas: null | { count: number; amountFen: number; availableFen: number; low: number };
  warnings: WorkbenchWarning[];
}

/** A quota is low when less than this share of its amount is still available (a hint, not a rule). */
const LOW_AVAILABLE_SHARE = 0.1;

export async function workbenchSummary(
  db: Db,
  p: Principal,
  extra: { systemDegraded?: string; business?: () => Promise<BusinessTodo> } = {},
): Promise<WorkbenchSummary> {
  const none: BusinessTodo = { items: [], total: 0, engineAway: false };
  const [intake, intakeOverdue, copies, business] = await Promise.all([
    listTasks(db, p.userId, { box: 'todo', page: 1, pageSize: 5 }),
    listTasks(db, p.userId, { box: 'todo', overdue: true, page: 1, pageSize: 1 }),
    listTasks(db, p.userId, { box: 'cc', page: 1, pageSize: 1 }),
    extra.business ? extra.business() : Promise.resolve(none),
  ]);
  // 待办 counts the business steps (payments, adjustments, final accounts …) beside the inbox's.
  const todo = { total: intake.total + business.total, items: intake.items };
  const overdue = { total: intakeOverdue.total + business.items.filter((i) => i.overdue).length };
  const projects = p.permissions.has('projects:read') ? await projectPart(db, p) : null;
  const quotas = p.permissions.has('quotas:read') ? await quotaPart(db, p) : null;

  const warnings: WorkbenchWarning[] = [];
  if (extra.systemDegraded) warnings.push({ level: 'danger', code: 'SYSTEM_DEGRADED', text: extra.systemDegraded, link: '/health' });
  if (overdue.total > 0)
    warnings.push({ level: 'danger', code: 'TASKS_OVERDUE', text: `${overdue.total} 件待办已逾期，请尽快办理`, link: '/tasks' });
  const returned = projects?.byStatus.find((s) => s.status === 'returned')?.count ?? 0;
  if (returned > 0 && p.permissions.has('projects:write')) {
    warnings.push({
      level: 'warning',
      code: 'APPLICATIONS_RETURNED',
      text: `${returned} 个申报已被退回，请按审核意见修改后重新送审`,
      link: '/my-applications',
    });
  }
  if (projects && projects.duplicates > 0) {
    const text = p.permissions.has('projects:write')
      ? `${projects.duplicates} 个申报与本单位的其他申报疑似重复，请核对是否重复申报`
      : `${projects.duplicates} 个项目疑似重复申报，审核时请核对`;
    warnings.push({
      level: 'info',
      code: 'DUPLICATES_FLAGGED',
      text,
      link: p.permissions.has('projects:write') ? '/my-applications' : '/projects',
    });
  }
  if (quotas && quotas.low > 0)
    warnings.push({ level: 'warning', code: 'QUOTAS_LOW', text: `${quotas.low} 个指标可用余额不足额度的 10%`, link: '/quotas' });

  return {
    tasks: { todo: todo.total, overdue: overdue.total, copies: copies.total, oldest: todo.items, business: business.items.slice(0, 5) },
    projects,
    quotas,
    warnings,
  };
}

async function projectPart(db: Db, p: Principal): Promise<NonNullable<WorkbenchSummary['projects']>> {
  const viewer = projectViewer(db, p);
  const visible = () => db('projects as p').where(viewer.where);
  const [rows, flagged, recent] = await Promise.all([
    visible().groupBy('p.status').select('p.status', db.raw('count(*) as n')) as Promise<
      Array<{ status: ProjectStatus; n: number | string }>
    >,
    visible()
      .where((w: Knex.QueryBuilder) =>
        w
          .whereExists(db('project_duplicates as d').select(db.raw('1')).whereRaw('d.project_id = p.id'))
          .orWhereExists(db('project_duplicates as d2').select(db.raw('1')).whereRaw('d2.similar_project_id = p.id')),
      )
      .count({ n: '*' })
      .first() as Promise<{ n: number | string } | undefined>,
    listProjects(db, { sort: 'updatedAt', order: 'desc', page: 1, pageSize: 5 }, viewer),
  ]);
  const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
  const byStatus = PROJECT_STATUSES.filter((s) => counts.has(s)).map((s) => ({
    status: s,
    label: STATUS_LABELS[s],
    count: counts.get(s)!,
  }));
  return { total: byStatus.reduce((a, s) => a + s.count, 0), byStatus, duplicates: Number(flagged?.n ?? 0), recent: recent.items };
}

async function quotaPart(db: Db, p: Principal): Promise<NonNullable<WorkbenchSummary['quotas']>> {
  const q = db('quotas').where((w) => {
    w.whereIn('unit_org_id', scopeOrgIds(db, p));
    if (p.scope === 'region') w.orWhereNull('unit_org_id'); // finance staff also hold quotas not yet tied to a unit
  });
  const row = (await q
    .select(
      db.raw('count(*) as n'),
      db.raw('coalesce(sum(amount_fen), 0) as amount'),
      db.raw('coalesce(sum(amount_fen - used_fen - frozen_fen), 0) as available'),
      db.raw(
        'coalesce(sum(case when amount_fen > 0 and (amount_fen - used_fen - frozen_fen) < amount_fen * ? then 1 else 0 end), 0) as low',
        [LOW_AVAILABLE_SHARE],
      ),
    )
    .first()) as { n: number | string; amount: number | string; available: number | string; low: number | string };
  return { count: Number(row.n), amountFen: Number(row.amount), availableFen: Number(row.available), low: Number(row.low) };
}
