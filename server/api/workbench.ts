import type { Router } from 'express';
import type { Db } from '../db';
import { listBusinessTodo } from '../inbox/business';
import { workbenchSummary } from '../workbench/summary';
import * as contracts from '../../contracts/workbench';
import { buildHealthReport, type HealthDeps } from './health';
import { projectSummaryJson } from './project-json';
import { mountRoutes, routesWith } from './route';

/**
 * GET /api/workbench: the landing page's one call (server/workbench/summary.ts). Any logged-in
 * person; what it holds follows their permissions. Those who may see the system status
 * (system:health, the administrators) also get a warning when the database or engine is down.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read it.
 */
type WorkbenchDeps = HealthDeps & { db: Db };
const route = routesWith<WorkbenchDeps>();

export const workbenchRoutes = [
  route({
    method: 'get',
    path: '/api/workbench',
    summary: '工作台：我的待办（件数、逾期、最早的几件）、抄送、可见项目按状态的件数与最近更新、指标余额、提醒',
    tag: 'system',
    access: 'login',
    response: contracts.workbenchSummary,
    description:
      '一次取齐登录后首页所需的数据；各部分按本人权限给出（无 projects:read 时 projects 为 null，无 quotas:read 时 quotas 为 null），件数与列表的数据范围相同（他单位的草稿不计）。',
    handle: async ({ deps, principal: p }): Promise<contracts.WorkbenchSummary> => {
      let systemDegraded: string | undefined;
      if (p.permissions.has('system:health')) {
        const health = await buildHealthReport(deps);
        if (health.status !== 'ok')
          systemDegraded = `系统状态异常：${[health.database.status !== 'up' ? '数据库' : '', health.engine.status !== 'up' ? '流程引擎' : ''].filter(Boolean).join('、')}不可用或正在启动`;
      }
      const summary = await workbenchSummary(deps.db, p, {
        systemDegraded,
        business: () => listBusinessTodo({ db: deps.db, engine: deps.engine, namespace: deps.config.engine.namespace }, p),
      });
      return {
        ...summary,
        projects: summary.projects && { ...summary.projects, recent: summary.projects.recent.map((r) => projectSummaryJson(r, p)) },
      };
    },
  }),
];

export function workbenchRouter(deps: WorkbenchDeps): Router {
  return mountRoutes(deps.db, deps, workbenchRoutes);
}
