import { Router } from 'express';
import { z } from 'zod';
import { errors } from './errors';
import { validate } from './validate';
import type { EngineClient } from '../engine/client';
import { toShanghaiIso } from '../../domain/time';

const smokeCheckBody = z
  .object({
    requestedBy: z.string().trim().min(1).max(100).default('系统管理员'),
  })
  .strict();

/** POST /api/engine/smoke-checks: runs processes/platform-smoke-check.bpmn and waits for its end. */
export function engineRouter(engine: EngineClient): Router {
  const router = Router();
  router.post('/engine/smoke-checks', validate({ body: smokeCheckBody }), async (_req, res) => {
    const body = res.locals.body as z.infer<typeof smokeCheckBody>;
    const started = Date.now();
    let result;
    try {
      result = await engine.createProcessInstanceWithResult<{ requestedBy: string }, { smokeCheck?: { recordedAt: string; databaseClient: string } }>({
        bpmnProcessId: 'platform-smoke-check',
        variables: { requestedBy: body.requestedBy },
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
