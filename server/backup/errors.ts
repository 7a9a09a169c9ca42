/**
 * Refusals and failures of `npm run backup` / `npm run restore`: a stable code (what a script or
 * an operator's runbook can test), a Chinese sentence saying what to do, and the file or database
 * concerned where there is one.
 */
export type BackupErrorCode =
  | 'APP_RUNNING'
  | 'ENGINE_RUNNING'
  | 'SYSTEM_STARTED_DURING_BACKUP'
  | 'BACKUP_TARGET_EXISTS'
  | 'BACKUP_NOT_FOUND'
  | 'BACKUP_MANIFEST_INVALID'
  | 'BACKUP_FORMAT_UNSUPPORTED'
  | 'BACKUP_FILE_MISSING'
  | 'BACKUP_DAMAGED'
  | 'BACKUP_NEWER_THAN_CODE'
  | 'ENGINE_VERSION_MISMATCH'
  | 'RESTORE_TARGET_MISMATCH'
  | 'DATABASE_NOT_EMPTY'
  | 'DATABASE_UNAVAILABLE'
  | 'RESTORE_FAILED'
  | 'BACKUP_FAILED';

export class BackupError extends Error {
  constructor(
    public readonly code: BackupErrorCode,
    message: string,
    public readonly details: { file?: string; database?: string } = {},
  ) {
    super(message);
    this.name = 'BackupError';
  }
}
