import { ConfigError, loadConfig } from '../server/config';
import { BackupError, restore } from '../server/backup';

/**
 * npm run restore -- <backup folder>
 * Restores a backup made by `npm run backup` into the EMPTY databases the configuration names
 * (DATABASE_URL / SQLITE_FILE, ENGINE_DATABASE_URL / ENGINE_DATA_DIR), after checking every file's
 * SM3. The platform and the engine must be stopped. Nothing is half-restored: each database is
 * built beside its target and moved in only when all are ready. Exit 0 done, 1 refused or failed
 * (the code is printed), 2 bad usage or configuration.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0]!.startsWith('--')) {
    console.error('用法：npm run restore -- <备份目录>');
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  try {
    const r = await restore(config, argv[0]!, { log: (line) => console.log(line) });
    console.log(
      `恢复完成（${(r.ms / 1000).toFixed(1)} 秒）：备份于 ${r.manifest.createdAt} 的数据已写入平台数据库 ${r.app} 与流程引擎数据库 ${r.engine}`,
    );
    for (const w of r.warnings) console.log(`注意：${w}`);
    console.log('下一步：npm start（将按需执行数据库迁移），然后在“合规核验”页或 GET /api/audit/verify 核验审计链。');
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      console.error(`恢复未完成 [${err.code}]：${err.message}`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`恢复失败 [RESTORE_FAILED]：${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
