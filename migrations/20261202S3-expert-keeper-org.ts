import type { Knex } from 'knex';

/**
 * The organisation that keeps an expert's pool entry (专家库): the organisation of the person who
 * entered it (绩效处/评审中心 of a province or city). Without the column the pool had no owner, and
 * the pool's keepers of every province read each other's experts in full (contact data unmasked),
 * edited them and declared their ties.
 *
 * Existing rows are filled from the audit chain: the user of the entry's expert.created record
 * names the organisation; an entry created by the system (the demo pool) takes its scoring
 * account's organisation (the province's 专家库). An entry with neither keeps NULL and is visible
 * to nobody: closed, not open, when in doubt.
 *
 * No foreign key, as quotas.issuer_org_id: SQLite would rebuild the table for it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('experts', (t) => {
    t.integer('keeper_org_id').unsigned().nullable();
    t.index(['keeper_org_id'], 'experts_keeper_org_index');
  });
  const experts = (await knex('experts as e').leftJoin('users as a', 'a.id', 'e.user_id').orderBy('e.id').select('e.id', 'a.org_id as account_org_id')) as Array<{ id: number; account_org_id: number | null }>;
  for (const e of experts) {
    const created = (await knex('audit_records as r')
      .join('users as u', 'u.id', 'r.actor_user_id')
      .where({ 'r.kind': 'expert.created', 'r.subject_type': 'expert', 'r.subject_id': String(e.id) })
      .orderBy('r.seq')
      .first('u.org_id')) as { org_id: number } | undefined;
    const keeper = created ? Number(created.org_id) : e.account_org_id === null ? null : Number(e.account_org_id);
    if (keeper !== null) await knex('experts').where('id', e.id).update({ keeper_org_id: keeper });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('experts', (t) => {
    t.dropIndex(['keeper_org_id'], 'experts_keeper_org_index');
  });
  if (String(knex.client.config.client).startsWith('mysql')) await knex.schema.alterTable('experts', (t) => t.dropColumn('keeper_org_id'));
  else await knex.raw('ALTER TABLE experts DROP COLUMN keeper_org_id');
}
