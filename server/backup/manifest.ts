import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { sm3Hex } from '../../domain/digest';
import { sm3File } from './digest';
import { BackupError } from './errors';

/**
 * A backup is one folder: the app database, the engine database, and manifest.json saying what
 * they are (platform and Operaton versions, migration level, row counts, attachments) with the
 * size and SM3 digest of every file; manifest.sm3 holds the SM3 of manifest.json itself, so a
 * changed manifest is found as surely as a changed dump. Attachments live in the app database
 * (attachment_blobs, under their SM3), so they are in its file.
 */

export const BACKUP_FORMAT = 'budget-backup/1';
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_DIGEST_FILE = 'manifest.sm3';

const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/);
const counts = z.record(z.string(), z.number().int().min(0));

const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  platformVersion: z.string(),
  operatonVersion: z.string(),
  migrations: z.object({ count: z.number().int().min(0), latest: z.string().nullable(), names: z.array(z.string()) }),
  app: z.object({
    kind: z.enum(['sqlite', 'mysql']),
    file: fileName,
    serverVersion: z.string(),
    /** Source database (name or file), for the operator's eyes only. */
    source: z.string(),
    tables: counts,
    charset: z.string().optional(),
    collation: z.string().optional(),
  }),
  engine: z.object({
    kind: z.enum(['h2', 'mysql']),
    file: fileName,
    source: z.string(),
    serverVersion: z.string().optional(),
    schemaVersion: z.string().nullable().optional(),
    tables: counts.optional(),
    charset: z.string().optional(),
    collation: z.string().optional(),
  }),
  attachments: z.object({ count: z.number().int().min(0), bytes: z.number().int().min(0) }),
  /** Ids of the sensitive-column keys in use: the restored data opens only with the same keys (BUDGET_FIELD_KEYS). */
  fieldKeyIds: z.array(z.string()),
  files: z.array(z.object({ name: fileName, bytes: z.number().int().min(0), sm3: z.string().regex(/^[0-9a-f]{64}$/) })).min(1),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestFile = BackupManifest['files'][number];

/** What this code can restore: its Operaton version and the migrations it knows. */
export interface RestoreAbility {
  operatonVersion: string;
  migrationNames: readonly string[];
}

/** Writes manifest.json and manifest.sm3 (files' digests computed here). */
export async function writeManifest(
  dir: string,
  manifest: Omit<BackupManifest, 'files' | 'format'>,
  files: string[],
): Promise<BackupManifest> {
  const entries: ManifestFile[] = [];
  for (const name of files) {
    const { sm3, bytes } = await sm3File(path.join(dir, name));
    entries.push({ name, bytes, sm3 });
  }
  const full: BackupManifest = { format: BACKUP_FORMAT, ...manifest, files: entries };
  const text = `${JSON.stringify(full, null, 2)}\n`;
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), text);
  fs.writeFileSync(path.join(dir, MANIFEST_DIGEST_FILE), `${sm3Hex(text)}  ${MANIFEST_FILE}\n`);
  return full;
}

/**
 * Checks a backup folder before anything is restored from it: the manifest is there, unchanged
 * and of a format this code reads; Operaton is the version the backup was made with; the backup's
 * migrations are all known here (an older level is fine: the next start migrates up); every file
 * it lists is there with its size and SM3. Throws the first problem as a BackupError naming it.
 */
export async function checkBackup(dir: string, ability: RestoreAbility): Promise<BackupManifest> {
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new BackupError('BACKUP_NOT_FOUND', `备份目录 ${dir} 不存在`);
  if (!fs.existsSync(manifestPath))
    throw new BackupError('BACKUP_NOT_FOUND', `${dir} 不是备份目录：缺少清单 ${MANIFEST_FILE}`, { file: MANIFEST_FILE });
  const digestPath = path.join(dir, MANIFEST_DIGEST_FILE);
  if (!fs.existsSync(digestPath))
    throw new BackupError('BACKUP_FILE_MISSING', `备份不完整：缺少清单摘要文件 ${MANIFEST_DIGEST_FILE}`, { file: MANIFEST_DIGEST_FILE });
  const text = fs.readFileSync(manifestPath, 'utf8');
  const recorded = fs.readFileSync(digestPath, 'utf8').trim().split(/\s+/)[0];
  if (sm3Hex(text) !== recorded)
    throw new BackupError(
      'BACKUP_DAMAGED',
      `备份已损坏：清单 ${MANIFEST_FILE} 的 SM3 摘要与 ${MANIFEST_DIGEST_FILE} 不符（文件被修改或截断）`,
      { file: MANIFEST_FILE },
    );

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BackupError('BACKUP_MANIFEST_INVALID', `备份清单 ${MANIFEST_FILE} 不是有效的 JSON`, { file: MANIFEST_FILE });
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== BACKUP_FORMAT) {
    throw new BackupError(
      'BACKUP_FORMAT_UNSUPPORTED',
      `备份格式 ${typeof format === 'string' ? format : '（未标明）'} 不受支持，本版本只能恢复 ${BACKUP_FORMAT} 格式的备份`,
      { file: MANIFEST_FILE },
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupError(
      'BACKUP_MANIFEST_INVALID',
      `备份清单 ${MANIFEST_FILE} 内容不完整或有误（${issue?.path.join('.') || '根'}：${issue?.message ?? ''}）`,
      { file: MANIFEST_FILE },
    );
  }
  const manifest = parsed.data;

  if (manifest.operatonVersion !== ability.operatonVersion) {
    throw new BackupError(
      'ENGINE_VERSION_MISMATCH',
      `备份来自流程引擎 Operaton ${manifest.operatonVersion}，当前程序使用 Operaton ${ability.operatonVersion}：引擎数据库结构可能不同，请用与备份相同版本的程序恢复`,
    );
  }
  const known = new Set(ability.migrationNames);
  const unknown = manifest.migrations.names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new BackupError(
      'BACKUP_NEWER_THAN_CODE',
      `备份的数据库结构比当前程序新：有 ${unknown.length} 个当前程序不认识的迁移（${unknown.slice(0, 3).join('、')}${unknown.length > 3 ? ' 等' : ''}），请用备份时的（或更新的）程序版本恢复`,
    );
  }

  const listed = new Set(manifest.files.map((f) => f.name));
  for (const needed of [manifest.app.file, manifest.engine.file]) {
    if (!listed.has(needed)) throw new BackupError('BACKUP_MANIFEST_INVALID', `备份清单未登记数据文件 ${needed} 的摘要`, { file: needed });
  }
  for (const f of manifest.files) {
    const full = path.join(dir, f.name);
    if (!fs.existsSync(full)) throw new BackupError('BACKUP_FILE_MISSING', `备份不完整：缺少文件 ${f.name}`, { file: f.name });
    const actual = await sm3File(full);
    if (actual.bytes !== f.bytes)
      throw new BackupError('BACKUP_DAMAGED', `备份已损坏：文件 ${f.name} 大小为 ${actual.bytes} 字节，清单记录为 ${f.bytes} 字节`, {
        file: f.name,
      });
    if (actual.sm3 !== f.sm3) throw new BackupError('BACKUP_DAMAGED', `备份已损坏：文件 ${f.name} 的 SM3 摘要与清单不符`, { file: f.name });
  }
  return manifest;
}
