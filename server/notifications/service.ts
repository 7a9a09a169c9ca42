import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { Knex } from 'knex';
import { PROJECT_ROOT } from '../config';
import { readInstant } from '../db';

/**
 * Notifications rendered from handlebars templates (templates/notifications/<name>.hbs: the first
 * line is the title, the rest the body). In-app delivery is a row per person, written in the
 * caller's transaction; further channels (e-mail, SMS) implement NotificationChannel and are
 * handed the same rendered text after commit — none is wired yet.
 */

export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates', 'notifications');

export interface NotificationChannel {
  name: string;
  send(userId: number, title: string, body: string, link: string | null): Promise<void>;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

function template(name: string): HandlebarsTemplateDelegate {
  let t = compiled.get(name);
  if (!t) {
    const file = path.join(TEMPLATES_DIR, `${name}.hbs`);
    if (!/^[a-z0-9-]+$/.test(name) || !fs.existsSync(file)) throw new Error(`notification template not found: ${name}`);
    t = Handlebars.compile(fs.readFileSync(file, 'utf8'), { strict: true });
    compiled.set(name, t);
  }
  return t;
}

/** Renders a template into its title (first line) and body (the rest, trimmed). */
export function renderNotification(name: string, context: Record<string, unknown>): { title: string; body: string } {
  const text = template(name)(context).replace(/\r\n/g, '\n');
  const [title = '', ...rest] = text.split('\n');
  return { title: title.trim(), body: rest.join('\n').trim() };
}

export interface Notice {
  userIds: readonly number[];
  template: string;
  context: Record<string, unknown>;
  link?: string;
  /** Same key, same person: notified once (a redelivered job or a repeated click). */
  dedupeKey?: string;
}

export async function notify(trx: Knex, notice: Notice): Promise<number> {
  const { title, body } = renderNotification(notice.template, notice.context);
  const now = new Date();
  let written = 0;
  for (const userId of new Set(notice.userIds)) {
    const dedupe = notice.dedupeKey ? `${notice.dedupeKey}:${userId}`.slice(0, 100) : null;
    const inserted = await trx('notifications')
      .insert({ user_id: userId, kind: notice.template, title, body, link: notice.link ?? null, dedupe_key: dedupe, created_at: now })
      .onConflict('dedupe_key')
      .ignore();
    written += Array.isArray(inserted) && Number(inserted[0]) > 0 ? 1 : 0;
  }
  return written;
}

export interface NotificationView {
  id: number;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  createdAt: Date;
  readAt: Date | null;
}

export async function listNotifications(db: Knex, userId: number, query: { unreadOnly: boolean; page: number; pageSize: number }) {
  const base = db('notifications').where('user_id', userId);
  if (query.unreadOnly) base.whereNull('read_at');
  const counted = (await base.clone().count({ n: '*' }).first()) as { n: number | string };
  const unread = (await db('notifications').where('user_id', userId).whereNull('read_at').count({ n: '*' }).first()) as {
    n: number | string;
  };
  const rows = (await base
    .clone()
    .orderBy('id', 'desc')
    .limit(query.pageSize)
    .offset((query.page - 1) * query.pageSize)) as Array<Record<string, unknown>>;
  return {
    items: rows.map((r): NotificationView => ({
      id: Number(r.id),
      kind: String(r.kind),
      title: String(r.title),
      body: String(r.body),
      link: (r.link as string | null) ?? null,
      createdAt: readInstant(r.created_at),
      readAt: r.read_at ? readInstant(r.read_at) : null,
    })),
    total: Number(counted.n),
    unread: Number(unread.n),
    page: query.page,
    pageSize: query.pageSize,
  };
}

export async function markRead(db: Knex, userId: number, ids: readonly number[] | 'all'): Promise<void> {
  const q = db('notifications').where('user_id', userId).whereNull('read_at');
  if (ids !== 'all') q.whereIn('id', ids);
  await q.update({ read_at: new Date() });
}
