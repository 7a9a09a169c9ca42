import { ConfigError, loadConfig } from '../server/config';
import { EngineLaunchError, ensureEngineRunning, stopEngine } from '../server/engine/launcher';
import { FormDefinitionError, formRegistry } from '../server/forms';
import { createLogger } from '../server/log';
import { startSystem } from '../server/system';
import { platformWorkers } from '../workers';

/**
 * `npm start`: the local engine (unless ENGINE_URL names one), migrations, API, workers, SPA.
 * The entry point wires the workers into the system (server/ does not import workers/).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const t0 = Date.now();
  // A broken form would only show when someone opens the task: refuse to start instead.
  try {
    formRegistry();
  } catch (err) {
    if (err instanceof FormDefinitionError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }

  let startedEngine = false;
  if (config.engine.mode === 'local') {
    try {
      const launched = await ensureEngineRunning(config.engine.local, log.child({ component: 'engine-launcher' }));
      startedEngine = !launched.reused;
    } catch (err) {
      if (err instanceof EngineLaunchError) {
        log.fatal({ code: err.code }, err.message);
        process.exit(3);
      }
      throw err;
    }
  } else {
    log.info({ address: config.engine.restUrl }, '使用外部流程引擎（ENGINE_URL，不启动本地引擎）');
  }

  const system = await startSystem(config, { log, workers: platformWorkers() });
  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, '正在停止…');
    await system.stop();
    if (startedEngine) await stopEngine(config.engine.local, log);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  // The pages and the API answer from here on; an engine still away is shown on /api/health.
  let engineReady = false;
  const waiting = setTimeout(() => {
    if (!engineReady)
      console.log(
        `\n  页面与接口已可访问：${system.url}（流程引擎 ${config.engine.restUrl} 尚未连接，正在重试，详见 ${system.url}/api/health）\n`,
      );
  }, 5000);
  await system.ready;
  engineReady = true;
  clearTimeout(waiting);
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  log.info({ url: system.url, seconds }, '系统已就绪');
  console.log(
    `\n  预算项目全生命周期管理平台已启动（${seconds} 秒）：${system.url}\n  健康检查：${system.url}/api/health\n  按 Ctrl+C 停止\n`,
  );
}

void main();
