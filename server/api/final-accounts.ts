import type { Response, Router } from 'express';
import { shanghaiDate } from '../../domain/time';
import { scopeOrgIds } from '../auth/service';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { errors } from '../errors';
import * as finals from '../final-accounts/service';
import { finalAccountPdf, finalAccountsWorkbook } from '../final-accounts/report';
import type { KeyStore } from '../seals/key-store';
import * as contracts from '../../contracts/final-accounts';
import { contentDisposition, XLSX_MIME } from './excel-export';
import { mountRoutes, routesWith } from './route';
import { idParams, xlsxOk } from './route-doc';

/**
 * 决算 over HTTP: a unit (finals:prepare) opens its final accounts of a year, explains each
 * balance, chooses 结转 or 结余收回 and submits; the department, 国库处 and 预算处 (finals:review)
 * read the roll-up of their scope and decide their step (sealed). A final account outside the
 * person's data scope is 404.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

/** Above this many final accounts one export is refused: narrow by year or status. */
const EXPORT_MAX_ACCOUNTS = 20_000;

function sendXlsx(res: Response, bytes: Buffer, name: string, ascii: string): void {
  const date = shanghaiDate(new Date()).replace(/-/g, '');
  res.setHeader('Content-Type', XLSX_MIME);
  res.setHeader('Content-Disposition', contentDisposition(`${name}-${date}.xlsx`, `${ascii}-${date}.xlsx`));
  res.setHeader('Cache-Control', 'no-store');
  res.send(bytes);
}

type FinalAccountsRouteDeps = { db: Db; engine: EngineClient; namespace: string; keyStore: KeyStore };
const route = routesWith<finals.FinalAccountsDeps>();
const read = ['finals:prepare', 'finals:review'] as const;

export const finalAccountRoutes = [
  route({
    method: 'get',
    path: '/api/final-accounts',
    summary: '决算列表（本人数据范围内：单位本身、部门的所属单位、财政的本地区），含各单位合计与总计，分页',
    tag: 'finals',
    access: read,
    query: contracts.listQuery,
    response: contracts.finalAccountList,
    handle: ({ deps: { db }, principal, query }) => finals.listFinalAccounts(db, principal, scopeOrgIds(db, principal), query),
  }),
  /** Declared before /api/final-accounts/{id}: "export" is not an id. */
  route({
    method: 'get',
    path: '/api/final-accounts/export',
    summary: '导出决算（Excel：决算汇总、项目明细、按功能科目、按经济科目）',
    tag: 'finals',
    access: read,
    query: contracts.exportQuery,
    ok: xlsxOk,
    description: '与列表相同的筛选和数据范围；超过 20,000 份决算为 400 EXPORT_TOO_LARGE。',
    handle: async ({ deps: { db }, principal, query: q, res }) => {
      const ids = db('final_accounts').whereIn('unit_org_id', scopeOrgIds(db, principal)).select('id');
      if (q.fiscalYear !== undefined) ids.where('fiscal_year', q.fiscalYear);
      if (q.status) ids.where('status', q.status);
      const [count] = await ids.clone().clearSelect().count({ n: '*' });
      if (Number(count?.n ?? 0) > EXPORT_MAX_ACCOUNTS)
        throw errors.badRequest(
          'EXPORT_TOO_LARGE',
          `符合条件的决算有 ${String(count?.n)} 份，超过单次导出上限 ${EXPORT_MAX_ACCOUNTS} 份，请按年度或状态筛选后分批导出`,
        );
      sendXlsx(res, await finalAccountsWorkbook(db, ids), '决算汇总', 'final-accounts');
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/api/final-accounts',
    summary: '生成本单位某年度的决算（数据取自指标账），启动决算流程',
    tag: 'finals',
    access: 'finals:prepare',
    body: contracts.openBody,
    ok: { status: 201, description: '已生成，答复决算全文' },
    response: contracts.finalAccount,
    refusals: [409, 503],
    description: '已生成为 409 FINAL_ACCOUNT_EXISTS；该年度没有指标为 400 NO_QUOTAS；流程引擎不可用为 503，不写入任何数据。',
    handle: async ({ deps, principal, body }) => {
      const newId = await finals.openFinalAccount(deps, principal, body.fiscalYear);
      return finals.getFinalAccount(deps, principal, scopeOrgIds(deps.db, principal), newId);
    },
  }),
  route({
    method: 'post',
    path: '/api/final-accounts/start-all',
    summary: '为数据范围内全部单位生成某年度的决算并启动决算流程（预算处）；已生成的不重复生成',
    tag: 'finals',
    access: 'finals:open-all',
    body: contracts.openAllBody,
    response: contracts.finalAccountsStartedAll,
    description:
      '逐个单位在各自的事务中生成（与单位自行生成相同），一个单位失败只列入 failed，不影响其他单位；再次调用不生成已有的决算（计入 existing）。没有在用的单位经办人的单位列入 skipped；尚有冻结的单位照常生成，openFreezes 为冻结笔数，解除前不能提交和办结。流程引擎不可用时其余单位均列入 failed。',
    handle: ({ deps, principal, body }) => finals.startAllFinalAccounts(deps, principal, scopeOrgIds(deps.db, principal), body.fiscalYear),
  }),
  route({
    method: 'get',
    path: '/api/final-accounts/{id}',
    summary:
      '决算全文：每个项目按指标的下达、调整、结转、支付、冻结、结余，结余说明与处理，按功能科目与经济科目汇总，未解除的冻结，审核记录',
    tag: 'finals',
    access: read,
    params: idParams,
    notFound: '决算',
    response: contracts.finalAccount,
    refusals: [503],
    description: '数据范围外的决算与不存在的一样答 404。',
    handle: ({ deps, principal, params }) => finals.getFinalAccount(deps, principal, scopeOrgIds(deps.db, principal), params.id),
  }),
  route({
    method: 'post',
    path: '/api/final-accounts/{id}/regenerate',
    summary: '重新生成决算数据（保留结余说明与处理选择）',
    tag: 'finals',
    access: 'finals:prepare',
    params: idParams,
    notFound: '决算',
    body: contracts.versionBody,
    response: contracts.finalAccountVersion,
    refusals: [409],
    description: '仅单位编制中可用（409 FINAL_ACCOUNT_NOT_DRAFT）；version 不符为 409 FINAL_ACCOUNT_CHANGED。',
    handle: ({ deps: { db }, principal, params, body }) => finals.regenerate(db, scopeOrgIds(db, principal), params.id, body),
  }),
  route({
    method: 'put',
    path: '/api/final-accounts/{id}/items',
    summary: '保存结余说明与处理选择（结转下年 / 结余收回）',
    tag: 'finals',
    access: 'finals:prepare',
    params: idParams,
    notFound: '决算',
    body: contracts.itemsBody,
    response: contracts.finalAccountVersion,
    refusals: [409],
    handle: ({ deps: { db }, principal, params, body }) => finals.saveItems(db, scopeOrgIds(db, principal), params.id, body),
  }),
  route({
    method: 'post',
    path: '/api/final-accounts/{id}/submit',
    summary: '单位确认并提交决算',
    tag: 'finals',
    access: 'finals:prepare',
    params: idParams,
    notFound: '决算',
    body: contracts.submitBody,
    response: contracts.finalAccountSubmitted,
    refusals: [409, 503],
    description:
      '尚有冻结未解除为 409 FINAL_ACCOUNT_OPEN_FREEZES（逐笔列出指标、项目、金额与冻结来源）；生成后指标账又有变动为 409 FINAL_ACCOUNT_STALE；有结余未说明或未选择处理为 400 FINAL_ACCOUNT_INCOMPLETE；均不写入任何数据。',
    handle: ({ deps, principal, params, body }) => finals.submit(deps, principal, scopeOrgIds(deps.db, principal), params.id, body),
  }),
  route({
    method: 'post',
    path: '/api/final-accounts/{id}/decision',
    summary: '审核决算（主管部门、国库处、预算处；签章）；预算处同意即办结并记账',
    tag: 'finals',
    access: 'finals:review',
    params: idParams,
    notFound: '决算',
    body: contracts.decideBody,
    response: contracts.finalAccountDecided,
    refusals: [409, 503],
    description:
      '当前没有由本人办理的环节为 409 NO_TASK_FOR_YOU；预算处办结时尚有冻结为 409 FINAL_ACCOUNT_OPEN_FREEZES（逐笔列出），指标账有变动为 409 FINAL_ACCOUNT_STALE。',
    handle: ({ deps, principal, params, body }) => finals.decide(deps, principal, scopeOrgIds(deps.db, principal), params.id, body),
  }),
  route({
    method: 'get',
    path: '/api/final-accounts/{id}/export',
    summary: '导出本决算（Excel）',
    tag: 'finals',
    access: read,
    params: idParams,
    notFound: '决算',
    ok: xlsxOk,
    handle: async ({ deps: { db }, principal, params: { id: fid }, res }) => {
      const row = (await db('final_accounts as fa')
        .join('organisations as u', 'u.id', 'fa.unit_org_id')
        .where('fa.id', fid)
        .whereIn('fa.unit_org_id', scopeOrgIds(db, principal))
        .first('fa.fiscal_year', 'u.name', 'u.code')) as { fiscal_year: number; name: string; code: string } | undefined;
      if (!row) throw errors.notFound(`决算 #${fid} 不存在`);
      sendXlsx(
        res,
        await finalAccountsWorkbook(db, [fid]),
        `决算-${row.fiscal_year}-${row.name}`,
        `final-accounts-${row.fiscal_year}-${row.code}`,
      );
      return undefined;
    },
  }),
  route({
    method: 'get',
    path: '/api/final-accounts/{id}/report.pdf',
    summary: '决算表 PDF（各项目数据、结余处理与各审核环节的电子签章和核验码）',
    tag: 'finals',
    access: read,
    params: idParams,
    notFound: '决算',
    ok: { status: 200, description: 'PDF 文件' },
    handle: async ({ deps: { db }, principal, params: { id: fid }, res }) => {
      const visible = await db('final_accounts').where('id', fid).whereIn('unit_org_id', scopeOrgIds(db, principal)).first('id');
      if (!visible) throw errors.notFound(`决算 #${fid} 不存在`);
      const { pdf, filename } = await finalAccountPdf(db, fid);
      res.setHeader('content-disposition', `attachment; filename="${filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"`);
      res.type('application/pdf').send(pdf);
      return undefined;
    },
  }),
];

export function finalAccountsRouter(deps: FinalAccountsRouteDeps): Router {
  const fdeps: finals.FinalAccountsDeps = { db: deps.db, engine: deps.engine, namespace: deps.namespace, keyStore: deps.keyStore };
  return mountRoutes(deps.db, fdeps, finalAccountRoutes);
}
