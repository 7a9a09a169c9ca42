import type { Db } from '../../server/db';
import { projectNo } from '../../server/projects/service';

/**
 * A project row for tests of what refers to projects (quotas, exports), written directly: those
 * tests need a project to exist, not the application rules (test/database/projects-api.test.ts
 * covers those through the API).
 */
export async function insertProjectRow(db: Db, p: { unitOrgId: number; fiscalYear?: number; name?: string }): Promise<number> {
  const now = new Date();
  const fiscalYear = p.fiscalYear ?? 2026;
  const [id] = await db('projects').insert({
    project_no: `tmp-${Math.random().toString(36).slice(2, 14)}`,
    fiscal_year: fiscalYear,
    name: p.name ?? '测试项目',
    unit_org_id: p.unitOrgId,
    category: '33',
    functional_code: '2010101',
    description: '测试',
    total_amount_fen: 0,
    status: 'draft',
    version: 1,
    created_at: now,
    updated_at: now,
  });
  await db('projects')
    .where({ id: Number(id) })
    .update({ project_no: projectNo(fiscalYear, Number(id)) });
  return Number(id);
}
