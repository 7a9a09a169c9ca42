import { Router } from 'express';
import { toShanghaiIso } from '../../domain/time';
import { principalOf, requireLogin } from '../auth/middleware';
import type { Db } from '../db';
import { workbenchSummary } from '../workbench/summary';
import { buildHealthReport, type HealthDeps } from './health';

/**
 * GET /api/workbench: the landing page's one call (server/workbench/summary.ts). Any logged-in
 * person; what it holds follows their permissions. Those who may see the system status
 * (system:health, the administrators) also get a warning when the database or engine is down.
 */
export function workbenchRouter(deps: HealthDeps & { db: Db }): Router {
  const router = Router();
  router.get('/workbench', requireLogin(deps.db), async (_req, res) => {
    const p = principalOf(res);
    let systemDegraded: string | undefined;
    if (p.permissions.has('system:health')) {
      const health = await buildHealthReport(deps);
      if (health.status !== 'ok') systemDegraded = `系统状态异常：${[health.database.status !== 'up' ? '数据库' : '', health.engine.status !== 'up' ? '流程引擎' : ''].filter(Boolean).join('、')}不可用或正在启动`;
    }
    const summary = await workbenchSummary(deps.db, p, { systemDegraded });
    res.json({
      ...summary,
      projects: summary.projects && { ...summary.projects, recent: summary.projects.recent.map((r) => ({ ...r, createdAt: toShanghaiIso(r.createdAt), updatedAt: toShanghaiIso(r.updatedAt) })) },
    });
  });
  return router;
}
