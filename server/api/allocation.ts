import type { Router } from 'express';
import { ALLOCATION_BUILD_PERMISSION } from '../../domain/allocation';
import * as allocation from '../allocation/service';
import { scopeOrgIds } from '../auth/service';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import type { KeyStore } from '../seals/key-store';
import * as contracts from '../../contracts/allocations';
import { mountRoutes, routesWith } from './route';
import { idParams } from './route-doc';

/**
 * 预算编制/分配 over HTTP: the budget division (quotas:issue) builds, edits and submits the year's
 * allocation; approvers (projects:review: 预算处 科室负责人, 局领导) read it and decide their step;
 * the 批复 shows the issued quotas. An allocation of a bureau outside the person's region is 404.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

type AllocationRouteDeps = { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore };
const route = routesWith<AllocationRouteDeps>();
const build = ALLOCATION_BUILD_PERMISSION;
const read = [ALLOCATION_BUILD_PERMISSION, 'projects:review'] as const;
const notFound = '预算分配方案';

export const allocationRoutes = [
  route({
    method: 'get',
    path: '/api/allocations',
    summary: '预算分配方案列表（本人所在地区）',
    tag: 'allocations',
    access: read,
    query: contracts.listQuery,
    response: contracts.allocationList,
    handle: ({ deps: { db }, principal, query }) => allocation.listAllocations(db, principal, query),
  }),
  route({
    method: 'post',
    path: '/api/allocations',
    summary: '新建年度预算分配方案：设定控制数，候选项目按绩效等级和专家评审结论排序，在控制数内零基建议安排金额',
    tag: 'allocations',
    access: build,
    body: contracts.createBody,
    ok: { status: 201, description: '已创建，答复方案全文' },
    response: contracts.allocation,
    refusals: [409, 503],
    description:
      '同一财政局同一年度只能有一个未完成的方案（409 ALLOCATION_EXISTS）；绩效等级的影响由决策表 allocation-performance-grade 给出。',
    handle: async ({ deps, principal: p, body }) => {
      const newId = await allocation.createAllocation(deps, p, scopeOrgIds(deps.db, p), body);
      return allocation.getAllocation(deps, p, newId);
    },
  }),
  route({
    method: 'get',
    path: '/api/allocations/{id}',
    summary: '预算分配方案全文：排序、控制数及各部门和领域的合计、审批记录、待办环节、下达的指标',
    tag: 'allocations',
    access: read,
    params: idParams,
    notFound,
    response: contracts.allocation,
    handle: ({ deps, principal, params }) => allocation.getAllocation(deps, principal, params.id),
  }),
  route({
    method: 'put',
    path: '/api/allocations/{id}/lines',
    summary: '修改安排金额（试算后保存，全部成功才写入）',
    tag: 'allocations',
    access: build,
    params: idParams,
    notFound,
    body: contracts.linesBody,
    response: contracts.linesSaved,
    refusals: [409],
    description:
      '超出控制数为 409 ALLOCATION_OVER_CONTROL_TOTAL，逐项列明超出的部门、领域和金额；超过申报金额、绩效“差”的项目安排资金或没有控制数为 400 ALLOCATION_INVALID；被拒绝时不写入任何数据。',
    handle: ({ deps: { db }, principal, params, body }) => allocation.editLines(db, principal, params.id, body),
  }),
  route({
    method: 'put',
    path: '/api/allocations/{id}/control-totals',
    summary: '重新设定控制数（已安排的金额不得超出新的控制数）',
    tag: 'allocations',
    access: build,
    params: idParams,
    notFound,
    body: contracts.totalsBody,
    response: contracts.totalsSaved,
    refusals: [409],
    handle: ({ deps: { db }, principal: p, params, body }) => allocation.setControlTotals(db, p, params.id, scopeOrgIds(db, p), body),
  }),
  route({
    method: 'post',
    path: '/api/allocations/{id}/submit',
    summary: '提交分配方案审批（签章）；审批链由决策表按总额和三重一大选定',
    tag: 'allocations',
    access: build,
    params: idParams,
    notFound,
    body: contracts.submitBody,
    response: contracts.submitted,
    refusals: [409, 503],
    description: '提交前再次校验控制数；超出为 409 ALLOCATION_OVER_CONTROL_TOTAL，不启动审批。',
    handle: ({ deps, principal, params, body }) => allocation.submitAllocation(deps, principal, params.id, body),
  }),
  route({
    method: 'post',
    path: '/api/allocations/{id}/decision',
    summary: '审批分配方案（科室负责人、分管局长、局长或局长办公会会签；签章）',
    tag: 'allocations',
    access: read,
    params: idParams,
    notFound,
    body: contracts.decideBody,
    response: contracts.decided,
    refusals: [409, 503],
    description: '当前没有由本人办理的环节为 409 NO_TASK_FOR_YOU。',
    handle: ({ deps, principal, params, body }) => allocation.decide(deps, principal, params.id, body),
  }),
];

export function allocationRouter(deps: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore }): Router {
  const { db, engine, namespace, keyStore } = deps;
  return mountRoutes(db, { db, engine, namespace, keyStore }, allocationRoutes);
}
