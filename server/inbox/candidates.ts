import type { Knex } from 'knex';
import { sectorOfFunctionalCode } from '../../domain/approval';
import { regionPrefix, roleByCode } from '../../domain/roles';

/**
 * Resolves a task's candidate groups (role codes, as the BPMN names them) to people, for the
 * organisation the task is about:
 * - a role of own-org scope: holders in that very organisation (a unit's clerk);
 * - org-subtree: holders in an organisation above it or itself (its supervising department);
 * - region: holders whose region covers the organisation's, at the nearest level only — a city
 *   unit's project goes to the city bureau, not also to the province's. For 财政业务处室 the
 *   division handling the project's sector (教科文, 农业农村 …) is preferred when one exists.
 * Disabled accounts are never candidates.
 */
export async function resolveCandidates(
  db: Knex,
  groups: readonly string[],
  unitOrgId: number,
  context: { functionalCode?: string } = {},
): Promise<number[]> {
  const unit = (await db('organisations').where('id', unitOrgId).first('id', 'path', 'region_code')) as
    { id: number; path: string; region_code: string } | undefined;
  if (!unit) return [];
  const found = new Set<number>();
  for (const group of groups) {
    const role = roleByCode(group);
    if (!role) continue;
    const holders = (await db('users as u')
      .join('user_roles as r', 'r.user_id', 'u.id')
      .join('organisations as o', 'o.id', 'u.org_id')
      .where({ 'r.role': group, 'u.status': 'active' })
      .select('u.id', 'o.id as org_id', 'o.path', 'o.region_code', 'o.division_type')) as Array<{
      id: number;
      org_id: number;
      path: string;
      region_code: string;
      division_type: string | null;
    }>;
    let chosen: typeof holders;
    if (role.scope === 'own-org') chosen = holders.filter((h) => Number(h.org_id) === Number(unit.id));
    else if (role.scope === 'org-subtree') chosen = holders.filter((h) => unit.path.startsWith(h.path));
    else {
      const covering = holders.filter((h) => unit.region_code.startsWith(regionPrefix(h.region_code)));
      const nearest = Math.max(-1, ...covering.map((h) => regionPrefix(h.region_code).length));
      chosen = covering.filter((h) => regionPrefix(h.region_code).length === nearest);
      if (group === 'sector_division' && context.functionalCode) {
        const sector = sectorOfFunctionalCode(context.functionalCode);
        const matching = chosen.filter((h) => h.division_type === sector);
        if (matching.length) chosen = matching;
      }
    }
    for (const h of chosen) found.add(Number(h.id));
  }
  return [...found].sort((a, b) => a - b);
}

/** A cache of resolveCandidates answers for one request (groups and organisation → people). */
export type CandidateCache = Map<string, Promise<number[]>>;

/**
 * Whether a person may act on an open engine task of a business object owned by `ownerOrgId`
 * (a payment request's unit, an adjustment's filer, an allocation's bureau …): a task with no
 * candidate groups (a 会签 task, its assignee set by the model) is theirs when it is assigned to
 * them; otherwise one of its candidate groups must be a role they hold and resolve to them for
 * that organisation. The rule each module's page decides by (openTaskFor) and 待办 lists by.
 */
export async function holdsTask(
  db: Knex,
  p: { userId: number; roles: readonly string[] },
  task: { assignee: string | null },
  candidateGroups: string | undefined,
  ownerOrgId: number,
  context: { functionalCode?: string } = {},
  cache?: CandidateCache,
): Promise<boolean> {
  const groups = (candidateGroups ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  if (!groups.length) return task.assignee === String(p.userId);
  if (!groups.some((g) => p.roles.includes(g))) return false;
  const key = `${groups.join(',')}|${ownerOrgId}|${context.functionalCode ?? ''}`;
  let people = cache?.get(key);
  if (!people) {
    people = resolveCandidates(db, groups, ownerOrgId, context);
    cache?.set(key, people);
  }
  return (await people).includes(p.userId);
}
