import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Router } from 'express';
import * as contracts from '../../contracts/treasury';
import { checkBankSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../domain/treasury';
import { scopeOrgIds } from '../auth/service';
import type { AppConfig } from '../config';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { errors } from '../errors';
import type { KeyStore } from '../seals/key-store';
import * as treasury from '../treasury/orders';
import { mountRoutes, routesWith } from './route';
import { idParams } from './route-doc';

/**
 * 国库支付 over HTTP. 国库处 (treasury:pay) lists the payment orders of its region with their bank
 * status, asks the bank (查询), sends again a send that never reached it (重新发送) and resolves
 * escalated orders (核实处理). The bank's arrival notices come in at /api/treasury/bank-notices,
 * authenticated by an HMAC-SM3 signature over the timestamp and the exact body with the shared
 * secret (BUDGET_BANK_SECRET), not by a session; a notice without a valid signature is refused as
 * malformed (400 BANK_SIGNATURE_INVALID: no session could make it acceptable, so not a 401).
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 * Mounted by server/api/app.ts.
 */

export const BANK_NOTICE_PATH = '/treasury/bank-notices';
export type RawBodyRequest = IncomingMessage & { rawBody?: Buffer };

type TreasuryRouteDeps = { db: Db; engine: EngineClient; config: AppConfig; keyStore: KeyStore };
const route = routesWith<TreasuryRouteDeps>();

/**
 * The bank's signature over the exact bytes it sent (app.ts keeps them as rawBody while the JSON
 * parser reads the notice), checked before the notice is validated.
 */
function bankSignature(secret: () => string): RequestHandler {
  return (req, _res, next) => {
    const raw = (req as RawBodyRequest).rawBody ?? Buffer.alloc(0);
    const check = checkBankSignature(secret(), req.get(TIMESTAMP_HEADER), req.get(SIGNATURE_HEADER), raw, Date.now());
    if (!check.ok)
      throw errors.badRequest('BANK_SIGNATURE_INVALID', check.reason === 'stale' ? '银行通知的时间戳超出允许范围' : '银行通知的签名无效');
    next();
  };
}

export const treasuryRoutes = [
  route({
    method: 'post',
    path: `/api${BANK_NOTICE_PATH}`,
    summary: '银行到账通知（到账或退票），以 HMAC-SM3 签名认证（不用登录会话）',
    tag: 'treasury',
    access: 'public',
    body: contracts.noticeBody,
    response: contracts.noticeHandled,
    refusals: [409, 503],
    description:
      '请求头 x-bank-timestamp（毫秒）与 x-bank-signature（HMAC-SM3(密钥, 时间戳 + 换行 + 原始报文) 的十六进制）；签名无效或时间戳超出 5 分钟为 400 BANK_SIGNATURE_INVALID。同一通知编号重复送达只处理一次（duplicate: true）；流程暂时不能接收时为 503，银行稍后重发。',
    before: (deps) => [bankSignature(() => deps.config.bank.secret)],
    handle: ({ deps, body }) => treasury.receiveNotice(deps, body),
  }),
  route({
    method: 'get',
    path: '/api/treasury/orders',
    summary: '支付凭证列表：银行状态、待核实件数（可按状态、凭证号、收款账号查找）',
    tag: 'treasury',
    access: 'treasury:pay',
    query: contracts.listQuery,
    response: contracts.orderPage,
    description: '收款账号按盲索引（HMAC-SM3）精确查找，列表只显示脱敏后的账号。',
    handle: ({ deps, principal, query }) => treasury.listOrders(deps, scopeOrgIds(deps.db, principal), query),
  }),
  route({
    method: 'get',
    path: '/api/treasury/orders/{id}',
    summary: '支付凭证详情与经过（发送、银行答复、通知、查询、核实、办结）',
    tag: 'treasury',
    access: 'treasury:pay',
    params: idParams,
    notFound: '支付凭证',
    response: contracts.orderDetail,
    handle: ({ deps, principal, params }) => treasury.getOrder(deps, scopeOrgIds(deps.db, principal), params.id),
  }),
  route({
    method: 'post',
    path: '/api/treasury/orders/{id}/query',
    summary: '查询银行：记录银行答复，已有结果的立即办结',
    tag: 'treasury',
    access: 'treasury:pay',
    params: idParams,
    notFound: '支付凭证',
    response: contracts.bankQueried,
    refusals: [409, 503],
    description: '已办结的凭证为 409 ORDER_NOT_QUERYABLE；银行无法访问为 503 BANK_UNAVAILABLE。',
    handle: ({ deps, principal, params }) => treasury.queryOrder(deps, principal, scopeOrgIds(deps.db, principal), params.id),
  }),
  route({
    method: 'post',
    path: '/api/treasury/orders/{id}/retry',
    summary: '重新发送：银行无法访问、重试用尽的发送（资金仍冻结）',
    tag: 'treasury',
    access: 'treasury:pay',
    params: idParams,
    notFound: '支付凭证',
    response: contracts.orderStatusAnswer,
    refusals: [409, 503],
    description: '仅“发送失败”的凭证可以重新发送（409 ORDER_NOT_RETRYABLE）；自动重试尚未结束时为 409 ORDER_STILL_RETRYING。',
    handle: ({ deps, principal, params }) => treasury.retrySend(deps, principal, scopeOrgIds(deps.db, principal), params.id),
  }),
  route({
    method: 'post',
    path: '/api/treasury/orders/{id}/resolve',
    summary: '核实处理：确认已到账、确认未付款（解冻）或继续等待银行通知（签章）',
    tag: 'treasury',
    access: 'treasury:pay',
    params: idParams,
    notFound: '支付凭证',
    body: contracts.resolveBody,
    response: contracts.orderStatusAnswer,
    refusals: [409, 503],
    description: '仅“待国库处核实”的凭证（409 ORDER_NOT_ESCALATED）。',
    handle: ({ deps, principal, params, body }) =>
      treasury.resolveEscalation(deps, principal, scopeOrgIds(deps.db, principal), params.id, body),
  }),
];

export function treasuryRouter(deps: TreasuryRouteDeps): Router {
  return mountRoutes(deps.db, deps, treasuryRoutes);
}
