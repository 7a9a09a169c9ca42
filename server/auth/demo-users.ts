import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config';
import type { Db } from '../db';
import { createUser } from './service';

/** The one password every demo account starts with (README lists the accounts). */
export const DEMO_PASSWORD = 'Budget@2026';

export interface DemoUser {
  username: string;
  displayName: string;
  orgCode: string;
  roles: string[];
}

export function readDemoUsers(file = path.join(PROJECT_ROOT, 'seeds', 'demo-users.json')): DemoUser[] {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DemoUser[];
}

/** Creates the demo accounts that do not exist yet; running it twice changes nothing. */
export async function seedDemoUsers(db: Db, users = readDemoUsers(), now = new Date()): Promise<number> {
  let created = 0;
  for (const u of users) {
    if (await db('users').where({ username: u.username }).first('id')) continue;
    const org = (await db('organisations').where({ code: u.orgCode }).first('id')) as { id: number } | undefined;
    if (!org) throw new Error(`demo user ${u.username}: organisation ${u.orgCode} not found`);
    await createUser(db, { username: u.username, displayName: u.displayName, orgId: org.id, password: DEMO_PASSWORD, roles: u.roles }, now);
    created += 1;
  }
  return created;
}
