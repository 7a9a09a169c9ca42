import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sm3Hex } from '../../domain/digest';
import { sm3File } from '../../server/backup/digest';
import { BackupError } from '../../server/backup/errors';
import {
  BACKUP_FORMAT,
  checkBackup,
  MANIFEST_DIGEST_FILE,
  MANIFEST_FILE,
  writeManifest,
  type BackupManifest,
} from '../../server/backup/manifest';

/**
 * The checks a restore runs on a backup folder before touching any database: manifest digest,
 * format, versions, and every file's presence, size and SM3.
 */
describe('backup manifest checks', () => {
  const ability = { operatonVersion: '1.0.3', migrationNames: ['20261120A-one.ts', '20261121A-two.ts'] };
  let dir: string;

  async function makeBackup(over: Partial<Omit<BackupManifest, 'files' | 'format'>> = {}): Promise<BackupManifest> {
    fs.writeFileSync(path.join(dir, 'app.sqlite'), crypto.randomBytes(4096));
    fs.writeFileSync(path.join(dir, 'engine.h2.mv.db'), crypto.randomBytes(8192));
    return writeManifest(
      dir,
      {
        createdAt: '2026-12-02T08:00:00.000Z',
        platformVersion: '0.1.0',
        operatonVersion: '1.0.3',
        migrations: { count: 1, latest: '20261120A-one.ts', names: ['20261120A-one.ts'] },
        app: { kind: 'sqlite', file: 'app.sqlite', serverVersion: 'SQLite 3', source: '/x/budget.sqlite', tables: { projects: 3 } },
        engine: { kind: 'h2', file: 'engine.h2.mv.db', source: '/x/engine.mv.db' },
        attachments: { count: 0, bytes: 0 },
        fieldKeyIds: ['dev1'],
        ...over,
      },
      ['app.sqlite', 'engine.h2.mv.db'],
    );
  }

  async function refusal(): Promise<BackupError> {
    try {
      await checkBackup(dir, ability);
    } catch (err) {
      if (err instanceof BackupError) return err;
      throw err;
    }
    throw new Error('checkBackup accepted the backup');
  }

  /** Rewrites the manifest as if by hand, with a matching manifest.sm3 (a consistent but wrong manifest). */
  function rewriteManifest(change: (m: Record<string, unknown>) => void): void {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as Record<string, unknown>;
    change(m);
    const text = JSON.stringify(m, null, 2);
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), text);
    fs.writeFileSync(path.join(dir, MANIFEST_DIGEST_FILE), `${sm3Hex(text)}  ${MANIFEST_FILE}\n`);
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-manifest-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the streamed SM3 of a file is the platform SM3 (domain/digest.ts) of its bytes', async () => {
    const bytes = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const file = path.join(dir, 'f.bin');
    fs.writeFileSync(file, bytes);
    expect(await sm3File(file)).toEqual({ sm3: sm3Hex(bytes), bytes: bytes.length });
    // GB/T 32905 example 1.
    fs.writeFileSync(file, 'abc');
    expect((await sm3File(file)).sm3).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });

  test('an intact backup passes and lists every file with its size and SM3', async () => {
    const written = await makeBackup();
    const checked = await checkBackup(dir, ability);
    expect(checked).toEqual(written);
    expect(checked.format).toBe(BACKUP_FORMAT);
    expect(checked.files.map((f) => [f.name, f.bytes, f.sm3])).toEqual([
      ['app.sqlite', 4096, sm3Hex(fs.readFileSync(path.join(dir, 'app.sqlite')))],
      ['engine.h2.mv.db', 8192, sm3Hex(fs.readFileSync(path.join(dir, 'engine.h2.mv.db')))],
    ]);
  });

  test('a damaged file (one byte changed, same size) is BACKUP_DAMAGED naming it', async () => {
    await makeBackup();
    const f = path.join(dir, 'engine.h2.mv.db');
    const bytes = fs.readFileSync(f);
    bytes[1000] = bytes[1000]! ^ 0xff;
    fs.writeFileSync(f, bytes);
    const err = await refusal();
    expect([err.code, err.details.file]).toEqual(['BACKUP_DAMAGED', 'engine.h2.mv.db']);
    expect(err.message).toContain('engine.h2.mv.db');
  });

  test('a truncated file is BACKUP_DAMAGED (size)', async () => {
    await makeBackup();
    fs.truncateSync(path.join(dir, 'app.sqlite'), 100);
    const err = await refusal();
    expect([err.code, err.details.file]).toEqual(['BACKUP_DAMAGED', 'app.sqlite']);
    expect(err.message).toContain('100 字节');
  });

  test('a missing file is BACKUP_FILE_MISSING naming it', async () => {
    await makeBackup();
    fs.rmSync(path.join(dir, 'app.sqlite'));
    const err = await refusal();
    expect([err.code, err.details.file]).toEqual(['BACKUP_FILE_MISSING', 'app.sqlite']);
  });

  test('an edited manifest (digest no longer matches) is BACKUP_DAMAGED naming manifest.json', async () => {
    await makeBackup();
    const p = path.join(dir, MANIFEST_FILE);
    fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('"count": 1', '"count": 2'));
    const err = await refusal();
    expect([err.code, err.details.file]).toEqual(['BACKUP_DAMAGED', MANIFEST_FILE]);
    fs.rmSync(path.join(dir, MANIFEST_DIGEST_FILE));
    expect((await refusal()).code).toBe('BACKUP_FILE_MISSING');
  });

  test('no manifest: BACKUP_NOT_FOUND; not a folder: BACKUP_NOT_FOUND', async () => {
    expect((await refusal()).code).toBe('BACKUP_NOT_FOUND');
    fs.rmSync(dir, { recursive: true });
    expect((await refusal()).code).toBe('BACKUP_NOT_FOUND');
    fs.mkdirSync(dir);
  });

  test('wrong versions: another backup format, another Operaton, migrations this code does not know', async () => {
    await makeBackup();
    rewriteManifest((m) => (m.format = 'budget-backup/2'));
    const format = await refusal();
    expect(format.code).toBe('BACKUP_FORMAT_UNSUPPORTED');
    expect(format.message).toContain('budget-backup/2');

    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    await makeBackup({ operatonVersion: '1.1.0' });
    const engine = await refusal();
    expect(engine.code).toBe('ENGINE_VERSION_MISMATCH');
    expect(engine.message).toContain('1.1.0');

    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    await makeBackup({
      migrations: { count: 3, latest: '20270101A-future.ts', names: ['20261120A-one.ts', '20261121A-two.ts', '20270101A-future.ts'] },
    });
    const newer = await refusal();
    expect(newer.code).toBe('BACKUP_NEWER_THAN_CODE');
    expect(newer.message).toContain('20270101A-future.ts');
  });

  test('a manifest that does not register a data file, or has a malformed field, is BACKUP_MANIFEST_INVALID', async () => {
    await makeBackup();
    rewriteManifest((m) => (m.files = (m.files as Array<{ name: string }>).filter((f) => f.name !== 'engine.h2.mv.db')));
    expect((await refusal()).code).toBe('BACKUP_MANIFEST_INVALID');
    rewriteManifest((m) => ((m.files as Array<{ name: string }>).push({ name: '../etc/passwd' }), undefined));
    expect((await refusal()).code).toBe('BACKUP_MANIFEST_INVALID');
  });
});
