import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseYuan } from '../../domain/money';
import { PROJECT_ROOT } from '../config';
import type { Db } from '../db';
import { inTransaction } from '../reference/transaction';
import { newProjectSchema } from './schemas';
import { createProject } from './service';

/**
 * Demo applications for an empty database (seeds/demo-projects.json), filed as drafts by the demo
 * clerks of their units, so a newcomer finds the 项目库 populated. Dates in the file are month-day;
 * the year is the fiscal year being seeded. Nothing happens when any project exists already.
 */
const demoFile = z.object({
  description: z.string(),
  projects: z.array(
    z
      .object({
        clerk: z.string(),
        amounts: z.array(z.object({ economicCode: z.string(), yuan: z.string(), note: z.string().optional() }).strict()),
        startDate: z.string().optional(),
        endDate: z.string().optional(),
      })
      .passthrough(),
  ),
});

export async function seedDemoProjects(
  db: Db,
  year: number,
  file = path.join(PROJECT_ROOT, 'seeds', 'demo-projects.json'),
): Promise<number> {
  const demo = demoFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  return inTransaction(db, async (trx) => {
    if (await trx('projects').first('id')) return 0;
    for (const { clerk, amounts, startDate, endDate, ...rest } of demo.projects) {
      const user = (await trx('users').where({ username: clerk }).first('id', 'username', 'display_name', 'org_id')) as
        { id: number; username: string; display_name: string; org_id: number } | undefined;
      if (!user) throw new Error(`seeds/demo-projects.json: demo user ${clerk} not found`);
      const input = newProjectSchema.parse({
        ...rest,
        fiscalYear: year,
        startDate: startDate ? `${year}-${startDate}` : null,
        endDate: endDate ? `${year}-${endDate}` : null,
        amounts: amounts.map((a) => ({ economicCode: a.economicCode, amountFen: parseYuan(a.yuan), ...(a.note ? { note: a.note } : {}) })),
      });
      await createProject(
        trx,
        { userId: user.id, username: user.username, displayName: user.display_name },
        { ...input, unitOrgId: user.org_id },
      );
    }
    return demo.projects.length;
  });
}
