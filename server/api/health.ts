import type { Response, Router } from 'express';
import { toShanghaiIso } from '../../domain/time';
import * as contracts from '../../contracts/system';
import type { AppConfig } from '../config';
import { checkDatabase, type Db } from '../db';
import { EngineError, fetchEngineInfo, type EngineClient } from '../engine/client';
import { latestDeployedResources } from '../engine/deploy';
import type { EngineSupervisor } from '../engine/supervisor';
import { mountRoutes, routesWith } from './route';

/** The report's types are the contract's (contracts/system.ts): what is built here is what is declared. */
export type EngineStatus = contracts.EngineStatus;
export type HealthReport = contracts.HealthReport;
export type PublicHealth = contracts.PublicHealth;

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
export function publicHealth(report: HealthReport): PublicHealth {
  return {
    status: report.status,
    time: report.time,
    database: { status: report.database.status },
    engine: { status: report.engine.status },
  };
}

const route = routesWith<HealthDeps>();

/** 200 when the database and the engine answer, 503 with the same body when not. */
function sendReport(res: Response, report: HealthReport, body: unknown): void {
  res.status(report.status === 'ok' ? 200 : 503).json(body);
}

/**
 * GET /api/health (no session): 200 when the database and the engine answer, 503 (same body) when
 * not, and only that. GET /api/system/status (system:health, the three administrators): the whole
 * report the 系统状态 page shows — versions, the engine's address, the deployed models — with the
 * same 200/503. The handlers send the answer themselves (its status depends on the report).
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */
export const healthRoutes = [
  route({
    method: 'get',
    path: '/api/health',
    summary: '健康检查：数据库与流程引擎是否可用（只有状态，不含地址、版本等内部信息）',
    tag: 'system',
    access: 'public',
    ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' },
    refusals: [503],
    response: contracts.publicHealth,
    handle: async ({ deps, res }) => {
      const report = await buildHealthReport(deps);
      sendReport(res, report, publicHealth(report));
    },
  }),
  route({
    method: 'get',
    path: '/api/system/status',
    summary: '系统状态详情：数据库、流程引擎（版本、地址、已部署的模型）',
    tag: 'system',
    access: 'system:health',
    ok: { status: 200, description: '数据库与引擎均可用；任一不可用时为 503，内容相同' },
    refusals: [503],
    response: contracts.healthReport,
    description: '仅系统、安全、审计管理员（system:health）可查看：含内部地址与版本。',
    handle: async ({ deps, res }) => {
      const report = await buildHealthReport(deps);
      sendReport(res, report, report);
    },
  }),
];

export function healthRouter(deps: HealthDeps): Router {
  return mountRoutes(deps.db, deps, healthRoutes);
}
