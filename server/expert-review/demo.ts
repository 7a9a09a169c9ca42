import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TIE_KINDS } from '../../domain/expert-review';
import { PROJECT_ROOT } from '../config';
import type { Db } from '../db';
import { SYSTEM_ACTOR } from '../audit/chain';
import { inTransaction } from '../reference/transaction';
import { addTie, saveExpert } from './pool';
import type { FieldKeyring } from '../../domain/field-cipher';

/**
 * The demo expert pool for an empty database (seeds/demo-experts.json): the demo experts' pool
 * entries, linked to their accounts, and a few declared ties, so 周强 (nm_jxc) can open a batch at
 * once. Nothing happens when the pool has experts already.
 */
const demoFile = z.object({
  description: z.string(),
  experts: z.array(
    z
      .object({
        code: z.string(),
        name: z.string(),
        username: z.string(),
        organisationName: z.string(),
        orgCode: z.string().optional(),
        title: z.string(),
        phone: z.string(),
        email: z.string(),
        specialties: z.array(z.string()),
        note: z.string().optional(),
      })
      .strict(),
  ),
  ties: z.array(
    z
      .object({
        expert: z.string(),
        kind: z.enum(TIE_KINDS),
        orgCode: z.string(),
        relative: z.boolean(),
        startedOn: z.string().nullable(),
        endedOn: z.string().nullable(),
        note: z.string(),
      })
      .strict(),
  ),
});

export async function seedDemoExperts(
  db: Db,
  ring: FieldKeyring,
  file = path.join(PROJECT_ROOT, 'seeds', 'demo-experts.json'),
): Promise<number> {
  const demo = demoFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  return inTransaction(db, async (trx) => {
    if (await trx('experts').first('id')) return 0;
    const orgId = async (code: string) => {
      const o = (await trx('organisations').where({ code }).first('id')) as { id: number } | undefined;
      if (!o) throw new Error(`seeds/demo-experts.json: organisation ${code} not found`);
      return Number(o.id);
    };
    const ids = new Map<string, number>();
    for (const { orgCode, ...e } of demo.experts) {
      // Kept by the organisation of the expert's account (the province's 专家库), as the migration fills older entries.
      const account = (await trx('users').where('username', e.username).first('org_id')) as { org_id: number } | undefined;
      ids.set(
        e.code,
        await saveExpert(trx, ring, SYSTEM_ACTOR, { ...e, orgId: orgCode ? await orgId(orgCode) : null, available: true }, undefined, {
          scope: undefined,
          keeperOrgId: account ? Number(account.org_id) : null,
        }),
      );
    }
    for (const t of demo.ties) {
      await addTie(
        trx,
        SYSTEM_ACTOR,
        ids.get(t.expert)!,
        { kind: t.kind, orgId: await orgId(t.orgCode), relative: t.relative, startedOn: t.startedOn, endedOn: t.endedOn, note: t.note },
        undefined,
      );
    }
    return demo.experts.length;
  });
}
