import type { Router } from 'express';
import * as contracts from '../../contracts/adjustments';
import * as adjustments from '../adjustments/service';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import type { KeyStore } from '../seals/key-store';
import { mountRoutes, routesWith } from './route';
import { idParams } from './route-doc';

/**
 * 预算调整申请 over HTTP: units, departments and the budget division file 调剂 / 追加 / 调减
 * (projects:write or projects:review; the service admits the filing roles of domain/adjustments.ts);
 * everyone who reads quotas reads the adjustments of their scope; approvers (projects:review:
 * 预算处 科室负责人, 局领导) decide their step, sealed. An adjustment of an organisation outside the
 * person's scope is 404. Amounts are integer fen.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

type AdjustmentRouteDeps = { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore };
const route = routesWith<adjustments.AdjustmentDeps>();

export const adjustmentRoutes = [
  route({
    method: 'get',
    path: '/api/adjustments',
    summary: '预算调整申请列表（本人数据范围内；todo=true 只列等待本人角色审批的）',
    tag: 'adjustments',
    access: 'quotas:read',
    query: contracts.listQuery,
    response: contracts.adjustmentList,
    handle: ({ deps, principal, query }) => adjustments.listAdjustments(deps.db, principal, { ...query, todo: query.todo === 'true' }),
  }),
  route({
    method: 'post',
    path: '/api/adjustments',
    summary: '提出预算调整申请：调剂（指标之间）、追加或调减，说明理由；启动审批流程',
    tag: 'adjustments',
    access: ['projects:write', 'projects:review'],
    body: contracts.fileBody,
    ok: { status: 201, description: '已提交，答复申请全文' },
    response: contracts.adjustment,
    refusals: [409, 503],
    description:
      '调剂、调减的金额超过调出指标的可用余额为 409 ADJUSTMENT_INSUFFICIENT_AVAILABLE（说明可用金额），不写入任何数据；追加、调减属于预算调整，审批同意前须登记调整批复文件；审批链由决策表 budget-adjustment-chain 按类型和金额选定。',
    handle: async ({ deps, principal, body }) =>
      adjustments.getAdjustment(deps, principal, await adjustments.fileAdjustment(deps, principal, body)),
  }),
  route({
    method: 'get',
    path: '/api/adjustments/{id}',
    summary: '预算调整申请全文：调出、调入指标的当前余额，审批链、当前环节、审批记录（签章）、记账流水',
    tag: 'adjustments',
    access: 'quotas:read',
    params: idParams,
    notFound: '调整申请',
    response: contracts.adjustment,
    handle: ({ deps, principal, params }) => adjustments.getAdjustment(deps, principal, params.id),
  }),
  /** The file itself, with its SM3 digest in a header: the handler answers itself. */
  route({
    method: 'get',
    path: '/api/adjustments/{id}/document',
    summary: '下载预算调整的批复文件扫描件（内容与 SM3 摘要不符时拒绝提供）',
    tag: 'adjustments',
    access: 'quotas:read',
    params: idParams,
    notFound: '调整申请',
    ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' },
    handle: async ({ deps, principal, params, res }) => {
      const d = await adjustments.readDocument(deps.db, principal, params.id);
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader(
        'content-disposition',
        `attachment; filename="${d.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(d.fileName)}`,
      );
      res.setHeader('x-content-sm3', d.sm3);
      res.send(d.bytes);
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/api/adjustments/{id}/document',
    summary: '登记预算调整的批复文件（文号、标题、扫描件）',
    tag: 'adjustments',
    access: ['projects:write', 'projects:review'],
    params: idParams,
    notFound: '调整申请',
    body: contracts.documentBody,
    response: contracts.adjustment,
    refusals: [409],
    description: '申请人或预算处登记；申请已办结为 409 ADJUSTMENT_NOT_APPROVING。',
    handle: async ({ deps, principal, params, body }) => {
      await adjustments.recordDocument(deps, principal, params.id, body);
      return adjustments.getAdjustment(deps, principal, params.id);
    },
  }),
  route({
    method: 'post',
    path: '/api/adjustments/{id}/decision',
    summary: '审批预算调整申请（科室负责人、分管局长或局长；签章）；最后一个环节同意后在指标账中记账',
    tag: 'adjustments',
    access: 'projects:review',
    params: idParams,
    notFound: '调整申请',
    body: contracts.decideBody,
    response: contracts.adjustmentDecided,
    refusals: [409, 503],
    description:
      '当前没有由本人办理的环节为 409 NO_TASK_FOR_YOU；预算调整未登记批复文件时同意为 409 ADJUSTMENT_DOCUMENT_REQUIRED；调出指标可用余额已不足时同意为 409 ADJUSTMENT_INSUFFICIENT_AVAILABLE。',
    handle: ({ deps, principal, params, body }) => adjustments.decide(deps, principal, params.id, body),
  }),
  route({
    method: 'post',
    path: '/api/adjustments/{id}/withdraw',
    summary: '撤回预算调整申请（申请人本人，尚无审批人办理时）：结束审批流程，解冻调出金额',
    tag: 'adjustments',
    access: ['projects:write', 'projects:review'],
    params: idParams,
    notFound: '调整申请',
    body: contracts.withdrawBody,
    response: contracts.adjustment,
    refusals: [409, 503],
    description:
      '只有提出申请的人可以撤回（403 ADJUSTMENT_WITHDRAW_NOT_ALLOWED）；已有审批环节办理为 409 ADJUSTMENT_ALREADY_DECIDED，已办结为 409 ADJUSTMENT_NOT_APPROVING；与审批同时发生时只有一方成功，另一方为 409。答复申请全文。',
    handle: async ({ deps, principal, params, body }) => {
      await adjustments.withdrawAdjustment(deps, principal, params.id, body);
      return adjustments.getAdjustment(deps, principal, params.id);
    },
  }),
];

export function adjustmentRouter(deps: AdjustmentRouteDeps): Router {
  const adeps: adjustments.AdjustmentDeps = { db: deps.db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore };
  return mountRoutes(deps.db, adeps, adjustmentRoutes);
}
