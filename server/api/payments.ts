import express, { type Router } from 'express';
import * as contracts from '../../contracts/payments';
import type { FieldKeyring } from '../../domain/field-cipher';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import * as payments from '../payments/service';
import type { KeyStore } from '../seals/key-store';
import { mountRoutes, routesWith } from './route';
import { attachmentParams, idParams } from './route-doc';

/**
 * 用款申请 over HTTP: a unit's clerk (quotas:freeze, own organisation) files a request against one
 * of its quotas (the amount is frozen at once, or the request is refused with the available
 * amount); 国库处 (quotas:freeze) and 局领导 (projects:review) read the requests of their region
 * and decide their step. A request of a unit outside the person's scope is 404.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 * Mounted by server/api/app.ts.
 */

function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}

type PaymentRouteDeps = { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore; fieldKeys: FieldKeyring };
const route = routesWith<PaymentRouteDeps>();

export const paymentRoutes = [
  route({
    method: 'get',
    path: '/api/payments',
    summary: '用款申请列表（本人数据范围；按状态、指标或收款账号精确查找，账号经盲索引比对）',
    tag: 'payments',
    access: ['quotas:freeze', 'projects:review'],
    query: contracts.listQuery,
    response: contracts.paymentPage,
    description: '收款账号一律脱敏显示；审批中的申请列出当前所在环节（引擎不可用时省略）。',
    handle: ({ deps, principal, query }) => payments.listPaymentRequests(deps, principal, query),
  }),
  route({
    method: 'get',
    path: '/api/payments/quotas',
    summary: '本单位可用于用款的指标及其可用余额（用款申请的指标选择）',
    tag: 'payments',
    access: 'quotas:freeze',
    response: contracts.payableQuotas,
    handle: ({ deps, principal }) => payments.payableQuotas(deps.db, principal),
  }),
  /** The file is the request body as it is (any Content-Type), so it does not go through the JSON parser. */
  route({
    method: 'post',
    path: '/api/payments/attachments',
    summary: '上传用款申请附件（合同、发票；请求体为文件内容，≤ 10 MB），答复 SM3 摘要供提交申请时引用',
    tag: 'payments',
    access: 'quotas:freeze',
    ok: { status: 201, description: '已保存，含 SM3 摘要和大小' },
    response: contracts.attachmentStored,
    before: [express.raw({ type: () => true, limit: payments.ATTACHMENT_MAX_BYTES })],
    handle: ({ deps, req }) => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return payments.storeAttachmentBlob(deps.db, bytes);
    },
  }),
  route({
    method: 'post',
    path: '/api/payments',
    summary: '提交用款申请：同一事务内在指标账中冻结用款金额并启动审批（签章）',
    tag: 'payments',
    access: 'quotas:freeze',
    body: contracts.createBody,
    ok: { status: 201, description: '已提交，答复申请全文' },
    response: contracts.paymentDetail,
    refusals: [409, 503],
    description: '指标可用余额不足为 409 QUOTA_INSUFFICIENT，消息中写明可用金额，不写入任何数据；只能使用本单位的指标。',
    handle: async ({ deps, principal, body }) => {
      const newId = await payments.createPaymentRequest(deps, principal, body);
      return payments.getPaymentRequest(deps, principal, newId);
    },
  }),
  route({
    method: 'get',
    path: '/api/payments/{id}',
    summary: '用款申请全文：指标余额、风险预警及证据、附件、审批记录、当前环节',
    tag: 'payments',
    access: ['quotas:freeze', 'projects:review'],
    params: idParams,
    notFound: '用款申请',
    response: contracts.paymentDetail,
    description: '收款账号只对付款单位本单位的经办人和国库处显示全文，其他人脱敏（6222 **** **** 1234）。',
    handle: ({ deps, principal, params }) => payments.getPaymentRequest(deps, principal, params.id),
  }),
  /** The file itself, with its SM3 digest in a header: the handler answers itself. */
  route({
    method: 'get',
    path: '/api/payments/{id}/attachments/{attachmentId}',
    summary: '下载用款申请附件（内容与 SM3 摘要不符时拒绝提供）',
    tag: 'payments',
    access: ['quotas:freeze', 'projects:review'],
    params: attachmentParams,
    notFound: { id: '用款申请', attachmentId: '附件' },
    ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' },
    handle: async ({ deps, principal, params, res }) => {
      const a = await payments.readAttachment(deps, principal, params.id, params.attachmentId);
      res.setHeader('content-type', a.contentType);
      res.setHeader(
        'content-disposition',
        `attachment; filename="${asciiFallback(a.fileName)}"; filename*=UTF-8''${encodeURIComponent(a.fileName)}`,
      );
      res.setHeader('x-content-sm3', a.sm3);
      res.send(a.bytes);
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/api/payments/{id}/resubmit',
    summary: '退回的用款申请修改后重新提交：新一轮在同一指标上重新冻结并重新审批（签章）',
    tag: 'payments',
    access: 'quotas:freeze',
    params: idParams,
    notFound: '用款申请',
    body: contracts.resubmitBody,
    response: contracts.paymentDetail,
    refusals: [409, 503],
    description:
      '只有已退回的申请、由提交申请的单位重新提交（409 PAYMENT_NOT_RETURNED）；指标可用余额不足为 409 QUOTA_INSUFFICIENT，不写入任何数据。答复申请全文。',
    handle: async ({ deps, principal, params, body }) => {
      await payments.resubmitPaymentRequest(deps, principal, params.id, body);
      return payments.getPaymentRequest(deps, principal, params.id);
    },
  }),
  route({
    method: 'post',
    path: '/api/payments/{id}/withdraw',
    summary: '撤回用款申请（提交申请的经办人本人，本轮尚无审批人办理时）：结束审批流程，解冻金额',
    tag: 'payments',
    access: 'quotas:freeze',
    params: idParams,
    notFound: '用款申请',
    body: contracts.withdrawBody,
    response: contracts.paymentDetail,
    refusals: [409, 503],
    description:
      '只有提交申请的经办人可以撤回（403 PAYMENT_WITHDRAW_NOT_ALLOWED）；已有审批环节办理为 409 PAYMENT_ALREADY_DECIDED，不在审批中为 409 PAYMENT_NOT_APPROVING；与审批同时发生时只有一方成功，另一方为 409。答复申请全文。',
    handle: async ({ deps, principal, params, body }) => {
      await payments.withdrawPaymentRequest(deps, principal, params.id, body);
      return payments.getPaymentRequest(deps, principal, params.id);
    },
  }),
  route({
    method: 'post',
    path: '/api/payments/{id}/decision',
    summary: '审批用款申请（风险核查、国库处科室负责人、分管局长、局长或局长办公会会签；同意、退回或不予支付；签章）',
    tag: 'payments',
    access: ['quotas:freeze', 'projects:review'],
    params: idParams,
    notFound: '用款申请',
    body: contracts.decideBody,
    response: contracts.decided,
    refusals: [409, 503],
    description: '退回或不予支付即解冻；当前没有由本人办理的环节为 409 NO_TASK_FOR_YOU。',
    handle: ({ deps, principal, params, body }) => payments.decide(deps, principal, params.id, body),
  }),
];

export function paymentsRouter(deps: PaymentRouteDeps): Router {
  return mountRoutes(deps.db, deps, paymentRoutes);
}
