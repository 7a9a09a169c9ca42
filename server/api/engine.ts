import type { Router } from 'express';
import { errors } from '../errors';
import type { EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import type { Db } from '../db';
import { findSmokeCheck } from '../engine/smoke-checks';
import { toShanghaiIso } from '../../domain/time';
import * as contracts from '../../contracts/engine';
import { mountRoutes, routesWith } from './route';

type EngineDeps = { engine: EngineClient; db: Db; namespace: string };
const route = routesWith<EngineDeps>();

/**
 * POST /api/engine/smoke-checks: runs processes/platform-smoke-check.bpmn and waits for its end.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read it.
 */
export const engineRoutes = [
  route({
    method: 'post',
    path: '/api/engine/smoke-checks',
    summary: '平台自检：运行自检流程并等待其结束',
    tag: 'system',
    access: 'system:smoke-check',
    body: contracts.smokeCheckBody,
    ok: { status: 201, description: '自检流程已运行结束' },
    response: contracts.smokeCheckResult,
    refusals: [503],
    handle: async ({ deps: { engine, db, namespace }, principal }): Promise<contracts.SmokeCheckResult> => {
      const started = Date.now();
      let instance: { id: string; definitionId: string };
      try {
        instance = await engine.startProcess(namespaced(namespace, 'platform-smoke-check'), {
          businessKey: `smoke:${principal.username}:${started}`,
          variables: { requestedBy: principal.username },
        });
      } catch {
        throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂不可用，请稍后再试');
      }
      // The worker records the check (an external task); the instance ends when it has.
      let row: Awaited<ReturnType<typeof findSmokeCheck>>;
      while (Date.now() - started < 15_000) {
        row = await findSmokeCheck(db, instance.id);
        const ended = row ? await engine.historicProcessInstance(instance.id).catch(() => null) : null;
        if (row && ended?.state === 'COMPLETED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!row) throw errors.unavailable('SMOKE_CHECK_TIMEOUT', '自检超时：流程已启动但作业处理器 15 秒内未完成，请查看系统日志');
      return {
        processInstanceKey: instance.id,
        processVersion: Number(instance.definitionId.split(':')[1] ?? 0),
        recordedAt: toShanghaiIso(row.recordedAt),
        databaseClient: row.databaseClient as contracts.SmokeCheckResult['databaseClient'],
        durationMs: Date.now() - started,
      };
    },
  }),
];

export function engineRouter(deps: EngineDeps): Router {
  return mountRoutes(deps.db, deps, engineRoutes);
}
