import { Router } from 'express';
import { requireLogin, requirePermission } from '../auth/middleware';
import { toShanghaiIso } from '../../domain/time';
import type { AppConfig } from '../config';
import { checkDatabase, type Db, type DatabaseStatus } from '../db';
import { EngineError, fetchEngineInfo, type EngineClient } from '../engine/client';
import { latestDeployedResources, type DeployedResource } from '../engine/deploy';
import type { EngineSupervisor } from '../engine/supervisor';

export interface EngineStatus {
  /** starting: the engine answers, the models are being deployed and the workers started. */
  status: 'up' | 'starting' | 'down';
  mode: 'local' | 'external';
  /** The engine's REST address. */
  address: string;
  product: 'Operaton';
  /** The engine's own answer (GET /engine-rest/version). */
  version?: string;
  /** Process engines the REST API serves (normally "default"). */
  engines?: string[];
  deployedResources?: DeployedResource[];
  message?: string;
  lastCheckedAt: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  time: string;
  version: string;
  database: DatabaseStatus;
  engine: EngineStatus;
}

export interface HealthDeps {
  config: AppConfig;
  db: Db;
  engine: EngineClient;
  supervisor: EngineSupervisor;
  version: string;
}

export async function checkEngine(deps: HealthDeps, databaseUp: boolean): Promise<EngineStatus> {
  const base = {
    mode: deps.config.engine.mode,
    address: deps.config.engine.restUrl,
    product: 'Operaton',
    lastCheckedAt: toShanghaiIso(new Date()),
  } as const;
  try {
    const info = await fetchEngineInfo(deps.engine, 2500);
    const deployedResources = databaseUp ? await latestDeployedResources(deps.db).catch(() => undefined) : undefined;
    // Healthy only once the models are deployed and the workers run (the supervisor's onReady).
    if (deps.supervisor.state.status !== 'up') {
      return {
        status: 'starting',
        ...base,
        version: info.version,
        engines: info.engines,
        deployedResources,
        message: '流程引擎已连接，正在部署流程模型并启动外部任务处理器',
      };
    }
    return { status: 'up', ...base, version: info.version, engines: info.engines, deployedResources };
  } catch (err) {
    const attempts = deps.supervisor.state.attempts;
    const retrying = deps.supervisor.state.status !== 'up' ? `，正在重试（已尝试 ${attempts} 次）` : '';
    // It answers but refuses the platform's account: say so, not "cannot connect".
    if (err instanceof EngineError && err.status === 401)
      return {
        status: 'down',
        ...base,
        message: `流程引擎拒绝了平台的账号（${deps.config.engine.restUrl}）：请检查 ENGINE_REST_USER / ENGINE_REST_PASSWORD${retrying}`,
      };
    return { status: 'down', ...base, message: `流程引擎无法连接（${deps.config.engine.restUrl}）${retrying}` };
  }
}

export async function buildHealthReport(deps: HealthDeps): Promise<HealthReport> {
  const database = await checkDatabase(deps.db, deps.config.database.client);
  const engine = await checkEngine(deps, database.status === 'up');
  return {
    status: database.status === 'up' && engine.status === 'up' ? 'ok' : 'degraded',
    time: toShanghaiIso(new Date()),
    version: deps.version,
    database,
    engine,
  };
}

/**
 * The public answer of GET /api/health: up or not, for a load balancer or a probe — no address,
 * version, database client or model list (those are internals, for administrators only).
 */
export interface PublicHealth {
  status: HealthReport['status'];
  time: string;
  database: { status: DatabaseStatus['status'] };
  engine: { status: EngineStatus['status'] };
}

export function publicHealth(report: HealthReport): PublicHealth {
  return {
    status: report.status,
    time: report.time,
    database: { status: report.database.status },
    engine: { status: report.engine.status },
  };
}

/**
 * GET /api/health (no session): 200 when the database and the engine answer, 503 (same body) when
 * not, and only that. GET /api/system/status (system:health, the three administrators): the whole
 * report the 系统状态 page shows — versions, the engine's address, the deployed models — with the
 * same 200/503.
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const report = await buildHealthReport(deps);
    res.status(report.status === 'ok' ? 200 : 503).json(publicHealth(report));
  });
  router.get('/system/status', requireLogin(deps.db), requirePermission('system:health'), async (_req, res) => {
    const report = await buildHealthReport(deps);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  return router;
}
