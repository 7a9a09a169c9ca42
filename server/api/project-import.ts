import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db';
import { principalOf, requireLogin, requirePermission } from '../auth/middleware';
import { scopeOrgIds } from '../auth/service';
import { importProjects } from '../projects/import';
import { buildImportTemplate, TEMPLATE_FILE_NAME } from '../projects/import-template';
import { validate } from './validate';

/**
 * 项目批量导入 over HTTP (templates/project-import.md): the template to download, and the import
 * of a filled-in workbook, both for those who file applications (projects:write). Mounted before
 * the project routes so /projects/import-template is not read as a project id.
 * Like the code-table import, the file comes as base64 in JSON (no multipart parser).
 */

/** The app's JSON parser stops bodies at 1 MB: about 750 KB of .xlsx in base64. */
export const MAX_IMPORT_FILE_BYTES = 750 * 1024;
const MAX_BASE64_CHARS = Math.ceil(MAX_IMPORT_FILE_BYTES / 3) * 4;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const projectImportBody = z
  .object({
    format: z.literal('xlsx', { error: 'format 应为 xlsx' }),
    base64: z
      .string()
      .min(1)
      .max(MAX_BASE64_CHARS, `文件不能超过 ${MAX_IMPORT_FILE_BYTES / 1024} KB，请分批导入`)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, '不是有效的 base64'),
    /** Shown on each imported project's timeline. */
    fileName: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export function projectImportRouter({ db }: { db: Db }): Router {
  const router = Router();
  const write = [requireLogin(db), requirePermission('projects:write')];

  router.get('/projects/import-template', ...write, async (_req, res) => {
    const bytes = await buildImportTemplate();
    res.setHeader('content-type', XLSX_TYPE);
    // RFC 5987: the Chinese name for browsers, an ASCII one for the rest.
    res.setHeader(
      'content-disposition',
      `attachment; filename="project-import-template.xlsx"; filename*=UTF-8''${encodeURIComponent(TEMPLATE_FILE_NAME)}`,
    );
    res.setHeader('cache-control', 'no-store');
    res.send(bytes);
  });

  router.post('/projects/import', ...write, validate({ body: projectImportBody }), async (_req, res) => {
    const body = res.locals.body as z.infer<typeof projectImportBody>;
    const p = principalOf(res);
    const created = await importProjects(
      db,
      {
        actor: { userId: p.userId, username: p.username, displayName: p.displayName },
        ownOrgId: p.orgId,
        scopeOrgIds: scopeOrgIds(db, p),
        fileName: (body.fileName ?? '未命名.xlsx').replace(/^.*[\\/]/, '').replace(/[\u0000-\u001f\u007f]/g, ''),
      },
      Buffer.from(body.base64, 'base64'),
    );
    res.status(201).json({ created });
  });

  return router;
}
