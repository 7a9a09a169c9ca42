import { Router } from 'express';
import { z } from 'zod';
import { errors } from './errors';
import { validate } from './validate';
import type { EngineClient } from '../engine/client';
import { namespaced } from '../engine/namespace';
import type { Db } from '../db';
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
    let result;
    try {
      result = await engine.createProcessInstanceWithResult<{ requestedBy: string }, { smokeCheck?: { recordedAt: string; databaseClient: string } }>({
        bpmnProcessId: namespaced(namespace, 'platform-smoke-check'),
        variables: { requestedBy: principal.username },
        requestTimeout: 15_000,
      });
    } catch {
      throw errors.unavailable('ENGINE_UNAVAILABLE', '流程引擎暂不可用或自检超时，请稍后再试');
    }
    res.status(201).json({
      processInstanceKey: String(result.processInstanceKey),
      processVersion: result.version,
      recordedAt: result.variables.smokeCheck ? toShanghaiIso(new Date(result.variables.smokeCheck.recordedAt)) : null,
      databaseClient: result.variables.smokeCheck?.databaseClient ?? null,
      durationMs: Date.now() - started,
    });
  });
  return router;
}
