import { ConfigError, loadConfig } from '../server/config';
import {
  EngineLaunchError,
  engineVersion,
  ensureEngineRunning,
  resetEngineData,
  runningEngine,
  stopEngine,
} from '../server/engine/launcher';
import { createLogger } from '../server/log';

/** npm run engine:start | engine:stop | engine:status | engine:reset — the local engine on its own. */
async function main(): Promise<number> {
  const command = process.argv[2];
  const config = loadConfig();
  const log = createLogger(config.logLevel === 'warn' ? 'info' : config.logLevel, 'engine-launcher');
  const local = config.engine.local;
  if (config.engine.mode === 'external') {
    const version = await engineVersion(config.engine.restUrl, config.engine.credentials);
    console.log(
      `已配置 ENGINE_URL=${config.engine.restUrl}，使用外部流程引擎，本地引擎不启动、不停止、不清空。` +
        (version ? `外部引擎在应答：Operaton ${version}` : '外部引擎当前没有应答'),
    );
    return command === 'status' && !version ? 1 : 0;
  }
  const where = `端口 ${local.port}（${config.engine.restUrl}），数据库 ${describeDatabase(local.database)}，日志 ${local.logFile}`;
  switch (command) {
    case 'start': {
      const r = await ensureEngineRunning(local, log);
      const info = runningEngine(local);
      const running = info
        ? `端口 ${info.port}（http://127.0.0.1:${info.port}/engine-rest），数据库 ${info.database.kind} ${info.database.jdbcUrl}，日志 ${local.logFile}`
        : where;
      console.log(
        `流程引擎 Operaton ${local.version} ${r.reused ? '已在运行' : '已启动'}（进程 ${r.pid}，${(r.startMs / 1000).toFixed(1)} 秒）：${running}`,
      );
      return 0;
    }
    case 'stop': {
      const stopped = await stopEngine(local, log);
      console.log(stopped ? `流程引擎 Operaton ${local.version} 已停止` : `没有由本项目（ENGINE_HOME=${local.home}）启动的流程引擎在运行`);
      return 0;
    }
    case 'status': {
      const info = runningEngine(local);
      const version = await engineVersion(
        info ? `http://127.0.0.1:${info.port}/engine-rest` : config.engine.restUrl,
        config.engine.credentials,
      );
      if (info) {
        console.log(
          `流程引擎 Operaton ${info.version}：进程 ${info.pid}，自 ${info.startedAt}，端口 ${info.port}，数据库 ${info.database.kind} ${info.database.jdbcUrl}，日志 ${local.logFile}；${version ? `REST 接口就绪（${version}）` : 'REST 接口未就绪'}`,
        );
      } else {
        console.log(
          `流程引擎 Operaton ${local.version} 未运行（${where}）${version ? `；但端口 ${local.port} 上有另一个引擎在应答（Operaton ${version}）` : ''}`,
        );
      }
      return version ? 0 : 1;
    }
    case 'reset': {
      await resetEngineData(local);
      console.log(`已清空流程引擎数据：${describeDatabase(local.database)}`);
      return 0;
    }
    default:
      console.error('用法：tsx scripts/engine.ts start|stop|status|reset');
      return 2;
  }
}

function describeDatabase(db: { kind: string; jdbcUrl: string }): string {
  return `${db.kind === 'h2' ? 'H2' : db.kind === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'} ${db.jdbcUrl}`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof EngineLaunchError || err instanceof ConfigError) {
      console.error(err.message);
      process.exit(3);
    }
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
