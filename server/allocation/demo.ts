import fs from 'node:fs';
import path from 'node:path';
import { GRADES, type Grade } from '../../domain/allocation';
import { PROJECT_ROOT } from '../config';
import type { Db } from '../db';

/**
 * Demo performance grades (seeds/demo-performance-grades.json) of the year before `fiscalYear`,
 * for an empty database: until the evaluation issue writes real results into performance_grades,
 * they let the 预算编制 page show 优 first, 中 cut and 差 excluded. Returns how many were written.
 */
export async function seedDemoPerformanceGrades(
  db: Db,
  fiscalYear: number,
  file = path.join(PROJECT_ROOT, 'seeds', 'demo-performance-grades.json'),
): Promise<number> {
  const { grades } = JSON.parse(fs.readFileSync(file, 'utf8')) as { grades: Array<{ unit: string; grade: Grade; score: number }> };
  let written = 0;
  for (const g of grades) {
    if (!(GRADES as readonly string[]).includes(g.grade)) throw new Error(`${file}: unknown grade ${g.grade}`);
    const org = (await db('organisations').where('code', g.unit).first('id')) as { id: number } | undefined;
    if (!org) throw new Error(`${file}: organisation ${g.unit} not found`);
    const exists = await db('performance_grades')
      .where({ fiscal_year: fiscalYear - 1, unit_org_id: org.id })
      .first('id');
    if (exists) continue;
    await db('performance_grades').insert({
      fiscal_year: fiscalYear - 1,
      unit_org_id: org.id,
      grade: g.grade,
      score_centi: Math.round(g.score * 100),
      source: 'demo',
      recorded_at: new Date(),
    });
    written += 1;
  }
  return written;
}
