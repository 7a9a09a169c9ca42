import { Router, type Response } from 'express';
import { z } from 'zod';
import { CHOICES, FINAL_ACCOUNT_STATUSES } from '../../domain/final-accounts';
import { shanghaiDate } from '../../domain/time';
import { principalOf, requireAnyPermission, requireLogin, requirePermission } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { errors } from '../errors';
import * as finals from '../final-accounts/service';
import { finalAccountPdf, finalAccountsWorkbook } from '../final-accounts/report';
import type { KeyStore } from '../seals/key-store';
import { contentDisposition, XLSX_MIME } from './excel-export';
import { validate } from './validate';

/**
 * 决算 over HTTP: a unit (finals:prepare) opens its final accounts of a year, explains each
 * balance, chooses 结转 or 结余收回 and submits; the department, 国库处 and 预算处 (finals:review)
 * read the roll-up of their scope and decide their step (sealed). A final account outside the
 * person's data scope is 404.
 */

const id = z.coerce.number().int().positive().max(2_147_483_647);
const year = z.number().int().min(2000).max(2100);

export const listQuery = z
  .object({
    fiscalYear: z.coerce.number().int().min(2000).max(2100).optional(),
    status: z.enum(FINAL_ACCOUNT_STATUSES).optional(),
    page: z.coerce.number().int().min(1).max(100_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export const exportQuery = listQuery.omit({ page: true, pageSize: true });
export const openBody = z.object({ fiscalYear: year }).strict();
export const versionBody = z.object({ version: z.number().int().min(1) }).strict();
const item = z.object({ itemId: id, explanation: z.string().max(500).nullable().optional(), choice: z.enum(CHOICES).nullable().optional() }).strict();
export const itemsBody = z.object({ version: z.number().int().min(1), items: z.array(item).max(5000) }).strict();
export const submitBody = z.object({ version: z.number().int().min(1), items: z.array(item).max(5000).optional(), signingPin: z.string().min(1).max(64).optional() }).strict();
export const decideBody = z
  .object({ decision: z.enum(['approve', 'reject']), comment: z.string().trim().max(500).optional(), signingPin: z.string().min(1).max(64).optional() })
  .strict()
  .refine((b) => b.decision !== 'reject' || (b.comment ?? '').length > 0, { message: '不同意时须说明理由', path: ['comment'] });

/** Above this many final accounts one export is refused: narrow by year or status. */
const EXPORT_MAX_ACCOUNTS = 20_000;

function parseId(raw: string | string[] | undefined): number {
  const r = id.safeParse(raw);
  if (!r.success) throw errors.notFound('决算不存在');
  return r.data;
}

function sendXlsx(res: Response, bytes: Buffer, name: string, ascii: string): void {
  const date = shanghaiDate(new Date()).replace(/-/g, '');
  res.setHeader('Content-Type', XLSX_MIME);
  res.setHeader('Content-Disposition', contentDisposition(`${name}-${date}.xlsx`, `${ascii}-${date}.xlsx`));
  res.setHeader('Cache-Control', 'no-store');
  res.send(bytes);
}

export function finalAccountsRouter(deps: { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore }): Router {
  const { db } = deps;
  const router = Router();
  const login = requireLogin(db);
  const prepare = [login, requirePermission('finals:prepare')];
  const read = [login, requireAnyPermission('finals:prepare', 'finals:review')];
  const review = [login, requirePermission('finals:review')];
  const fdeps: finals.FinalAccountsDeps = { db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore };
  const scope = (res: Response) => scopeOrgIds(db, principalOf(res));

  router.get('/final-accounts', ...read, validate({ query: listQuery }), async (_req, res) => {
    res.json(await finals.listFinalAccounts(db, scope(res), res.locals.query as z.infer<typeof listQuery>));
  });
  router.get('/final-accounts/export', ...read, validate({ query: exportQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof exportQuery>;
    const ids = db('final_accounts').whereIn('unit_org_id', scope(res)).select('id');
    if (q.fiscalYear !== undefined) ids.where('fiscal_year', q.fiscalYear);
    if (q.status) ids.where('status', q.status);
    const [count] = await ids.clone().clearSelect().count({ n: '*' });
    if (Number(count?.n ?? 0) > EXPORT_MAX_ACCOUNTS) throw errors.badRequest('EXPORT_TOO_LARGE', `符合条件的决算有 ${String(count?.n)} 份，超过单次导出上限 ${EXPORT_MAX_ACCOUNTS} 份，请按年度或状态筛选后分批导出`);
    sendXlsx(res, await finalAccountsWorkbook(db, ids), '决算汇总', 'final-accounts');
  });
  router.post('/final-accounts', ...prepare, validate({ body: openBody }), async (_req, res) => {
    const p = principalOf(res);
    const newId = await finals.openFinalAccount(fdeps, p, (res.locals.body as z.infer<typeof openBody>).fiscalYear);
    res.status(201).json(await finals.getFinalAccount(fdeps, p, scope(res), newId));
  });
  router.get('/final-accounts/:id', ...read, async (req, res) => {
    res.json(await finals.getFinalAccount(fdeps, principalOf(res), scope(res), parseId(req.params.id)));
  });
  router.post('/final-accounts/:id/regenerate', ...prepare, validate({ body: versionBody }), async (req, res) => {
    res.json(await finals.regenerate(db, scope(res), parseId(req.params.id), res.locals.body as z.infer<typeof versionBody>));
  });
  router.put('/final-accounts/:id/items', ...prepare, validate({ body: itemsBody }), async (req, res) => {
    res.json(await finals.saveItems(db, scope(res), parseId(req.params.id), res.locals.body as z.infer<typeof itemsBody>));
  });
  router.post('/final-accounts/:id/submit', ...prepare, validate({ body: submitBody }), async (req, res) => {
    res.json(await finals.submit(fdeps, principalOf(res), scope(res), parseId(req.params.id), res.locals.body as z.infer<typeof submitBody>));
  });
  router.post('/final-accounts/:id/decision', ...review, validate({ body: decideBody }), async (req, res) => {
    res.json(await finals.decide(fdeps, principalOf(res), scope(res), parseId(req.params.id), res.locals.body as z.infer<typeof decideBody>));
  });
  router.get('/final-accounts/:id/export', ...read, async (req, res) => {
    const fid = parseId(req.params.id);
    const row = (await db('final_accounts as fa').join('organisations as u', 'u.id', 'fa.unit_org_id').where('fa.id', fid).whereIn('fa.unit_org_id', scope(res)).first('fa.fiscal_year', 'u.name', 'u.code')) as { fiscal_year: number; name: string; code: string } | undefined;
    if (!row) throw errors.notFound(`决算 #${fid} 不存在`);
    sendXlsx(res, await finalAccountsWorkbook(db, [fid]), `决算-${row.fiscal_year}-${row.name}`, `final-accounts-${row.fiscal_year}-${row.code}`);
  });
  router.get('/final-accounts/:id/report.pdf', ...read, async (req, res) => {
    const fid = parseId(req.params.id);
    const visible = await db('final_accounts').where('id', fid).whereIn('unit_org_id', scope(res)).first('id');
    if (!visible) throw errors.notFound(`决算 #${fid} 不存在`);
    const { pdf, filename } = await finalAccountPdf(db, fid);
    res.setHeader('content-disposition', `attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"`);
    res.type('application/pdf').send(pdf);
  });
  return router;
}
