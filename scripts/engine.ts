import { ConfigError, loadConfig } from '../server/config';
import { EngineLaunchError, ensureEngineRunning, gatewayReady, runningEngine, stopEngine } from '../server/engine/launcher';
import { createLogger } from '../server/log';

/** npm run engine:start | engine:stop | engine:status — the local engine on its own. */
async function main(): Promise<number> {
  const command = process.argv[2];
  const config = loadConfig();
  const log = createLogger(config.logLevel === 'warn' ? 'info' : config.logLevel, 'engine-launcher');
  if (config.engine.mode === 'external') {
    console.log(`已配置 ZEEBE_ADDRESS=${config.engine.grpcAddress}，使用外部集群，本地引擎不启动。`);
    return command === 'status' ? ((await gatewayReady(config.engine.local.restPort)) ? 0 : 1) : 0;
  }
  const local = config.engine.local;
  switch (command) {
    case 'start': {
      const r = await ensureEngineRunning(local, log);
      console.log(`流程引擎 Camunda ${local.version} ${r.reused ? '已在运行' : '已启动'}（进程 ${r.pid}，${(r.startMs / 1000).toFixed(1)} 秒）：gRPC 127.0.0.1:${local.grpcPort}，REST http://127.0.0.1:${local.restPort}，日志 ${local.logFile}`);
      return 0;
    }
    case 'stop': {
      const stopped = await stopEngine(local, log);
      console.log(stopped ? '流程引擎已停止' : '没有由本项目启动的流程引擎在运行');
      return 0;
    }
    case 'status': {
      const info = runningEngine(local);
      const ready = await gatewayReady(local.restPort);
      console.log(info ? `进程 ${info.pid}，版本 ${info.version}，自 ${info.startedAt}；网关${ready ? '就绪' : '未就绪'}` : `未运行${ready ? '（但端口上有其他引擎在应答）' : ''}`);
      return ready ? 0 : 1;
    }
    default:
      console.error('用法：tsx scripts/engine.ts start|stop|status');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof EngineLaunchError || err instanceof ConfigError) {
      console.error(err.message);
      process.exit(3);
    }
    console.error(err);
    process.exit(1);
  },
);
