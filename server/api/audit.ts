import express, { type Router } from 'express';
import type { Db } from '../db';
import type { EngineClient } from '../engine/client';
import { createCheckpoint, listAuditRecords } from '../audit/service';
import { verifyChain } from '../audit/verify';
import { platformKey } from '../seals/platform-key';
import { errors } from '../errors';
import { canSee, scopeOrgIds, type Principal } from '../auth/service';
import { packageText, processEvidence, projectEvidence } from '../audit/evidence';
import { verifyEvidencePackage } from '../../domain/evidence';
import { instanceReplay } from '../audit/replay';
import { idParams, instanceKeyParams } from './route-doc';
import * as contracts from '../../contracts/audit';
import { mountRoutes, routesWith } from './route';

/**
 * The audit chain for compliance staff and the audit admin (audit:read): verification of the
 * whole chain, the records (paginated, by subject; only those of the reader's data scope,
 * audit/service.ts auditScope), and signed checkpoints on demand.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 * Mounted by server/api/app.ts.
 */

/** A 10,000-record package is about 11 MB. */
export const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;

type AuditDeps = { db: Db; engine: EngineClient; sealSecret: string };
const route = routesWith<AuditDeps>();

export const auditRoutes = [
  route({
    method: 'get',
    path: '/api/audit/verify',
    summary: '核验整条审计链与检查点，报告第一条异常记录',
    tag: 'seals',
    access: 'audit:read',
    response: contracts.chainReport,
    handle: async ({ deps }) => verifyChain(deps.db, await platformKey(deps.db, deps.sealSecret)),
  }),
  route({
    method: 'get',
    path: '/api/audit/records',
    summary: '审计记录，分页（可按对象、项目、类型筛选）',
    tag: 'seals',
    access: 'audit:read',
    response: contracts.auditRecordPage,
    query: contracts.recordsQuery,
    handle: ({ deps, principal, query }) => listAuditRecords(deps.db, query, scopeOrgIds(deps.db, principal)),
  }),
  /** 201 with the checkpoint, or 204 when the chain is empty: the handler answers itself. */
  route({
    method: 'post',
    path: '/api/audit/checkpoints',
    summary: '签署审计链检查点（平台密钥）',
    tag: 'seals',
    access: 'audit:read',
    response: contracts.signedCheckpoint,
    ok: { status: 201, description: '检查点；链为空时 204' },
    handle: async ({ deps, res }) => {
      const cp = await createCheckpoint(deps.db, await platformKey(deps.db, deps.sealSecret));
      if (cp) res.status(201).json(cp);
      else res.status(204).end();
      return undefined;
    },
  }),
  /** 证据包: the project's audit records, signed as of a checkpoint taken now; a project outside the scope is a 404. */
  route({
    method: 'get',
    path: '/api/projects/{id}/evidence',
    summary: '项目证据包（JSON：审计记录、签章、公钥记录、哈希链与平台签署的检查点；npm run verify 可离线核验）',
    tag: 'seals',
    access: 'audit:read',
    params: idParams,
    notFound: '项目',
    description: '数据范围外的项目与不存在的项目一样答 404。',
    handle: async ({ deps: { db, sealSecret }, principal, params, res }) => {
      const project = (await db('projects').where('id', params.id).first('id', 'project_no', 'name', 'unit_org_id')) as
        { id: number; project_no: string; name: string; unit_org_id: number } | undefined;
      const visible = project && (await canSee(db, principal, project.unit_org_id));
      if (!project || !visible) throw errors.notFound(`项目 #${params.id} 不存在`);
      const pkg = await projectEvidence(db, await platformKey(db, sealSecret), { id: project.id });
      res.setHeader('content-disposition', `attachment; filename="evidence-${project.project_no}.json"`);
      res.type('application/json; charset=utf-8').send(packageText(pkg));
      return undefined;
    },
  }),
  /**
   * 流程实例证据包: the records of one process instance (its tasks' events and seals, its workers'
   * status changes) and the engine's history of it, signed by the platform (domain/evidence.ts).
   */
  route({
    method: 'get',
    path: '/api/processes/instances/{key}/evidence',
    summary: '流程实例证据包（该实例的待办事件、签章与工作者状态变更记录，以及流程引擎的历史记录）',
    tag: 'seals',
    access: 'audit:read',
    params: instanceKeyParams,
    notFound: '流程实例',
    description:
      '格式 budget-evidence/2（docs/canonical-form.md）：engine 部分为引擎记录的环节实例、用户任务（办理人、时间）、决策实例与事件，附平台密钥签署的声明（含其 SM3 摘要与本证据包的检查点）；导出时引擎不可用则声明中写明原因、不含历史。数据范围外的实例与不存在的实例一样答 404。',
    handle: async ({ deps: { db, engine, sealSecret }, principal, params, res }) => {
      const instance = await visibleInstance(db, principal, params.key);
      const pkg = await processEvidence(db, engine, await platformKey(db, sealSecret), {
        processInstanceKey: instance.processInstanceKey,
        projectId: instance.project.id,
      });
      res.setHeader(
        'content-disposition',
        `attachment; filename="evidence-${instance.project.projectNo}-${instance.processInstanceKey}.json"`,
      );
      res.type('application/json; charset=utf-8').send(packageText(pkg));
      return undefined;
    },
  }),
  /** 流程回放: every step of the instance from the engine's history, with its seal checked against the chain now (server/audit/replay.ts). */
  route({
    method: 'get',
    path: '/api/processes/instances/{key}/replay',
    summary:
      '流程回放：实例经过的每个环节（时间、办理人、审批结论与意见、变量变化、DMN 决策的输入与命中规则）及其审计记录签章的当场核验结果',
    tag: 'seals',
    access: 'audit:read',
    response: contracts.replay,
    params: instanceKeyParams,
    notFound: '流程实例',
    description:
      'steps 按引擎历史的先后排列；每步 seal.status 为 verified（签章核验通过）、absent（无签章）或 broken（记录被修改、删除或签名不符，reason 说明）；xml 为实例所运行版本的 BPMN。数据范围外的实例与不存在的实例一样答 404。',
    handle: async ({ deps: { db, engine, sealSecret }, principal, params }) => {
      const instance = await visibleInstance(db, principal, params.key);
      return instanceReplay(db, engine, await platformKey(db, sealSecret), instance);
    },
  }),
  /**
   * 证据包核验: the same checks as `npm run verify` (domain/evidence.ts), for staff who upload a
   * package in the browser. The file is the request body as it is (application/octet-stream): the
   * canonical-form check needs its exact bytes, so it must not go through the JSON parser.
   */
  route({
    method: 'post',
    path: '/api/audit/verify-package',
    summary: '核验上传的证据包（与 npm run verify 同一套检查），逐条报告结果',
    tag: 'seals',
    access: 'audit:read',
    response: contracts.packageReport,
    description: '请求体为证据包文件原样（Content-Type: application/octet-stream，最大 64 MB）。',
    before: [express.raw({ type: () => true, limit: MAX_PACKAGE_BYTES })],
    handle: ({ req }) => {
      const body: unknown = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw errors.badRequest('PACKAGE_NOT_RAW', '请上传证据包文件本身（Content-Type: application/octet-stream）', [
          { field: 'body', message: '须为证据包文件' },
        ]);
      }
      return verifyEvidencePackage(body.toString('utf8'));
    },
  }),
];

export function auditRouter(deps: AuditDeps): Router {
  return mountRoutes(deps.db, deps, auditRoutes);
}

/** A project's process instance the caller may see; any other (unknown, outside the scope) is a 404. */
async function visibleInstance(
  db: Db,
  reader: Principal,
  key: string,
): Promise<{ processInstanceKey: string; project: { id: number; projectNo: string; name: string } }> {
  const instance = (await db('process_instances')
    .where({ process_instance_key: key, business_type: 'project' })
    .first('process_instance_key', 'business_id')) as { process_instance_key: string; business_id: number } | undefined;
  const project = instance
    ? ((await db('projects').where('id', instance.business_id).first('id', 'project_no', 'name', 'unit_org_id')) as
        { id: number; project_no: string; name: string; unit_org_id: number } | undefined)
    : undefined;
  const visible = project && (await canSee(db, reader, project.unit_org_id));
  if (!instance || !project || !visible) throw errors.notFound(`流程实例 ${key} 不存在`);
  return {
    processInstanceKey: instance.process_instance_key,
    project: { id: Number(project.id), projectNo: project.project_no, name: project.name },
  };
}
