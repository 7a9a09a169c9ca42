import express, { type Router } from 'express';
import { STATUS_LABELS, type ProjectStatus } from '../../domain/projects';
import { toShanghaiIso } from '../../domain/time';
import { projectApprovalDocument } from '../documents/approval';
import { renderProjectApprovalPdf } from '../documents/pdf';
import type { Db } from '../db';
import { canSee, type Principal } from '../auth/service';
import * as projects from '../projects/service';
import { projectViewer, projectVisibleTo } from '../projects/visibility';
import { newProjectSchema, projectEditSchema, projectExportQuery, projectListQuery, voidBody } from '../../contracts/projects';
import { errors } from '../errors';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportLimits } from './excel-export';
import { projectExport } from './project-exports';
import { projectDetailJson, projectSummaryJson } from './project-json';
import * as contracts from '../../contracts/projects';
import { mountRoutes, routesWith } from './route';
import { attachmentParams, exportNote, idParams, xlsxOk } from './route-doc';

/**
 * The project library (项目库) over HTTP. Reading needs projects:read, filing and editing
 * applications projects:write (a unit's clerk). Data scope: a project of a unit outside the
 * person's scope does not exist for them (404), whichever id they try.
 * Attachments are uploaded as the raw request body (Content-Type of the file, name in the
 * X-File-Name header, URI-encoded), up to 10 MB: no multipart parser, no base64 inflation.
 * Declared once (route.ts): the catalogue, the OpenAPI document and the router read these.
 */

export { newProjectSchema, projectEditSchema, projectExportQuery, projectListQuery, voidBody };

type ProjectDeps = { db: Db; exportLimits: ExportLimits };
const route = routesWith<ProjectDeps>();

const actorOf = (p: Principal): projects.Actor => ({ userId: p.userId, username: p.username, displayName: p.displayName });

/** 404 unless the project exists and the person may see it (its unit in their scope; a draft only its own unit). */
async function projectInScope(db: Db, p: Principal, id: number): Promise<number> {
  if (!(await projectVisibleTo(db, p, id))) throw errors.notFound(`项目 #${id} 不存在`);
  return id;
}

export const projectRoutes = [
  route({
    method: 'get',
    path: '/api/projects',
    summary: '项目列表（本人数据范围内），分页',
    tag: 'projects',
    access: 'projects:read',
    query: projectListQuery,
    response: contracts.projectPage,
    handle: async ({ deps: { db }, principal, query }) => {
      const page = await projects.listProjects(db, query, projectViewer(db, principal));
      return { ...page, items: page.items.map((p) => projectSummaryJson(p, principal)) };
    },
  }),
  // Before /projects/{id}, which would take "export" for an id.
  route({
    method: 'get',
    path: '/api/projects/export',
    summary: '导出项目库（Excel）',
    tag: 'projects',
    access: 'projects:read',
    query: projectExportQuery,
    ok: xlsxOk,
    description: exportNote,
    handle: async ({ deps: { db, exportLimits }, principal, query, res }) => {
      const viewer = projectViewer(db, principal);
      await sendXlsxExport(
        res,
        projectExport((page, pageSize) => projects.listProjects(db, { ...query, page, pageSize }, viewer)),
        exportLimits,
      );
    },
  }),
  route({
    method: 'get',
    path: '/api/projects/{id}',
    summary: '项目详情：金额明细、绩效目标、附件、疑似重复、SMART 检查',
    tag: 'projects',
    access: 'projects:read',
    params: idParams,
    notFound: '项目',
    response: contracts.projectDetail,
    description: '数据范围外的项目与不存在的项目一样答 404。',
    handle: async ({ deps: { db }, principal, params }) => {
      const project = await projects.getProject(db, await projectInScope(db, principal, params.id), principal.orgId);
      return projectDetailJson(project!, principal);
    },
  }),
  /** 项目审批表: every completed step with its seal and verification code, as a PDF. */
  route({
    method: 'get',
    path: '/api/projects/{id}/approval-sheet.pdf',
    summary: '项目审批表 PDF：已办结的每个审批环节，各附电子签章与核验码',
    tag: 'projects',
    access: 'projects:read',
    params: idParams,
    notFound: '项目',
    ok: { status: 200, description: 'PDF 文件' },
    description: '数据范围外的项目与不存在的项目一样答 404；尚无办结环节时表中注明。',
    handle: async ({ deps: { db }, principal, params, res }) => {
      const id = await projectInScope(db, principal, params.id);
      const doc = await projectApprovalDocument(db, id, (s) => STATUS_LABELS[s as ProjectStatus] ?? s);
      const pdf = await renderProjectApprovalPdf(doc);
      res.setHeader('content-disposition', `attachment; filename="approval-sheet-${doc.projectNo}.pdf"`);
      res.type('application/pdf').send(pdf);
    },
  }),
  route({
    method: 'get',
    path: '/api/projects/{id}/events',
    summary: '项目时间线',
    tag: 'projects',
    access: 'projects:read',
    params: idParams,
    notFound: '项目',
    response: contracts.projectEventList,
    handle: async ({ deps: { db }, principal, params }) => {
      const events = await projects.listEvents(db, await projectInScope(db, principal, params.id));
      return { items: events.map((e) => ({ ...e, createdAt: toShanghaiIso(e.createdAt) })) };
    },
  }),
  route({
    method: 'post',
    path: '/api/projects',
    summary: '新建项目申报（草稿）',
    tag: 'projects',
    access: 'projects:write',
    body: newProjectSchema,
    response: contracts.projectDetail,
    ok: { status: 201, description: '已创建；疑似重复时 duplicates 非空' },
    description: '科目不存在时为 400 UNKNOWN_CODE，details 指出字段。',
    handle: async ({ deps: { db }, principal: p, body }) => {
      const unitOrgId = body.unitOrgId ?? p.orgId;
      if (!(await canSee(db, p, unitOrgId))) throw errors.notFound(`组织机构 #${unitOrgId} 不存在`);
      return projectDetailJson(await projects.createProject(db, actorOf(p), { ...body, unitOrgId }), p);
    },
  }),
  route({
    method: 'put',
    path: '/api/projects/{id}',
    summary: '修改项目（草稿或已退回）',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    notFound: '项目',
    body: projectEditSchema,
    response: contracts.projectDetail,
    refusals: [409],
    description: 'version 须为读取时的版本；他人已修改时为 409 PROJECT_CHANGED，状态不可修改时为 409 PROJECT_NOT_EDITABLE。',
    handle: async ({ deps: { db }, principal, params, body }) => {
      const id = await projectInScope(db, principal, params.id);
      return projectDetailJson(await projects.updateProject(db, actorOf(principal), id, body), principal);
    },
  }),
  route({
    method: 'post',
    path: '/api/projects/{id}/void',
    summary: '作废项目（批复前）',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    notFound: '项目',
    body: voidBody,
    response: contracts.projectDetail,
    refusals: [409],
    handle: async ({ deps: { db }, principal, params, body }) => {
      const id = await projectInScope(db, principal, params.id);
      return projectDetailJson(await projects.voidProject(db, actorOf(principal), id, body), principal);
    },
  }),
  route({
    method: 'post',
    path: '/api/projects/{id}/attachments',
    summary: '上传附件（请求体为文件内容，X-File-Name 为 URI 编码的文件名，≤ 10 MB）',
    tag: 'projects',
    access: 'projects:write',
    params: idParams,
    notFound: '项目',
    before: [express.raw({ type: () => true, limit: projects.MAX_ATTACHMENT_BYTES })],
    response: contracts.projectAttachment,
    ok: { status: 201, description: '已上传，含 SM3 摘要' },
    refusals: [409],
    handle: async ({ deps: { db }, principal, params, req }) => {
      const id = await projectInScope(db, principal, params.id);
      const fileName = fileNameHeader(req.get('x-file-name'));
      const contentType =
        (req.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().slice(0, 100) || 'application/octet-stream';
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const attachment = await projects.addAttachment(db, actorOf(principal), id, { fileName, contentType, bytes });
      return { ...attachment, uploadedAt: toShanghaiIso(attachment.uploadedAt) };
    },
  }),
  route({
    method: 'get',
    path: '/api/projects/{id}/attachments/{attachmentId}',
    summary: '下载附件（内容与 SM3 摘要不符时拒绝提供）',
    tag: 'projects',
    access: 'projects:read',
    params: attachmentParams,
    notFound: { id: '项目', attachmentId: '附件' },
    ok: { status: 200, description: '文件内容；X-Content-SM3 头为摘要' },
    handle: async ({ deps: { db }, principal, params, res }) => {
      const id = await projectInScope(db, principal, params.id);
      const { attachment, bytes } = await projects.readAttachment(db, id, params.attachmentId);
      res.setHeader('content-type', attachment.contentType);
      res.setHeader(
        'content-disposition',
        `attachment; filename="${asciiFallback(attachment.fileName)}"; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`,
      );
      res.setHeader('x-content-sm3', attachment.sm3);
      res.send(bytes);
    },
  }),
  route({
    method: 'delete',
    path: '/api/projects/{id}/attachments/{attachmentId}',
    summary: '删除附件（保留记录）',
    tag: 'projects',
    access: 'projects:write',
    params: attachmentParams,
    notFound: { id: '项目', attachmentId: '附件' },
    ok: { status: 204, description: '已删除' },
    refusals: [409],
    handle: async ({ deps: { db }, principal, params }) => {
      const id = await projectInScope(db, principal, params.id);
      await projects.removeAttachment(db, actorOf(principal), id, params.attachmentId);
    },
  }),
];

export function projectsRouter({ db, exportLimits = DEFAULT_EXPORT_LIMITS }: { db: Db; exportLimits?: ExportLimits }): Router {
  return mountRoutes(db, { db, exportLimits }, projectRoutes);
}

export function fileNameHeader(raw: string | undefined): string {
  let name = '';
  try {
    name = decodeURIComponent(raw ?? '').trim();
  } catch {
    throw errors.badRequest('INVALID_FILE_NAME', '文件名编码不正确（X-File-Name 应为 URI 编码）');
  }
  // No paths, no control characters: the name is only ever shown and offered back on download.
  name = name.replace(/^.*[\\/]/, '').replace(/[\u0000-\u001f\u007f]/g, '');
  if (!name) throw errors.badRequest('FILE_NAME_REQUIRED', '请提供文件名（X-File-Name 请求头）');
  if (name.length > 200) throw errors.badRequest('FILE_NAME_TOO_LONG', '文件名不能超过 200 个字符');
  return name;
}

export function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
}
