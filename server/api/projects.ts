import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { STATUS_LABELS, type ProjectStatus } from '../../domain/projects';
import { toShanghaiIso } from '../../domain/time';
import { projectApprovalDocument } from '../documents/approval';
import { renderProjectApprovalPdf } from '../documents/pdf';
import type { Db } from '../db';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import { canSee, type Principal } from '../auth/service';
import * as projects from '../projects/service';
import { projectViewer, projectVisibleTo } from '../projects/visibility';
import { newProjectSchema, projectEditSchema, projectListQuery, voidBody } from '../projects/schemas';
import { errors } from '../errors';
import { DEFAULT_EXPORT_LIMITS, sendXlsxExport, type ExportLimits } from './excel-export';
import { projectExport } from './project-exports';
import { projectDetailJson, projectSummaryJson } from './project-json';
import { validate } from './validate';

/**
 * The project library (项目库) over HTTP. Reading needs projects:read, filing and editing
 * applications projects:write (a unit's clerk). Data scope: a project of a unit outside the
 * person's scope does not exist for them (404), whichever id they try.
 * Attachments are uploaded as the raw request body (Content-Type of the file, name in the
 * X-File-Name header, URI-encoded), up to 10 MB: no multipart parser, no base64 inflation.
 */

export { newProjectSchema, projectEditSchema, projectListQuery, voidBody };

/** An export takes the list's filters and sort, without paging: it holds every matching row. */
export const projectExportQuery = projectListQuery.omit({ page: true, pageSize: true });

export function projectsRouter({ db, exportLimits = DEFAULT_EXPORT_LIMITS }: { db: Db; exportLimits?: ExportLimits }): Router {
  const router = Router();
  const login = requireLogin(db);
  const read = [login, requirePermission('projects:read')];
  const write = [login, requirePermission('projects:write')];

  const actorOf = (res: Response): projects.Actor => {
    const p = principalOf(res);
    return { userId: p.userId, username: p.username, displayName: p.displayName };
  };

  const inScope = (p: Principal, orgId: number) => canSee(db, p, orgId);

  /** 404 unless the project exists and the person may see it (its unit in their scope; a draft only its own unit). */
  const projectInScope = async (res: Response, raw: unknown): Promise<number> => {
    const id = idParam(raw, '项目');
    if (!(await projectVisibleTo(db, principalOf(res), id))) throw errors.notFound(`项目 #${String(raw)} 不存在`);
    return id;
  };

  router.get('/projects', ...read, validate({ query: projectListQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof projectListQuery>;
    const page = await projects.listProjects(db, q, projectViewer(db, principalOf(res)));
    res.json({ ...page, items: page.items.map((p) => projectSummaryJson(p, principalOf(res))) });
  });

  // Before /projects/:id, which would take "export" for an id.
  router.get('/projects/export', ...read, validate({ query: projectExportQuery }), async (_req, res) => {
    const q = res.locals.query as z.infer<typeof projectExportQuery>;
    const viewer = projectViewer(db, principalOf(res));
    await sendXlsxExport(
      res,
      projectExport((page, pageSize) => projects.listProjects(db, { ...q, page, pageSize }, viewer)),
      exportLimits,
    );
  });

  router.get('/projects/:id', ...read, async (req, res) => {
    const project = await projects.getProject(db, await projectInScope(res, req.params.id), principalOf(res).orgId);
    res.json(projectDetailJson(project!, principalOf(res)));
  });

  /** 项目审批表: every completed step with its seal and verification code, as a PDF. */
  router.get('/projects/:id/approval-sheet.pdf', ...read, async (req, res) => {
    const doc = await projectApprovalDocument(db, await projectInScope(res, req.params.id), (s) => STATUS_LABELS[s as ProjectStatus] ?? s);
    const pdf = await renderProjectApprovalPdf(doc);
    res.setHeader('content-disposition', `attachment; filename="approval-sheet-${doc.projectNo}.pdf"`);
    res.type('application/pdf').send(pdf);
  });

  router.get('/projects/:id/events', ...read, async (req, res) => {
    const events = await projects.listEvents(db, await projectInScope(res, req.params.id));
    res.json({ items: events.map((e) => ({ ...e, createdAt: toShanghaiIso(e.createdAt) })) });
  });

  router.post('/projects', ...write, validate({ body: newProjectSchema }), async (_req, res) => {
    const body = res.locals.body as z.infer<typeof newProjectSchema>;
    const p = principalOf(res);
    const unitOrgId = body.unitOrgId ?? p.orgId;
    if (!(await inScope(p, unitOrgId))) throw errors.notFound(`组织机构 #${unitOrgId} 不存在`);
    const project = await projects.createProject(db, actorOf(res), { ...body, unitOrgId });
    res.status(201).json(projectDetailJson(project, p));
  });

  router.put('/projects/:id', ...write, validate({ body: projectEditSchema }), async (req, res) => {
    const id = await projectInScope(res, req.params.id);
    const project = await projects.updateProject(db, actorOf(res), id, res.locals.body as z.infer<typeof projectEditSchema>);
    res.json(projectDetailJson(project, principalOf(res)));
  });

  router.post('/projects/:id/void', ...write, validate({ body: voidBody }), async (req, res) => {
    const id = await projectInScope(res, req.params.id);
    const project = await projects.voidProject(db, actorOf(res), id, res.locals.body as z.infer<typeof voidBody>);
    res.json(projectDetailJson(project, principalOf(res)));
  });

  router.post(
    '/projects/:id/attachments',
    ...write,
    express.raw({ type: () => true, limit: projects.MAX_ATTACHMENT_BYTES }),
    async (req, res) => {
      const id = await projectInScope(res, req.params.id);
      const fileName = fileNameHeader(req.get('x-file-name'));
      const contentType =
        (req.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().slice(0, 100) || 'application/octet-stream';
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const attachment = await projects.addAttachment(db, actorOf(res), id, { fileName, contentType, bytes });
      res.status(201).json({ ...attachment, uploadedAt: toShanghaiIso(attachment.uploadedAt) });
    },
  );

  router.get('/projects/:id/attachments/:attachmentId', ...read, async (req, res) => {
    const id = await projectInScope(res, req.params.id);
    const { attachment, bytes } = await projects.readAttachment(db, id, idParam(req.params.attachmentId, '附件'));
    res.setHeader('content-type', attachment.contentType);
    res.setHeader(
      'content-disposition',
      `attachment; filename="${asciiFallback(attachment.fileName)}"; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`,
    );
    res.setHeader('x-content-sm3', attachment.sm3);
    res.send(bytes);
  });

  router.delete('/projects/:id/attachments/:attachmentId', ...write, async (req, res) => {
    const id = await projectInScope(res, req.params.id);
    await projects.removeAttachment(db, actorOf(res), id, idParam(req.params.attachmentId, '附件'));
    res.status(204).end();
  });

  return router;
}

/** A malformed id names nothing: 404, like an id that does not exist. */
function idParam(raw: unknown, what: string): number {
  const n = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
  if (n < 1 || n > 2_147_483_647) throw errors.notFound(`${what} #${String(raw)} 不存在`);
  return n;
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
