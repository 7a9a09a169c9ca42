import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { seedDemoUsers } from '../../server/auth/demo-users';
import { verifyChain } from '../../server/audit/verify';
import { backup, BackupError, restore } from '../../server/backup';
import { MANIFEST_FILE, writeManifest } from '../../server/backup/manifest';
import { h2EngineDatabase, type AppConfig } from '../../server/config';
import {
  ensureEngineRunning,
  serverDatabaseParts,
  stopEngine,
  withDatabaseName,
  type LocalEngineConfig,
} from '../../server/engine/launcher';
import { createLogger } from '../../server/log';
import { seedReferenceData } from '../../server/reference';
import { platformKey } from '../../server/seals/platform-key';
import { startSystem, type System } from '../../server/system';
import { platformWorkers } from '../../workers';
import { loginCookie } from '../support/accounts';
import { apiAs, demoApplication, type ApiCall } from '../support/intake';
import { freshDatabaseConfig, testConfig } from '../support/system';
import { freePort, until } from '../support/treasury';

/**
 * Backup and restore on the real engine and database (issue 15 item 6). A system of its own (its
 * own engine: H2 beside SQLite, or a MariaDB engine database beside MariaDB) files and submits an
 * intake application with an attachment; the department approves, the sector division approves
 * with its seal; the instance waits at 预算处审定. While the app or the engine runs, the backup is
 * refused. Stopped, it is backed up; a damaged copy and a non-empty target are refused and leave
 * the targets empty; the backup is restored into new, empty databases; a system started on them
 * verifies its audit chain, serves the attachment, and 预算处 completes the waiting task, sealed,
 * so the instance goes on (入库, 已入库).
 */
jest.setTimeout(600_000);

const PIN = '602918';

async function refusal(p: Promise<unknown>): Promise<BackupError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BackupError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('backup → restore into empty databases → the system goes on', () => {
  const log = createLogger('silent');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-restore-'));
  const suffix = crypto.randomBytes(3).toString('hex');
  const engines: LocalEngineConfig[] = [];
  const systems: System[] = [];
  const drops: Array<() => Promise<void>> = [];
  const engineDatabases: string[] = [];

  async function engineConfig(name: string, base: AppConfig): Promise<LocalEngineConfig> {
    const home = path.join(tmp, name);
    const server = serverDatabaseParts(base.engine.local.database);
    const dataDir = path.join(home, 'data');
    const database =
      base.database.client === 'mysql' && server
        ? withDatabaseName(base.engine.local.database, `budget_bk${name}_${suffix}_engine`)
        : h2EngineDatabase(dataDir);
    if (database.kind === 'mysql') engineDatabases.push(serverDatabaseParts(database)!.database);
    const local = {
      ...base.engine.local,
      home,
      dataDir,
      logFile: path.join(home, 'logs', 'engine.log'),
      port: await freePort(),
      database,
      javaOpts: '-Xms128m -Xmx512m',
    };
    engines.push(local);
    return local;
  }

  function systemConfig(base: AppConfig, database: AppConfig['database'], local: LocalEngineConfig): AppConfig {
    return { ...base, database, engine: { ...base.engine, mode: 'local', restUrl: `http://127.0.0.1:${local.port}/engine-rest`, local } };
  }

  async function boot(config: AppConfig): Promise<System> {
    await ensureEngineRunning(config.engine.local, log);
    const system = await startSystem(config, { log, workers: platformWorkers(), reconcileEveryMs: 1000 });
    systems.push(system);
    await system.ready;
    return system;
  }

  async function halt(system: System, local: LocalEngineConfig): Promise<void> {
    await system.stop();
    await stopEngine(local, log);
  }

  afterAll(async () => {
    for (const s of systems) await s.stop().catch(() => undefined);
    for (const e of engines) await stopEngine(e, log).catch(() => false);
    for (const drop of drops) await drop().catch(() => undefined);
    const first = engines.find((e) => e.database.kind === 'mysql');
    if (first) {
      const server = serverDatabaseParts(first.database)!;
      const admin = await createConnection({
        host: server.host,
        port: Number(server.port),
        user: first.database.user,
        password: first.database.password,
      });
      for (const name of engineDatabases) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('an in-flight intake instance survives backup and restore: chain verifies, attachment intact, the waiting task completes and the process goes on', async () => {
    const base = testConfig({ secondFactorRoles: [] });
    const appA = freshDatabaseConfig();
    drops.push(appA.drop);
    const configA = systemConfig(base, appA.database, await engineConfig('a', base));
    const a = await boot(configA);
    await seedReferenceData(a.db, { year: 2026 });
    await seedDemoUsers(a.db);
    const users = ['nm_clerk_yz', 'nm_dept_jy', 'nm_jkw', 'nm_ysk'];
    const cookiesA: Record<string, string> = {};
    for (const u of users) cookiesA[u] = await loginCookie(a.url, u, 'Budget@2026');
    const callA: ApiCall = apiAs(`${a.url}/api`, cookiesA);
    for (const u of ['nm_jkw', 'nm_ysk']) expect((await callA(u, 'POST', '/seals/enrol', { pin: PIN })).status).toBe(201);

    // An application with an attachment, submitted; the department approves, the sector division seals.
    const created = await callA('nm_clerk_yz', 'POST', '/projects', demoApplication('第一中学备份恢复测试项目'));
    expect(created.status).toBe(201);
    const projectId = created.body.id as number;
    const attachmentBytes = Buffer.concat([Buffer.from('%PDF-1.4 备份恢复测试附件\n'), crypto.randomBytes(200_000)]);
    const upload = await fetch(`${a.url}/api/projects/${projectId}/attachments`, {
      method: 'POST',
      headers: {
        cookie: cookiesA.nm_clerk_yz!,
        'content-type': 'application/pdf',
        'x-file-name': encodeURIComponent('可行性研究报告.pdf'),
      },
      body: attachmentBytes,
    });
    expect(upload.status).toBe(201);
    const attachment = (await upload.json()) as { id: number; sm3: string };
    const project = (await callA('nm_clerk_yz', 'GET', `/projects/${projectId}`)).body as { version: number };
    expect((await callA('nm_clerk_yz', 'POST', `/projects/${projectId}/submit`, { version: project.version })).status).toBe(200);

    const taskAt = async (call: ApiCall, user: string, element: string): Promise<{ id: number; processInstanceKey: string }> =>
      until(`${element} task for ${user}`, async () => {
        const items = (await call(user, 'GET', '/tasks?box=todo&pageSize=100')).body.items as Array<{
          id: number;
          projectId: number;
          elementId: string;
          processInstanceKey: string;
        }>;
        return items.find((t) => t.projectId === projectId && t.elementId === element);
      });
    const dept = await taskAt(callA, 'nm_dept_jy', 'DepartmentReview');
    expect(
      (await callA('nm_dept_jy', 'POST', `/tasks/${dept.id}/complete`, { data: { decision: 'approve', comment: '同意' } })).status,
    ).toBe(200);
    const sector = await taskAt(callA, 'nm_jkw', 'SectorReview');
    const sealed = await callA('nm_jkw', 'POST', `/tasks/${sector.id}/complete`, {
      data: { decision: 'approve', countersign: false, comment: '符合方向' },
      signingPin: PIN,
    });
    expect(sealed.status).toBe(200);
    expect(sealed.body.seal.auditRecordId).toEqual(expect.any(Number));
    const waiting = await taskAt(callA, 'nm_ysk', 'BudgetDecision');
    const engineTasks = await a.engine.request<Array<{ id: string; taskDefinitionKey: string }>>('GET', '/task', {
      query: { processInstanceId: waiting.processInstanceKey },
    });
    expect(engineTasks.map((t) => t.taskDefinitionKey)).toEqual(['BudgetDecision']);
    const chainA = await verifyChain(a.db, await platformKey(a.db, configA.sealSecret));
    expect(chainA.ok).toBe(true);

    // Running: refused, nothing written.
    const dir = path.join(tmp, 'backup');
    const running = await refusal(backup(configA, { dir }));
    expect(running.code).toBe('APP_RUNNING');
    expect(fs.existsSync(dir)).toBe(false);
    await a.stop();
    expect((await refusal(backup(configA, { dir }))).code).toBe('ENGINE_RUNNING');
    await stopEngine(configA.engine.local, log);

    const made = await backup(configA, { dir });
    const m = made.manifest;
    expect(m.app.kind).toBe(configA.database.client);
    expect(m.engine.kind).toBe(configA.engine.local.database.kind === 'mysql' ? 'mysql' : 'h2');
    expect(m.operatonVersion).toBe(configA.engine.local.version);
    expect(m.migrations.latest).toBe(m.migrations.names[m.migrations.names.length - 1]);
    expect(m.migrations.count).toBeGreaterThan(20);
    expect(m.attachments).toEqual({ count: 1, bytes: attachmentBytes.length });
    expect(m.app.tables.audit_records).toBe(chainA.records);
    expect(m.files.map((f) => f.name).sort()).toEqual([m.app.file, m.engine.file].sort());
    console.log(
      `backup: ${(made.ms / 1000).toFixed(1)} s, ${m.files.map((f) => `${f.name} ${(f.bytes / 1024).toFixed(0)} KiB`).join(', ')} (app ${m.app.kind}, engine ${m.engine.kind})`,
    );

    // The targets: new, empty databases.
    const appB = freshDatabaseConfig();
    drops.push(appB.drop);
    const configB = systemConfig(base, appB.database, await engineConfig('b', base));
    const targetsEmpty = async (): Promise<void> => {
      if (configB.database.client === 'sqlite') expect(fs.existsSync(configB.database.filename)).toBe(false);
      else {
        const admin = await createConnection({ uri: configB.database.url.replace(/\/[^/]*$/, '/') });
        const [rows] = (await admin.query('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [
          configB.database.database,
        ])) as unknown as [[{ n: number }]];
        await admin.end();
        expect(Number(rows[0].n)).toBe(0);
      }
      if (configB.engine.local.database.kind === 'h2')
        expect(fs.readdirSync(path.join(configB.engine.local.dataDir)).filter((f) => f.startsWith('engine'))).toEqual([]);
    };
    fs.mkdirSync(configB.engine.local.dataDir, { recursive: true });

    // A damaged copy: refused before any database is touched, naming the file.
    const damaged = path.join(tmp, 'damaged');
    fs.cpSync(dir, damaged, { recursive: true });
    const victim = path.join(damaged, m.engine.file);
    const bytes = fs.readFileSync(victim);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    fs.writeFileSync(victim, bytes);
    const bad = await refusal(restore(configB, damaged));
    expect([bad.code, bad.details.file]).toEqual(['BACKUP_DAMAGED', m.engine.file]);
    await targetsEmpty();
    fs.rmSync(path.join(damaged, m.app.file));
    expect((await refusal(restore(configB, damaged))).code).toBe('BACKUP_FILE_MISSING');
    const edited = path.join(damaged, MANIFEST_FILE);
    fs.writeFileSync(
      edited,
      fs.readFileSync(edited, 'utf8').replace(`"operatonVersion": "${m.operatonVersion}"`, '"operatonVersion": "0.9.9"'),
    );
    expect((await refusal(restore(configB, damaged))).code).toBe('BACKUP_DAMAGED');

    // A forged backup (the app data cut short, the digests recomputed so every check of the
    // folder passes): the restore fails while building beside the target, leaving it empty and no
    // staging copy behind.
    const forged = path.join(tmp, 'forged');
    fs.cpSync(dir, forged, { recursive: true });
    const appFile = path.join(forged, m.app.file);
    fs.truncateSync(appFile, Math.floor(fs.statSync(appFile).size * 0.6));
    const { files: _files, format: _format, ...rest } = m;
    void _files;
    void _format;
    await writeManifest(
      forged,
      rest,
      m.files.map((f) => f.name),
    );
    const cut = await refusal(restore(configB, forged));
    expect(['BACKUP_DAMAGED', 'RESTORE_FAILED']).toContain(cut.code);
    await targetsEmpty();
    if (configB.database.client === 'sqlite')
      expect(fs.readdirSync(path.dirname(configB.database.filename)).filter((f) => f.includes('.restoring-'))).toEqual([]);
    else {
      const admin = await createConnection({ uri: configB.database.url.replace(/\/[^/]*$/, '/') });
      const [rows] = (await admin.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [
        `${configB.database.database}\\_rs\\_%`,
      ])) as unknown as [Array<{ name: string }>];
      await admin.end();
      expect(rows).toEqual([]);
    }

    // A non-empty target (the source itself): refused, the source unchanged.
    const notEmpty = await refusal(restore(configA, dir));
    expect(notEmpty.code).toBe('DATABASE_NOT_EMPTY');
    await targetsEmpty();

    const restored = await restore(configB, dir);
    expect(restored.warnings).toEqual([]);
    console.log(`restore: ${(restored.ms / 1000).toFixed(1)} s into ${restored.app} / ${restored.engine}`);
    // Restored once: a second restore into the same targets is refused.
    expect((await refusal(restore(configB, dir))).code).toBe('DATABASE_NOT_EMPTY');

    // The system on the restored data.
    const b = await boot(configB);
    const chainB = await verifyChain(b.db, await platformKey(b.db, configB.sealSecret));
    expect(chainB).toMatchObject({
      ok: true,
      records: chainA.records,
      sealed: chainA.sealed,
      lastHash: chainA.lastHash,
      firstBroken: null,
    });
    const cookiesB: Record<string, string> = {};
    for (const u of users) cookiesB[u] = await loginCookie(b.url, u, 'Budget@2026');
    const callB = apiAs(`${b.url}/api`, cookiesB);
    const down = await fetch(`${b.url}/api/projects/${projectId}/attachments/${attachment.id}`, {
      headers: { cookie: cookiesB.nm_clerk_yz! },
    });
    expect(down.status).toBe(200);
    expect(down.headers.get('x-content-sm3')).toBe(attachment.sm3);
    expect(Buffer.from(await down.arrayBuffer()).equals(attachmentBytes)).toBe(true);

    // The instance waits where it was, and goes on.
    const again = await taskAt(callB, 'nm_ysk', 'BudgetDecision');
    expect(again).toMatchObject({ id: waiting.id, processInstanceKey: waiting.processInstanceKey });
    const restoredTasks = await b.engine.request<Array<{ id: string }>>('GET', '/task', {
      query: { processInstanceId: waiting.processInstanceKey },
    });
    expect(restoredTasks.map((t) => t.id)).toEqual(engineTasks.map((t) => t.id));
    const decided = await callB('nm_ysk', 'POST', `/tasks/${again.id}/complete`, { data: { decision: 'admit' }, signingPin: PIN });
    expect(decided.status).toBe(200);
    expect(decided.body.seal.auditRecordId).toEqual(expect.any(Number));
    await until('project 已入库 after the restore', async () =>
      (await callB('nm_clerk_yz', 'GET', `/projects/${projectId}`)).body.status === 'reserved' ? true : undefined,
    );
    const history = await b.engine.request<Array<{ activityId: string }>>('GET', '/history/activity-instance', {
      query: { processInstanceId: waiting.processInstanceKey, sortBy: 'startTime', sortOrder: 'asc' },
    });
    expect(history.map((h) => h.activityId)).toEqual(expect.arrayContaining(['DepartmentReview', 'SectorReview', 'BudgetDecision']));
    const after = await verifyChain(b.db, await platformKey(b.db, configB.sealSecret));
    expect(after.ok).toBe(true);
    expect(after.records).toBeGreaterThan(chainA.records);
    await halt(b, configB.engine.local);
  });
});
