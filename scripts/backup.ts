import { ConfigError, loadConfig } from '../server/config';
import { backup, BackupError } from '../server/backup';

/**
 * npm run backup [-- --out <new folder>]
 * Backs up the app database, the engine database and the attachments (kept in the app database)
 * into one new folder with a manifest (versions, migration level, sizes, SM3 of every file). The
 * platform and the engine must be stopped. Exit 0 done, 1 refused or failed (the code is printed),
 * 2 bad usage or configuration.
 */
async function main(argv: string[]): Promise<number> {
  const usage = argv.length !== 0 && !(argv.length === 2 && argv[0] === '--out' && argv[1] && !argv[1].startsWith('--'));
  const dir = argv[1];
  if (usage) {
    console.error('用法：npm run backup [-- --out <新的备份目录>]');
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
    const r = await backup(config, { dir, log: (line) => console.log(line) });
    const m = r.manifest;
    console.log(`备份完成（${(r.ms / 1000).toFixed(1)} 秒）：${r.dir}`);
    console.log(
      `  平台数据库 ${m.app.kind === 'mysql' ? 'MySQL/MariaDB' : 'SQLite'}，${Object.keys(m.app.tables).length} 张表，迁移 ${m.migrations.count} 个（最新 ${m.migrations.latest ?? '无'}）`,
    );
    console.log(`  流程引擎 Operaton ${m.operatonVersion}，数据库 ${m.engine.kind === 'mysql' ? 'MySQL/MariaDB' : 'H2'}`);
    console.log(`  附件 ${m.attachments.count} 个（${m.attachments.bytes} 字节，保存在平台数据库中）`);
    for (const f of m.files) console.log(`  ${f.name}  ${f.bytes} 字节  SM3 ${f.sm3}`);
    console.log(
      '请另行妥善保管 BUDGET_SEAL_SECRET、BUDGET_FIELD_KEYS、BUDGET_FIELD_INDEX_KEY：备份中不含这些密钥，恢复后没有它们签章与加密字段无法使用。',
    );
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      console.error(`备份未完成 [${err.code}]：${err.message}`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`备份失败 [BACKUP_FAILED]：${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
