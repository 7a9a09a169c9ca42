import { Router } from 'express';
import { z } from 'zod';
import { errors } from '../errors';
import { validate } from './validate';
import type { EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import type { Db } from '../db';
import { findSmokeCheck } from '../engine/smoke-checks';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import { toShanghaiIso } from '../../domain/time';

/** Nothing to send: who asks comes from the session. */
export const smokeCheckBody = z.object({}).strict();

/** POST /api/engine/smoke-checks: runs processes/platform-smoke-check.bpmn and waits for its end. */
export function engineRouter({ engine, db, namespace }: { engine: EngineClient; db: Db; namespace: string }): Router {
  const router = Router();
  router.post('/engine/smoke-checks', requireLogin(db), requirePermission('system:smoke-check'), validate({ body: smokeCheckBody }), async (_req, res) => {
    const principal = principalOf(res);
    const started = Date.now();
    let instance: { id: string; definitionId: string };
    try {
      instance = await engine.startProcess(namespaced(namespace, 'platform-smoke-check'), { businessKey: `smoke:${principal.username}:${started}`, variables: { requestedBy: principal.username } });
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
    res.status(201).json({
      processInstanceKey: instance.id,
      processVersion: Number(instance.definitionId.split(':')[1] ?? 0),
      recordedAt: toShanghaiIso(row.recordedAt),
      databaseClient: row.databaseClient,
      durationMs: Date.now() - started,
    });
  });
  return router;
}
