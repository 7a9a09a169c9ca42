import type { Knex } from 'knex';

/** GB/T 2260 administrative regions: province → city (盟/市) → county (旗/县/区) → township. */

export const REGION_LEVELS = ['province', 'city', 'county', 'township'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

export interface Region {
  code: string;
  name: string;
  level: RegionLevel;
  parentCode: string | null;
  hasChildren: boolean;
}

export interface RegionNode extends Omit<Region, 'hasChildren'> {
  children: RegionNode[];
}

/** The regions directly under `parent`, or the provinces when no parent is given. */
export async function listRegions(db: Knex, query: { parent?: string } = {}): Promise<Region[]> {
  const rows = await db('regions as r')
    .select(
      'r.code',
      'r.name',
      'r.level',
      'r.parent_code',
      db.raw('exists (select 1 from regions k where k.parent_code = r.code) as has_children'),
    )
    .modify((q) => (query.parent ? q.where('r.parent_code', query.parent) : q.whereNull('r.parent_code')))
    .orderBy('r.code');
  return rows.map((r: { code: string; name: string; level: RegionLevel; parent_code: string | null; has_children: number | boolean }) => ({
    code: r.code,
    name: r.name,
    level: r.level,
    parentCode: r.parent_code,
    hasChildren: Boolean(r.has_children),
  }));
}

/**
 * The whole tree, or the part under `root`. Built in memory: the national table is about 3,000
 * rows down to county level, and a tree cannot be paginated anyway.
 */
export async function regionTree(db: Knex, root?: string): Promise<RegionNode[]> {
  const rows = (await db('regions').select('code', 'name', 'level', 'parent_code').orderBy('code')) as Array<{
    code: string;
    name: string;
    level: RegionLevel;
    parent_code: string | null;
  }>;
  const nodes = new Map<string, RegionNode>(
    rows.map((r) => [r.code, { code: r.code, name: r.name, level: r.level, parentCode: r.parent_code, children: [] }]),
  );
  const tops: RegionNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentCode ? nodes.get(node.parentCode) : undefined;
    if (parent) parent.children.push(node);
    else tops.push(node);
  }
  if (root === undefined) return tops;
  const start = nodes.get(root);
  return start ? start.children : [];
}
