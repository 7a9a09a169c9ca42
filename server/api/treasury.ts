import type { IncomingMessage } from 'node:http';
import { Router } from 'express';
import { z } from 'zod';
import { checkBankSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../domain/treasury';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import type { AppConfig } from '../config';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { errors } from '../errors';
import type { KeyStore } from '../seals/key-store';
import * as treasury from '../treasury/orders';
import { validate } from './validate';

/**
 * 国库支付 over HTTP. 国库处 (treasury:pay) lists the payment orders of its region with their bank
 * status, asks the bank (查询), sends again a send that never reached it (重新发送) and resolves
 * escalated orders (核实处理). The bank's arrival notices come in at /api/treasury/bank-notices,
 * authenticated by an HMAC-SM3 signature over the timestamp and the exact body with the shared
 * secret (BUDGET_BANK_SECRET), not by a session; a notice without a valid signature is refused as
 * malformed (400 BANK_SIGNATURE_INVALID: no session could make it acceptable, so not a 401).
 */

export const BANK_NOTICE_PATH = '/treasury/bank-notices';
export type RawBodyRequest = IncomingMessage & { rawBody?: Buffer };

export const listQuery = treasury.orderListQuery;
export const resolveBody = treasury.resolveBody;
export const noticeBody = treasury.noticeSchema;

const id = z.coerce.number().int().positive().max(2_147_483_647);
function parseId(raw: string | string[] | undefined): number {
  const r = id.safeParse(raw);
  if (!r.success) throw errors.notFound('支付凭证不存在');
  return r.data;
}

export function treasuryRouter(deps: { db: Db; engine: EngineClient; config: AppConfig; keyStore: KeyStore }): Router {
  const { db } = deps;
  const router = Router();
  const pay = [requireLogin(db), requirePermission('treasury:pay')];
  const tdeps: treasury.TreasuryDeps = { db, engine: deps.engine, config: deps.config };

  router.post(
    BANK_NOTICE_PATH,
    (req, _res, next) => {
      const raw = (req as RawBodyRequest).rawBody ?? Buffer.alloc(0);
      const check = checkBankSignature(deps.config.bank.secret, req.get(TIMESTAMP_HEADER), req.get(SIGNATURE_HEADER), raw, Date.now());
      if (!check.ok) throw errors.badRequest('BANK_SIGNATURE_INVALID', check.reason === 'stale' ? '银行通知的时间戳超出允许范围' : '银行通知的签名无效');
      next();
    },
    validate({ body: noticeBody }),
    async (_req, res) => {
      res.json(await treasury.receiveNotice(tdeps, res.locals.body as z.infer<typeof noticeBody>));
    },
  );
  router.get('/treasury/orders', ...pay, validate({ query: listQuery }), async (_req, res) => {
    const p = principalOf(res);
    res.json(await treasury.listOrders(tdeps, scopeOrgIds(db, p), res.locals.query as z.infer<typeof listQuery>));
  });
  router.get('/treasury/orders/:id', ...pay, async (req, res) => {
    const p = principalOf(res);
    res.json(await treasury.getOrder(tdeps, scopeOrgIds(db, p), parseId(req.params.id)));
  });
  router.post('/treasury/orders/:id/query', ...pay, async (req, res) => {
    const p = principalOf(res);
    res.json(await treasury.queryOrder(tdeps, p, scopeOrgIds(db, p), parseId(req.params.id)));
  });
  router.post('/treasury/orders/:id/retry', ...pay, async (req, res) => {
    const p = principalOf(res);
    res.json(await treasury.retrySend(tdeps, p, scopeOrgIds(db, p), parseId(req.params.id)));
  });
  router.post('/treasury/orders/:id/resolve', ...pay, validate({ body: resolveBody }), async (req, res) => {
    const p = principalOf(res);
    res.json(await treasury.resolveEscalation({ ...tdeps, keyStore: deps.keyStore }, p, scopeOrgIds(db, p), parseId(req.params.id), res.locals.body as z.infer<typeof resolveBody>));
  });
  return router;
}
