import express, { Router } from 'express';
import { z } from 'zod';
import type { FieldKeyring } from '../../domain/field-cipher';
import { PAYEE_KINDS } from '../../domain/payment-risk';
import { ATTACHMENT_KINDS, BANK_ACCOUNT_PATTERN, PAYMENT_DECISIONS, PAYMENT_LIST_STATUSES, PAYMENT_TYPES } from '../../domain/payments';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { errors } from '../errors';
import * as payments from '../payments/service';
import type { KeyStore } from '../seals/key-store';
import { validate } from './validate';

/**
 * 用款申请 over HTTP: a unit's clerk (quotas:freeze, own organisation) files a request against one
 * of its quotas (the amount is frozen at once, or the request is refused with the available
 * amount); 国库处 (quotas:freeze) and 局领导 (projects:review) read the requests of their region
 * and decide their step. A request of a unit outside the person's scope is 404.
 */

const id = z.coerce.number().int().positive().max(2_147_483_647);
const fen = z.number().int('金额应为整数（分）').positive('金额须大于零').max(Number.MAX_SAFE_INTEGER);
const text = (max: number, label: string) => z.string().trim().min(1, `请填写${label}`).max(max, `${label}不能超过 ${max} 个字`);
const sm3 = z.string().regex(/^[0-9a-f]{64}$/, '附件摘要应为 64 位 SM3 十六进制');
const account = z.string().trim().regex(BANK_ACCOUNT_PATTERN, '收款账号应为 8–32 位数字（可用空格或短横线分组）');

export const attachmentRef = z.object({ kind: z.enum(ATTACHMENT_KINDS), fileName: text(200, '文件名'), contentType: z.string().trim().min(1).max(100).default('application/octet-stream'), sm3 }).strict();
export const createBody = z
  .object({
    quotaId: id,
    amountFen: fen,
    payeeName: text(200, '收款人名称'),
    payeeKind: z.enum(PAYEE_KINDS),
    payeeAccount: account,
    payeeBank: text(200, '开户银行'),
    purpose: text(500, '用途'),
    economicCode: z.string().regex(/^\d{3}(\d{2})?$/, '支出经济分类应为 3 位（类）或 5 位（款）编码'),
    paymentType: z.enum(PAYMENT_TYPES),
    majorDecision: z.boolean().default(false),
    attachments: z.array(attachmentRef).max(20).default([]),
    signingPin: z.string().min(1).max(64).optional(),
  })
  .strict();
export const listQuery = z
  .object({
    status: z.enum(PAYMENT_LIST_STATUSES).optional(),
    payeeAccount: account.optional(),
    quotaId: id.optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(20),
  })
  .strict();
export const resubmitBody = createBody.omit({ quotaId: true }).extend({ comment: z.string().trim().max(500, '说明不能超过 500 个字').optional() }).strict();
export const decideBody = z
  .object({ decision: z.enum(PAYMENT_DECISIONS), comment: z.string().trim().max(500).optional(), signingPin: z.string().min(1).max(64).optional() })
  .strict()
  .refine((b) => b.decision === 'approve' || (b.comment ?? '').length > 0, { message: '退回或不予支付时须说明理由', path: ['comment'] });

function parseId(raw: string | string[] | undefined, what = '用款申请'): number {
  const r = id.safeParse(raw);
  if (!r.success) throw errors.notFound(`${what}不存在`);
  return r.data;
}

function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}

export function paymentsRouter(deps: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore; fieldKeys: FieldKeyring }): Router {
  const { db } = deps;
  const router = Router();
  const login = requireLogin(db);
  const file = [login, requirePermission('quotas:freeze')];
  const read = [login, requireAnyPermission('quotas:freeze', 'projects:review')];
  const pdeps: payments.PaymentDeps = { db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore, fieldKeys: deps.fieldKeys };

  router.get('/payments', ...read, validate({ query: listQuery }), async (_req, res) => {
    res.json(await payments.listPaymentRequests(pdeps, principalOf(res), res.locals.query as z.infer<typeof listQuery>));
  });
  router.get('/payments/quotas', ...file, async (_req, res) => {
    res.json(await payments.payableQuotas(db, principalOf(res)));
  });
  router.post('/payments/attachments', ...file, express.raw({ type: () => true, limit: payments.ATTACHMENT_MAX_BYTES }), async (req, res) => {
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    res.status(201).json(await payments.storeAttachmentBlob(db, bytes));
  });
  router.post('/payments', ...file, validate({ body: createBody }), async (_req, res) => {
    const p = principalOf(res);
    const newId = await payments.createPaymentRequest(pdeps, p, res.locals.body as z.infer<typeof createBody>);
    res.status(201).json(await payments.getPaymentRequest(pdeps, p, newId));
  });
  router.get('/payments/:id', ...read, async (req, res) => {
    res.json(await payments.getPaymentRequest(pdeps, principalOf(res), parseId(req.params.id)));
  });
  router.get('/payments/:id/attachments/:attachmentId', ...read, async (req, res) => {
    const a = await payments.readAttachment(pdeps, principalOf(res), parseId(req.params.id), parseId(req.params.attachmentId, '附件'));
    res.setHeader('content-type', a.contentType);
    res.setHeader('content-disposition', `attachment; filename="${asciiFallback(a.fileName)}"; filename*=UTF-8''${encodeURIComponent(a.fileName)}`);
    res.setHeader('x-content-sm3', a.sm3);
    res.send(a.bytes);
  });
  router.post('/payments/:id/decision', ...read, validate({ body: decideBody }), async (req, res) => {
    res.json(await payments.decide(pdeps, principalOf(res), parseId(req.params.id), res.locals.body as z.infer<typeof decideBody>));
  });
  router.post('/payments/:id/resubmit', ...file, validate({ body: resubmitBody }), async (req, res) => {
    const requestId = parseId(req.params.id);
    await payments.resubmitPaymentRequest(pdeps, principalOf(res), requestId, res.locals.body as z.infer<typeof resubmitBody>);
    res.json(await payments.getPaymentRequest(pdeps, principalOf(res), requestId));
  });
  return router;
}
