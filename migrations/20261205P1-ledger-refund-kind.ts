import type { Knex } from 'knex';

/**
 * The ledger's eighth entry kind, `refund` (退票冲回, domain/ledger.ts): a bank's 退票 after a payment
 * order was paid and consumed reverses the consume (已用 − amount). The journal's CHECK constraint
 * `quota_journal_kind_known` lists the kinds, so it is replaced by one that knows `refund`.
 *
 * MySQL/MariaDB drop and add the constraint. SQLite cannot alter a constraint: the table is rebuilt
 * from its own CREATE statement with only the kind list changed (rows, ids and indexes kept; no
 * table references quota_journal). Down refuses while a refund entry exists.
 */
const OLD = `'issue', 'freeze', 'unfreeze', 'consume', 'adjust-in', 'adjust-out', 'carry-over'`;
const NEW = `${OLD}, 'refund'`;

const isMysql = (knex: Knex) => /mysql/i.test(String(knex.client.config.client));

async function setKinds(knex: Knex, from: string, to: string): Promise<void> {
  if (isMysql(knex)) {
    await knex.raw('alter table quota_journal drop constraint quota_journal_kind_known');
    await knex.raw(`alter table quota_journal add constraint quota_journal_kind_known check (kind in (${to}))`);
    return;
  }
  const table = (await knex.raw("select sql from sqlite_master where type = 'table' and name = 'quota_journal'")) as Array<{ sql: string }>;
  const create = table[0]?.sql;
  if (!create || !create.includes(from)) throw new Error('quota_journal: the kind constraint is not the one this migration replaces');
  const indexes = ((await knex.raw("select sql from sqlite_master where type = 'index' and tbl_name = 'quota_journal' and sql is not null")) as Array<{ sql: string }>).map((r) => r.sql);
  const rebuilt = create.replace(from, to).replace(/^CREATE TABLE\s+[`"]?quota_journal[`"]?/i, 'CREATE TABLE `quota_journal__rebuild`');
  if (rebuilt === create) throw new Error('quota_journal: could not rewrite its CREATE statement');
  await knex.raw(rebuilt);
  await knex.raw('insert into quota_journal__rebuild select * from quota_journal');
  await knex.raw('drop table quota_journal');
  await knex.raw('alter table quota_journal__rebuild rename to quota_journal');
  for (const sql of indexes) await knex.raw(sql);
}

export async function up(knex: Knex): Promise<void> {
  await setKinds(knex, OLD, NEW);
}

export async function down(knex: Knex): Promise<void> {
  const refunds = Number(((await knex('quota_journal').where('kind', 'refund').count({ n: '*' }))[0] as { n: number | string }).n);
  if (refunds > 0) throw new Error(`quota_journal holds ${refunds} refund entries (退票冲回): the migration cannot be undone without losing them`);
  await setKinds(knex, NEW, OLD);
}
