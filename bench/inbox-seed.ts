import type { Db } from '../server/db';
import { resolveCandidates } from '../server/inbox/candidates';

/**
 * Seeds the inbox projection directly for the inbox bench: `count` intake-review tasks spread over
 * the demo budget units and departments (the capital 呼和浩特 weighted up, so the city budget
 * section's scope is large), ~10 % open / 85 % completed / 5 % canceled. Open tasks get the
 * candidate rows recordUserTask would have written (resolved once per unit, step and sector with
 * the real resolveCandidates; closeTask removes them when a task ends); about a third of the
 * open ones are claimed; completed ones have their `completed` task event (what 已办 reads); 2 %
 * are copied (抄送) to one of a few demo people. Open tasks are recent (last 20 days), so about
 * half are overdue; the rest spread over ~two years, one a minute.
 */

const BATCH = 500;
const STEPS = [
  {
    elementId: 'DepartmentReview',
    name: '主管部门审核',
    formKey: 'intake-department-review',
    group: 'department_reviewer',
    dueDays: 3,
    weight: 30,
  },
  {
    elementId: 'SectorReview',
    name: '财政业务处室审核',
    formKey: 'intake-sector-review',
    group: 'sector_division',
    dueDays: 5,
    weight: 25,
  },
  { elementId: 'BudgetDecision', name: '预算处审定', formKey: 'intake-budget-decision', group: 'budget_division', dueDays: 5, weight: 35 },
  { elementId: 'Revise', name: '申报单位修改', formKey: 'intake-revise', group: 'unit_clerk', dueDays: 10, weight: 10 },
] as const;
const NAMES = [
  '校舍维修改造',
  '信息化建设',
  '设备购置',
  '人才培养',
  '基础设施建设',
  '示范基地建设',
  '防疫物资储备',
  '图书资料购置',
  '安全隐患整治',
  '乡村振兴产业扶持',
];
const FUNCTIONAL = ['2050204', '2130505', '2100408'];
const COPY_TO = ['nm_ysk', 'nm_clerk_yz', 'nm_dept_jy', 'nm_director', 'nm_jkw'];
const CAPITAL_WEIGHT = 16;
const DAY = 86_400_000;

export interface SeedFigures {
  tasks: number;
  candidates: number;
  events: number;
  copies: number;
}

async function insertAll(db: Db, table: string, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await db(table).insert(rows.slice(i, i + BATCH));
}

export async function seedInbox(db: Db, count: number, now = Date.now()): Promise<SeedFigures> {
  const units = (await db('organisations')
    .whereIn('kind', ['budget_unit', 'department'])
    .orderBy('id')
    .select('id', 'name', 'region_code')) as Array<{ id: number; name: string; region_code: string }>;
  const weighted = units.flatMap((u) => Array<typeof u>(u.region_code === '150100' ? CAPITAL_WEIGHT : 1).fill(u));
  const stepOf = STEPS.flatMap((s) => Array<(typeof STEPS)[number]>(s.weight).fill(s));
  const candidates = new Map<string, number[]>();
  for (const u of units) {
    for (const s of STEPS) {
      for (const fc of FUNCTIONAL)
        candidates.set(`${u.id}:${s.elementId}:${fc}`, await resolveCandidates(db, [s.group], Number(u.id), { functionalCode: fc }));
    }
  }
  const users = (await db('users').select('id', 'username', 'display_name')) as Array<{
    id: number;
    username: string;
    display_name: string;
  }>;
  const byId = new Map(users.map((u) => [Number(u.id), u]));
  const copyTo = COPY_TO.map((name) => users.find((u) => u.username === name)!.id);
  const figures: SeedFigures = { tasks: 0, candidates: 0, events: 0, copies: 0 };

  // Whole batches in one transaction: on SQLite a commit per statement would dominate.
  const CHUNK = 10_000;
  for (let start = 0; start < count; start += CHUNK) {
    const tasks: object[] = [];
    const cands: object[] = [];
    const events: object[] = [];
    const copies: object[] = [];
    for (let i = start; i < Math.min(count, start + CHUNK); i++) {
      const id = i + 1;
      const h = Math.imul(id, 2654435761) >>> 0; // deterministic spread, uncorrelated with id's residues
      const unit = weighted[h % weighted.length]!;
      const step = stepOf[(h >>> 8) % stepOf.length]!;
      const fc = FUNCTIONAL[(h >>> 4) % FUNCTIONAL.length]!;
      const roll = (h >>> 16) % 100;
      const status = roll < 10 ? 'open' : roll < 95 ? 'completed' : 'canceled';
      const who = candidates.get(`${unit.id}:${step.elementId}:${fc}`)!;
      const createdAt = new Date(status === 'open' ? now - ((h >>> 3) % 20_000) * (DAY / 1000) : now - 20 * DAY - (count - i) * 60_000);
      const claimed = status === 'open' ? who.length > 0 && (h >>> 12) % 3 === 0 : who.length > 0;
      const assignee = claimed ? who[0]! : null;
      const completedAt = status === 'completed' ? new Date(createdAt.getTime() + ((h >>> 5) % 3000) * (DAY / 1000)) : null;
      const completedBy = status === 'completed' ? assignee : null;
      const decision = status === 'completed' ? ((h >>> 20) % 10 === 0 ? 'return' : 'approve') : null;
      tasks.push({
        id,
        // Engine ids are UUIDs: same length and shape as the engine's, made from the row id.
        engine_task_id: uuidOf(id * 3),
        process_instance_key: uuidOf(Math.floor(id / 3) * 3 + 1),
        process_id: 'project-intake',
        element_id: step.elementId,
        element_instance_key: uuidOf(id * 3 + 2),
        name: step.name,
        form_key: step.formKey,
        candidate_groups: JSON.stringify([step.group]),
        business_type: 'project',
        business_id: Math.floor(id / 3) + 1,
        business_title: `${unit.name}2026年${NAMES[(h >>> 24) % NAMES.length]!}项目（${Math.floor(id / 3)}）`,
        unit_org_id: unit.id,
        assignee_user_id: assignee,
        status,
        due_at: new Date(createdAt.getTime() + step.dueDays * DAY),
        decision,
        comment: decision === 'return' ? '请补充绩效目标' : null,
        form_data: decision ? JSON.stringify({ decision, comment: decision === 'return' ? '请补充绩效目标' : '同意' }) : null,
        completed_by: completedBy,
        version: status === 'open' ? 1 : 3,
        created_at: createdAt,
        claimed_at: assignee !== null ? createdAt : null,
        completed_at: completedAt,
        reminded_at: null,
      });
      // As the inbox keeps them: candidate rows for open tasks only (closeTask removes the rest),
      // offered while the task is unclaimed.
      if (status === 'open') for (const userId of who) cands.push({ task_id: id, user_id: userId, offered: assignee === null });
      if (completedBy !== null) {
        const actor = byId.get(completedBy)!;
        events.push({
          task_id: id,
          kind: 'completed',
          actor_user_id: completedBy,
          actor: actor.username,
          actor_name: actor.display_name,
          decision,
          comment: null,
          data: null,
          created_at: completedAt,
        });
      }
      if ((h >>> 7) % 50 === 0) {
        const to = copyTo[(h >>> 10) % copyTo.length]!;
        if (to !== assignee)
          copies.push({ task_id: id, user_id: to, copied_by: assignee ?? to, created_at: completedAt ?? createdAt, read_at: null });
      }
    }
    await db.transaction(async (trx) => {
      await insertAll(trx, 'inbox_tasks', tasks);
      await insertAll(trx, 'inbox_task_candidates', cands);
      await insertAll(trx, 'task_events', events);
      await insertAll(trx, 'inbox_copies', copies);
    });
    figures.tasks += tasks.length;
    figures.candidates += cands.length;
    figures.events += events.length;
    figures.copies += copies.length;
  }
  return figures;
}

/** A UUID-shaped id, unique per n (the seeded rows need the engine's id length, not its randomness). */
function uuidOf(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}
