/**
 * The expert draw at scale: `npx tsx bench/expert-draw.ts` (npm run bench:expert-draw).
 *
 * In a fresh database on the server DATABASE_URL names (SQLite when unset), dropped afterwards:
 * the demo organisations and accounts, then BENCH_EXPERTS (5,000) experts with accounts, one to
 * three specialties each among eight 支出功能分类 类, and BENCH_TIES_PER_EXPERT (2) declared ties on
 * average with the demo units and departments (employment, advice, dispute, investment, drafting;
 * some ended long ago, some recently, some a relative's), and BENCH_PROJECTS (1,000) reserved
 * projects of those units. Printed:
 *  1. loading the pool from the database (experts, specialties, ties);
 *  2. the pure draw (domain/expert-review.ts drawExperts) for every project, N = 5: total and per
 *     project p50 / p95 / max, recused and eligible counts, and a check that no drawn expert has a
 *     recusing tie with the project's applicant and that the same seed gives the same draws;
 *  3. the batch's draw as the API makes it (server/expert-review/review.ts drawBatch): every
 *     review, seat and invitation row, the draw as an audit-chain record sealed with the opener's
 *     SM2 key, and the timeline events, in one transaction — without starting the engine.
 * No assertions beyond the recusal check (which exits 1 when violated).
 */
import crypto from 'node:crypto';
import {
  drawExperts,
  newSeed,
  recusalReasons,
  specialtyOf,
  TIE_KINDS,
  type PoolExpert,
  type ReviewedProject,
} from '../domain/expert-review';
import { shanghaiDate } from '../domain/time';
import { seedDemoUsers } from '../server/auth/demo-users';
import { loadPrincipal } from '../server/auth/service';
import { loadConfig } from '../server/config';
import { checkDatabase, migrateLatest, openDatabase, type Db } from '../server/db';
import { loadPool } from '../server/expert-review/pool';
import { drawBatch, type ProjectForReview } from '../server/expert-review/review';
import { seedReferenceData } from '../server/reference';
import { DatabaseKeyStore } from '../server/seals/key-store';
import { freshDatabase } from './fresh-database';

const EXPERTS = Number(process.env.BENCH_EXPERTS ?? 5_000);
const PROJECTS = Number(process.env.BENCH_PROJECTS ?? 1_000);
const TIES_PER_EXPERT = Number(process.env.BENCH_TIES_PER_EXPERT ?? 2);
const PANEL = 5;
const CLASSES = ['201', '205', '206', '207', '208', '210', '212', '213'];
const CODES: Record<string, string> = {
  '201': '2010101',
  '205': '2050204',
  '206': '2060101',
  '207': '2070101',
  '208': '2080101',
  '210': '2100408',
  '212': '2120101',
  '213': '2130505',
};
const BATCH = 500;

/** A deterministic stream of numbers, so every run seeds the same pool. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function seed(db: Db): Promise<{ applicants: Map<number, number[]>; openerId: number }> {
  await seedReferenceData(db, { year: 2026 });
  await seedDemoUsers(db);
  const hash = ((await db('users').where({ username: 'nm_expert' }).first('password_hash')) as { password_hash: string }).password_hash;
  const poolOrg = ((await db('organisations').where({ code: '150000-ZJK' }).first('id')) as { id: number }).id;
  const units = (await db('organisations').whereIn('kind', ['budget_unit', 'department']).select('id', 'kind', 'path')) as Array<{
    id: number;
    kind: string;
    path: string;
  }>;
  const kinds = new Map(units.map((u) => [Number(u.id), u.kind]));
  const applicants = new Map<number, number[]>(
    units.map((u) => [
      Number(u.id),
      u.path
        .split('/')
        .filter(Boolean)
        .map(Number)
        .reverse()
        .filter((id) => id === Number(u.id) || kinds.get(id) === 'department'),
    ]),
  );
  const budgetUnits = units.filter((u) => u.kind === 'budget_unit').map((u) => Number(u.id));
  const orgIds = units.map((u) => Number(u.id));
  const random = rng(20261202);
  const now = new Date();

  for (let start = 0; start < EXPERTS; start += BATCH) {
    const n = Math.min(BATCH, EXPERTS - start);
    const users = Array.from({ length: n }, (_, i) => ({
      username: `bench_zj_${start + i}`,
      display_name: `专家${start + i}`,
      org_id: poolOrg,
      password_hash: hash,
      password_changed_at: now,
      status: 'active',
      created_at: now,
      updated_at: now,
    }));
    await db('users').insert(users);
    const ids = (
      (await db('users')
        .whereIn(
          'username',
          users.map((u) => u.username),
        )
        .select('id', 'username')) as Array<{ id: number; username: string }>
    ).sort((a, b) => a.id - b.id);
    await db('user_roles').insert(ids.map((u) => ({ user_id: u.id, role: 'expert' })));
    await db('experts').insert(
      ids.map((u, i) => ({
        code: `BZ${String(start + i).padStart(5, '0')}`,
        name: `专家${start + i}`,
        user_id: u.id,
        organisation_name: '某高校',
        org_id: random() < 0.02 ? orgIds[Math.floor(random() * orgIds.length)]! : null,
        title: '教授',
        phone: '13800000000',
        email: null,
        available: random() > 0.05,
        created_at: now,
        updated_at: now,
      })),
    );
    const experts = (await db('experts')
      .whereIn(
        'user_id',
        ids.map((u) => u.id),
      )
      .select('id')) as Array<{ id: number }>;
    const specs: Array<{ expert_id: number; functional_class: string }> = [];
    const ties: Array<Record<string, unknown>> = [];
    for (const e of experts) {
      const count = 1 + Math.floor(random() * 3);
      for (const c of new Set(Array.from({ length: count }, () => CLASSES[Math.floor(random() * CLASSES.length)]!)))
        specs.push({ expert_id: e.id, functional_class: c });
      const tieCount = Math.floor(random() * (2 * TIES_PER_EXPERT + 1));
      for (let k = 0; k < tieCount; k++) {
        const ended = random();
        ties.push({
          expert_id: e.id,
          kind: TIE_KINDS[Math.floor(random() * TIE_KINDS.length)],
          org_id: random() < 0.8 ? budgetUnits[Math.floor(random() * budgetUnits.length)] : orgIds[Math.floor(random() * orgIds.length)],
          relative: random() < 0.3,
          started_on: '2015-01-01',
          ended_on: ended < 0.4 ? null : ended < 0.7 ? '2025-06-30' : '2019-12-31',
          project_id: null,
          note: null,
          created_at: now,
        });
      }
    }
    for (let i = 0; i < specs.length; i += BATCH) await db('expert_specialties').insert(specs.slice(i, i + BATCH));
    for (let i = 0; i < ties.length; i += BATCH) await db('expert_ties').insert(ties.slice(i, i + BATCH));
  }

  for (let start = 0; start < PROJECTS; start += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, PROJECTS - start) }, (_, k) => {
      const i = start + k;
      const cls = CLASSES[i % CLASSES.length]!;
      return {
        project_no: `XM2026-${String(i + 1).padStart(6, '0')}`,
        fiscal_year: 2026,
        name: `评审压测项目${i + 1}`,
        unit_org_id: budgetUnits[i % budgetUnits.length],
        category: '33',
        functional_code: CODES[cls],
        description: '压测数据',
        total_amount_fen: 100_000_00,
        status: 'reserved',
        version: 1,
        created_at: now,
        updated_at: now,
      };
    });
    await db('projects').insert(rows);
  }
  const opener = (await db('users').where({ username: 'nm_jxc' }).first('id')) as { id: number };
  return { applicants, openerId: Number(opener.id) };
}

async function main(): Promise<void> {
  const fresh = freshDatabase('budget_bench_expert');
  const db = await openDatabase(fresh.database);
  try {
    await checkDatabase(db, fresh.database.client);
    await migrateLatest(db);
    const t0 = process.hrtime.bigint();
    const { applicants, openerId } = await seed(db);
    const [ties] = (await db('expert_ties').count({ n: '*' })) as Array<{ n: number | string }>;
    console.log(
      `database: ${fresh.database.client}; seeded ${EXPERTS} experts (${Number(ties!.n)} ties), ${PROJECTS} reserved projects in ${(ms(t0) / 1000).toFixed(1)} s`,
    );

    // 1. the pool from the database
    const loads: number[] = [];
    let pool: PoolExpert[] = [];
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      pool = await loadPool(db, CLASSES);
      loads.push(ms(t));
    }
    loads.sort((a, b) => a - b);
    console.log(
      `\n1. load the pool (${pool.length} experts with specialties and ties), 5 runs: p50 ${pct(loads, 50).toFixed(1)} ms, max ${loads[loads.length - 1]!.toFixed(1)} ms`,
    );

    // 2. the pure draw
    const projects = (await db('projects')
      .where({ status: 'reserved' })
      .orderBy('id')
      .select('id', 'name', 'project_no', 'unit_org_id', 'functional_code', 'fiscal_year', 'status')) as ProjectForReview[];
    const reviewed: ReviewedProject[] = projects.map((p) => ({
      id: Number(p.id),
      functionalCode: p.functional_code,
      applicantOrgIds: applicants.get(Number(p.unit_org_id)) ?? [Number(p.unit_org_id)],
    }));
    const seedHex = newSeed((n) => crypto.randomBytes(n));
    const reviewDate = shanghaiDate(new Date());
    const perProject: number[] = [];
    let recused = 0;
    let eligible = 0;
    let short = 0;
    const draws: number[][] = [];
    const tAll = process.hrtime.bigint();
    for (const project of reviewed) {
      const t = process.hrtime.bigint();
      const r = drawExperts({ seed: seedHex, project, pool, n: PANEL, reviewDate });
      perProject.push(ms(t));
      recused += r.recused.length;
      eligible += r.eligible;
      if (r.drawn.length < PANEL) short++;
      draws.push(r.drawn);
    }
    const total = ms(tAll);
    perProject.sort((a, b) => a - b);
    const byId = new Map(pool.map((e) => [e.id, e]));
    let violations = 0;
    reviewed.forEach((project, i) => {
      for (const id of draws[i]!)
        if (
          recusalReasons(byId.get(id)!, project, reviewDate).length > 0 ||
          !byId.get(id)!.specialties.includes(specialtyOf(project.functionalCode))
        )
          violations++;
    });
    const again = reviewed.every(
      (project, i) =>
        JSON.stringify(drawExperts({ seed: seedHex, project, pool: [...pool].reverse(), n: PANEL, reviewDate }).drawn) ===
        JSON.stringify(draws[i]),
    );
    console.log(
      `\n2. pure draw, ${PROJECTS} projects × ${PANEL} experts from ${pool.length}: total ${total.toFixed(0)} ms (${((PROJECTS / total) * 1000).toFixed(0)} projects/s)`,
    );
    console.log(
      `   per project: p50 ${pct(perProject, 50).toFixed(2)} ms, p95 ${pct(perProject, 95).toFixed(2)} ms, max ${perProject[perProject.length - 1]!.toFixed(2)} ms`,
    );
    console.log(
      `   per project on average: ${(eligible / PROJECTS).toFixed(0)} eligible, ${(recused / PROJECTS).toFixed(1)} recused; projects short of ${PANEL}: ${short}`,
    );
    console.log(
      `   drawn experts with a recusing tie or the wrong specialty: ${violations}; same seed (pool in reverse order) gives the same draws: ${again ? 'yes' : 'NO'}`,
    );

    // 3. the batch's draw as the API makes it, sealed
    const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
    const keyStore = new DatabaseKeyStore(db, config.sealSecret);
    await keyStore.enrol(openerId, '246810');
    const tUnlock = process.hrtime.bigint();
    const signer = await keyStore.unlock(openerId, '246810');
    const unlockMs = ms(tUnlock);
    const p = (await loadPrincipal(db, openerId))!;
    const tBatch = process.hrtime.bigint();
    const result = await db.transaction((trx) =>
      drawBatch(trx, {
        p,
        signer,
        input: { name: '压测批次', fiscalYear: 2026, sector: null, panelSize: PANEL, respondWithin: 'P3D', scoreWithin: 'P7D' },
        projects,
        seed: seedHex,
        now: new Date(),
      }),
    );
    const batchMs = ms(tBatch);
    const [seats] = (await db('expert_assignments').where({ batch_id: result.batchId }).count({ n: '*' })) as Array<{ n: number | string }>;
    const [sealed] = (await db('audit_records').where({ kind: 'seal.expert-review.draw' }).count({ n: '*' })) as Array<{
      n: number | string;
    }>;
    const stored = (await db('expert_assignments')
      .where({ batch_id: result.batchId })
      .orderBy(['review_id', 'slot'])
      .select('expert_id', 'project_id')) as Array<{ expert_id: number; project_id: number }>;
    const same = reviewed.every(
      (project, i) =>
        JSON.stringify(stored.filter((s) => Number(s.project_id) === project.id).map((s) => Number(s.expert_id))) ===
        JSON.stringify(draws[i]),
    );
    console.log(
      `\n3. drawBatch in one transaction (sealed with the opener's SM2 key; PIN unlock ${unlockMs.toFixed(0)} ms before it): ${(batchMs / 1000).toFixed(2)} s for ${PROJECTS} projects (${((PROJECTS / batchMs) * 1000).toFixed(0)} projects/s)`,
    );
    console.log(
      `   ${Number(seats!.n)} seats, ${Number(sealed!.n)} sealed draw records in the audit chain; stored draws equal the pure draws: ${same ? 'yes' : 'NO'}`,
    );
    if (violations > 0 || !again || !same) process.exitCode = 1;
  } finally {
    await db.destroy();
    await fresh.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
