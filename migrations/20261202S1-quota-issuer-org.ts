import type { Knex } from 'knex';

/**
 * The organisation that issued a quota (the issuer's own organisation, a finance bureau or one of
 * its divisions). A quota issued to a bureau and not yet tied to a unit belongs to that
 * organisation and its region: without the column such a quota had no owner, and every finance
 * user of any region saw it and could move money on it.
 *
 * Existing rows are filled from the journal: the actor of the quota's issue entry (a user name)
 * names the user whose organisation issued it; a quota created by 结转 takes its source's issuer
 * (as the ledger does now: the money stays where it was).
 * A quota whose issuer cannot be found keeps NULL and, without a unit, is visible to nobody
 * (server/api/quotas.ts): closed, not open, when in doubt.
 *
 * No foreign key: SQLite would rebuild the quotas table for it; the column is only ever written
 * from the issuing session's organisation.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('quotas', (t) => {
    t.integer('issuer_org_id').unsigned().nullable();
    t.index(['issuer_org_id'], 'quotas_issuer_org_index');
  });
  const rows = (await knex('quotas as q')
    .leftJoin('quota_journal as j', function () {
      this.on('j.quota_id', 'q.id').andOnVal('j.kind', 'issue');
    })
    .leftJoin('users as u', 'u.username', 'j.actor')
    .orderBy('q.id')
    .orderBy('j.id')
    .select('q.id', 'q.source_quota_id', 'u.org_id as actor_org_id')) as Array<{ id: number; source_quota_id: number | null; actor_org_id: number | null }>;
  const issuerOf = new Map<number, number | null>();
  const seen = new Set<number>();
  for (const r of rows) {
    const id = Number(r.id);
    if (seen.has(id)) continue; // the first issue entry names the issuer
    seen.add(id);
    let issuer = r.actor_org_id === null ? null : Number(r.actor_org_id);
    if (r.source_quota_id !== null && issuerOf.has(Number(r.source_quota_id))) issuer = issuerOf.get(Number(r.source_quota_id)) ?? issuer;
    issuerOf.set(id, issuer);
    if (issuer !== null) await knex('quotas').where('id', id).update({ issuer_org_id: issuer });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('quotas', (t) => {
    t.dropIndex(['issuer_org_id'], 'quotas_issuer_org_index');
  });
  // SQLite: knex would rebuild the table (DROP TABLE quotas), which the journal's foreign keys
  // refuse once there are entries; SQLite ≥ 3.35 drops a plain column in place.
  if (String(knex.client.config.client).startsWith('mysql')) await knex.schema.alterTable('quotas', (t) => t.dropColumn('issuer_org_id'));
  else await knex.raw('ALTER TABLE quotas DROP COLUMN issuer_org_id');
}
