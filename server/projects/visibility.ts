import type { Knex } from 'knex';
import { PRIVATE_STATUSES } from '../../domain/projects';
import { scopeOrgIds, type Principal } from '../auth/service';
import type { Db } from '../db';
import type { ProjectViewer } from './service';

/**
 * Which projects a person may see, in one place for the list, the export, the detail and every
 * route that names a project: those of units in the person's data scope (auth scopeOrgIds), and of
 * those a 草稿 only when the person belongs to the project's own unit (domain/projects.ts
 * PRIVATE_STATUSES: a draft is the unit's working copy, not yet an application). The rule is a
 * WHERE clause, so lists and counts are limited in SQL, never filtered after paging.
 */
export function whereVisibleTo(db: Db, principal: Principal, alias = 'p'): (q: Knex.QueryBuilder) => void {
  return (q) => {
    q.whereIn(`${alias}.unit_org_id`, scopeOrgIds(db, principal)).andWhere((w) => {
      w.whereNotIn(`${alias}.status`, PRIVATE_STATUSES).orWhere(`${alias}.unit_org_id`, principal.orgId);
    });
  };
}

/** Whether the project exists and the person may see it (a project they may not see answers 404 to them). */
export async function projectVisibleTo(db: Db, principal: Principal, projectId: number): Promise<boolean> {
  const row = await db('projects as p').where('p.id', projectId).where(whereVisibleTo(db, principal)).first('p.id');
  return row !== undefined;
}

/** The person as a reader of project lists (listProjects). */
export function projectViewer(db: Db, principal: Principal): ProjectViewer {
  return { where: whereVisibleTo(db, principal), orgId: principal.orgId };
}
