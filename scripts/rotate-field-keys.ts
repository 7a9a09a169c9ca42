import { loadConfig } from '../server/config';
import { openDatabase } from '../server/db';
import { fieldKeyring, SENSITIVE_COLUMNS } from '../server/crypto/keyring';
import { rotateFieldKeys } from '../server/crypto/rotate';
// The app's modules register their sensitive columns when loaded: load them all.
import '../server/api/app';

/**
 * npm run keys:rotate [-- --batch 500]
 * After putting a new key first in BUDGET_FIELD_KEYS (keeping the old ones after it), re-seals
 * every registered sensitive column's values that are not under the new key, in batches, and
 * prints the counts per column. Safe to run again (and while the app runs). When it reports no
 * failures, the old keys may be removed from BUDGET_FIELD_KEYS. Exit code 1 if any value could
 * not be opened (a key missing from the configuration, or a tampered value).
 */
async function main(argv: string[]): Promise<number> {
  const batchFlag = argv.indexOf('--batch');
  const batchSize = batchFlag >= 0 ? Number(argv[batchFlag + 1]) : 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    console.error('用法：npm run keys:rotate [-- --batch <1–10000>]');
    return 2;
  }
  const config = loadConfig();
  const ring = fieldKeyring(config);
  const db = await openDatabase(config.database);
  try {
    console.log(
      `当前密钥：${ring.current.id}（共配置 ${ring.keys.size} 个）；敏感字段 ${SENSITIVE_COLUMNS.length} 个；每批 ${batchSize} 条`,
    );
    const counts = await rotateFieldKeys(db, ring, { batchSize });
    let failed = 0;
    for (const c of counts) {
      console.log(
        `${c.column}: 共 ${c.scanned} 条，重新加密 ${c.resealed}，已是当前密钥 ${c.current}，无法解开 ${c.failed}，并发改动跳过 ${c.skipped}`,
      );
      failed += c.failed;
    }
    if (failed) {
      console.log(`失败：${failed} 条无法解开（所用密钥未配置或数据被改动），旧密钥暂不能移除`);
      return 1;
    }
    console.log('完成：所有敏感字段均已使用当前密钥加密');
    return 0;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
