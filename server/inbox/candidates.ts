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
