import { loadConfig } from '../server/config';
import { openDatabase } from '../server/db';

/** npm run migrate | migrate:rollback — apply or roll back the last batch of migrations. */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.database);
  try {
    if (process.argv[2] === 'rollback') {
      const [batch, names] = (await db.migrate.rollback()) as [number, string[]];
      console.log(names.length ? `已回滚第 ${batch} 批：${names.join(', ')}` : '没有可回滚的迁移');
    } else {
      const [batch, names] = (await db.migrate.latest()) as [number, string[]];
      console.log(names.length ? `已执行第 ${batch} 批：${names.join(', ')}` : '数据库已是最新');
    }
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
